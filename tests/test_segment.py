"""Sentence and paragraph segmentation: exact offsets, hard cases, properties."""

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from dedup.text.segment import paragraphs, segment, sentences

SEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "seeds"


def split(text):
    return [text[s:e] for s, e in sentences(text)]


def test_abbreviations_decimals_quotes_and_missing_space():
    text = ('The U.S. Embassy said Mr. Rapson earned $1.5bn. "It is fine," she said. '
            'Dr. J. Smith left at 3.30.Then it rained! Really? Yes.')
    assert split(text) == [
        "The U.S. Embassy said Mr. Rapson earned $1.5bn.",
        '"It is fine," she said.',
        "Dr. J. Smith left at 3.30.Then it rained!",
        "Really?",
        "Yes.",
    ]


def test_missing_space_after_lowercase_word_splits():
    assert split("It ended.The next began.") == ["It ended.", "The next began."]


def test_lines_are_hard_boundaries_and_blank_lines_make_paragraphs():
    text = "Title without period\n\nOne. Two\nThree\n \n\nFour"
    assert [text[s:e] for s, e in paragraphs(text)] == ["Title without period", "One. Two\nThree", "Four"]
    assert [(text[s.start:s.end], s.para) for s in segment(text)] == [
        ("Title without period", 0), ("One.", 1), ("Two", 1), ("Three", 1), ("Four", 2)]


def test_seed_two_garbled_boundaries_keep_offsets():
    text = (SEEDS / "002_ab6bd7f1d7c84c87.txt").read_text(encoding="utf-8")
    sents = segment(text)
    got = [text[s.start:s.end] for s in sents]
    assert "Korea turned out to be fake. ." in got
    assert any(g.endswith("rocket technology. .”.") for g in got)
    assert all(text[s.start:s.end].strip() == text[s.start:s.end] != "" for s in sents)


@given(st.text(alphabet=st.sampled_from(list("ab. \n?!”“\"AB1")), max_size=80))
def test_spans_are_ordered_stripped_and_cover_all_non_space(text):
    spans = sentences(text)
    covered = set()
    prev = 0
    for s, e in spans:
        assert prev <= s < e
        assert text[s:e] == text[s:e].strip()
        covered.update(range(s, e))
        prev = e
    assert {i for i, c in enumerate(text) if not c.isspace()} <= covered


def test_sentence_ends_found_at_punctuation_only_equal_finditer():
    """segment tries its sentence-end regex only at '.', '!', '?' and '…' (_ends): the same matches
    as scanning every position, on random lines of quotes, brackets, capitals, digits and spaces."""
    import random

    from dedup.text import segment as S

    rng = random.Random(1)
    alphabet = "ab AB.!?…\"'”’)]( 1\t«¿¡“‘"
    for _ in range(5000):
        line = "".join(rng.choice(alphabet) for _ in range(rng.randrange(40)))
        want = [(m.span(), m.start("sp")) for m in S._END.finditer(line)]
        assert [(m.span(), m.start("sp")) for m in S._ends(line)] == want, line
