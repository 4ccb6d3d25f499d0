"""Sentence alignment, token diff (tercom tie-breaking, TER shifts) and the `dedup align` command."""

import json
import random

from typer.testing import CliRunner

from dedup.align import (
    align_sentences,
    align_texts,
    edit_trace,
    score_matrices,
    ter_shift,
    unsupported_spans,
    unsupported_tokens,
)
from dedup.cli import app

SENTS = [
    "The central bank raised interest rates by half a point on Tuesday.",
    "Inflation in the eurozone reached its highest level since 1992.",
    "Shares in Frankfurt fell sharply after the announcement.",
    "Analysts expect another increase before the end of the year.",
    "The euro rose against the dollar and the yen.",
    "Exporters complained that the strong currency hurts their sales.",
]


def test_identical_lists_align_one_to_one():
    beads = align_sentences(SENTS, SENTS)
    assert [(b.a, b.b) for b in beads] == [((k, k + 1), (k, k + 1)) for k in range(len(SENTS))]


def test_merge_drop_and_swap():
    b = [SENTS[0] + " " + SENTS[1], SENTS[3], SENTS[2], SENTS[5]]  # merge, swap, drop of 4
    pairs = {(x.a, x.b) for x in align_sentences(SENTS, b)}
    assert ((0, 2), (0, 1)) in pairs  # 2-1 bead
    assert ((2, 3), (2, 3)) in pairs and ((3, 4), (1, 2)) in pairs  # swap recovered
    assert not any(x[0] == (4, 5) for x in pairs)  # dropped sentence stays unaligned


def test_unrelated_sentences_do_not_align():
    other = ["Rain is expected over the mountains tonight.", "The festival sold out in minutes."]
    assert align_sentences(SENTS, other) == []


def test_score_matrix_is_symmetric():
    s_ab, _, _ = score_matrices(SENTS, SENTS[::-1])
    s_ba, _, _ = score_matrices(SENTS[::-1], SENTS)
    assert (abs(s_ab - s_ba.T) < 1e-6).all()


def test_tercom_tie_breaking_prefers_substitution():
    # "the cult of Cargo" -> "the cargo cult": substitute, do not match "cult" with an insertion
    h = "the cult of Cargo always".split()
    r = "the cargo cult always".split()
    assert unsupported_tokens(h, r) == [False, True, True, True, False]


def test_edit_trace_is_a_valid_edit():
    rng = random.Random(3)
    for _ in range(200):
        h = [rng.randrange(5) for _ in range(rng.randrange(8))]
        r = [rng.randrange(5) for _ in range(rng.randrange(8))]
        ops = edit_trace(h, r)
        assert sum(o != "I" for o in ops) == len(h) and sum(o != "D" for o in ops) == len(r)
        i = j = 0
        for o in ops:
            if o == "M":
                assert h[i] == r[j]
            i += o != "I"
            j += o != "D"


def test_ter_shift_moves_a_block_and_is_a_permutation():
    order, moved = ter_shift([1, 2, 3, 4, 5, 6], [4, 5, 6, 1, 2, 3])
    assert sorted(order) == list(range(6)) and [([1, 2, 3, 4, 5, 6][k]) for k in order] == [4, 5, 6, 1, 2, 3]
    assert moved


def test_unsupported_spans_slice_text():
    text = "Russia in provide appropriate land. equipment"
    spans = unsupported_spans(text, "Russia will provide appropriate equipment")
    assert [text[s:e] for s, e in spans] == ["in", "land."]


def test_align_texts_long_documents_flag_unaligned_sentence():
    ref = " ".join(SENTS)
    text = " ".join(SENTS[:3] + ["A completely unrelated remark about football scores."] + SENTS[3:])
    spans = align_texts(ref, text)
    assert [(text[s:e], r) for s, e, r, _ in spans] == [
        ("A completely unrelated remark about football scores.", "MT352")]


def test_cli_pairs(tmp_path):
    src = tmp_path / "pairs.jsonl"
    src.write_text(json.dumps({"id": "x", "reference": "a b c d", "text": "a q c d"}) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    res = CliRunner().invoke(app, ["align", "--pairs", str(src), "-o", str(out)])
    assert res.exit_code == 0, res.output
    rec = json.loads(out.read_text(encoding="utf-8"))
    assert rec == {"id": "x", "spans": [{"start": 2, "end": 3, "rule": "MT351",
                                        "message": "not supported by the reference"}]}


def test_cli_files_text_and_json(tmp_path):
    (tmp_path / "ref.txt").write_text("The cat sat on the mat.", encoding="utf-8")
    (tmp_path / "mt.txt").write_text("The cat sat on teh mat.", encoding="utf-8")
    res = CliRunner().invoke(app, ["align", str(tmp_path / "ref.txt"), str(tmp_path / "mt.txt")])
    assert res.exit_code == 0 and "[[teh]]" in res.output
    res = CliRunner().invoke(app, ["align", str(tmp_path / "ref.txt"), str(tmp_path / "mt.txt"), "-f", "json"])
    assert json.loads(res.output)["spans"][0]["start"] == 15


def test_cli_bad_input_exit_2(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "reference": "a"}\n', encoding="utf-8")
    res = CliRunner().invoke(app, ["align", "--pairs", str(bad)])
    assert res.exit_code == 2 and "bad.jsonl:1" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(app, ["align", str(tmp_path / "missing.txt"), str(bad)])
    assert res.exit_code == 2
    res = CliRunner().invoke(app, ["align"])
    assert res.exit_code == 2


def _reference_chain(g11, g21, g12):
    """The straightforward cell-by-cell dynamic programme (slow reference for _best_chain)."""
    n, m = g11.shape
    D = [[0.0] * (m + 1) for _ in range(n + 1)]
    B = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            best, move = D[i - 1][j], 0
            if D[i][j - 1] > best:
                best, move = D[i][j - 1], 1
            cands = [(g11[i - 1, j - 1], D[i - 1][j - 1], 2)]
            if i >= 2:
                cands.append((g21[i - 2, j - 1], D[i - 2][j - 1], 3))
            if j >= 2:
                cands.append((g12[i - 1, j - 2], D[i - 1][j - 2], 4))
            for g, d, mv in cands:
                if g > 0.0 and d + g > best:
                    best, move = d + g, mv
            D[i][j], B[i][j] = best, move
    out, i, j = [], n, m
    while i > 0 and j > 0:
        mv = B[i][j]
        di, dj = {0: (1, 0), 1: (0, 1), 2: (1, 1), 3: (2, 1), 4: (1, 2)}[mv]
        if mv >= 2:
            out.append(((i - di, i), (j - dj, j)))
        i, j = i - di, j - dj
    return out[::-1]


def test_row_vectorised_dp_equals_cell_by_cell_reference():
    import numpy as np

    from dedup.align import _best_chain

    rng = np.random.default_rng(5)
    for t in range(400):
        n, m = (int(x) for x in rng.integers(1, 12, 2))
        mats = [rng.random(s) ** 2 - 0.3 for s in ((n, m), (n - 1, m), (n, m - 1))]
        if t % 2:  # ties
            mats = [np.round(x, 1) for x in mats]
        assert _best_chain(*mats) == _reference_chain(*mats)


def test_fill_gaps_unequal_gap_takes_the_better_match():
    import numpy as np

    from dedup.align import Bead, fill_gaps

    s = np.zeros((3, 4))
    s[0, 0], s[2, 3] = 0.9, 0.9
    s[1, 1], s[1, 2] = 0.05, 0.2  # a_1 sits between b_1 (weak) and b_2 (better)
    beads = [Bead((0, 1), (0, 1), 0.9), Bead((2, 3), (3, 4), 0.9)]
    assert [(b.a, b.b) for b in fill_gaps(beads, s, 3, 4, 0.1)][1] == ((1, 2), (2, 3))
    assert len(fill_gaps(beads, s, 3, 4, 0.1, unequal=False)) == 2  # unequal gap left alone


def test_contained_pairs_many_to_one_and_replacement():
    import numpy as np

    from dedup.align import Bead, contained_pairs

    # a_0, a_1 both sit inside the long b_1; a_1 was wrongly paired with b_0
    la, lb = [20, 20], [20, 60]
    s11 = np.array([[0.1, 0.45], [0.25, 0.45]])
    out = contained_pairs([Bead((0, 1), (1, 2), 0.45), Bead((1, 2), (0, 1), 0.25)], s11, la, lb)
    assert [(b.a, b.b) for b in out] == [((0, 1), (1, 2)), ((1, 2), (1, 2))]
    # a short sentence is contained anywhere: never paired this way
    assert contained_pairs([], np.array([[0.4, 0.0]]), [4], [16, 16]) == []


def _bags_and_counts(c, stems, weight):
    """Rows of count matrix ``c`` as sorted bags (each stem repeated by its weight) and as StemCounts."""
    from dedup.align import StemCounts

    bags = [sorted(int(stems[v]) for v in range(len(stems)) for _ in range(int(c[r, v] * weight[v])))
            for r in range(len(c))]
    return bags, StemCounts.from_matrix(c, stems, weight)


def test_dice_counts_equals_rapidfuzz_on_random_bags():
    import numpy as np

    from dedup.align import _cdist, dice_counts, matrices_from_bags, matrices_from_counts

    rng = np.random.default_rng(7)
    for _ in range(30):
        stems = np.sort(rng.choice(1000, 12, replace=False))
        weight = rng.integers(1, 5, 12)
        ca, cb = (rng.integers(0, 4, (rng.integers(1, 7), 12)) * (rng.random((1, 12)) < 0.7) for _ in "ab")
        ca[0] = 0  # an empty sentence matches nothing
        (ba, xa), (bb, xb) = (_bags_and_counts(c, stems, weight) for c in (ca, cb))
        (ma, ya), (mb, yb) = (_bags_and_counts(c[:-1] + c[1:], stems, weight) for c in (ca, cb))
        assert np.array_equal(dice_counts(xa, xb), _cdist(ba, bb))
        got = matrices_from_counts(xa, ya, xb, yb, 0.36)
        for g, w in zip(got, matrices_from_bags(ba, ma, bb, mb, 0.36), strict=True):
            assert g.dtype == w.dtype and np.array_equal(g, w)


def test_matrices_against_several_documents_equal_pair_by_pair():
    """matrices_against computes one document's matrices against several at once (stacked
    columns): the same values and types as matrices_from_counts pair by pair, one-sentence
    documents (no merged rows) and empty sentences included."""
    import numpy as np

    from dedup.align import matrices_against, matrices_from_counts

    rng = np.random.default_rng(11)
    for _ in range(20):
        stems = np.sort(rng.choice(500, 15, replace=False))
        weight = rng.integers(1, 5, 15)

        def doc(stems=stems, weight=weight):
            c = rng.integers(0, 3, (rng.integers(1, 8), 15)) * (rng.random((1, 15)) < 0.6)
            c[rng.integers(0, len(c))] = 0
            return _bags_and_counts(c, stems, weight)[1], _bags_and_counts(c[:-1] + c[1:], stems, weight)[1]

        (a1, a2), others = doc(), [doc() for _ in range(rng.integers(1, 6))]
        got = matrices_against(a1, a2, [o[0] for o in others], [o[1] for o in others], 0.3)
        assert len(got) == len(others)
        for g, (b1, b2) in zip(got, others, strict=True):
            for x, y in zip(g, matrices_from_counts(a1, a2, b1, b2, 0.3), strict=True):
                assert x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y)
    assert matrices_against(a1, a2, [], [], 0.3) == []


def test_swapped_pair_recovered_before_a_gap_takes_its_sentence():
    # a_1/a_2 swap places in b, and b holds an unrelated sentence where a_2 would be: a gap filled
    # at any score must not give a_2 that sentence instead of its exact copy one place earlier
    other = "A completely unrelated remark about football scores."
    b = [SENTS[0], SENTS[2], SENTS[1], other, SENTS[3], SENTS[4]]
    pairs = {(x.a, x.b) for x in align_sentences(SENTS[:5], b, all_words=True, min_score=0.2, fill_score=0.0)}
    assert ((2, 3), (1, 2)) in pairs and ((1, 2), (2, 3)) in pairs
    assert not any(y == (3, 4) for _, y in pairs)


def test_merged_bead_wins_when_it_scores_as_well():
    # a merges two sentences of b; the second is short, so the 1-1 bead scores nearly as well
    # (0.86 against 0.89): the merged bead must still win, or "Kissing Hank's ass." stays unaligned
    a = [SENTS[0], "Alexander Bashlachev died 30 years ago. Kissing Hank.", SENTS[2]]
    b = [SENTS[0], "Alexander Bashlachev died 30 years ago.", "Kissing Hank's ass.", SENTS[2]]
    beads = align_sentences(a, b, all_words=True, min_score=0.2, fill_score=0.0)
    assert [(x.a, x.b) for x in beads] == [((0, 1), (0, 1)), ((1, 2), (1, 3)), ((2, 3), (3, 4))]
