"""The faster passage-stage code gives exactly what the straightforward versions give.

Each ``_reference_*`` function below is the plain version the library replaced (one containment
matrix per pass, the full token diff for every garbled span, a regex run on every span, identical
runs grown seed by seed and their best counterparts chosen in dictionaries); the tests
compare them with the library on generated inputs and on every aligned pair of the fixtures.
"""

import bisect
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from dedup import passages as P
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
from dedup.model import Document
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
    raw = passages._sentence_pairs(index, 1, jobs=1)
    monkeypatch.setattr(passages, "PARALLEL_MIN_SENTENCES", 0)
    monkeypatch.setattr(passages, "PARALLEL_MIN_COPY_PAIRS", 0)  # copies expanded in runs too
    two = passages.sentence_pairs(index, 1, jobs=2)
    assert len(one) and one.dtype == two.dtype and np.array_equal(one, two)
    for jobs in (2, 3):  # the unsorted pairs, their texts and text rows: the same, in the same order
        split = passages._sentence_pairs(index, 1, jobs=jobs)
        assert all(a.dtype == b.dtype and np.array_equal(a, b) for a, b in zip(raw, split, strict=True))


def _reference_identical(index, x, y, box):
    lo_x, hi_x, lo_y, hi_y, one = box
    return bool(lo_x <= x < hi_x and lo_y <= y < hi_y and index.ntok[x] > 0 and index.norm[x] == index.norm[y]
                and (not one or index.para[x] < index.para[y]))


def _reference_exact_runs(index, seeds):
    doc, first = index.doc_of, index.first
    out = []
    covered: set[tuple[int, int]] = set()
    for s, t in sorted(seeds.tolist()):
        if (s, t) in covered:
            continue
        i, j = int(doc[s]), int(doc[t])
        box = (int(first[i]), int(first[i + 1]), int(first[j]), int(first[j + 1]), i == j)
        a, b = s, t
        while _reference_identical(index, a - 1, b - 1, box):
            a, b = a - 1, b - 1
        e = 1
        while _reference_identical(index, a + e, b + e, box) and (i != j or a + e < b):
            e += 1
        if i == j:
            e = min(e, b - a)
        covered.update((a + k, b + k) for k in range(e))
        out.append((i, j, a - box[0], b - box[2], e))
    return out



@dataclass(frozen=True)
class _Sides:
    """A document and its sentence spans: what P._region_findings needs of a side."""

    doc: object
    spans: list


def _sides(index, k):
    lo, hi = int(index.first[k]), int(index.first[k + 1])
    return _Sides(index.docs[k], [(a, b) for a, b in index.spans[lo:hi].tolist()])


def _reference_exact_regions(index, seeds, quality, codes):
    docs = index.docs
    by_pair = _exact_by_pair(index, seeds)
    # per marked sentence, its best counterpart: (rank, pair, offset of the other side)
    best: dict[tuple[int, int], tuple[tuple, tuple[int, int], int]] = {}
    for (i, j), runs in by_pair.items():
        mark_a = i != j and P._worse(docs[i], docs[j], quality)
        for a, b, n in runs:
            marked, start, other, other_start = (i, a, j, b) if mark_a else (j, b, i, a)
            for k in range(n):
                rank = (*P._standing(docs[other], quality), other_start + k)
                key = (marked, start + k)
                if key not in best or rank < best[key][0]:
                    best[key] = (rank, (i, j), other_start - start)
    # consecutive marked sentences with the same counterpart run make one reported run
    report: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    last: tuple | None = None
    for (marked, sent), (_, (i, j), shift) in sorted(best.items()):
        mark_a = i != j and P._worse(docs[i], docs[j], quality)
        here = (marked, (i, j), shift)
        runs_of = report.setdefault((i, j), [])
        if here == last and runs_of and (runs_of[-1][0] if mark_a else runs_of[-1][1]) + runs_of[-1][2] == sent:
            a, b, n = runs_of[-1]
            runs_of[-1] = (a, b, n + 1)
        else:
            runs_of.append((sent, sent + shift, 1) if mark_a else (sent + shift, sent, 1))
        last = here
    out = []
    for (i, j), runs in sorted(by_pair.items()):
        found = []
        if (i, j) in report:
            pa, pb = _sides(index, i), _sides(index, j)
            mark_a = i != j and P._worse(docs[i], docs[j], quality)
            for a, b, n in sorted(report[(i, j)]):
                region = [Bead((a + k, a + k + 1), (b + k, b + k + 1), 1.0) for k in range(n)]
                found.extend(P._region_findings(pa, pb, region, mark_a, True, codes))
        share = _exact_share(index, i, j, runs)
        if found or share >= P.VARIANT_SHARE:
            out.append((i, j, share, found))
    return out



def _exact_by_pair(index, seeds):
    by_pair: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    for i, j, a, b, n in _reference_exact_runs(index, seeds):
        if int(index.ntok[index.first[i] + a : index.first[i] + a + n].sum()) >= P.MIN_EXACT_TOKENS:
            by_pair.setdefault((i, j), []).append((a, b, n))
    return by_pair


def _exact_share(index, i: int, j: int, runs: list[tuple[int, int, int]]) -> float:
    na = len({a + k for a, _, n in runs for k in range(n)})
    nb = len({b + k for _, b, n in runs for k in range(n)})
    return (na + nb) / int(index.first[i + 1] - index.first[i] + index.first[j + 1] - index.first[j])


_WORDS = ("budget railway harvest museum strike market weather league school hospital airport bridge "
          "minister council river garden festival orchestra factory harbour library station theatre "
          "village tunnel stadium election treaty surgeon planet engine").split()
_SHORT = ["He said.", "Why?", "It rained.", "Yes."]


def _random_corpus(rng: random.Random, n_docs: int) -> list[Document]:
    """Documents made of shared passages (runs of long sentences that collide, with short ones that
    only runs reach) and sentences of their own: identical runs of every length, across documents
    and inside one."""
    def sentence() -> str:
        return " ".join(rng.sample(_WORDS, 6)).capitalize() + "."

    passages = [[sentence() if rng.random() < 0.8 else rng.choice(_SHORT) for _ in range(rng.randint(1, 5))]
                for _ in range(rng.randint(2, 6))]
    docs = []
    for k in range(n_docs):
        paras = []
        for _ in range(rng.randint(1, 5)):
            p = rng.choice(passages)
            lo = rng.randrange(len(p))
            part = p[lo:rng.randint(lo + 1, len(p))] if rng.random() < 0.5 else p
            paras.append(" ".join([sentence()] * (rng.random() < 0.3) + part + [sentence()] * (rng.random() < 0.3)))
        docs.append(Document(f"d{k:02d}", "\n\n".join(paras), f"d{k:02d}"))
    return docs


def _seeds(index):
    return candidate_pairs(index, ScanConfig().seed).identical


@pytest.mark.parametrize("seed", range(40))
def test_exact_runs_and_regions_equal_reference_on_generated_corpora(seed):
    rng = random.Random(seed)
    docs = _random_corpus(rng, rng.randint(2, 12))
    index = index_sentences(docs)
    seeds = _seeds(index)
    if rng.random() < 0.5:  # a subset of seeds: runs grown over pairs that are not seeds
        seeds = seeds[np.asarray([rng.random() < 0.5 for _ in range(len(seeds))], dtype=bool)]
    assert sorted(P.exact_runs(index, seeds)) == sorted(set(_reference_exact_runs(index, seeds)))
    quality = {d.id: rng.choice((0, 0, 3)) for d in docs}
    got = P.exact_regions(index, seeds, quality, P.PASSAGE_CODES)
    assert got == _reference_exact_regions(index, seeds, quality, P.PASSAGE_CODES)
    want = [((i, j), _exact_share(index, i, j, runs)) for (i, j), runs in sorted(_exact_by_pair(index, seeds).items())]
    assert P.exact_shares(index, seeds) == want


def test_exact_regions_equal_reference_on_fixtures():
    docs = read_corpus([str(ROOT / "fixtures" / "seeds"), str(ROOT / "fixtures" / "bbc")])
    docs = docs + [Document(d.id + "-copy", d.text[: len(d.text) // 2], d.id + "-copy") for d in docs]
    index = index_sentences(docs)
    seeds = _seeds(index)
    got = P.exact_regions(index, seeds, {}, P.PASSAGE_CODES)
    assert got and got == _reference_exact_regions(index, seeds, {}, P.PASSAGE_CODES)


def _reference_band_pairs(keys):
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    starts = np.flatnonzero(np.concatenate(([True], sk[1:] != sk[:-1])))
    sizes = np.diff(np.concatenate((starts, [len(sk)])))
    chunks = []
    for size in np.unique(sizes[(sizes >= 2) & (sizes <= P.MAX_BUCKET)]).tolist():
        st = starts[sizes == size]
        members = np.sort(order[st[:, None] + np.arange(size)[None, :]], axis=1)
        ii, jj = np.triu_indices(size, k=1)
        chunks.append(np.stack([members[:, ii].ravel(), members[:, jj].ravel()], axis=1))
    return np.concatenate(chunks) if chunks else np.empty((0, 2), dtype=np.int64)


def _reference_sentence_pairs(index, seed: int = 1, jobs: int = 1):
    elig = np.flatnonzero(np.diff(index.set_ptr) >= P.MIN_STEMS)
    if len(elig) < 2:
        return np.empty((0, 2), dtype=np.int64)

    def bands(group):
        sig = P.sentence_signatures(index, elig, P.SENT_PERM, seed, range(group[0] * P.SENT_ROWS, group[-1] * P.SENT_ROWS + P.SENT_ROWS))
        keys = P.band_keys(sig, len(group), P.SENT_ROWS, first=group[0])
        found = [_reference_band_pairs(keys[:, b]) for b in range(len(group))]
        both = np.concatenate(found) if found else np.empty((0, 2), dtype=np.int64)
        return P._unique(both[:, 0] * len(elig) + both[:, 1])

    nb = P.SENT_PERM // P.SENT_ROWS
    step = -(-nb // (3 * jobs)) if jobs > 1 and len(elig) >= P.PARALLEL_MIN_SENTENCES else nb
    code = P._unique(np.concatenate(P.fork_map(bands, [range(lo, min(lo + step, nb)) for lo in range(0, nb, step)], jobs)))
    pairs = elig[np.stack([code // len(elig), code % len(elig)], axis=1)]
    doc = index.doc_of
    same_para = (doc[pairs[:, 0]] == doc[pairs[:, 1]]) & (index.para[pairs[:, 0]] == index.para[pairs[:, 1]])
    return pairs[~same_para]


def _pairs(a):
    return sorted(map(tuple, a.tolist()))


@pytest.mark.parametrize("seed", range(30))
def test_sentence_pairs_equal_reference_on_generated_corpora(seed):
    """Signing each distinct sentence once (its pairs spread over its copies) gives the pairs of
    signing every sentence."""
    rng = random.Random(seed)
    index = index_sentences(_random_corpus(rng, rng.randint(2, 30)))
    got = P.sentence_pairs(index)
    assert [tuple(p) for p in got.tolist()] == _pairs(_reference_sentence_pairs(index))


def test_sentence_pairs_equal_reference_on_fixtures_and_crowded_buckets():
    docs = read_corpus([str(ROOT / "fixtures" / "seeds"), str(ROOT / "fixtures" / "bbc")])
    line = "Shares in the national railway company fell sharply after the budget announcement today."
    docs += [Document(f"r{k:02d}", f"Opening words number {k} about markets and weather.\n\n{line}", f"r{k:02d}")
             for k in range(P.MAX_BUCKET + 5)]  # a sentence in more documents than a bucket holds
    index = index_sentences(docs)
    want = _pairs(_reference_sentence_pairs(index))
    assert [tuple(p) for p in P.sentence_pairs(index).tolist()] == want and want
    crowded = {s for k in range(len(docs) - P.MAX_BUCKET - 5, len(docs)) for s in range(index.first[k], index.first[k + 1])}
    assert not [p for p in want if p[0] in crowded and p[1] in crowded and index.norm[p[0]] == index.norm[p[1]]]


def test_pair_shares_of_a_million_documents_do_not_overflow():
    """Pair codes (up to documents squared) times sentence numbers would pass 2**63 for a
    million documents of 30 sentences: shares must still land on their own pairs."""
    from types import SimpleNamespace

    nd, per = 1_000_000, 30
    index = SimpleNamespace(docs=range(nd), ntok=range(nd * per),
                            first=np.arange(0, nd * per + 1, per, dtype=np.int64))
    pairs = [(10, 20), (999_000, 999_999), (999_500, 999_998)]
    runs = P._Runs(np.array([a for a, _ in pairs]), np.array([b for _, b in pairs]),
                   np.array([index.first[a] for a, _ in pairs]), np.array([index.first[b] for _, b in pairs]),
                   np.array([5, 5, 5]))
    i, j, share = P._pair_shares(index, runs)
    assert list(zip(i.tolist(), j.tolist(), strict=True)) == pairs and share.tolist() == [10 / 60] * 3
