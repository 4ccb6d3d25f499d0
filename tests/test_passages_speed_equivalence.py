"""The faster passage-stage code gives exactly what the straightforward versions give.

Each ``_reference_*`` function below is the plain version the library replaced (one containment
matrix per pass, the full token diff for every garbled span, a regex run on every span); the tests
compare them with the library on generated inputs and on every aligned pair of the fixtures.
"""

import bisect
from pathlib import Path

import numpy as np
import pytest

from dedup.align import (
    Bead,
    align_sentences,
    contained_pairs,
    matrices_from_counts,
    unsupported_tokens,
    word_spans,
)
from dedup.config import ScanConfig
from dedup.io.readers import read_corpus
from dedup.passages import (
    MERGE_PENALTY,
    MIN_SCORE,
    candidate_pairs,
    garbled_spans,
    index_sentences,
    looks_garbled,
    may_look_garbled,
    prepare,
)

ROOT = Path(__file__).resolve().parent.parent


def _reference_contained(beads, s11, la, lb, min_containment, margin, min_size):
    n, m = s11.shape
    if n == 0 or m == 0:
        return beads
    with np.errstate(divide="ignore", invalid="ignore"):
        cont = np.where(la[:, None] > 0, s11 * (la[:, None] + lb[None, :]) / 2 / la[:, None], 0.0)
    best = cont.argmax(axis=1)
    c1 = cont[np.arange(n), best]
    if m > 1:
        rest = cont.copy()
        rest[np.arange(n), best] = -np.inf
        c2 = rest.max(axis=1)
    else:
        c2 = np.zeros(n)
    rows = np.flatnonzero((c1 >= min_containment) & (c1 - c2 >= margin) & (la >= min_size))
    chain = sorted(beads, key=lambda x: (x.a, x.b))
    starts, ends = [x.a[0] for x in chain], [x.a[1] for x in chain]
    disjoint = all(ends[k] <= starts[k + 1] for k in range(len(chain) - 1))
    drop, extra = set(), []
    for i in rows.tolist():
        t = int(best[i])
        if disjoint:
            k = bisect.bisect_right(starts, i)
            mine = [chain[k - 1]] if k and ends[k - 1] > i else []
            e = bisect.bisect_right(ends, i)
            last, following = (chain[e - 1] if e else None), (chain[k] if k < len(chain) else None)
        else:
            mine = [x for x in chain if x.a[0] <= i < x.a[1]]
            prev = [x for x in chain if x.a[1] <= i]
            nxt = [x for x in chain if x.a[0] > i]
            last, following = (prev[-1] if prev else None), (nxt[0] if nxt else None)
        if mine:
            x = mine[0]
            if x.b[0] <= t < x.b[1] or x.a != (i, i + 1) or cont[i, x.b[0]:x.b[1]].max() > c1[i] - margin:
                continue
        if (last and t < last.b[1] - 1) or (following and t > following.b[0]):
            continue
        drop.update(mine)
        extra.append(Bead((i, i + 1), (t, t + 1), float(s11[i, t])))
    return [x for x in beads if x not in drop] + extra


def _reference_contained_pairs(beads, s11, la, lb, min_containment=0.5, margin=0.25, min_size=20):
    fa, fb = np.asarray(la, dtype=np.float64), np.asarray(lb, dtype=np.float64)
    out = sorted(beads, key=lambda x: (x.a, x.b))
    for _ in range(3):
        new = _reference_contained(out, s11, fa, fb, min_containment, margin, min_size)
        new = [Bead(x.b, x.a, x.score) for x in
               _reference_contained([Bead(x.b, x.a, x.score) for x in new], s11.T, fb, fa, min_containment,
                                    margin, min_size)]
        new.sort(key=lambda x: (x.a, x.b))
        if new == out:
            break
        out = new
    return out


def _reference_garbled_spans(bad, good, bead_bad, bead_good):
    s0, e0 = bad.spans[bead_bad[0]][0], bad.spans[bead_bad[1] - 1][1]
    g0, g1 = good.spans[bead_good[0]][0], good.spans[bead_good[1] - 1][1]
    text = bad.doc.text[s0:e0]
    garbled = looks_garbled(text)
    if not garbled:
        return []
    ref = good.doc.text[g0:g1]
    toks = word_spans(text)
    flags = unsupported_tokens([text[s:e] for s, e in toks], [ref[s:e] for s, e in word_spans(ref)])
    return [(s0 + s, s0 + e) for s, e in garbled
            if any(f and ts < e and s < te for (ts, te), f in zip(toks, flags, strict=True))]


def _random_case(rng):
    """Score matrix, bag sizes and a monotone chain with some overlapping and merged beads."""
    n, m = int(rng.integers(1, 9)), int(rng.integers(1, 9))
    s11 = (rng.random((n, m)) * (rng.random((n, m)) < 0.5)).astype(np.float32)
    la, lb = rng.integers(0, 60, n).tolist(), rng.integers(0, 60, m).tolist()
    beads, i, j = [], 0, 0
    while i < n and j < m:
        di, dj = (1, 1) if rng.random() < 0.7 else (int(rng.integers(1, 3)), 1)
        if i + di <= n and rng.random() < 0.7:
            beads.append(Bead((i, i + di), (j, j + dj), float(rng.random())))
        i, j = i + di + int(rng.integers(0, 2)), j + dj + int(rng.integers(0, 2))
    if beads and rng.random() < 0.2:  # beads sharing a sentence: not a disjoint chain
        b = beads[0]
        beads.append(Bead(b.a, (b.b[1] % m, b.b[1] % m + 1), 0.5))
    return beads, s11, la, lb


def test_contained_pairs_equals_reference_on_random_cases():
    rng = np.random.default_rng(11)
    for _ in range(3000):
        beads, s11, la, lb = _random_case(rng)
        for args in ((0.5, 0.25, 20), (0.3, 0.1, 5), (0.0, 0.0, 0)):
            assert contained_pairs(beads, s11, la, lb, *args) == _reference_contained_pairs(beads, s11, la, lb, *args)


@pytest.fixture(scope="module")
def fixture_pairs():
    """Every pair of fixture documents (the candidates and all the others: real text that mostly does
    not align), prepared, with its sentence alignment."""
    docs = read_corpus([str(ROOT / "fixtures" / "seeds"), str(ROOT / "fixtures" / "bbc")])
    index = index_sentences(docs)
    cand = candidate_pairs(index, ScanConfig().seed)
    prepared = [prepare(index, k) for k in range(len(docs))]
    out = []
    for i, j in sorted({*cand.align, *((x, y) for x in range(len(docs)) for y in range(x, len(docs)))}):
        pa, pb = prepared[i], prepared[j]
        if not pa.texts or not pb.texts:
            continue
        s11, s21, s12 = matrices_from_counts(pa.counts, pa.merged, pb.counts, pb.merged, MIN_SCORE + MERGE_PENALTY)
        if pa is pb:
            s11 = np.where(pa.paras[:, None] < pb.paras[None, :], s11, 0.0)
        lengths = (pa.counts.size.tolist(), pb.counts.size.tolist())
        beads = align_sentences(pa.texts, pb.texts, min_score=MIN_SCORE, matrices=(s11, s21, s12),
                                fill_unequal=False, lengths=lengths)
        out.append((pa, pb, beads, s11, lengths))
    assert len(cand.align) >= 2  # the fixtures do hold overlapping documents
    return out


def test_contained_pairs_equals_reference_on_fixtures(fixture_pairs):
    changed = 0
    for _, _, beads, s11, (la, lb) in fixture_pairs:
        got = contained_pairs(beads, s11, la, lb, 0.5, 0.25)
        assert got == _reference_contained_pairs(beads, s11, la, lb, 0.5, 0.25)
        changed += got != sorted(beads, key=lambda x: (x.a, x.b))
    assert changed  # the many-to-one pass does something on real text


def test_garbled_spans_equals_reference_on_fixtures(fixture_pairs):
    found = 0
    for pa, pb, beads, _, _ in fixture_pairs:
        for bad, good, flip in ((pa, pb, False), (pb, pa, True)):
            for b in beads:
                x, y = (b.b, b.a) if flip else (b.a, b.b)
                got = garbled_spans(bad, good, x, y)
                assert got == _reference_garbled_spans(bad, good, x, y)
                found += len(got)
    assert found  # the seeds hold garbled spans that alignment confirms


def test_garbled_spans_equals_reference_on_generated_sentences():
    """Garbled bits whose tokens the reference holds (the token diff decides) or does not."""
    from dedup.model import Document
    from dedup.passages import _Doc

    rng = np.random.default_rng(5)
    vocab = ["the", "land.", "equipment", "u", ". .", "or", "publish", "North.", "Korea", ",,", "a", "x", "said"]
    for _ in range(400):
        words = [vocab[k] for k in rng.integers(0, len(vocab), int(rng.integers(1, 12)))]
        ref = [vocab[k] for k in rng.integers(0, len(vocab), int(rng.integers(1, 12)))]
        sides = []
        for ws in (words, ref):
            text = " ".join(ws)
            sides.append(_Doc(Document("d", text, "d"), [(0, len(text))], np.zeros(1, dtype=np.int64), [text],
                              [0], [len(ws)], [len(ws)], None, None))
        bad, good = sides
        assert garbled_spans(bad, good, (0, 1), (0, 1)) == _reference_garbled_spans(bad, good, (0, 1), (0, 1))


def test_may_look_garbled_never_misses_a_garbled_span(fixture_pairs):
    texts = {p.doc.text[s:e] for p, _, _, _, _ in fixture_pairs for s, e in p.spans}
    texts |= {"in provide appropriate land. equipment or u publish. .”. Fine.", "a ,, b", "x ?. y", "go z now"}
    assert any(looks_garbled(t) for t in texts)
    for t in texts:
        assert may_look_garbled(t) or not looks_garbled(t)


def test_findings_sent_back_by_workers_are_rebuilt_equal():
    """Worker processes send findings back pickled as constructor calls: every field of Finding,
    Related and AlignedPair survives."""
    import pickle
    from dataclasses import fields

    from dedup.model import AlignedPair, Finding, Related

    full = Finding("DUP112", "duplicate-passage", "info", "a", 3, 9, "abcdef", "m", 0.5, Related("b", 1, 4),
                   [AlignedPair((3, 9), (1, 4), 0.5)], "fix", "F1")
    bare = Finding("MT350", "artifact", "warning", "a", 0, 1, "x", "m")
    for cls, obj in ((Finding, full), (Related, full.related), (AlignedPair, full.alignment[0])):
        assert len(obj.__reduce__()[1]) == len(fields(cls))
    assert pickle.loads(pickle.dumps([full, bare])) == [full, bare]


def test_sentence_pairs_same_with_bands_split_over_processes(monkeypatch):
    import dedup.passages as passages

    docs = read_corpus([str(ROOT / "fixtures" / "seeds"), str(ROOT / "fixtures" / "bbc")])
    index = index_sentences(docs)
    one = passages.sentence_pairs(index, 1, jobs=1)
    monkeypatch.setattr(passages, "PARALLEL_MIN_SENTENCES", 0)
    two = passages.sentence_pairs(index, 1, jobs=2)
    assert len(one) and one.dtype == two.dtype and np.array_equal(one, two)
