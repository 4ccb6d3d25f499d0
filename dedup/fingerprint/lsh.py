"""LSH banding over MinHash signatures: band keys, buckets, candidate pairs.

Bands are chosen like datasketch's ``optimal_param`` (minimise the false-positive area under the
S-curve ``P(s) = 1 - (1 - s**r)**b`` for ``s < threshold``) but subject to a recall floor at the
threshold itself, because every candidate is verified exactly afterwards: a missed pair is lost
for good, a false candidate only costs one exact Jaccard.

>>> b, r = choose_bands(0.8, 128)
>>> b * r <= 128 and candidate_probability(0.8, b, r) >= 0.995
True
"""

from __future__ import annotations

import numpy as np

from .. import sorting

_U64 = np.uint64


def candidate_probability(s: float, bands: int, rows: int) -> float:
    """Probability that a pair with Jaccard ``s`` shares at least one band."""
    return 1.0 - (1.0 - s**rows) ** bands


def _area(f, a: float, b: float, steps: int = 200) -> float:
    xs = np.linspace(a, b, steps + 1)
    ys = np.array([f(x) for x in xs])
    return float(np.trapezoid(ys, xs)) if hasattr(np, "trapezoid") else float(np.trapz(ys, xs))


def choose_bands(threshold: float, num_perm: int, recall: float = 0.995) -> tuple[int, int]:
    """(bands, rows) with ``P(threshold) >= recall`` and the least false-positive area."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError("threshold must be in (0.0, 1.0]")
    if not 0.0 < recall < 1.0:
        raise ValueError("recall must be in (0.0, 1.0)")
    best: tuple[float, int, int] | None = None
    for r in range(1, num_perm + 1):
        b = num_perm // r
        if b < 1:
            break
        if candidate_probability(threshold, b, r) < recall:
            continue
        fp = _area(lambda s, b=b, r=r: candidate_probability(s, b, r), 0.0, threshold)
        if best is None or fp < best[0] - 1e-12:
            best = (fp, b, r)
    if best is None:  # recall floor unreachable: fall back to the most sensitive banding
        return num_perm, 1
    return best[1], best[2]


def band_keys(sigs: np.ndarray, bands: int, rows: int, first: int = 0) -> np.ndarray:
    """64-bit keys, one per (document, band): ``len(sigs) x bands`` uint64. ``first``: the number
    of the first band, when ``sigs`` holds only the columns of bands ``first, first + 1, ...``
    (the same keys as those bands of the whole signature).

    >>> s = np.arange(24, dtype=np.uint32).reshape(2, 12)
    >>> bool((band_keys(s, 4, 3)[:, 2:] == band_keys(s[:, 6:], 2, 3, first=2)).all())
    True
    """
    n = sigs.shape[0]
    keys = np.zeros((n, bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(bands):
            k = np.full(n, _U64(0x9E3779B97F4A7C15) * _U64(first + j + 1), dtype=np.uint64)
            for c in range(j * rows, (j + 1) * rows):
                k = (k ^ sigs[:, c].astype(np.uint64)) * _U64(0xFF51AFD7ED558CCD)
                k ^= k >> _U64(29)
            keys[:, j] = k
    return keys


def run_pair_codes(sorted_keys: np.ndarray, items: np.ndarray, n: int, max_run: int | None = None
                   ) -> np.ndarray:
    """Every pair of ``items`` inside each run of equal ``sorted_keys``, as codes ``i * n + j``
    with ``i < j`` (repeats kept: one per shared run). Runs longer than ``max_run`` are skipped.

    All runs of the same size are expanded at once.

    >>> run_pair_codes(np.array([5, 5, 7, 9, 9, 9]), np.array([3, 1, 0, 2, 4, 1]), 10).tolist()
    [13, 12, 14, 24]
    """
    starts = np.flatnonzero(np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1])))
    lengths = np.diff(np.concatenate((starts, [len(sorted_keys)])))
    codes: list[np.ndarray] = []
    for k in np.unique(lengths[lengths >= 2]).tolist():
        if max_run is not None and k > max_run:
            continue
        g = starts[lengths == k]
        members = np.sort(items[g[:, None] + np.arange(k)[None, :]], axis=1).astype(np.int64)
        ii, jj = np.triu_indices(k, 1)
        codes.append((members[:, ii] * n + members[:, jj]).ravel())
    return np.concatenate(codes) if codes else np.empty(0, dtype=np.int64)


def candidate_pairs(keys: np.ndarray) -> np.ndarray:
    """All pairs ``(i, j)``, ``i < j``, that share a key in some band, as an ``m x 2`` int64 array
    sorted and without repeats (runs of equal keys found per band by sorting)."""
    n, bands = keys.shape
    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    codes: list[np.ndarray] = []
    for j in range(bands):
        order = np.argsort(keys[:, j], kind="stable")
        codes.append(run_pair_codes(keys[order, j], order, n))
    uniq = sorting.unique(np.concatenate(codes))
    return np.stack([uniq // n, uniq % n], axis=1)
