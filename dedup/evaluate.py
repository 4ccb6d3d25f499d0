"""Reference implementations for tests and benchmarks: slow, simple, exact.

:func:`exact_pairs` finds every document pair whose exact word n-gram Jaccard reaches a floor, with
an inverted index over shingles (no MinHash, no LSH), so recall and precision of the fast path can
be measured against the truth.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from .fingerprint.minhash import shingle_set


def exact_pairs(texts: Sequence[str], ngram: int, min_jaccard: float, max_df: int = 1000
                ) -> dict[tuple[int, int], float]:
    """All pairs ``(i, j)``, ``i < j``, with exact shingle Jaccard >= ``min_jaccard``.

    Shingles in more than ``max_df`` documents are skipped for candidate generation only; a pair
    sharing nothing else has Jaccard <= max_df-shingle count / set size, far below any useful floor.

    >>> exact_pairs(["a b c d e f", "a b c d e g", "x y z"], 3, 0.5)
    {(0, 1): 0.6}
    """
    sets = [shingle_set(t, ngram) for t in texts]
    postings: dict[int, list[int]] = {}
    for d, s in enumerate(sets):
        for h in s.tolist():
            postings.setdefault(h, []).append(d)
    inter: Counter[tuple[int, int]] = Counter()
    for docs in postings.values():
        if 1 < len(docs) <= max_df:
            for a in range(len(docs)):
                for b in range(a + 1, len(docs)):
                    inter[(docs[a], docs[b])] += 1
    out = {}
    for (i, j), k in inter.items():
        jac = k / (len(sets[i]) + len(sets[j]) - k)
        if jac >= min_jaccard:
            out[(i, j)] = round(jac, 6)
    return dict(sorted(out.items()))


def pairs_from_clusters(clusters: Sequence[Sequence[int]]) -> set[tuple[int, int]]:
    """Every pair of members inside each cluster."""
    out = set()
    for c in clusters:
        m = sorted(c)
        for a in range(len(m)):
            for b in range(a + 1, len(m)):
                out.add((m[a], m[b]))
    return out


__all__ = ["exact_pairs", "pairs_from_clusters"]
