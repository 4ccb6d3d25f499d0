"""Engine-agnostic steps of document-level MinHash/LSH, shaped for a map/shuffle/reduce engine.

Each step is a pure function over numpy arrays; an engine adapter (``ray.py``) only moves their
outputs between tasks. Routing is by integer keys, never by Python's ``hash()``:

1. **map** (:func:`map_shard`): a shard of documents → shingle sets and band records
   ``(key, band, doc)``, split into ``parts`` partitions by band key.
2. **bucket** (:func:`bucket_pairs`): all records of one partition → candidate pairs ``(i, j)``,
   ``i < j``, of documents sharing a key in the same band, split by ``i`` into partitions.
3. **verify** (:func:`verify_partition`): the candidate pairs of one partition (deduplicated) →
   edges whose exact shingle Jaccard reaches the threshold (via :func:`dedup.cluster.verify_pairs`).
4. **components** (:func:`large_star`, :func:`small_star`, :func:`star_labels`): connected
   components by alternating large-star and small-star steps (Kiveris et al., "Connected
   Components in MapReduce and Beyond", SoCC 2014) over adjacency ``(u, v)`` partitioned by ``u``.
   The graph has converged when it is a forest of stars centred on each component's smallest
   node, which every partition can check locally (:func:`is_star_partition`).

:func:`serial_edges` runs the same plan in one process; tests compare it with the local engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..cluster import fingerprint_texts, verify_pairs
from ..config import ScanConfig
from ..fingerprint.minhash import shingle_set

#: One band record: the band key, the band it belongs to and the global document index.
RECORD = np.dtype([("key", "<u8"), ("band", "<u4"), ("doc", "<i8")])

_EMPTY_PAIRS = np.empty((0, 2), dtype=np.int64)


def route(values: np.ndarray, parts: int) -> list[np.ndarray]:
    """Index arrays splitting ``values`` (non-negative integers) into ``parts`` partitions.

    >>> [p.tolist() for p in route(np.array([5, 2, 7, 4], dtype=np.uint64), 2)]
    [[1, 3], [0, 2]]
    """
    dest = (values % np.uint64(parts)).astype(np.int64) if values.dtype == np.uint64 else values % parts
    order = np.argsort(dest, kind="stable")
    bounds = np.searchsorted(dest[order], np.arange(parts + 1))
    return [order[bounds[p] : bounds[p + 1]] for p in range(parts)]


def pack_sets(sets: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate sorted shingle sets into ``(values, offsets)`` (two arrays ship cheaply).

    >>> v, o = pack_sets([np.array([1, 2], dtype=np.uint64), np.array([], dtype=np.uint64)])
    >>> v.tolist(), o.tolist()
    ([1, 2], [0, 2, 2])
    """
    offsets = np.zeros(len(sets) + 1, dtype=np.int64)
    np.cumsum([len(s) for s in sets], out=offsets[1:])
    values = np.concatenate(sets) if len(sets) else np.empty(0, dtype=np.uint64)
    return values.astype(np.uint64, copy=False), offsets


def unpack_set(packed: tuple[np.ndarray, np.ndarray], k: int) -> np.ndarray:
    """The ``k``-th set of a :func:`pack_sets` result."""
    values, offsets = packed
    return values[offsets[k] : offsets[k + 1]]


def map_shard(texts: Sequence[str], first: int, cfg: ScanConfig, parts: int, with_sets: bool = False
              ) -> tuple[tuple[np.ndarray, np.ndarray] | None, list[np.ndarray]]:
    """Fingerprint one shard (documents ``first .. first + len(texts) - 1``).

    Returns the packed shingle sets (if ``with_sets``, else ``None``: verification re-shingles
    the few documents in candidate pairs) and, per partition, the band records routed by key.
    """
    fp = fingerprint_texts(texts, cfg.with_(jobs=1))
    n, bands = fp.keys.shape
    rec = np.empty(n * bands, dtype=RECORD)
    rec["key"] = fp.keys.reshape(-1)
    rec["band"] = np.tile(np.arange(bands, dtype=np.uint32), n)
    rec["doc"] = np.repeat(np.arange(first, first + n, dtype=np.int64), bands)
    sets = pack_sets([shingle_set(t, cfg.ngram) for t in texts]) if with_sets else None
    return sets, [rec[ix] for ix in route(rec["key"], parts)]


def bucket_pairs(records: Sequence[np.ndarray], parts: int) -> list[np.ndarray]:
    """Candidate pairs from the band records of one key partition, routed by first document.

    Documents sharing ``(key, band)`` form a bucket; every pair in a bucket is a candidate, as in
    :func:`dedup.fingerprint.lsh.candidate_pairs`.

    >>> r = np.array([(7, 0, 3), (7, 0, 1), (7, 1, 2), (9, 0, 0)], dtype=RECORD)
    >>> [p.tolist() for p in bucket_pairs([r], 1)]
    [[[1, 3]]]
    """
    rec = np.concatenate(records) if records else np.empty(0, dtype=RECORD)
    chunks: list[np.ndarray] = []
    if len(rec) > 1:
        rec = rec[np.lexsort((rec["doc"], rec["band"], rec["key"]))]
        same = (rec["key"][1:] == rec["key"][:-1]) & (rec["band"][1:] == rec["band"][:-1])
        if same.any():
            flips = np.flatnonzero(np.diff(np.concatenate(([False], same, [False])).astype(np.int8)))
            docs = rec["doc"]
            for start, stop in zip(flips[::2], flips[1::2] + 1, strict=True):
                members = docs[start:stop]  # sorted by the lexsort
                ii, jj = np.triu_indices(len(members), k=1)
                chunks.append(np.stack([members[ii], members[jj]], axis=1))
    pairs = np.concatenate(chunks) if chunks else _EMPTY_PAIRS
    return [pairs[ix] for ix in route(pairs[:, 0], parts)]


def verify_partition(pair_parts: Sequence[np.ndarray], get_set: Callable[[int], np.ndarray],
                     threshold: float) -> tuple[int, np.ndarray, np.ndarray]:
    """Deduplicate one partition's candidate pairs and keep those whose Jaccard ≥ ``threshold``.

    ``get_set(i)`` gives document ``i``'s sorted shingle set. Returns the number of distinct
    candidates, the verified pairs (``m x 2`` int64, sorted) and their Jaccard (float64).
    """
    pairs = np.concatenate(pair_parts) if pair_parts else _EMPTY_PAIRS
    pairs = np.unique(pairs, axis=0) if len(pairs) else _EMPTY_PAIRS
    needed = np.unique(pairs)
    sets = {int(d): get_set(int(d)) for d in needed}
    edges = verify_pairs(pairs, sets, threshold)
    ij = np.array([(i, j) for i, j, _ in edges], dtype=np.int64).reshape(-1, 2)
    return len(pairs), ij, np.array([s for _, _, s in edges], dtype=np.float64)


def adjacency(pairs: np.ndarray, parts: int) -> list[np.ndarray]:
    """Both directions of undirected edges ``(u, v)``, routed by their first node."""
    both = np.concatenate([pairs, pairs[:, ::-1]]) if len(pairs) else _EMPTY_PAIRS
    return [both[ix] for ix in route(both[:, 0], parts)]


def _neighbourhoods(adj_parts: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct directed pairs sorted by ``(u, v)``, the nodes ``u`` and each pair's node slot."""
    adj = np.concatenate(adj_parts) if adj_parts else _EMPTY_PAIRS
    adj = np.unique(adj, axis=0) if len(adj) else _EMPTY_PAIRS
    nodes, slot = np.unique(adj[:, 0], return_inverse=True)
    return adj, nodes, slot.reshape(-1)


def is_star_partition(adj_parts: Sequence[np.ndarray]) -> bool:
    """True if every node here is a centre (all neighbours larger) or a leaf (one neighbour,
    smaller). When every partition says so, the graph is a forest of stars centred on minima.

    >>> is_star_partition([np.array([[0, 3], [0, 5], [3, 0], [5, 0]])])
    True
    >>> is_star_partition([np.array([[1, 0], [1, 2]])])
    False
    """
    adj, nodes, slot = _neighbourhoods(adj_parts)
    if not len(adj):
        return True
    degree = np.bincount(slot, minlength=len(nodes))
    smallest = np.full(len(nodes), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(smallest, slot, adj[:, 1])
    centre = smallest > nodes
    leaf = (degree == 1) & (smallest < nodes)
    return bool(np.all(centre | leaf))


def large_star(adj_parts: Sequence[np.ndarray], parts: int) -> list[np.ndarray]:
    """Connect every strictly larger neighbour of ``u`` to the minimum of ``u``'s closed
    neighbourhood. Returns the new adjacency, routed."""
    adj, nodes, slot = _neighbourhoods(adj_parts)
    if not len(adj):
        return adjacency(_EMPTY_PAIRS, parts)
    m = nodes.copy()
    np.minimum.at(m, slot, adj[:, 1])
    bigger = adj[:, 1] > adj[:, 0]
    out = np.stack([adj[bigger, 1], m[slot[bigger]]], axis=1)
    return adjacency(out, parts)


def small_star(adj_parts: Sequence[np.ndarray], parts: int) -> list[np.ndarray]:
    """Connect ``u`` and its smaller neighbours to the minimum of those. Returns the new
    adjacency, routed."""
    adj, nodes, slot = _neighbourhoods(adj_parts)
    if not len(adj):
        return adjacency(_EMPTY_PAIRS, parts)
    m = nodes.copy()
    np.minimum.at(m, slot, adj[:, 1])
    smaller = adj[:, 1] < adj[:, 0]
    has_smaller = m < nodes
    members = np.concatenate([adj[smaller, 1], nodes[has_smaller]])
    centre = np.concatenate([m[slot[smaller]], m[has_smaller]])
    out = np.stack([members, centre], axis=1)
    return adjacency(out[out[:, 0] != out[:, 1]], parts)


def star_labels(adj_parts: Sequence[np.ndarray]) -> np.ndarray:
    """``(node, label)`` rows of a converged partition: a leaf's label is its centre, a centre's
    label is itself."""
    adj, nodes, slot = _neighbourhoods(adj_parts)
    m = nodes.copy()
    if len(adj):
        np.minimum.at(m, slot, adj[:, 1])
    return np.stack([nodes, m], axis=1)


def components_serial(pairs: np.ndarray, n: int, parts: int = 3) -> tuple[np.ndarray, int]:
    """Component labels (smallest member) of ``n`` nodes by large-star/small-star, in process,
    partitioned exactly as an engine would. Returns the labels and the number of steps.

    >>> components_serial(np.array([[0, 4], [4, 2], [1, 3]]), 6)[0].tolist()
    [0, 1, 0, 1, 0, 5]
    """
    adj = adjacency(pairs.astype(np.int64).reshape(-1, 2), parts)
    steps = 0
    while not all(is_star_partition([a]) for a in adj):
        step = large_star if steps % 2 == 0 else small_star
        outs = [step([a], parts) for a in adj]
        adj = [[o[p] for o in outs] for p in range(parts)]
        adj = [np.concatenate(a) for a in adj]
        steps += 1
    return labels_from_rows([star_labels([a]) for a in adj], n), steps


def labels_from_rows(rows: Sequence[np.ndarray], n: int) -> np.ndarray:
    """Labels of ``n`` nodes from ``(node, label)`` rows; nodes without a row label themselves."""
    labels = np.arange(n, dtype=np.int64)
    for r in rows:
        if len(r):
            labels[r[:, 0]] = r[:, 1]
    return labels


def collect_edges(parts: Sequence[tuple[np.ndarray, np.ndarray]]) -> list[tuple[int, int, float]]:
    """Verified edges of all partitions as ``(i, j, jaccard)`` tuples sorted by ``(i, j)``."""
    ij = np.concatenate([p[0] for p in parts]) if parts else _EMPTY_PAIRS
    sim = np.concatenate([p[1] for p in parts]) if parts else np.empty(0)
    order = np.lexsort((ij[:, 1], ij[:, 0]))
    return [(int(i), int(j), float(s)) for (i, j), s in zip(ij[order].tolist(), sim[order], strict=True)]


def shard_bounds(n: int, docs_per_task: int) -> list[tuple[int, int]]:
    """``[lo, hi)`` document ranges of the map tasks.

    >>> shard_bounds(5, 2)
    [(0, 2), (2, 4), (4, 5)]
    """
    if docs_per_task < 1:
        raise ValueError("docs_per_task must be at least 1")
    return [(lo, min(n, lo + docs_per_task)) for lo in range(0, n, docs_per_task)]


def serial_edges(texts: Sequence[str], cfg: ScanConfig, docs_per_task: int = 64, parts: int = 3
                 ) -> tuple[list[tuple[int, int, float]], np.ndarray, dict]:
    """The distributed plan run step by step in this process (reference for engine adapters).

    Returns the verified edges, the component labels and stats.
    """
    bounds = shard_bounds(len(texts), docs_per_task)
    mapped = [map_shard(texts[lo:hi], lo, cfg, parts) for lo, hi in bounds]
    buckets = [bucket_pairs([m[1][p] for m in mapped], parts) for p in range(parts)]

    def get_set(d: int) -> np.ndarray:
        return shingle_set(texts[d], cfg.ngram)

    verified = [verify_partition([b[p] for b in buckets], get_set, cfg.threshold) for p in range(parts)]
    edges = collect_edges([(v[1], v[2]) for v in verified])
    ij = np.array([(i, j) for i, j, _ in edges], dtype=np.int64).reshape(-1, 2)
    labels, steps = components_serial(ij, len(texts), parts)
    return edges, labels, {"candidate_pairs": sum(v[0] for v in verified),
                           "verified_pairs": len(edges), "star_steps": steps}
