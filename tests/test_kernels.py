"""The compiled kernels (dedup.kernels) give exactly what the numpy versions in dedup.align give:
on random matrices whose scores sit on the thresholds, and on every document of the fixtures
aligned with edited copies of the others (merged, reordered and dropped sentences, edited words)."""

import random
from pathlib import Path

import numpy as np
import pytest

from dedup import kernels
from dedup import passages as P
from dedup.align import (
    Bead,
    _best_chain,
    attach_contained,
    contained_pairs,
    fill_gaps,
    matrices_against,
    matrices_from_counts,
    recover_swaps,
)
from dedup.config import ScanConfig
from dedup.io.readers import read_corpus
from dedup.model import Document
from dedup.rules import resolve

pytest.importorskip("numba")  # a declared dependency; without it dedup runs the numpy versions

ROOT = Path(__file__).resolve().parent.parent
#: Scores on and around the thresholds the alignment compares with (0.15, 0.3, 0.45, 0.6 ...),
#: so that float32-against-float64 comparisons would show.
GRID = np.array([0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8, 0.9, 1.0])


def both(fn, *args, **kw):
    """``fn`` run with the numpy versions and with the kernels."""
    with kernels.enabled(False):
        want = fn(*args, **kw)
    with kernels.enabled() as on:
        assert on
        got = fn(*args, **kw)
    return want, got


def _matrix(rng, n, m, dtype):
    s = rng.choice(GRID, (n, m)) * (rng.random((n, m)) < 0.5)
    return (s + rng.choice([0.0, 1e-7, -1e-7], (n, m)) * (s > 0)).clip(0, 1).astype(dtype)


def _chain(rng, n, m, s11):
    beads, i, j = [], 0, 0
    while i < n and j < m:
        di, dj = (1, 1) if rng.random() < 0.7 else ((2, 1) if rng.random() < 0.5 else (1, 2))
        if i + di <= n and j + dj <= m and rng.random() < 0.7:
            beads.append(Bead((i, i + di), (j, j + dj), float(s11[i, j])))
        i, j = i + di + int(rng.integers(0, 2)), j + dj + int(rng.integers(0, 2))
    return beads


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernels_equal_numpy_on_random_matrices(dtype):
    rng = np.random.default_rng(5)
    for _ in range(1500):
        n, m = int(rng.integers(1, 12)), int(rng.integers(1, 12))
        s11, s21, s12 = _matrix(rng, n, m, dtype), _matrix(rng, n - 1, m, dtype), _matrix(rng, n, m - 1, dtype)
        la, lb = rng.integers(0, 40, n).tolist(), rng.integers(0, 40, m).tolist()
        g = [(x - 0.3).astype(np.float64) for x in (s11, s21, s12)]
        want, got = both(_best_chain, *g)
        assert want == got
        beads = _chain(rng, n, m, s11)
        view = np.asfortranarray(s11) if rng.random() < 0.5 else s11  # not C-contiguous (a transpose)
        for fn, args in ((recover_swaps, (beads, view, n, m, 0.3)),
                         (attach_contained, (beads, view, s21, s12, la, lb)),
                         (contained_pairs, (beads, view, la, lb, 0.5, 0.25, 10)),
                         (contained_pairs, (beads, s11, la, lb, 0.3, 0.1, 0)),
                         (fill_gaps, (beads, s11, n, m, 0.15, 3, s21, s12))):
            want, got = both(fn, *args)
            assert want == got, fn.__name__


@pytest.fixture(scope="module")
def prepared():
    """The fixture documents and an edited copy of each (words dropped, sentences merged, swapped
    and dropped), prepared for alignment."""
    docs = read_corpus([str(ROOT / "fixtures" / "seeds"), str(ROOT / "fixtures" / "bbc")])
    rng = random.Random(3)
    copies = []
    for d in docs:
        sents = [s for s in d.text.replace("\n", " \n ").split(". ")]
        for _ in range(len(sents) // 4):
            k = rng.randrange(len(sents))
            op = rng.random()
            if op < 0.3 and k + 1 < len(sents):
                sents[k:k + 2] = [sents[k] + ", and " + sents[k + 1]]
            elif op < 0.5 and k + 1 < len(sents):
                sents[k], sents[k + 1] = sents[k + 1], sents[k]
            elif op < 0.6:
                del sents[k]
            else:
                words = sents[k].split(" ")
                del words[rng.randrange(len(words))]
                sents[k] = " ".join(words)
        copies.append(Document(d.id + "-ed", ". ".join(sents), d.id + "-ed"))
    docs = docs + copies + [Document("empty", "", "empty")]
    index = P.index_sentences(docs)
    return [P.prepare(index, k) for k in range(len(docs))]


def test_kernels_align_fixture_documents_like_numpy(prepared):
    codes = resolve((), ())
    found = 0
    for k in range(0, len(prepared), 3):
        partners = [p for j, p in enumerate(prepared) if j != k]
        want, got = both(P.align_with, prepared[k], partners, {}, codes)
        assert want == got
        found += sum(len(f) for _, f in got)
        want, got = both(P.align_pair, prepared[k], prepared[k], {}, codes)  # within the document
        assert want == got
    assert found > 50  # the edited copies do align


def test_matrices_against_kernel_equals_numpy(prepared):
    for k in range(0, len(prepared), 7):
        pa, others = prepared[k], [p for p in prepared if p is not prepared[k]]
        want, got = both(matrices_against, pa.counts, pa.merged, [p.counts for p in others],
                         [p.merged for p in others], P.MIN_SCORE + P.MERGE_PENALTY)
        ref = [matrices_from_counts(pa.counts, pa.merged, p.counts, p.merged, P.MIN_SCORE + P.MERGE_PENALTY)
               for p in others]
        for w, g, r in zip(want, got, ref, strict=True):
            assert all(np.array_equal(x, y) and np.array_equal(x, z) for x, y, z in zip(w, g, r, strict=True))


def test_find_passages_same_with_and_without_kernels(monkeypatch):
    docs = read_corpus([str(ROOT / "fixtures" / "seeds"), str(ROOT / "fixtures" / "bbc")])
    codes, cfg = resolve((), ()), ScanConfig()
    monkeypatch.setattr(P, "KERNEL_MIN_PAIRS", 10**9)
    want = P.find_passages(docs, codes, cfg, {})
    monkeypatch.setattr(P, "KERNEL_MIN_PAIRS", 0)
    used = []
    real = kernels.enabled
    monkeypatch.setattr(kernels, "enabled", lambda on=True: used.append(on) or real(on))
    assert P.find_passages(docs, codes, cfg, {}) == want
    assert used == [True] and want[0]


def test_without_numba_the_numpy_versions_run(monkeypatch):
    def missing():
        raise ImportError("No module named 'numba'")

    monkeypatch.setattr(kernels, "_LOADED", None)
    monkeypatch.setattr(kernels, "_compile", missing)
    with kernels.enabled() as on:
        assert not on and kernels.K is None
        g = np.array([[0.5, -0.3], [-0.3, 0.4]])
        assert _best_chain(g, np.full((1, 2), -1.0), np.full((2, 1), -1.0)) == [((0, 1), (0, 1)), ((1, 2), (1, 2))]


def _counts(rng, rows, weight):
    """Stem counts of ``rows`` sentences of a few stems each from a small vocabulary."""
    from dedup.align import StemCounts

    k = rng.integers(0, 8, rows)
    return StemCounts.from_occurrences(rng.integers(0, 12, int(k.sum())), np.repeat(np.arange(rows), k), rows, weight)


def test_matrices_against_kernel_equals_numpy_on_random_counts():
    """Small random bags: many scores fall exactly on the floor the merged matrices are cut at."""
    rng = np.random.default_rng(8)
    weight = rng.integers(1, 5, 12)
    on_floor = 0
    for _ in range(400):
        n = int(rng.integers(1, 6))
        a1, a2 = _counts(rng, n, weight), _counts(rng, n - 1, weight)
        sizes = rng.integers(1, 6, int(rng.integers(1, 5))).tolist()
        b1 = [_counts(rng, s, weight) for s in sizes]
        b2 = [_counts(rng, s - 1, weight) for s in sizes]
        for floor in (0.3, 0.6, 0.9):  # float32(0.45) < 0.45: a float64 comparison would differ
            want, got = both(matrices_against, a1, a2, b1, b2, floor)
            for w, g in zip(want, got, strict=True):
                assert all(np.array_equal(x, y) for x, y in zip(w, g, strict=True))
                on_floor += int((w[0] == np.float32(floor / 2)).sum())
    assert on_floor > 20
