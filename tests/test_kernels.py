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
    align_sentences,
    contained_pairs,
    cut_merged,
    matrices_against,
    matrices_from_counts,
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


def _matrix(rng, n, m, dtype, grid=GRID):
    s = rng.choice(grid, (n, m)) * (rng.random((n, m)) < 0.5)
    jitter = rng.choice([0.0, 1e-7, -1e-7], (n, m)) * (s > 0) if grid is GRID else 0.0  # else: ties
    return (s + jitter).clip(0, 1).astype(dtype)


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
    """The passage stage's alignment (chain, swaps, equal gaps, attached neighbours; the compiled
    kernel is one call) and its many-to-one pairs, on random matrices."""
    rng = np.random.default_rng(5)
    for k in range(3000):
        small = k % 3 == 0  # few sentences and equal bag sizes: empty chains, ties
        n, m = (int(x) for x in rng.integers(1, 4 if small else 12, 2))
        grid = np.array([0.5, 0.7, 0.9, 1.0]) if small else GRID
        s11, s21, s12 = (_matrix(rng, x, y, dtype, grid) for x, y in ((n, m), (n - 1, m), (n, m - 1)))
        la, lb = (rng.choice([10, 20], x).tolist() if small else rng.integers(0, 40, x).tolist() for x in (n, m))
        view = np.asfortranarray(s11) if rng.random() < 0.5 else s11  # not C-contiguous (a transpose)
        allowed = rng.random((n, m)) < 0.9 if rng.random() < 0.3 else None
        want, got = both(align_sentences, ["x"] * n, ["y"] * m, min_score=0.3, allowed=allowed,
                         matrices=(view, s21, s12), merge_penalty=float(rng.choice([0.0, 0.05])),
                         fill_unequal=False, lengths=(la, lb))
        assert want == got
        beads = _chain(rng, n, m, s11)
        for args in ((0.5, 0.25, 10), (0.3, 0.1, 0)):
            want, got = both(contained_pairs, beads, view, la, lb, *args)
            assert want == got
        floor = float(rng.choice([0.3, 0.6, 0.9]))  # the merged matrices cut (in place: copies)
        want, got = both(lambda v=view, x=s21, y=s12, f=floor: cut_merged(v, x.copy(), y.copy(), f))
        assert all(np.array_equal(w, g) for w, g in zip(want, got, strict=True))


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
        want, got = both(lambda k=k, partners=partners: [P.align_pair(prepared[k], p, {}, codes) for p in partners])
        assert want == got
        found += sum(len(r.findings) for r in got)
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
    used = []
    real = kernels.enabled
    monkeypatch.setattr(kernels, "enabled", lambda on=True: used.append(on) or real(on))
    default = P.find_passages(docs, codes, cfg, {})  # a few pairs: not worth loading numba
    monkeypatch.setattr(P, "KERNEL_MIN_SAVING", 0.0)
    assert P.find_passages(docs, codes, cfg, {}) == default
    assert used == [False, True] and default[0]


def test_kernel_saving_counts_pairs_and_cells():
    index = P.index_sentences([Document("a", "One. Two. Three.", "a"), Document("b", "Four. Five.", "b")])
    got = P._kernel_saving(index, [(0, 1), (0, 0)])
    assert got == pytest.approx(2 * P.KERNEL_PAIR_SAVING + (3 * 2 + 3 * 3) * P.KERNEL_CELL_SAVING)
    assert P._kernel_saving(index, []) == 0.0


@pytest.mark.parametrize("error", [ImportError("No module named 'numba'"),
                                   RuntimeError("cannot cache function 'align': no locator available")])
def test_without_numba_the_numpy_versions_run(monkeypatch, error):
    """No numba, or numba with nowhere to write its cache (read-only package, no home directory)."""
    def missing():
        raise error

    from dedup.detectors.fastdetect import detect_langs

    monkeypatch.setattr(kernels, "_LOADED", {})
    monkeypatch.setattr(kernels, "_compile", missing)
    monkeypatch.setattr(kernels, "_load_language", missing)
    with kernels.enabled() as on, kernels.language() as lang_on:
        assert not on and kernels.K is None and not lang_on and kernels.LANG is None
        g = np.array([[0.5, -0.3], [-0.3, 0.4]])
        assert _best_chain(g, np.full((1, 2), -1.0), np.full((2, 1), -1.0)) == [((0, 1), (0, 1)), ((1, 2), (1, 2))]
        assert detect_langs("Это предложение написано по-русски.")[0].lang == "ru"


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


def test_matrices_of_rows_kernel_equals_selected_counts():
    """The kernel scores rows where they are: the same matrices as selecting the rows (numpy),
    and as the numpy path of matrices_against on the selected counts (the floor cuts nothing)."""
    from dedup.align import Rows, matrices_of_rows

    rng = np.random.default_rng(9)
    weight = rng.integers(1, 5, 12)
    shared = 0
    for _ in range(300):
        n, m = (int(x) for x in rng.integers(1, 9, 2))
        a, b = Rows.of(_counts(rng, n, weight), _counts(rng, n - 1, weight)), \
            Rows.of(_counts(rng, m, weight), _counts(rng, m - 1, weight))
        ra = np.flatnonzero(rng.random(n) < 0.7)
        rb = np.flatnonzero(rng.random(m) < 0.7)
        want, got = both(matrices_of_rows, a, b, ra, rb)
        pa, pb = np.where(ra[1:] == ra[:-1] + 1, ra[:-1], -1), np.where(rb[1:] == rb[:-1] + 1, rb[:-1], -1)
        with kernels.enabled(False):
            ref = matrices_against(a.counts.select(ra), a.merged.select(pa), [b.counts.select(rb)],
                                   [b.merged.select(pb)])[0]
        assert [x.shape for x in got] == [(len(ra), len(rb)), (max(len(ra) - 1, 0), len(rb)),
                                          (len(ra), max(len(rb) - 1, 0))]
        assert all(np.array_equal(x, y) and np.array_equal(x, z) and x.dtype == y.dtype == np.float32
                   for x, y, z in zip(want, got, ref, strict=True))
        shared += int((got[1] > 0).sum() + (got[2] > 0).sum())
    assert shared > 100  # merged rows that share stems


def test_matrices_of_rows_kernel_on_fixture_windows(prepared):
    from dedup.align import matrices_of_rows

    rng = np.random.default_rng(3)
    for k in range(0, len(prepared) - 1, 5):
        pa, pb = prepared[k], prepared[k + 1]
        ra = np.flatnonzero(rng.random(len(pa.texts)) < 0.5)
        rb = np.arange(len(pb.texts) // 3, len(pb.texts))
        want, got = both(matrices_of_rows, pa.ready(), pb.ready(), ra, rb)
        assert all(np.array_equal(x, y) for x, y in zip(want, got, strict=True))


@pytest.mark.parametrize(("s11", "s12", "want"), [
    # both neighbours of b_1 fit equally: the first one joins
    ([[0.5, 0.9, 0.5]], [[0.9, 0.9]], [((0, 1), (0, 2))]),
    # b_0 scores as well with the unaligned a_1 as with a_0: it still joins a_0's bead
    ([[0.4, 0.9, 0.0], [0.4, 0.0, 0.0]], [[0.9, 0.5], [0.0, 0.0]], [((0, 1), (0, 2))]),
])
def test_ties_in_attached_neighbours(s11, s12, want):
    s11, s12 = np.array(s11, dtype=np.float32), np.array(s12, dtype=np.float32)
    s21 = np.zeros((len(s11) - 1, 3), dtype=np.float32)
    args = (["x"] * len(s11), ["y"] * 3)
    kw = dict(min_score=0.3, matrices=(s11, s21, s12), merge_penalty=0.05, fill_unequal=False,
              lengths=([20] * len(s11), [10, 10, 10]))
    for got in both(align_sentences, *args, **kw):
        assert [(b.a, b.b) for b in got] == want


def test_mixed_dtypes_take_the_numpy_path():
    """The kernel converts thresholds to one matrix type: matrices of different types are left to
    numpy, which converts them per matrix (0.3000000001 as float64 is above a float64 0.3)."""
    s11, s21, s12 = np.zeros((2, 1), np.float32), np.array([[0.3000000001]]), np.zeros((2, 0), np.float32)
    for got in both(align_sentences, ["x", "y"], ["z"], min_score=0.3, matrices=(s11, s21, s12),
                    fill_unequal=False, lengths=([10, 10], [10])):
        assert [(b.a, b.b) for b in got] == [((0, 2), (0, 1))]
