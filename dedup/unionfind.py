"""Union-find (disjoint sets) with path halving and union by size.

>>> uf = UnionFind(5)
>>> uf.union(0, 1); uf.union(3, 4); uf.union(1, 4)
>>> uf.find(0) == uf.find(3), uf.find(2) == uf.find(0)
(True, False)
>>> sorted(map(sorted, uf.groups()))
[[0, 1, 3, 4], [2]]
"""

from __future__ import annotations


class UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))
        self.size = [1] * n

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]

    def groups(self) -> list[list[int]]:
        """Every set as a list of members in increasing order, sets ordered by smallest member."""
        out: dict[int, list[int]] = {}
        for x in range(len(self.parent)):
            out.setdefault(self.find(x), []).append(x)
        return sorted(out.values(), key=lambda g: g[0])
