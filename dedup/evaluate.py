"""Reference implementations for tests and benchmarks: simple and exact.

:func:`exact_pairs` finds every document pair whose exact word n-gram Jaccard reaches a floor, with
an inverted index over shingles (no MinHash, no LSH), so recall and precision of the fast path can
be measured against the truth.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .fingerprint.lsh import run_pair_codes
from .fingerprint.minhash import shingle_set


def exact_pairs(texts: Sequence[str], ngram: int, min_jaccard: float, max_df: int = 1000
                ) -> dict[tuple[int, int], float]:
    """All pairs ``(i, j)``, ``i < j``, with exact shingle Jaccard >= ``min_jaccard``.

    Shingles in more than ``max_df`` documents are skipped when pairing (a pair that shares only
    such shingles is nowhere near any useful floor); intersections are counted exactly.

    >>> exact_pairs(["a b c d e f", "a b c d e g", "x y z"], 3, 0.5)
    {(0, 1): 0.6}
    """
    sets = [shingle_set(t, ngram) for t in texts]
    n = len(sets)
    sizes = np.array([len(s) for s in sets], dtype=np.int64)
    if n < 2 or sizes.sum() == 0:
        return {}
    sh = np.concatenate(sets)
    doc = np.repeat(np.arange(n, dtype=np.int64), sizes)
    order = np.argsort(sh, kind="stable")
    keys = run_pair_codes(sh[order], doc[order], n, max_df)
    if not len(keys):
        return {}
    uniq, inter = np.unique(keys, return_counts=True)
    i, j = uniq // n, uniq % n
    jac = inter / (sizes[i] + sizes[j] - inter)
    keep = jac >= min_jaccard
    return {(int(a), int(b)): round(float(c), 6) for a, b, c in zip(i[keep], j[keep], jac[keep], strict=True)}


def pairs_from_clusters(clusters: Sequence[Sequence[int]]) -> set[tuple[int, int]]:
    """Every pair of members inside each cluster."""
    out = set()
    for c in clusters:
        m = sorted(c)
        for a in range(len(m)):
            for b in range(a + 1, len(m)):
                out.add((m[a], m[b]))
    return out
