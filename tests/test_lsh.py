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


def test_component_groups_share_out_every_pair_once_and_cut_a_large_component():
    """Groups of candidate pairs for the verification tasks: every pair in exactly one group, a
    small component never cut, a component larger than a group cut into runs (so a licence in
    hundreds of files spreads over the workers)."""
    from dedup.cluster import component_groups

    big = np.array(list(itertools.combinations(range(100), 2)))  # one component, 4,950 pairs
    small = np.array([[200 + 2 * k, 201 + 2 * k] for k in range(300)])  # 300 components of one pair
    chain = np.array([[1000 + k, 1001 + k] for k in range(50)])  # one component of 50 pairs
    pairs = np.concatenate((small[:150], big, chain, small[150:]))
    groups = component_groups(pairs, 2)
    got = sorted(map(tuple, np.concatenate(groups).tolist()))
    assert got == sorted(map(tuple, pairs.tolist()))
    assert all(len(g) <= 2000 for g in groups)
    in_big = [g for g in groups if (g < 100).any()]
    assert len(in_big) == 3  # 2,000 + 2,000 + 950
    assert all((g < 100).all() for g in in_big)  # a run of the big component holds nothing else
    assert sum(bool((g >= 1000).any()) for g in groups) == 1  # a component under a group's size: whole


def test_jaccard_of_sorted_sets_is_the_set_jaccard():
    """dedup.cluster.jaccard merges the two sorted runs: the same value as the sets' own Jaccard
    (the same integers into the same division), including disjoint, equal and nested sets."""
    from dedup.cluster import jaccard

    rng = np.random.default_rng(11)
    for _ in range(3000):
        a, b = (set(rng.integers(0, 40, int(rng.integers(0, 30))).tolist()) for _ in range(2))
        if rng.random() < 0.1:
            b = set(a)
        if not a and not b:
            continue
        want = len(a & b) / len(a | b)
        got = jaccard(np.array(sorted(a), dtype=np.uint64), np.array(sorted(b), dtype=np.uint64))
        assert got == want
