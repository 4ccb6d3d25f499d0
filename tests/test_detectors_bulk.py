"""The fast paths of the detectors give exactly what the plain definitions give.

Each fast path (bulk word table, gates, cheap pre-checks, rewritten patterns) is compared with
a straightforward reference written here, on generated texts full of the characters that
matter: case, non-ASCII letters and spaces, Kelvin sign and dotted capital I, punctuation debris.
"""

from __future__ import annotations

import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.detectors import artifacts, base, boilerplate, language
from dedup.detectors.artifacts import (
    _NON_ASCII_TOKEN,
    NON_ASCII_SPACES,
    _after_word_boundary,
    missing_sentence_break,
    non_ascii_tokens,
    orphan_letter,
    repeated_word,
    repeated_word_gate,
    split_phrase,
)
from dedup.detectors.words import NON_ASCII, WordSet, WordTable, code

PIECES = [
    "the", "The", "THE", "tHe", "a", "an", "of", "to", "and", "was", "is", "in", "on", "it", "It",
    "This", "However", "There", "He", "he", "did", "said", "we", "North", "Korea", "land", "approx",
    "equipment", "u", "b", "x", "I", "i", "had", "that", "Mr", "U.S.", "St", "like", "make",
    "être", "né", "à", "Café", "Москва", "北朝鮮", "한국", "α", "K", "İt", "ſo", "ı", "km²", "x2",
    "_", "2", "1990s", "’", "'", '"', "“", "”", "(", ")", ".", ",", ",,", ". .", ".”.", " .", "!",
    "?", ":", "-", "/", "Reuters", "#tag", "http://x.co", "\u0307",
    " ", " ", " ", " ", " ", "  ", "\t", "\n", "\n\n", " \n", "\r\n", "\n \n", "\xa0", "\u2028",
    "\x0c", "\u3000",
]
texts = st.lists(st.sampled_from(PIECES), max_size=80).map("".join)
batches = st.lists(texts, min_size=1, max_size=6)
FEW = settings(max_examples=300, deadline=None)


# --- segmentation -----------------------------------------------------------------------------------

def ref_lines(text):
    for m in re.finditer(r"[^\n]+", text):
        s, e = m.span()
        while e > s and text[e - 1] in " \t\r":
            e -= 1
        if e > s:
            yield s, e


def ref_blocks(text):
    for m in re.finditer(r"\S(?:.|\n(?![ \t\r]*\n))*", text):
        s, e = m.span()
        while e > s and text[e - 1] in " \t\r\n":
            e -= 1
        yield s, e


@FEW
@given(texts)
def test_lines_and_blocks_match_their_definitions(text):
    assert list(base.lines(text)) == list(ref_lines(text))
    assert list(base.blocks(text)) == list(ref_blocks(text))


# --- word table ---------------------------------------------------------------------------------------

@FEW
@given(batches)
def test_word_table_finds_the_words_re_finds(batch):
    words = WordTable.build(batch)
    expected, codes_, lower = [], [], []
    for i, text in enumerate(batch):
        for m in re.finditer(r"[^\W\d_]+", text):
            w = m.group()
            expected.append((i, m.start() + int(words.offsets[i]), m.end() + int(words.offsets[i])))
            codes_.append(0 if len(w) > 8 else code(w) if w.isascii() else NON_ASCII)
            lower.append(w[0].islower())
    assert list(zip(words.doc.tolist(), words.starts.tolist(), words.ends.tolist(), strict=True)) == expected
    assert words.code.tolist() == codes_
    assert words.initial_lower.tolist() == lower


@FEW
@given(batches)
def test_word_set_membership_is_lower_case_membership(batch):
    known = {"the", "of", "it", "was", "is", "a", "an", "so"}
    words = WordTable.build(batch)
    spans = zip(words.starts.tolist(), words.ends.tolist(), strict=True)
    expected = [words.text[s:e].lower() in known for s, e in spans]
    assert words.among(WordSet(known)).tolist() == expected


def test_word_sets_hold_only_words_whose_case_variants_are_ascii():
    # Only U+0130 and U+212A (Kelvin) lower-case to ASCII letters; the word sets must not be
    # able to meet them, or a word counted by str.lower() would be missed by its code.
    specials = [chr(c) for c in range(128, sys.maxunicode + 1)
                if re.match(r"[^\W\d_]", chr(c)) and any(x.isascii() for x in chr(c).lower())]
    assert specials == ["\u0130", "\u212a"]
    for words in (language.EN_FUNCTION_WORDS, artifacts.NEVER_DOUBLED):
        assert not any("k" in w or "i\u0307" in w for w in words)
    with pytest.raises(ValueError):
        code("functions")  # nine letters: too long to have a code


# --- language -------------------------------------------------------------------------------------------

@FEW
@given(batches)
def test_sample_counts_are_the_words_of_the_sample(batch):
    words = WordTable.build(batch)
    counts, english = language._sample_counts(batch, words)
    for text, n, fw in zip(batch, counts, english, strict=True):
        sample = language._WORDS.findall(text[:language.DOC_SAMPLE])
        assert n == len(sample)
        assert fw == sum(w.lower() in language.EN_FUNCTION_WORDS for w in sample)


def test_sample_counts_at_the_sample_edge():
    text = "x " * (language.DOC_SAMPLE // 2 - 1) + "them"  # "th" inside the sample, "em" beyond
    counts, english = language._sample_counts([text], WordTable.build([text]))
    assert counts == [len(language._WORDS.findall(text[:language.DOC_SAMPLE]))]
    assert english == [0]  # "th" is not a function word, "them" would be


latin = st.lists(st.sampled_from(["the", "of", "Ivan", "ivanov", "zdes", "est", "na", "stole",
                                  "kniga", "Moskva", "je", "tam", "lezhit", "pravda"] * 3
                                 + [". ", ", ", "\n", "http://x", "www", "2", "K", "İ", "é", "lib3dev",
                                    "a/b", "x=y", "l'ho", "« na »", "\t", "kniga-3"]),
                 max_size=150).map(" ".join)


@FEW
@given(st.lists(latin, min_size=1, max_size=4))
def test_bulk_sentence_candidates_include_every_candidate(batch):
    words = WordTable.build(batch)
    bulk = language._latin_en_sentences(words, [True] * len(batch))
    for i, text in enumerate(batch):
        for m in language._SENTENCE.finditer(text):
            s, e = m.span()
            while s < e and text[s].isspace():
                s += 1
            if s < e and language._candidate(text[s:e], "en", "Latin"):
                assert m.span() in bulk.get(i, [])


def test_short_documents_get_no_language_without_function_words():
    got = language.document_languages(["Good evening.", "It is in the box here.", "Москва"])
    assert [lang for lang, _ in got] == [None, "en", None]


# --- artifacts ------------------------------------------------------------------------------------------

@FEW
@given(texts)
def test_non_ascii_tokens_match_the_pattern(text):
    assert non_ascii_tokens(text) == _NON_ASCII_TOKEN.findall(text)


def test_non_ascii_spaces_are_all_non_ascii_whitespace():
    rx = re.compile(f"[{NON_ASCII_SPACES}]")
    spaces = {chr(c) for c in range(128, sys.maxunicode + 1) if chr(c).isspace()}
    assert {chr(c) for c in range(128, sys.maxunicode + 1) if rx.match(chr(c))} == spaces


@FEW
@given(texts)
def test_after_word_boundary_is_a_leading_word_boundary(text):
    rx = artifacts._NAME_SPLIT
    assert [m.span() for m in _after_word_boundary(rx, text)] == \
        [m.span() for m in re.finditer(r"\b" + rx.pattern, text)]


@FEW
@given(batches)
def test_repeated_word_gate_never_hides_a_finding(batch):
    gate = repeated_word_gate(WordTable.build(batch)).tolist()
    for text, open_ in zip(batch, gate, strict=True):
        if repeated_word(text):
            assert open_


RUNIN = re.compile(r"(?<=[a-z])[ \t]+(?P<cap>" + artifacts._STARTERS + r")[ \t]+(?P<next>[a-z]+)\b")


@FEW
@given(texts)
def test_rewritten_patterns_find_what_the_plain_ones_find(text):
    starts = []
    for m in RUNIN.finditer(text):
        before = artifacts._PREV_WORD.search(text, max(0, m.start() - 40), m.start())
        if before is not None and before.group("prev") not in artifacts.TITLE_CUES:
            starts.append(m.start())
    assert [h.start for h in missing_sentence_break(text)] == starts
    lower = [m.start("dot") for m in re.finditer(
        r"\b(?P<prev>[a-z]{3,})(?P<dot>\.)[ \t]+(?P<next>[a-z]{2,})\b", text)
        if m.group("prev") not in artifacts.ABBREVIATIONS]
    assert [h.start for h in split_phrase(text) if "name" not in h.message] == lower
    assert [h.start for h in orphan_letter(text)] == [m.start("orph") for m in artifacts._ORPHAN.finditer(text)]


@FEW
@given(texts)
def test_title_key_is_case_and_space_folded(text):
    for s, e in base.lines(text):
        line = text[s:e]
        assert boilerplate._key(line) == " ".join(line.casefold().split())


def test_detectors_in_two_processes_equal_one_process(monkeypatch):
    """run_detectors split over forked workers gives the same findings and languages."""
    import dedup.detectors as det
    from dedup.config import ScanConfig
    from dedup.model import Document
    from dedup.rules import resolve

    from .conftest import BBC_FIXTURE, SEEDS

    paths = sorted(BBC_FIXTURE.rglob("*.txt")) + sorted(SEEDS.glob("*.txt"))
    codes = resolve([], [])

    def run(jobs):
        docs = [Document(p.name, p.read_text(encoding="utf-8"), str(p)) for p in paths]
        found = det.run_detectors(docs, codes, ScanConfig(jobs=jobs))
        return [(f.rule, f.doc, f.start, f.end, f.fix) for f in found], [d.lang for d in docs]

    one = run(1)
    monkeypatch.setattr(det, "PARALLEL_MIN_CHARS", 1)
    monkeypatch.setattr(det, "BATCH_CHARS", 5000)  # many batches, shared by two processes
    two = run(2)
    assert one == two
    assert len(one[0]) > 10 and "en" in one[1]


# --- settling overlaps ----------------------------------------------------------------------------

def _settle_pairwise(found):
    """settle as it was: each hit against every kept one (the reference)."""
    from dedup.rules import RULES

    def overlaps(h, k):
        if h.start == h.end:
            return k.start < h.start < k.end or (k.start == k.end == h.start)
        if k.start == k.end:
            return h.start < k.start < h.end
        return h.start < k.end and k.start < h.end

    advisory = [(c, h) for c, h in found if RULES[c].severity == "info"]
    rest = sorted(((c, h) for c, h in found if RULES[c].severity != "info"),
                  key=lambda ch: (ch[1].start, -(ch[1].end - ch[1].start), ch[0]))
    kept = []
    for c, h in rest:
        if not any(overlaps(h, k) for _, k in kept):
            kept.append((c, h))
    return sorted(kept + advisory, key=lambda ch: (ch[1].start, ch[1].end, ch[0]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["MT301", "MT306", "BP206", "BP201", "MT307", "MT310"]),
                          st.integers(0, 30), st.integers(0, 6)), max_size=40))
def test_settle_in_one_pass_keeps_what_pairwise_checks_kept(raw):
    """settle's one pass (running ends) keeps exactly the hits that checking each hit against
    every kept one kept, empty hits and info rules included."""
    from dedup.detectors import settle
    from dedup.detectors.base import Hit
    from dedup.rules import load_all

    load_all()
    found = [(c, Hit(s, s + n, f"m{k}")) for k, (c, s, n) in enumerate(raw)]
    assert settle(found) == _settle_pairwise(found)
