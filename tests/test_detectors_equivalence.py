"""The shared and bulk mechanisms of the detector stage give exactly what the plain ones give.

``run_detectors`` splits each document into lines once for every line-based detector, counts
line frequencies with numpy, finds sentences in bulk and skips detectors by gates. Each such
mechanism is compared here with the plain one it replaced (kept below as a reference) on
generated texts full of the characters that matter and on the fixture corpora.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import chain

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import dedup.detectors as det
from dedup.config import ScanConfig
from dedup.detectors import DETECTORS, LINE_DETECTORS, base, boilerplate, language
from dedup.model import Document
from dedup.rules import make_finding, resolve

from .conftest import BBC_FIXTURE, SEEDS

PIECES = [
    "the", "The", "THE", "Big", "news", "NEWS", "today", "Site", "World", "a", "of", "is", "it",
    "Straße", "STRASSE", "ﬁne", "İt", "K", "Москва", "北朝鮮", "é", "Share this", "Leave a Reply",
    "#tag", "Tags:", "Reporter Kim", "/Reuters", ".", "!", "?", "。", "！", "？", "”", '"', "’",
    ")", "(", "“", ",", ":", "..", ". .", ".”.", "”.”",
    " ", " ", " ", "  ", "\t", "\n", "\n", "\n", "\n\n", " \n", "\r\n", "\n \n", "\xa0", "\u2028",
    "\x0c", "\u3000", "\U0001F600",
]
texts = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)
#: Texts made of a few shared lines, so that lines repeat across documents.
LINES = ["Big news today", "big  NEWS today", "Share this", "share this", "Straße news here",
         "STRASSE news here", " indented line", "Body text. More.", "Leave a Reply", "", "  ",
         "x" * 30]
corpora = st.lists(st.lists(st.sampled_from(LINES), max_size=8).map("\n".join), max_size=40)
FEW = settings(max_examples=200, deadline=None)


def fixture_texts() -> list[str]:
    paths = sorted(BBC_FIXTURE.rglob("*.txt")) + sorted(SEEDS.glob("*.txt"))
    return [p.read_text(encoding="utf-8") for p in paths]


# --- references: the plain mechanisms the fast ones replaced ------------------------------------------

def ref_frequent_lines(texts):
    per_doc = [[(s, e, boilerplate._key(t[s:e])) for s, e in base.lines(t)] for t in texts]
    keys = [{k for _, _, k in spans} for spans in per_doc]
    df = Counter(chain.from_iterable(keys))
    copies = [sum(e - s for s, e, k in spans if df[k] >= 2) > boilerplate.MAX_DOC_SHARE * len(t.strip())
              for t, spans in zip(texts, per_doc, strict=True)]
    df = Counter(chain.from_iterable(k for k, copy in zip(keys, copies, strict=True) if not copy))
    need = max(boilerplate.MIN_DOCS, int(boilerplate.MIN_SHARE * len(texts) + 0.999))
    out = []
    for spans, copy in zip(per_doc, copies, strict=True):
        freq = [] if copy else [(s, e, df[k]) for s, e, k in spans if df[k] >= need]
        out.append([base.Hit(s, e, f"line found in {n} documents", score=min(1.0, n / (4 * need)))
                    for s, e, n in freq])
    return out


def ref_title_repeats(text):
    spans = list(base.lines(text))
    if len(spans) < 2:
        return [], []
    for i, (s, e) in enumerate(spans[:6]):
        key = boilerplate._key(text[s:e])
        if len(key.split()) >= 3:
            later = [j for j, (a, b) in enumerate(spans[i + 1:], i + 1)
                     if boilerplate._key(text[a:b]) == key]
            if later:
                chrome = [(a, b) for j, (a, b) in enumerate(spans[:later[0]])
                          if j != i and boilerplate._is_chrome(text[a:b])]
                return [spans[j] for j in later], chrome
        if not boilerplate._is_chrome(text[s:e]):
            break
    return [], []


def plain_findings(docs, codes):
    """Every detector called on its own on every document (no gates, no shared lines)."""
    texts = [d.text for d in docs]
    corpus = ref_frequent_lines(texts) if "BP206" in codes else [[] for _ in docs]
    langs = [lang for lang, _ in language.document_languages(texts)]
    switches = language.find_language_switches(texts, langs)
    out = []
    for doc, text, bp, sw in zip(docs, texts, corpus, switches, strict=True):
        found = [(c, h) for c in sorted(DETECTORS) if c in codes and c != "LANG401"
                 for h in DETECTORS[c](text)]
        found += [("BP206", h) for h in bp] + [("LANG401", h) for h in sw if "LANG401" in codes]
        out.extend(make_finding(c, doc.id, text, h.start, h.end, h.message, h.score, fix=h.fix)
                   for c, h in det.settle(found))
    return out, langs


# --- the mechanisms -------------------------------------------------------------------------------

@FEW
@given(corpora)
def test_frequent_lines_counts_like_the_plain_counters(batch):
    assert boilerplate.frequent_lines(batch) == ref_frequent_lines(batch)


def test_frequent_lines_on_fixtures_and_repeats():
    texts = fixture_texts()
    texts = (texts + [t.upper() for t in texts[:5]]
             + [f"Share  THIS\nArticle {i} says something new." for i in range(8)])
    got = boilerplate.frequent_lines(texts)
    assert got == ref_frequent_lines(texts)
    assert any(got)


@FEW
@given(st.lists(st.sampled_from(LINES + PIECES), max_size=12).map("\n".join))
def test_title_repeats_without_folding_the_whole_text(text):
    assert boilerplate._title_repeats(text) == ref_title_repeats(text)


@FEW
@given(texts)
def test_sentence_spans_are_the_pattern_matches(text):
    cp = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    assert language.sentence_spans(cp).tolist() == [list(m.span()) for m in language._SENTENCE.finditer(text)]


@FEW
@given(texts)
def test_line_detectors_given_the_lines_find_the_same(text):
    spans = base.line_spans(text)
    assert spans == [m.span() for m in re.finditer(r"^[^\n]*[^\n \t\r]", text, re.M)]
    shared = base.Lines(text, spans)
    for code in sorted(LINE_DETECTORS):
        assert DETECTORS[code](text, spans) == DETECTORS[code](text)
        assert DETECTORS[code](text, shared) == DETECTORS[code](text)


def test_run_detectors_equals_every_detector_on_its_own(monkeypatch):
    texts = fixture_texts()
    docs = [Document(f"d{i}", t, "fixture") for i, t in enumerate(texts + texts[:3])]
    codes = resolve([], [])
    expected = plain_findings(docs, codes)
    for jobs in (1, 2):
        monkeypatch.setattr(det, "PARALLEL_MIN_CHARS", 1)
        monkeypatch.setattr(det, "BATCH_CHARS", 20_000)
        for d in docs:
            d.lang = None
        found = det.run_detectors(docs, codes, ScanConfig(jobs=jobs))
        assert (found, [d.lang for d in docs]) == expected
    assert len(expected[0]) > 10


# --- gates --------------------------------------------------------------------------------------------

#: Words that open or shut the gates (a small vocabulary, so that the patterns occur often).
GATE_PIECES = ["was", "discussed", "This", "Meanwhile", "According", "project", "land", "equipment",
               "North", "Korea", "NORTH", "u", "b", "or", "the", "The", "İt", "K", "Москва", "é", "x2",
               "Mr", "1", "_", "North Korea", "north  KOREA", "North. Korea", "North.\tKorea",
               "he", "she", "did", "said", "explained", "pointed out", "Kim", ".” he did", ".”  she said",
               ",” we told", "!” he explained", ". ” they did", "” he pointed out", '." he explained',
               ".’ she did", "\nBy John Smith", "\nSource: x.com", "\nPhotograph: AP", "Reporter Kim Ji",
               "Correspondent Ann Bo", "/Reuters", "Photo by Kim Lee", "Staff writer Bob", "\nVia Ann",
               "It shows. Kim Lee/Reuters\n"]
SEPARATORS = [" ", " ", " ", "  ", "\t", ". ", ".  ", ".\t", ". .", ", ", "\n", "", "” ", ".” ",
              " . ", " , ", " ” ", " .\n", ".”.", ". ”.", ",,", ", ,"]
gate_texts = st.lists(st.tuples(st.sampled_from(GATE_PIECES), st.sampled_from(SEPARATORS)),
                      max_size=40).map(lambda ws: "".join(w + sep for w, sep in ws))


@FEW
@given(st.lists(gate_texts, min_size=1, max_size=5))
def test_gates_never_hide_a_finding(batch):
    from dedup.detectors.base import GATES
    from dedup.detectors.words import WordTable

    words = WordTable.build(batch)
    for code_, gate in GATES.items():
        open_ = gate(words).tolist()
        for text, ok in zip(batch, open_, strict=True):
            if not ok:
                assert DETECTORS[code_](text) == [], (code_, text)


def test_gates_never_hide_a_finding_in_many_generated_texts():
    """Seeded texts of the gate vocabulary, many enough that every detector finds something."""
    import random

    from dedup.detectors.base import GATES
    from dedup.detectors.words import WordTable

    rng = random.Random(7)
    batch = ["".join(rng.choice(GATE_PIECES) + rng.choice(SEPARATORS) for _ in range(rng.randrange(40)))
             for _ in range(3000)]
    words = WordTable.build(batch)
    for code_, gate in GATES.items():
        hits = 0
        for text, ok in zip(batch, gate(words).tolist(), strict=True):
            found = DETECTORS[code_](text)
            hits += bool(found)
            assert ok or not found, (code_, text)
        assert hits >= 5, code_


def test_gates_open_on_what_their_detectors_find():
    from dedup.detectors.base import GATES
    from dedup.detectors.words import WordTable

    found = {"BP203": "It shows. Yonhap News Vostocini/Reuters", "MT301": "It was fake. . Kim said",
             "MT302": "for testing.” he did North Korea",
             "MT303": "It was discussed This project began.",
             "MT304": "the land. equipment",
             "MT305": "announced or u publish", "MT306": "in the the house",
             "MT307": "The talks (북한 회담) began."}
    assert set(found) == set(GATES)
    for code_, text in found.items():
        assert DETECTORS[code_](text)
        assert GATES[code_](WordTable.build(["Nothing here.", text])).tolist() == [False, True]


def test_gates_never_hide_a_finding_in_the_fixtures():
    from dedup.detectors.base import GATES
    from dedup.detectors.words import WordTable

    batch = fixture_texts()
    words = WordTable.build(batch)
    shut = 0
    for code_, gate in GATES.items():
        for text, ok in zip(batch, gate(words).tolist(), strict=True):
            shut += not ok
            if not ok:
                assert DETECTORS[code_](text) == [], code_
    assert shut > 0


@FEW
@given(st.lists(gate_texts, min_size=1, max_size=4))
def test_word_gaps_count_what_is_neither_space_nor_tab(batch):
    from dedup.detectors.words import WordTable

    words = WordTable.build(batch)
    starts, ends = words.starts.tolist(), words.ends.tolist()
    expected = [min(2, len(words.text[e:s].replace(" ", "").replace("\t", "")))
                for e, s in zip(ends[:-1], starts[1:], strict=True)] + [1][:len(starts)]
    assert words.gap_other.tolist() == expected


@FEW
@given(st.lists(st.lists(st.sampled_from(PIECES + ["α", "β", "한국", "ロシア", "Ж", "x" * 700]), max_size=30)
                .map("".join), min_size=1, max_size=4))
def test_sample_scripts_and_foreign_letters_in_bulk(batch):
    from dedup.detectors.artifacts import foreign_positions
    from dedup.detectors.words import WordTable

    words = WordTable.build(batch)
    assert language.sample_scripts(batch, words) == [language.main_script(t[:language.DOC_SAMPLE])
                                                      for t in batch]
    assert words.texts_with(foreign_positions(words)).tolist() == [language._has_foreign(t) for t in batch]


def ref_repeated_word_gate(words):
    """The MT306 gate as it was: memberships of every word, then a gap test per run."""
    from dedup.detectors import artifacts
    from dedup.detectors.words import NON_ASCII

    c = words.code
    found = np.zeros(len(words.offsets) - 1, dtype=bool)
    single = words.among(artifacts._NEVER_WORDS)[:-1] & ((c[1:] == c[:-1]) | (c[1:] == NON_ASCII))
    runs = [(i, 1) for i in np.flatnonzero(single).tolist()]
    phrase = words.among(artifacts._PHRASE_WORDS)
    for k in (2, 3, 4):
        m = len(c) - 2 * k + 1
        if m <= 0:
            break
        same = np.ones(m, dtype=bool)
        for j in range(k):
            same &= phrase[j:j + m] & (c[j:j + m] == c[k + j:k + j + m])
        runs.extend((i, 2 * k - 1) for i in np.flatnonzero(same).tolist())
    for i, gaps in runs:
        if all(words.gap_is_blank(i + g) for g in range(gaps)):
            found[words.doc[i]] = True
    return found


PHRASES = ["the", "of", "of the", "in the", "THE", "The", "to", "and", "café", "CAFÉ", "x"]


@FEW
@given(st.lists(st.lists(st.tuples(st.sampled_from(PHRASES), st.sampled_from([" ", "\t", "  ", ", ", "\n"])),
                         max_size=30).map(lambda ws: "".join(w + sep for w, sep in ws)), min_size=1, max_size=5))
def test_repeated_word_gate_is_the_gate_it_was(batch):
    from dedup.detectors.artifacts import repeated_word_gate
    from dedup.detectors.words import WordTable

    words = WordTable.build(batch)
    assert repeated_word_gate(words).tolist() == ref_repeated_word_gate(words).tolist()


def ref_bylines(text):
    """BP203 as it was: both line patterns tried on every line, the credit cue as one pattern."""
    credit_cue = re.compile(r"/[ \t]*(?:" + boilerplate.AGENCIES + ")|Photo|Image|Picture").search
    cues = ((boilerplate._BYLINE_TAIL, boilerplate._byline_cue), (boilerplate._CREDIT_TAIL, credit_cue))
    hits = []
    tails = [(rx, cue) for rx, cue in cues if cue(text)]
    for s, e in base.lines(text):
        line = text[s:e]
        if boilerplate._BYLINE_LINE.fullmatch(line) or boilerplate._SOURCE_LINE.fullmatch(line):
            hits.append(base.Hit(s, e, "byline or source line"))
        elif m := next(filter(None, (rx.search(line) for rx, cue in tails if cue(line))), None):
            what = "byline" if m.re is boilerplate._BYLINE_TAIL else "photo credit"
            hits.append(base.Hit(s + m.start(), s + m.end(), f"{what} at the end of a paragraph"))
    return hits


BYLINE_LINES = ["By John Smith", "By the end of the year.", "Reporter Kim Ji-ho", "Source: voanews.com",
                "Photo: AP", "Photos by Getty", "It shows. Yonhap News Vostocini/Reuters",
                "Body text. Reporter Jang Ye-ji", "Image by Getty Images", " By X Y", "Staff writer Bob",
                "Staff Writer Bob Lee, Seoul", "Posted by admin", "Via Twitter", "He said. Photo by Kim Lee",
                "AC/DC concerts", "Pictures: Reuters", "Correspondent: Ann Bo", "Author Jo", "Plain text."]


@FEW
@given(st.lists(st.sampled_from(BYLINE_LINES), max_size=8).map("\n".join))
def test_bylines_with_fast_tests_find_what_they_found(text):
    assert boilerplate.bylines(text) == ref_bylines(text)


def test_bylines_on_fixtures():
    texts = fixture_texts() + ["\n".join(BYLINE_LINES)]
    assert [boilerplate.bylines(t) for t in texts] == [ref_bylines(t) for t in texts]
    assert boilerplate.bylines(texts[-1])


def ref_unbalanced_quote(text):
    """MT308 as it was: the whole text split into paragraphs, the marks sorted into them."""
    from bisect import bisect_right

    from dedup.detectors import artifacts

    if "“" not in text and "”" not in text and "(" not in text:
        return []
    spans = list(base.blocks(text))
    starts = [s for s, _ in spans]
    by_block = {}
    for m in artifacts._MARKS.finditer(text):
        by_block.setdefault(bisect_right(starts, m.start()) - 1, []).append(m)
    hits = []
    for i, marks in by_block.items():
        e = spans[i][1]
        quote = None
        parens = []
        for m in marks:
            j, c = m.start(), m.group()
            if c == "“":
                if quote is not None:
                    hits.append(base.Hit(quote, quote + 1, "quote opened and never closed"))
                quote = j
            elif c == "”":
                if quote is None:
                    hits.append(base.Hit(j, j + 1, "closing quote without an opening one"))
                quote = None
            elif c == "(":
                parens.append(j)
            elif c == ")" and parens:
                parens.pop()
        if quote is not None:
            nxt = spans[i + 1][0] if i + 1 < len(spans) else None
            if nxt is None or text[nxt] != "“":
                hits.append(base.Hit(quote, quote + 1, "quote opened and never closed"))
        hits.extend(base.Hit(p, p + 1, "bracket opened and never closed") for p in parens
                    if p + 1 < e and text[p + 1].isalnum())
    return sorted(hits, key=lambda h: h.start)


QUOTES = ["“", "”", "(", ")", "a", "Yes", " ", "\n", "\n\n", "\n \n", "\r\n\r\n", "\t", "\xa0", "\u2028", "1"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(QUOTES), max_size=40).map("".join))
def test_unbalanced_quote_by_paragraph_gaps_finds_what_it_found(text):
    from dedup.detectors.artifacts import unbalanced_quote

    assert unbalanced_quote(text) == ref_unbalanced_quote(text)


def test_unbalanced_quote_on_fixtures():
    from dedup.detectors.artifacts import unbalanced_quote

    texts = fixture_texts()
    assert [unbalanced_quote(t) for t in texts] == [ref_unbalanced_quote(t) for t in texts]


@FEW
@given(st.lists(st.sampled_from(QUOTES), max_size=40).map("".join))
def test_marks_are_the_pattern_matches(text):
    from dedup.detectors.artifacts import _MARKS, _marks

    assert _marks(text) == [(m.start(), m.group()) for m in _MARKS.finditer(text)]
