"""Translation artifacts (``MT301``–``MT349``, kind ``artifact``): garbled spans found without a
reference, from the text alone.

Every detector here is a pure ``str -> list[Hit]`` with regular expressions tuned for precision:
a false finding becomes deleted text in ``dedup clean``. Where the repair is certain the hit
carries it as ``fix`` (``". ."`` → ``"."``); otherwise the span is what should go.

>>> [(h.start, h.end, h.fix) for h in punctuation_debris("It was fake. . Kim said")]
[(11, 14, '.')]
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterator

import ftfy
import numpy as np
from ftfy.badness import BADNESS_RE, is_bad

from .. import sorting
from .base import BLANK_LINE, NON_SPACE, Hit, Spans, detector, gate, line_spans
from .words import MAX_CODE_LETTERS, NON_ASCII, WordSet, WordTable, code

# --- shared vocabulary --------------------------------------------------------------------------

#: Words after which a period does not end a sentence (checked case-insensitively).
ABBREVIATIONS = frozenset("""
etc vs approx incl esp dept govt est misc ca cf viz al min max no nos vol vols pp fig figs ed eds
jr sr st ave co corp inc ltd bros gen col capt sgt lt cmdr rev mr mrs ms dr prof hon rep sen gov
jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun
mph kph lbs lb oz ft sq yr yrs hr hrs mins sec secs tel ext dept univ assn intl natl
""".split())

#: Function words that English never doubles (``the the``); ``had had``/``that that`` are legal.
NEVER_DOUBLED = frozenset("""
the a an of to from by with and or but nor are was were be been being will would can could should
shall may might must has have its his their our your my these those than
""".split())

_TERMINAL = ".!?"


def is_tokenized(text: str) -> bool:
    """True if ``text`` is Moses-style tokenized (``Finance .``, ``don 't``): spaced punctuation
    is then a convention, not debris, and the spacing rules stay quiet.

    >>> is_tokenized("Swim to the bottom , if you don 't have paddles .")
    True
    >>> is_tokenized("Both are bad . Really, they are.")
    False
    """
    spaced = len(_SPACED_PUNCT.findall(text)) + 2 * len(_SPACED_CLITIC.findall(text))
    unspaced = len(_UNSPACED_PUNCT.findall(text))
    return spaced > 0 and spaced >= 2 * unspaced


_SPACED_PUNCT = re.compile(r"(?<=\w) [,.;:!?](?=\s|$)")
_UNSPACED_PUNCT = re.compile(r"\w[,.;:!?](?=\s|$)")
_SPACED_CLITIC = re.compile(r"\w '(?:s|t|re|ve|ll|d|m)\b|\w n't\b")

# --- MT301 punctuation debris ---------------------------------------------------------------------

_RUN = re.compile(r"[.!?](?:[ \t]*[”\"’]*[ \t]*[.!?])+[”\"’]*")
_SPACED_ELLIPSIS = re.compile(r"\.(?:[ \t]+\.){2,}")
_SPACE_BEFORE_CLOSE = re.compile(r"[.!?,](?P<gap>[ \t]+)”")
_DOUBLE_COMMA = re.compile(r",(?:[ \t]*,)+")
# these two only after a word character and a Latin letter (_SPACING): checked on each match, which
# is as exact as a lookbehind (a match starts where its run of blanks does) and twice as fast
_SPACE_BEFORE_PERIOD = re.compile(r"[ \t]+\.(?=[ \t]+[A-Z“\"]|[ \t]*$)", re.M)
_SPACE_BEFORE_COMMA = re.compile(r"[ \t]+,(?=[ \t]+[A-Za-z])")


@detector("MT301", "punctuation-debris", "artifact", "warning",
          "Punctuation debris: `. .`, `.”.`, doubled commas, space before a period.",
          "A run of sentence marks with two or more periods and spaces or quotes between them "
          "(not an ellipsis), `,,`, and a space before a closing ”, `.` or `,` (the spacing "
          "checks are off in Moses-style tokenized text). Fix: the collapsed punctuation.")
def punctuation_debris(text: str) -> list[Hit]:
    """Spans of broken punctuation with the collapsed form as ``fix``.

    >>> [(h.text, h.fix) for h in _show(punctuation_debris, "great interest. .”. “The North,, he")]
    [('. .”.', '.”'), (',,', ',')]
    >>> [(h.text, h.fix) for h in _show(punctuation_debris, "development. ” he did")]
    [('. ”', '.”')]
    >>> punctuation_debris("Wait... what? No!! He said . . . nothing. Was it “this?”. Yes ! .")
    []
    """
    hits: list[Hit] = []
    for m in _RUN.finditer(text):
        run = m.group()
        if (run.count(".") < 2 or "..." in run or re.fullmatch(r"[.!?]+", run)
                or _SPACED_ELLIPSIS.fullmatch(run)):
            continue
        fix = run[0] + "".join(c for c in run if c in "”\"’")
        hits.append(Hit(m.start(), m.end(), f"punctuation debris {run!r}", fix=fix))
    for m in _DOUBLE_COMMA.finditer(text):
        hits.append(Hit(m.start(), m.end(), "doubled comma", fix=","))
    # Each spacing check needs a space or tab right before its mark: skip the regex when the
    # text has none, and the costlier tokenization test when no spacing check matches.
    spacing: list[tuple[re.Pattern[str], str, re.Pattern[str] | None]] = []
    if " ." in text or " ," in text or " ”" in text or "\t" in text:
        spacing = [(rx, what, after) for rx, what, marks, after in _SPACING if any(mk in text for mk in marks)]
    found = [(rx, what, m) for rx, what, after in spacing for m in rx.finditer(text)
             if after is None or (m.start() > 0 and after.match(text, m.start() - 1))]
    if found and not is_tokenized(text):
        covered = bytearray(len(text))  # inside a hit so far
        for h in hits:
            covered[h.start:h.end] = b"\1" * (h.end - h.start)
        for rx, what, m in found:
            s, e = m.start(), m.end()
            if not covered[s]:
                fix = text[s] + "”" if rx is _SPACE_BEFORE_CLOSE else what
                hits.append(Hit(s, e, _SPACING_MESSAGE[what], fix=fix))
                covered[s:e] = b"\1" * (e - s)
    return sorted(hits, key=lambda h: h.start)


#: (pattern, mark, substrings one of which every match contains, what the character before a match
#: must be or None), in the order they are applied.
_SPACING = ((_SPACE_BEFORE_CLOSE, "”", (" ”", "\t”"), None),
            (_SPACE_BEFORE_PERIOD, ".", (" .", "\t."), re.compile(r"\w")),
            (_SPACE_BEFORE_COMMA, ",", (" ,", "\t,"), re.compile(r"[A-Za-z]")))
_SPACING_MESSAGE = {"”": "space before a closing quote", ".": "space before '.'",
                    ",": "space before ','"}


_SENTENCE_MARKS = np.array([ord(c) for c in _TERMINAL], dtype=np.uint32)
_RUN_FILLER = np.array([ord(c) for c in " \t”\"’"], dtype=np.uint32)
_BLANKS = np.array([ord(" "), ord("\t")], dtype=np.uint32)


@gate("MT301")
def punctuation_debris_gate(words: WordTable) -> np.ndarray:
    """Per text, whether :func:`punctuation_debris` can find anything: two sentence marks with
    nothing but spaces, tabs and closing quotes between them (a run), two commas with nothing but
    spaces and tabs between them, or a space or tab right before a ``.``, ``,`` or ``”``.

    >>> punctuation_debris_gate(WordTable.build(["It was fake. . Kim", "No. Yes, ok.", "a ,, b",
    ...                                           "end .", "Wait!”? No"])).tolist()
    [True, False, True, True, True]
    """
    cp, punct = words.cp, words.punct
    c = cp[punct]
    marks = punct[np.isin(c, _SENTENCE_MARKS)]
    commas = punct[c == ord(",")]
    spaced = punct[((c == ord(".")) | (c == ord(",")) | (c == ord("”"))) & (punct > 0)]
    spaced = spaced[np.isin(cp[spaced - 1], _BLANKS)]
    return words.texts_with(np.concatenate((_only_between(cp, marks, _RUN_FILLER),
                                            _only_between(cp, commas, _BLANKS), spaced)))


def _only_between(cp: np.ndarray, at: np.ndarray, filler: np.ndarray) -> np.ndarray:
    """The positions ``at[k]`` (in order) with nothing but ``filler`` code points up to
    ``at[k + 1]``: checked character by character for all of them at once, dropping each as
    soon as another character shows (most have a word right after them)."""
    k = np.arange(len(at) - 1)
    step = 1
    out = []
    while k.size:
        pos = at[k] + step
        reached = pos == at[k + 1]
        out.append(at[k[reached]])
        k = k[~reached]
        k = k[np.isin(cp[at[k] + step], filler)]
        step += 1
    return np.concatenate(out) if out else at[:0]


# --- MT302 dangling fragment ----------------------------------------------------------------------

_SPEECH = ("said|did|added|stressed|emphasized|emphasised|explained|noted|continued|argued|"
           "insisted|claimed|stated|told|pointed out")
_DANGLING = re.compile(
    r"(?P<close>[.!?,])[ \t]?[”\"’](?P<frag>[ \t]*(?:he|she|they|we)[ \t]+(?P<verb>" + _SPEECH
    + r"))(?P<end>[ \t]*\.|(?=[ \t]+[A-Z]))")


@detector("MT302", "dangling-fragment", "artifact", "warning",
          "Dangling fragment after a closed quote: the Korean quotative rendered as `” he did.`.",
          "A speech tag that cannot attach to the quote before it: `he did` after any closing "
          "quote (followed by a full stop or a new sentence), or `he said` after a quote closed "
          "by a full stop and run into the next sentence (`.” he said North Korea`). Removed by "
          "clean.")
def dangling_fragment(text: str) -> list[Hit]:
    """Spans such as `` he did.`` that dangle after a closing quote.

    >>> [h.text for h in _show(dangling_fragment, "for testing.” he did North Korea plans")]
    [' he did']
    >>> [h.text for h in _show(dangling_fragment, "development. ” he did. Expanding")]
    [' he did.']
    >>> [h.text for h in _show(dangling_fragment, "in tests.” he said North Korea plans")]
    [' he said']
    >>> dangling_fragment("“We will win,” he said. “Where?” she asked. “No.” he said.")
    []
    """
    hits = []
    for m in _DANGLING.finditer(text):
        verb, close = m.group("verb"), m.group("close")
        if verb != "did" and (close != "." or m.group("end")):
            continue
        s, e = m.start("frag"), m.end("end")
        hits.append(Hit(s, e, f"dangling {text[s:e].strip()!r} after a closed quote"))
    return hits


_SPEAKERS = WordSet(["he", "she", "they", "we"])
_SPEECH_WORDS = WordSet(w.split()[0] for w in _SPEECH.split("|") if len(w.split()[0]) <= MAX_CODE_LETTERS)
_CLOSING_QUOTES = np.array([ord(c) for c in "”\"’"], dtype=np.uint32)
_MARKS_AND_COMMA = np.array([ord(c) for c in ".!?,"], dtype=np.uint32)


@gate("MT302")
def dangling_fragment_gate(words: WordTable) -> np.ndarray:
    """Per text, whether :func:`dangling_fragment` can find anything: ``he``, ``she``, ``they`` or
    ``we`` after a sentence mark or comma, a closing quote and spaces or tabs, then a speech verb
    (longer ones by length: their code is 0); unless the verb is ``did``, the mark is a full stop
    and a capitalised word follows (or the verb is ``pointed``, for ``pointed out``).

    >>> dangling_fragment_gate(WordTable.build(["testing.” he did North", "win,” he said. Yes",
    ...                                         "tests.” he said North Korea", "he did it"])).tolist()
    [True, False, True, False]
    """
    c, lower, cp, gap = words.code, words.initial_lower, words.cp, words.gap_other
    if len(c) < 2:
        return np.zeros(len(words.offsets) - 1, dtype=bool)
    who = np.flatnonzero(lower[:-1] & (gap[:-1] == 0))
    who = who[_SPEAKERS.contains(c[who])]
    verb = c[who + 1]
    who = who[_SPEECH_WORDS.contains(verb) | (verb == 0)]
    # Back from the speaker over spaces and tabs to a closing quote, then over at most one space
    # or tab to the mark.
    at = words.starts[who] - 1
    while True:
        blank = (at >= 0) & np.isin(cp[np.maximum(at, 0)], _BLANKS)
        if not blank.any():
            break
        at = np.where(blank, at - 1, at)
    keep = (at >= 1) & np.isin(cp[np.maximum(at, 0)], _CLOSING_QUOTES)
    who, at = who[keep], at[keep] - 1
    at = np.where(np.isin(cp[at], _BLANKS) & (at >= 1), at - 1, at)
    keep = np.isin(cp[at], _MARKS_AND_COMMA)
    who, mark = who[keep], cp[at[keep]]
    verb = c[who + 1]
    # Not "did": a full stop before the quote, and a capitalised word after the verb.
    after = np.minimum(who + 2, len(c) - 1)
    capital = (who + 2 < len(c)) & (gap[who + 1] == 0) & ((words.ascii[words.starts[after]] - 65) < 26)
    ok = (verb == code("did")) | (verb == code("pointed")) | ((mark == ord(".")) & capital)
    return words.texts_with(words.starts[who[ok]])


# --- MT303 missing sentence break -----------------------------------------------------------------

_STARTERS = ("This|These|Those|It|He|She|They|We|There|However|The|But|In|An|Its|His|Their|Our|"
             "Meanwhile|Also|Despite|After|When|While|If|As|According|Last|Earlier|Since")
_RUNIN = re.compile(r"(?P<cap>" + _STARTERS + r")[ \t]+(?P<next>[a-z]+)\b")
_PREV_WORD = re.compile(r"(?:^|(?<=[^\w’'-]))(?P<prev>[a-z][a-z’'-]*[a-z])$")
#: Words after which a capitalised ``The``/``It``… is a title or name, not a new sentence.
TITLE_CUES = frozenset("""
the a an of in on at by for to from with and or as like than called titled entitled named dubbed
film movie song album novel book show programme program series play musical single track magazine
newspaper band group star hit drama comedy sitcom game word words phrase slogan paper column
""".split())


@detector("MT303", "missing-sentence-break", "artifact", "warning",
          "Missing sentence break: a sentence runs into the next (`discussed This project`).",
          "A lower-case word followed by a capitalised sentence opener (This, It, He, They, The, "
          "However …) and a lower-case word, not after a title cue such as `film` or `called`. "
          "Fix: insert `.` (a zero-width span at the end of the first sentence).")
def missing_sentence_break(text: str) -> list[Hit]:
    """Zero-width spans where a period is missing, with ``fix='.'``.

    >>> t = "is also being discussed This project began"
    >>> [(h.start, h.fix) for h in missing_sentence_break(t)]
    [(23, '.')]
    >>> missing_sentence_break("the film The terminal and the song It ends")
    []
    """
    hits = []
    for m in _RUNIN.finditer(text):
        # The opener is found first (a fast literal search); the spaces before it must follow a
        # lower-case letter. Rejected matches hide no others: they end inside a lower-case word.
        pos = m.start()
        while pos > 0 and text[pos - 1] in " \t":
            pos -= 1
        if pos == m.start() or pos == 0 or not "a" <= text[pos - 1] <= "z":
            continue
        before = _PREV_WORD.search(text, max(0, pos - 40), pos)
        if before is None or before.group("prev") in TITLE_CUES:
            continue
        hits.append(Hit(pos, pos, f"missing period before {m.group('cap')!r}: "
                        f"{text[before.start():m.end()]!r}", fix="."))
    return hits


_TITLE_CUE_WORDS = WordSet(w for w in TITLE_CUES if len(w) <= MAX_CODE_LETTERS)
_JOINERS = np.array([ord(c) for c in "’'-"], dtype=np.uint32)
_STARTER_WORDS = WordSet(w for w in _STARTERS.split("|") if len(w) <= MAX_CODE_LETTERS)
_LONG_STARTER_WORDS = frozenset(w for w in _STARTERS.split("|") if len(w) > MAX_CODE_LETTERS)
_LONG_STARTERS = np.array(sorted({len(w) for w in _LONG_STARTER_WORDS}))


@gate("MT303")
def missing_sentence_break_gate(words: WordTable) -> np.ndarray:
    """Per text, whether :func:`missing_sentence_break` can find anything: a word ending in
    ``a-z``, only spaces or tabs, a capitalised opener (longer ones by length: their code is 0),
    only spaces or tabs, and a word starting lower-case.

    >>> missing_sentence_break_gate(WordTable.build(["was discussed This project",
    ...                                              "discussed. This project", "so\tMeanwhile b"])).tolist()
    [True, False, True]
    """
    if len(words.starts) < 3:
        return np.zeros(len(words.offsets) - 1, dtype=bool)
    lower, blank = words.initial_lower, words.gap_other == 0
    # Cheap tests on every word first, the rest on the few words that pass them.
    found = np.flatnonzero(~lower[1:-1] & blank[:-2] & blank[1:-1] & lower[2:]) + 1
    c, length = words.code[found], words.ends[found] - words.starts[found]
    found = found[_STARTER_WORDS.contains(c) | ((c == 0) & np.isin(length, _LONG_STARTERS))]
    # The word before must end in a-z and not be a title cue (it is the word the detector
    # checks, unless an apostrophe or hyphen joins it to the one before).
    before = words.starts[found - 1]
    cue = (_TITLE_CUE_WORDS.contains(words.code[found - 1])
           & ~np.isin(words.cp[np.maximum(before - 1, 0)], _JOINERS))
    last = words.cp[words.ends[found - 1] - 1]
    found = found[(last - 97 < 26) & ~cue]  # unsigned: below 'a' wraps round
    # An opener too long for a code is checked by its text.
    long = np.flatnonzero(words.code[found] == 0)
    keep = np.ones(len(found), dtype=bool)
    keep[long] = [words.text[s:e] in _LONG_STARTER_WORDS
                  for s, e in zip(words.starts[found[long]].tolist(), words.ends[found[long]].tolist(),
                                  strict=True)]
    return words.texts_with(words.starts[found[keep]])


# --- MT304 period splitting a phrase ---------------------------------------------------------------

_LOWER_AFTER_PERIOD = re.compile(r"\b(?P<prev>[a-z]{3,})(?P<dot>\.)[ \t]+(?P<next>[a-z]{2,})\b")
_DOT_LOWER = re.compile(r"\.[ \t]+[a-z]{2,}\b")
#: Used through :func:`_after_word_boundary` (a leading ``\\b``, checked there, is slow to scan).
_NAME_SPLIT = re.compile(r"(?P<a>[A-Z][a-z]++)(?P<dot>\.)[ \t]+(?P<b>[A-Z][a-z]+)\b")
_WORD_CHAR = re.compile(r"\w")
#: Every two capitalised words with only spaces or tabs between them, overlapping ("New York City":
#: both pairs): at least as many as ``\bA[ \t]+B\b`` finds of each pair.
_CAPITAL_PAIRS = re.compile(r"\b([A-Z][a-z]+)[ \t]+(?=([A-Z][a-z]+)\b)")


def _after_word_boundary(rx: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """The matches ``re.finditer(r"\\b" + rx.pattern, text)`` would give, for a pattern that
    starts with a word character: ``\\b`` first makes ``re`` try every position, while ``rx``
    alone is searched fast by its first character. A match not at a word boundary is skipped and
    the search resumes one character later, as ``re`` itself would.

    >>> [m.group() for m in _after_word_boundary(re.compile("ab"), "ab cab ab")]
    ['ab', 'ab']
    """
    pos = 0
    while (m := rx.search(text, pos)) is not None:
        s = m.start()
        if s > 0 and _WORD_CHAR.match(text, s - 1):
            pos = s + 1
            continue
        yield m
        pos = m.end() if m.end() > s else s + 1


@detector("MT304", "split-phrase", "artifact", "warning",
          "A period splits a phrase or name (`appropriate land. equipment`, `the North. Korea`).",
          "A period between two lower-case words (not after an abbreviation), or between two "
          "capitalised words that the same document writes elsewhere as one name at least "
          "twice. Fix: remove the period.")
def split_phrase(text: str) -> list[Hit]:
    """The stray period (span of one character) inside a phrase.

    >>> t = "provide appropriate land. equipment or the North. Korea, said North Korea and North Korea"
    >>> [(h.start, text) for h, text in zip(split_phrase(t), ["land.", "North."])]
    [(24, 'land.'), (48, 'North.')]
    >>> split_phrase("approx. five, e.g. this, at 5 p.m. today. And then the U.S. officials")
    []
    """
    hits = []
    # The pattern is slow to scan (it starts at every lower-case word); the dot and the word
    # after it are fast to find and rare, so look for them first.
    lower = _LOWER_AFTER_PERIOD.finditer(text) if _DOT_LOWER.search(text) else ()
    for m in lower:
        if m.group("prev") in ABBREVIATIONS:
            continue
        hits.append(Hit(m.start("dot"), m.end("dot"),
                        f"period splits {m.group('prev')!r} from {m.group('next')!r}"))
    pairs: Counter[tuple[str, str]] | None = None
    for m in _after_word_boundary(_NAME_SPLIT, text):
        a, b = m.group("a"), m.group("b")
        if a.lower() in ABBREVIATIONS:
            continue
        if pairs is None:  # counted once per text: the checks below each read the whole text
            pairs = Counter(_CAPITAL_PAIRS.findall(text))
        if pairs[(a, b)] < 2 or text.count(f"{a} {b}") < 2:
            continue
        joined = len(re.findall(r"\b" + a + r"[ \t]+" + b + r"\b", text))
        if joined >= 2:
            hits.append(Hit(m.start("dot"), m.end("dot"),
                            f"period splits the name {a + ' ' + b!r} (written whole {joined}×)",
                            score=min(1.0, joined / 4)))
    return sorted(hits, key=lambda h: h.start)


_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9], dtype=np.uint64)


@gate("MT304")
def split_phrase_gate(words: WordTable) -> np.ndarray:
    """Per text, whether :func:`split_phrase` can find anything: two words with exactly ``.``
    and spaces or tabs between them, either both starting lower-case (at least three and two
    letters) or both capitalised and written elsewhere in the text, as the same two words (up
    to case), with only spaces or tabs between them at least twice.

    >>> split_phrase_gate(WordTable.build(["land. equipment", "the North. Korea and North Korea, "
    ...                                    "North Korea", "the North. Korea", "Mr. Smith"])).tolist()
    [True, True, False, False]
    """
    c, lower, doc = words.code, words.initial_lower, words.doc
    # Exactly "." and spaces or tabs up to the next word.
    dot = np.flatnonzero(words.gap_other[:-1] == 1)
    dot = dot[(words.cp[words.ends[dot]] == ord(".")) & (words.starts[dot + 1] - words.ends[dot] >= 2)]
    low = dot[lower[dot] & lower[dot + 1] & (words.ends[dot] - words.starts[dot] >= 3)
              & (words.ends[dot + 1] - words.starts[dot + 1] >= 2)]
    found = words.texts_with(words.starts[low])
    names = dot[~lower[dot] & ~lower[dot + 1]]
    names = names[~found[doc[names]]]
    if not names.size:
        return found
    # Each pair of capitalised words (of a text with a candidate) as one number, equal for
    # equal pairs.
    pairs = np.flatnonzero((words.gap_other[:-1] == 0) & ~lower[:-1] & ~lower[1:])
    pairs = pairs[words.texts_with(words.starts[names])[doc[pairs]]]

    def key(i: np.ndarray) -> np.ndarray:
        return c[i] * _MIX[0] ^ c[i + 1] * _MIX[1] ^ doc[i].astype(np.uint64) * _MIX[2]

    joined, times = sorting.unique(key(pairs), return_counts=True)
    k = np.minimum(np.searchsorted(joined, key(names)), max(len(joined) - 1, 0))
    twice = (joined[k] == key(names)) & (times[k] >= 2) if len(joined) else np.zeros(len(names), bool)
    return found | words.texts_with(words.starts[names[twice]])


# --- MT305 orphan letter --------------------------------------------------------------------------

_ORPHAN = re.compile(r"\b(?P<prev>[a-z]{2,})(?P<orph>[ \t]+[b-hj-uwyz])(?=[ \t]+[a-z]{2,}\b)")
_ORPHAN_HINT = re.compile(r" [b-hj-uwyz][ \t]")


@detector("MT305", "orphan-letter", "artifact", "warning",
          "A stray one-letter word that is not `a` or `I` (`announced or u publish`).",
          "A lower-case single letter other than a/i/v/x (versus, times) between two lower-case words. Removed by "
          "clean (the span includes the space before it).")
def orphan_letter(text: str) -> list[Hit]:
    """Spans `` u`` of stray letters.

    >>> [h.text for h in _show(orphan_letter, "should not be announced or u publish.")]
    [' u']
    >>> orphan_letter("a cat and I saw a dog, Plan B and vitamin C")
    []
    """
    if "\t" not in text and not _ORPHAN_HINT.search(text):
        return []  # every match has a space (or tab) before the letter and one after it
    return [Hit(m.start("orph"), m.end("orph"), f"stray letter {m.group('orph').strip()!r}")
            for m in _ORPHAN.finditer(text)]


_ORPHAN_CODES = np.array(sorted(code(ch) for ch in "bcdefghjklmnopqrstuwyz"), dtype=np.uint64)


@gate("MT305")
def orphan_letter_gate(words: WordTable) -> np.ndarray:
    """Per text, whether :func:`orphan_letter` can find anything: a lower-case word of two or
    more letters, spaces or tabs, one of the stray letters, spaces or tabs, and another such word.

    >>> orphan_letter_gate(WordTable.build(["announced or u publish", "or a plan", "Plan B now"])).tolist()
    [True, False, False]
    """
    if len(words.starts) < 3:
        return np.zeros(len(words.offsets) - 1, dtype=bool)
    c = words.code[1:-1]
    found = np.flatnonzero((c >= _ORPHAN_CODES[0]) & (c <= _ORPHAN_CODES[-1])) + 1
    lower, gap = words.initial_lower, words.gap_other
    found = found[np.isin(words.code[found], _ORPHAN_CODES) & (gap[found - 1] == 0) & (gap[found] == 0)
                  & lower[found - 1] & lower[found + 1]
                  & (words.ends[found - 1] - words.starts[found - 1] >= 2)
                  & (words.ends[found + 1] - words.starts[found + 1] >= 2)]
    return words.texts_with(words.starts[found])


# --- MT306 repeated word --------------------------------------------------------------------------

_REPEAT = re.compile(r"\b(?P<w>[A-Za-z]+)(?P<rep>(?:[ \t]+(?P=w))+)\b(?![-'’])", re.I)
#: Words a repeated phrase may consist of (``of the of the``); coordination (``on and on``) is not.
PHRASE_WORDS = frozenset("""the a an of to from by with in on at for into onto about over under this
that these those its his their our your my being""".split())
_PW = "|".join(sorted(PHRASE_WORDS, key=lambda w: (-len(w), w)))
_REPEAT_PHRASE = re.compile(rf"\b(?P<p>(?:{_PW})(?:[ \t]+(?:{_PW})){{1,3}})(?P<rep>[ \t]+(?P=p))\b(?![-'’])")


@detector("MT306", "repeated-word", "artifact", "warning",
          "A word or phrase repeated back to back (`the the`, `in the in the`).",
          "An article, auxiliary or preposition that English never doubles (not `had had`, "
          "`that that`, `in in`), or a 2–4 word phrase of prepositions and determiners "
          "(`of the of the`; not `what will be will be`), "
          "immediately repeated. Removed by clean (the repetition only).")
def repeated_word(text: str) -> list[Hit]:
    """The repeated copy (with the space before it).

    >>> [h.text for h in _show(repeated_word, "in the the house and of the of the middle")]
    [' the', ' of the']
    >>> repeated_word("He had had enough; bye bye, on and on, waiting for for years, in in-fighting")
    []
    """
    hits = []
    for m in _REPEAT.finditer(text):
        if m.group("w").lower() in NEVER_DOUBLED:
            hits.append(Hit(m.start("rep"), m.end("rep"), f"repeated word {m.group('w')!r}"))
    for m in _REPEAT_PHRASE.finditer(text):
        words = m.group("p").split()
        if len(set(words)) < len(words) or not all(w in PHRASE_WORDS for w in words):
            continue
        if not any(h.start <= m.start("rep") < h.end for h in hits):
            hits.append(Hit(m.start("rep"), m.end("rep"), f"repeated phrase {m.group('p')!r}"))
    return sorted(hits, key=lambda h: h.start)


_NEVER_WORDS = WordSet(NEVER_DOUBLED)
_PHRASE_WORDS = WordSet(PHRASE_WORDS)


@gate("MT306")
def repeated_word_gate(words: WordTable) -> np.ndarray:
    """Per text, whether :func:`repeated_word` can find anything: a word it never doubles followed
    by the same word (or one with non-ASCII letters, which ``re.I`` may equate), or a run of 2–4
    phrase words followed by the same run, with only spaces or tabs between them.

    >>> repeated_word_gate(WordTable.build(["of the of the", "it is the end", "The\tTHE"])).tolist()
    [True, False, True]
    """
    c, blank = words.code, words.gap_other == 0
    # Cheap tests on every word first (equal codes), the rest on the few words that pass them.
    single = np.flatnonzero((c[1:] == c[:-1]) | (c[1:] == NON_ASCII))
    single = single[_NEVER_WORDS.contains(c[single]) & blank[single]]
    found = [single]
    for k in (2, 3, 4):
        m = len(c) - 2 * k + 1
        if m <= 0:
            break
        run = np.flatnonzero(c[:m] == c[k:k + m])
        for j in range(k):
            run = run[_PHRASE_WORDS.contains(c[run + j]) & (c[run + j] == c[run + k + j])]
        for g in range(2 * k - 1):
            run = run[blank[run + g]]
        found.append(run)
    return words.texts_with(words.starts[np.concatenate(found)])


# --- MT307 foreign script -------------------------------------------------------------------------

#: (first, last, script) ranges of scripts that do not belong inside English text.
FOREIGN_SCRIPTS = (
    ("\u0370", "\u03ff", "Greek"), ("\u0400", "\u052f", "Cyrillic"), ("\u0590", "\u05ff", "Hebrew"),
    ("\u0600", "\u06ff", "Arabic"), ("\u0900", "\u097f", "Devanagari"), ("\u0e00", "\u0e7f", "Thai"),
    ("\u1100", "\u11ff", "Hangul"), ("\u3040", "\u30ff", "Kana"), ("\u3130", "\u318f", "Hangul"),
    ("\u3400", "\u4dbf", "CJK"), ("\u4e00", "\u9fff", "CJK"), ("\uac00", "\ud7af", "Hangul"),
    ("\uf900", "\ufaff", "CJK"),
)
_FCLASS = "".join(f"{a}-{b}" for a, b, _ in FOREIGN_SCRIPTS)
_FOREIGN_RUN = re.compile(f"[{_FCLASS}]+(?:[ \\t]+[{_FCLASS}]+)*")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")


def script_of(ch: str) -> str:
    """Script name of a character (``Latin``/``Other`` outside :data:`FOREIGN_SCRIPTS`).

    >>> script_of("한"), script_of("ж"), script_of("e")
    ('Hangul', 'Cyrillic', 'Other')
    """
    for a, b, name in FOREIGN_SCRIPTS:
        if a <= ch <= b:
            return name
    return "Other"


@detector("MT307", "foreign-script", "artifact", "warning",
          "Leftover foreign script inside English (Hangul, CJK, Cyrillic …).",
          "A run of letters of another script inside a line whose letters are mostly Latin "
          "(a line mostly in another script is a language switch, LANG401). Greek needs two "
          "letters (a lone α or μ is a symbol). Removed by clean.", by_line=True)
def foreign_script(text: str, spans: Spans | None = None) -> list[Hit]:
    """Runs of foreign-script words inside Latin-script lines.

    >>> [h.text for h in _show(foreign_script, "The talks (북한 회담) began in Москва today.")]
    ['북한 회담', 'Москва']
    >>> foreign_script("An angle α of 5 μm.\\n北朝鮮とロシアの首脳会談")
    []
    """
    hits: list[Hit] = []
    if text.isascii() or not _FOREIGN_RUN.search(text):
        return hits
    for s, e in line_spans(text) if spans is None else spans:
        line = text[s:e]
        runs = list(_FOREIGN_RUN.finditer(line))
        if not runs:
            continue
        foreign = sum(len(m.group().replace(" ", "")) for m in runs)
        if len(_LATIN.findall(line)) <= foreign:
            continue
        for m in runs:
            script = script_of(m.group()[0])
            if script == "Greek" and len(m.group()) < 2:
                continue
            hits.append(Hit(s + m.start(), s + m.end(), f"{script} script inside English text"))
    return hits


@gate("MT307")
def foreign_script_gate(words: WordTable) -> np.ndarray:
    """Per text, whether it has a letter of a script in :data:`FOREIGN_SCRIPTS` (without one,
    :func:`foreign_script` finds nothing).

    >>> foreign_script_gate(WordTable.build(["Москва", "naïve “café”", "北朝鮮"])).tolist()
    [True, False, True]
    """
    return words.texts_with(foreign_positions(words))


def foreign_positions(words: WordTable) -> np.ndarray:
    """Positions in ``words.text`` of the characters in one of :data:`FOREIGN_SCRIPTS`."""
    beyond = words.non_ascii
    v = words.cp[beyond]
    inside = np.zeros(len(beyond), dtype=bool)
    for a, b, _ in FOREIGN_SCRIPTS:
        inside |= (v >= ord(a)) & (v <= ord(b))
    return beyond[inside]


# --- MT308 unbalanced quotes and brackets -----------------------------------------------------------

_MARKS = re.compile(r"[“”()]")


def _marks(text: str) -> list[tuple[int, str]]:
    """``(position, mark)`` of every quote or bracket :data:`_MARKS` matches, in order: found
    with ``str.find``, which skips to the next one far faster than the pattern can.

    >>> _marks("a (“b”) c")
    [(2, '('), (3, '“'), (5, '”'), (6, ')')]
    """
    found = []
    for mark in "“”()":
        i = text.find(mark)
        while i >= 0:
            found.append((i, mark))
            i = text.find(mark, i + 1)
    found.sort()
    return found


@detector("MT308", "unbalanced-quote", "artifact", "warning",
          "Unbalanced curly quotes or brackets in a paragraph.",
          "An opening “ that another “ follows before any ”, a ” with nothing open, a “ still "
          "open at the end of the paragraph (a quote continued by the next paragraph opening "
          "with “ is fine), or a ( directly before a word that is never closed. Straight quotes "
          "are ambiguous and a lone ) is too often a list mark or smiley, so neither is checked. "
          "The span is the lone mark.")
def unbalanced_quote(text: str) -> list[Hit]:
    """The lone quote or bracket characters.

    >>> [h.start for h in unbalanced_quote("said, “Dual use (by them). “It seems,” he said.")]
    [6]
    >>> unbalanced_quote("“One.”\\n\\n“Two (2), continued\\n\\n“three.” 1) list :) or :(")
    []
    """
    if "“" not in text and "”" not in text and "(" not in text:
        return []  # nothing can be open
    marks = _marks(text)
    hits: list[Hit] = []
    # Marks go by paragraph (see blocks()): a blank line between two marks starts another. Only
    # the text between marks is searched for one, instead of splitting the whole text.
    k = 0
    while k < len(marks):
        end = k + 1
        while end < len(marks) and not BLANK_LINE.search(text, marks[end - 1][0] + 1, marks[end][0]):
            end += 1
        quote: int | None = None
        parens: list[int] = []
        for j, c in marks[k:end]:
            if c == "“":
                if quote is not None:
                    hits.append(Hit(quote, quote + 1, "quote opened and never closed"))
                quote = j
            elif c == "”":
                if quote is None:
                    hits.append(Hit(j, j + 1, "closing quote without an opening one"))
                quote = None
            elif c == "(":
                parens.append(j)
            elif c == ")" and parens:
                parens.pop()
        if quote is not None:  # fine if the next paragraph opens with “
            sep = BLANK_LINE.search(text, quote)
            nxt = NON_SPACE.search(text, sep.start()) if sep else None
            if nxt is None or text[nxt.start()] != "“":
                hits.append(Hit(quote, quote + 1, "quote opened and never closed"))
        # A mark right after the bracket is in its paragraph.
        hits.extend(Hit(p, p + 1, "bracket opened and never closed") for p in parens
                    if p + 1 < len(text) and text[p + 1].isalnum())
        k = end
    return sorted(hits, key=lambda h: h.start)


# --- MT309 mojibake ---------------------------------------------------------------------------------

_NON_ASCII_TOKEN = re.compile(r"\S*[^\x00-\x7f]\S*")
#: Every non-ASCII character that ``str.isspace`` (and ``\\s``) calls whitespace.
NON_ASCII_SPACES = "\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_NON_ASCII_SPACE = re.compile(f"[{NON_ASCII_SPACES}]")


def non_ascii_tokens(text: str) -> list[str]:
    """``_NON_ASCII_TOKEN.findall(text)``: the tokens with a non-ASCII character. Where all
    whitespace is ASCII these are the whitespace-separated tokens that are not ASCII, which
    ``str.split`` finds much faster than the pattern (it tries every position of every token).

    >>> non_ascii_tokens("Il est né à Paris"), non_ascii_tokens("nbsp\xa0joins à b")
    (['né', 'à'], ['nbsp\xa0joins', 'à'])
    """
    if _NON_ASCII_SPACE.search(text):
        return _NON_ASCII_TOKEN.findall(text)
    return [w for w in text.split() if not w.isascii()]


@detector("MT309", "mojibake", "artifact", "warning",
          "Mojibake: text decoded with the wrong encoding (`donâ€™t`).",
          "Tokens that ftfy's badness heuristic flags and `ftfy.fix_encoding` repairs. Fix: the "
          "repaired token.")
def mojibake(text: str) -> list[Hit]:
    """Tokens with mojibake, their ftfy repair as ``fix``.

    >>> [(h.text, h.fix) for h in _show(mojibake, "We donâ€™t know. CafÃ© open.")]
    [('donâ€™t', 'don’t'), ('CafÃ©', 'Café')]
    >>> mojibake("Café naïve “quoted” — Москва")
    []
    """
    if text.isascii() or not is_bad(" ".join(non_ascii_tokens(text))):
        return []
    hits: list[Hit] = []
    seen = -1
    for m in BADNESS_RE.finditer(text):
        if m.start() < seen:
            continue
        s, e = m.start(), m.end()
        while s > 0 and not text[s - 1].isspace():
            s -= 1
        while e < len(text) and not text[e].isspace():
            e += 1
        seen = e
        fixed = ftfy.fix_encoding(text[s:e])
        if fixed != text[s:e]:
            hits.append(Hit(s, e, f"mojibake, reads {fixed!r}", fix=fixed))
    return hits


# --- MT310 run-on paragraph ---------------------------------------------------------------------------

RUNON_MIN_CHARS = 3000
RUNON_RATIO = 5.0


@detector("MT310", "run-on-paragraph", "artifact", "info",
          "A paragraph far longer than the rest of its document (a translation dump).",
          f"A line of at least {RUNON_MIN_CHARS} characters and {RUNON_RATIO:g}× the median length "
          "of the document's other paragraphs (at least three of them). Advisory: the span is the "
          "whole paragraph and `dedup clean` does not remove info findings.", by_line=True)
def run_on_paragraph(text: str, spans: Spans | None = None) -> list[Hit]:
    """The whole over-long paragraph.

    >>> t = "\\n".join(["Short paragraph here."] * 4 + ["Long sentence goes on. " * 150])
    >>> [(h.start, h.end - h.start) for h in run_on_paragraph(t)]
    [(88, 3449)]
    """
    paras = [(s, e) for s, e in (line_spans(text) if spans is None else spans) if e - s >= 20]
    if len(paras) < 4:
        return []
    hits = []
    for i, (s, e) in enumerate(paras):
        n = e - s
        if n < RUNON_MIN_CHARS:
            continue
        med = statistics.median(b - a for j, (a, b) in enumerate(paras) if j != i)
        if n >= RUNON_RATIO * med:
            hits.append(Hit(s, e, f"paragraph of {n} characters, {n / med:.0f}× the median "
                            f"({med:.0f}) of this document", score=min(1.0, n / med / 20)))
    return hits


def _show(fn, text: str):
    """Doctest helper: the hits of ``fn`` with their text attached."""
    from types import SimpleNamespace

    return [SimpleNamespace(text=text[h.start:h.end], start=h.start, fix=h.fix) for h in fn(text)]
