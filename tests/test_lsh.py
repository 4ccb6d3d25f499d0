from __future__ import annotations

import itertools

import numpy as np
import pytest

from dedup.fingerprint.lsh import band_keys, candidate_pairs, candidate_probability, choose_bands


@pytest.mark.parametrize("threshold", [0.5, 0.7, 0.8, 0.9])
@pytest.mark.parametrize("num_perm", [64, 128, 256])
def test_bands_meet_recall_floor(threshold, num_perm):
    b, r = choose_bands(threshold, num_perm, 0.995)
    assert b * r <= num_perm
    assert candidate_probability(threshold, b, r) >= 0.995
    # and the curve still rejects clearly dissimilar pairs more often than not
    assert candidate_probability(0.25, b, r) < (0.5 if threshold >= 0.7 else 0.99)


def test_candidate_pairs_are_exactly_pairs_sharing_a_band():
    rng = np.random.default_rng(0)
    sigs = rng.integers(0, 4, size=(40, 12), dtype=np.uint32)
    keys = band_keys(sigs, 4, 3)
    expected = {
        (i, j)
        for i, j in itertools.combinations(range(40), 2)
        if any(np.array_equal(sigs[i, k * 3:(k + 1) * 3], sigs[j, k * 3:(k + 1) * 3]) for k in range(4))
    }
    got = {tuple(p) for p in candidate_pairs(keys).tolist()}
    assert got == expected
    assert all(i < j for i, j in got)


def test_threshold_is_checked():
    with pytest.raises(ValueError):
        choose_bands(1.5, 128)
