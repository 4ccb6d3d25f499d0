"""dedup.sorting: the same orders and arrays as numpy's stable argsort, lexsort and unique."""

from __future__ import annotations

import numpy as np
import pytest

from dedup import sorting


def _cases():
    rng = np.random.default_rng(7)
    for n in (0, 1, 2, 3, 17, 1000, 50_000):
        for hi in (1, 2, 10, 1 << 20, 1 << 40, 1 << 62):  # many ties .. too large to pack
            yield rng.integers(0, hi, n, dtype=np.int64)
    yield np.array([5, -1, 3, -1, 0], dtype=np.int64)  # negative: numpy's path
    yield rng.integers(0, 1000, 5000, dtype=np.int32)
    yield rng.integers(0, 1 << 63, 5000, dtype=np.uint64)  # beyond int64: numpy's path


@pytest.mark.parametrize("keys", list(_cases()), ids=lambda k: f"{len(k)}-{k.dtype}-{k.max() if len(k) else 0}")
def test_argsort_and_unique_equal_numpy(keys):
    assert np.array_equal(sorting.argsort(keys), np.argsort(keys, kind="stable"))
    got = sorting.unique(keys, return_index=True, return_inverse=True, return_counts=True)
    want = np.unique(keys, return_index=True, return_inverse=True, return_counts=True)
    for g, w in zip(got, want, strict=True):
        assert np.array_equal(g, w)
    assert np.array_equal(sorting.unique(keys), np.unique(keys))
    for g, w in zip(sorting.unique(keys, return_counts=True), np.unique(keys, return_counts=True), strict=True):
        assert np.array_equal(g, w) and g.dtype == w.dtype
    _, inverse = sorting.unique(keys, return_inverse=True)
    assert np.array_equal(np.unique(keys)[inverse], keys)


@pytest.mark.parametrize("bounds", [(3, 5), (2, 1000, 7), (1 << 40, 1 << 30)])
def test_lexsort_equals_numpy(bounds):
    rng = np.random.default_rng(len(bounds))
    keys = tuple(rng.integers(0, b, 20_000, dtype=np.int64) for b in bounds)
    want = np.lexsort(keys)
    assert np.array_equal(sorting.lexsort(keys), want)
    assert np.array_equal(sorting.lexsort(keys, bounds), want)
    assert len(sorting.lexsort(tuple(k[:0] for k in keys))) == 0


def test_other_keys_take_numpys_path():
    floats = np.array([2.5, -1.0, 2.5, np.nan, 0.1, np.nan])
    assert np.array_equal(sorting.argsort(floats), np.argsort(floats, kind="stable"))
    for g, w in zip(sorting.unique(floats, True, True, True), np.unique(floats, True, True, True), strict=True):
        assert np.array_equal(g, w, equal_nan=True)
    wide = (np.array([1, 2, 0, 2**64 - 1], dtype=np.uint64), np.array([1, 0, 5, 5]))
    assert np.array_equal(sorting.lexsort(wide), np.lexsort(wide))
    small = (np.array([1, 2, 0, 3], dtype=np.uint64), np.array([1, 0, 5, 5], dtype=np.int32))
    assert np.array_equal(sorting.lexsort(small), np.lexsort(small))
    keys = (np.array([3, 1, 2]), np.array([0, 0, 0]))
    assert np.array_equal(sorting.lexsort(keys, (2, 1)), np.lexsort(keys))  # bounds too small: checked
