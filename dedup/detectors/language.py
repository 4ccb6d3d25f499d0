"""Language (``LANG4xx``, kind ``language``): the document language and passages in another one.

langdetect is slow (about 4 ms a paragraph; 2 ms with :mod:`.fastdetect`, which gives the same
answers), so it runs only where cheap statistics suggest a change: the share of English function
words for Latin-script text, and the script of the letters.
An English document is recognised from function words alone; langdetect (seeded,
``DetectorFactory.seed = 0``) is asked only about other documents and about candidate passages,
each on a bounded sample.

>>> document_language("The talks between the two leaders were held on Tuesday in the capital.")
('en', 1.0)
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from .artifacts import FOREIGN_SCRIPTS, foreign_positions, script_of
from .base import Hit, detector
from .words import WordSet, WordTable

#: The most frequent English words; they make up 40–50 % of running English text.
EN_FUNCTION_WORDS = frozenset("""
the of and to in a is that for it was on with as he be by at his this from have are an had not but
were they which has been their its or you will would we i she her said there who can more also
one all if about than them so up out what when into after our could over no may should these
your my me him us do does did don t s let get just how why where very any only then now here
""".split())

_EN_WORDS = WordSet(EN_FUNCTION_WORDS)

#: The start of a document that decides its language.
DOC_SAMPLE = 2000
#: Share of function words above which Latin text is English without asking langdetect.
EN_MIN_SHARE = 0.2
#: Share below which a Latin-script sentence of an English document is a candidate switch.
SWITCH_MAX_SHARE = 0.08
#: Characters that make a gap between two words code rather than running text (a path, a URL's
#: query, an address, markup), as does a digit right after a word (``libnss3``, ``rfc3339``): a
#: Latin sentence with such a gap is a language-switch candidate only if most of its gaps are
#: spaces alone.
CODE_SYMBOLS = "/\\=_@<>{}[]|#*+~^$"
_CODE_BYTES = np.zeros(256, dtype=bool)
_CODE_BYTES[[ord(c) for c in CODE_SYMBOLS]] = True
#: A candidate passage needs this many letters, and langdetect this probability, to be reported.
MIN_LETTERS = 40
MIN_PROB = 0.95
SAMPLE_CHARS = 600

_WORDS = re.compile(r"[^\W\d_]+")
_LETTER = re.compile(r"[^\W\d_]")
_SENTENCE = re.compile(r"[^.!?。！？\n]+(?:[.!?。！？]+[”\"’)]*|$)", re.M)
#: Class of each code point below U+FFFF for :func:`sentence_spans` (above it: free).
_FREE, _MARK, _NEWLINE, _CLOSER = 0, 1, 2, 3
_CLASS = np.zeros(0x10000, dtype=np.uint8)  # U+FFFF and beyond: free
_CLASS[[ord(c) for c in ".!?。！？"]] = _MARK
_CLASS[ord("\n")] = _NEWLINE
_CLASS[[ord(c) for c in "”\"’)"]] = _CLOSER
_CLASS.flags.writeable = False
_FCLASS = "".join(f"{a}-{b}" for a, b, _ in FOREIGN_SCRIPTS)
_FOREIGN = re.compile(f"[{_FCLASS}]")
_FOREIGN_RUNS = re.compile(f"[{_FCLASS}]+")
_SCRIPT: dict[str, str] = {}  # script_of each foreign letter met
#: Foreign-script letters with anything but Latin letters and line breaks between them.
_FOREIGN_STRETCH = re.compile(f"[{_FCLASS}](?:[^A-Za-z\u00c0-\u024f\n]*[{_FCLASS}])*")


Detect = Callable[[str], "tuple[str, float] | None"]


def remembering_detect() -> Detect:
    """langdetect's answer for each distinct sample, asked once (for one run over a corpus:
    scraped corpora repeat themselves, and seeded langdetect always gives the same answer).

    >>> detect = remembering_detect()
    >>> detect("Это предложение написано по-русски.") == detect("Это предложение написано по-русски.")
    True
    """
    memo: dict[str, tuple[str, float] | None] = {}

    def detect(sample: str) -> tuple[str, float] | None:
        if sample not in memo:
            memo[sample] = _detect(sample)
        return memo[sample]

    return detect


def _detect(sample: str) -> tuple[str, float] | None:
    """Top language and probability from langdetect, seeded; ``None`` if it cannot tell."""
    from langdetect.lang_detect_exception import LangDetectException

    from .fastdetect import detect_langs  # langdetect's answers, seeded, faster

    try:
        best = detect_langs(sample)[0]
    except LangDetectException:
        return None
    return best.lang, float(best.prob)


def english_share(words: list[str]) -> float:
    """Share of ``words`` that are English function words.

    >>> english_share("the cat sat on a mat".split())
    0.5
    """
    if not words:
        return 0.0
    return sum(map(EN_FUNCTION_WORDS.__contains__, map(str.lower, words))) / len(words)


def _has_foreign(text: str) -> bool:
    return not text.isascii() and _FOREIGN.search(text) is not None


def main_script(text: str) -> str | None:
    """``Latin`` or the foreign script most letters of ``text`` are in (``None``: no letters).

    >>> main_script("Привет, как дела? ok"), main_script("Hello 한"), main_script("12 + 3")
    ('Cyrillic', 'Latin', None)
    """
    if not _has_foreign(text):
        return "Latin" if _LETTER.search(text) else None
    letters = len(text) - len(_WORDS.sub("", text))
    counts: dict[str, int] = {}
    for c, k in Counter("".join(_FOREIGN_RUNS.findall(text))).items():  # each distinct letter's script once
        name = _SCRIPT.get(c)
        if name is None:
            name = _SCRIPT[c] = script_of(c)
        counts[name] = counts.get(name, 0) + k
    if sum(counts.values()) * 2 <= letters:
        return "Latin"
    return max(sorted(counts), key=counts.__getitem__)


def document_language(text: str) -> tuple[str | None, float]:
    """``(language code, confidence)`` of a document; ``(None, 0.0)`` without enough letters.

    >>> document_language("Москва — столица России, крупнейший город страны.")[0]
    'ru'
    >>> document_language("")
    (None, 0.0)
    """
    return document_languages([text])[0]


def document_languages(texts: Sequence[str], words: WordTable | None = None,
                       detect: Detect | None = None, scripts: Sequence[str | None] | None = None
                       ) -> list[tuple[str | None, float]]:
    """:func:`document_language` of each text; ``words`` (their :class:`WordTable`, built if not
    given) counts the letters and function words of every text at once (``scripts``: their
    :func:`sample_scripts`, found if not given).

    The sample is the first :data:`DOC_SAMPLE` characters: English if its letters are Latin and
    function words make up :data:`EN_MIN_SHARE` of its five or more words. Otherwise a text of
    fewer than :data:`MIN_LETTERS` letters gets no language (langdetect cannot tell such short
    texts apart: it calls "Good evening." Danish), and langdetect decides on the rest, from up
    to :data:`SAMPLE_CHARS` characters taken from the start, middle and end.

    >>> [lang for lang, _ in document_languages(["Good evening.", "Guten Abend, meine Damen "
    ...                                          "und Herren, willkommen zu Hause."])]
    [None, 'de']
    """
    words = WordTable.build(texts) if words is None else words
    detect = _detect if detect is None else detect
    out: list[tuple[str | None, float]] = []
    for text, known in zip(texts, _known_languages(texts, words, scripts), strict=True):
        if known is not None:
            out.append(known)
        else:
            step = max(1, len(text) // 3)
            got = detect(" ".join(text[i:i + SAMPLE_CHARS // 3]
                                  for i in range(0, len(text), step))[:SAMPLE_CHARS])
            out.append(got if got else (None, 0.0))
    return out


def _known_languages(texts: Sequence[str], words: WordTable, scripts: Sequence[str | None] | None = None
                     ) -> list[tuple[str | None, float] | None]:
    """What :func:`document_languages` decides without langdetect: English, or no language (no
    letters, or too few); None where langdetect decides."""
    counts, english = _sample_counts(texts, words)
    letters = np.bincount(words.doc, weights=words.ends - words.starts, minlength=len(texts)).tolist()
    scripts = sample_scripts(texts, words) if scripts is None else scripts
    out: list[tuple[str | None, float] | None] = []
    for n, fw, size, script in zip(counts, english, letters, scripts, strict=True):
        if script is None or (script == "Latin" and n >= 5 and fw / n >= EN_MIN_SHARE):
            out.append((None, 0.0) if script is None else ("en", 1.0))
        else:
            out.append((None, 0.0) if size < MIN_LETTERS else None)
    return out


def langdetect_share(texts: Sequence[str], sample: int = 400) -> float:
    """The share of ``texts`` whose language langdetect decides, estimated on the starts of at most
    ``sample`` of them, evenly spaced."""
    if not texts:
        return 0.0
    # each text's start decides (DOC_SAMPLE characters; only the count of letters reads further)
    picked = [t[:DOC_SAMPLE] for t in texts[::-(-len(texts) // sample)]]
    return sum(known is None for known in _known_languages(picked, WordTable.build(picked))) / len(picked)


def sample_scripts(texts: Sequence[str], words: WordTable) -> list[str | None]:
    """``main_script(text[:DOC_SAMPLE])`` of each text: from ``words`` where the sample has no
    foreign letter (``Latin`` if it has a letter at all), else from the sample itself."""
    foreign = foreign_positions(words)
    local = foreign - words.offsets[np.searchsorted(words.offsets, foreign, side="right") - 1]
    mixed = words.texts_with(foreign[local < DOC_SAMPLE]).tolist()
    lettered = np.bincount(words.doc[words.starts - words.offsets[words.doc] < DOC_SAMPLE],
                           minlength=len(texts)).tolist()
    return [main_script(text[:DOC_SAMPLE]) if mix else "Latin" if n else None
            for text, mix, n in zip(texts, mixed, lettered, strict=True)]


def _sample_counts(texts: Sequence[str], words: WordTable) -> tuple[list[int], list[int]]:
    """Per text: the words of its sample, and how many are English function words (what
    ``english_share(_WORDS.findall(text[:DOC_SAMPLE]))`` divides)."""
    local_start = words.starts - words.offsets[words.doc]
    inside = local_start < DOC_SAMPLE
    whole = words.ends - words.offsets[words.doc] <= DOC_SAMPLE
    counts = np.bincount(words.doc[inside], minlength=len(texts)).tolist()
    english = np.bincount(words.doc[whole & words.among(_EN_WORDS)],
                          minlength=len(texts)).tolist()
    for i in np.flatnonzero(inside & ~whole).tolist():  # a word the sample's end cuts
        d, s = int(words.doc[i]), int(local_start[i])
        english[d] += texts[d][s:DOC_SAMPLE].lower() in EN_FUNCTION_WORDS
    return counts, english


def _candidate(sentence: str, doc_lang: str, doc_script: str) -> bool:
    letters = len(sentence) - len(_WORDS.sub("", sentence))
    if letters < MIN_LETTERS or "http" in sentence or "www" in sentence:
        return False
    script = main_script(sentence)
    if script != doc_script:
        return True
    if doc_lang == "en" and script == "Latin":
        found = list(_WORDS.finditer(sentence))
        words = [m.group() for m in found]
        lower = sum(w[0].islower() for w in words)
        gaps = [sentence[a.end():b.start()] for a, b in itertools.pairwise(found)]
        # running text, not a path, an address, code or a header: most words apart by spaces
        # alone, or no symbol of code between any two of them
        blank = sum(not gap.strip(" \t") for gap in gaps)
        code = sum(gap[0].isdigit() or any(c in CODE_SYMBOLS for c in gap) for gap in gaps)
        return (len(words) >= 6 and 2 * lower >= len(words) and (2 * blank >= len(words) - 1 or code == 0)
                and english_share(words) < SWITCH_MAX_SHARE)
    return False


def language_switches(text: str, doc_lang: str | None = None) -> list[Hit]:
    """Passages whose language differs from the document's, with langdetect's probability.

    >>> t = ("The meeting was held in the capital and it was a success for both of them. "
    ...      "Российская сторона заявила о готовности к сотрудничеству в этой области. "
    ...      "The talks will continue next year.")
    >>> [(t[h.start:h.start + 11], h.message) for h in language_switches(t)]
    [('Российская ', 'passage in ru (p=1.00) inside an en document')]
    """
    if doc_lang is None:
        doc_lang = document_language(text)[0]
    return find_language_switches([text], [doc_lang])[0]


def find_language_switches(texts: Sequence[str], langs: Sequence[str | None],
                           words: WordTable | None = None, detect: Detect | None = None,
                           scripts: Sequence[str | None] | None = None) -> list[list[Hit]]:
    """:func:`language_switches` of each text in the language ``langs[i]`` (``None``: none).

    In an English document written in Latin letters only, the word statistics of every
    sentence come from ``words`` (built if not given) in bulk, and only the sentences they
    single out are checked one by one.
    """
    words = WordTable.build(texts) if words is None else words
    detect = _detect if detect is None else detect
    scripts = sample_scripts(texts, words) if scripts is None else scripts
    foreign = words.texts_with(foreign_positions(words)).tolist()
    latin_en = [lang == "en" and script == "Latin" and not f
                for lang, script, f in zip(langs, scripts, foreign, strict=True)]
    bulk = _latin_en_sentences(words, latin_en) if any(latin_en) else {}
    out = []
    for i, (text, doc_lang, doc_script) in enumerate(zip(texts, langs, scripts, strict=True)):
        if doc_lang is None or doc_script is None:
            out.append([])
            continue
        sentences = bulk.get(i, []) if latin_en[i] else [m.span() for m in _SENTENCE.finditer(text)]
        out.append(_switches(text, doc_lang, doc_script, sentences, foreign[i], detect))
    return out


def sentence_spans(cp: np.ndarray, punct: np.ndarray | None = None) -> np.ndarray:
    """``[m.span() for m in _SENTENCE.finditer(text)]`` as an ``(n, 2)`` array, from the code
    points ``cp`` of ``text``, in bulk (``punct``: the positions of the characters in
    :data:`~dedup.detectors.words.PUNCTUATION`, found if not given).

    A match of :data:`_SENTENCE` is a maximal run of *free* characters (neither a sentence mark
    nor ``\\n``), then the run of sentence marks after it and the closing quotes or brackets
    right after those. So each run of free characters makes one sentence, except for the closing
    marks at its start that the sentence before took (the run is then shorter, or gone); and the
    marks between two runs belong to the sentence before only if that run made one.

    >>> t = "Hi. “Yes.” he said!! ”.” ok\\n\\n. ”x"
    >>> cp = np.frombuffer(t.encode("utf-32-le"), dtype=np.uint32)
    >>> sentence_spans(cp).tolist() == [list(m.span()) for m in _SENTENCE.finditer(t)]
    True
    """
    n = len(cp)
    if punct is None:
        special = np.flatnonzero(np.take(_CLASS, cp, mode="clip"))
    else:
        special = punct[_CLASS[cp[punct]] != _FREE]
    kind = _CLASS[cp[special]]  # few: the work below is on them
    stops = special[kind != _CLOSER]  # marks and line breaks
    bounds = np.concatenate(([-1], stops, [n]))
    fs, fe = bounds[:-1] + 1, bounds[1:]
    fs, fe = fs[fe > fs], fe[fe > fs]  # the runs of free characters
    ms, me = _runs(special[kind == _MARK])
    cs, ce = _runs(special[kind == _CLOSER])

    def run_end(pos: np.ndarray, rs: np.ndarray, re_: np.ndarray) -> np.ndarray:
        """The end of the run (``rs``, ``re_``) that starts at each ``pos``, else ``pos``."""
        k = np.minimum(np.searchsorted(rs, pos), max(len(rs) - 1, 0))
        return np.where((k < len(rs)) & (rs[k] == pos), re_[k], pos) if len(rs) else pos

    # Only sentence marks (no line break) between a run and the one before: the sentence before
    # takes the marks and the closers at this run's start, if that run made a sentence at all.
    breaks = special[kind == _NEWLINE]
    marks_only = np.zeros(len(fs), dtype=bool)
    marks_only[1:] = np.searchsorted(breaks, fs[1:]) == np.searchsorted(breaks, fe[:-1])
    all_closers = run_end(fs, cs, ce) >= fe
    made = np.ones(len(fs), dtype=bool)
    for k in np.flatnonzero(marks_only & all_closers).tolist():  # rare: ”.” and the like
        made[k] = not made[k - 1]
    taken = marks_only & np.concatenate(([False], made[:-1]))
    start = np.where(taken, run_end(fs, cs, ce), fs)
    end = run_end(run_end(fe, ms, me), cs, ce)  # a run ends at marks, a line break or the end
    return np.stack([start, end], axis=1)[made].astype(np.int64)


def _runs(positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends of the runs of consecutive numbers in the sorted ``positions``."""
    gap = np.flatnonzero(np.diff(positions) != 1)
    return (np.concatenate((positions[:1], positions[gap + 1])),
            np.concatenate((positions[gap] + 1, positions[-1:] + 1)))


def _latin_en_sentences(words: WordTable, chosen: list[bool]) -> dict[int, list[tuple[int, int]]]:
    """Per chosen text, the sentences (spans) that could be in another language: enough
    letters, mostly lower-case words and few English function words (see :func:`_candidate`)."""
    spans = sentence_spans(words.cp, words.punct)
    # Words [first, last) of each sentence; per-sentence sums are differences of running sums.
    first, last = np.searchsorted(words.starts, spans[:, 0]), np.searchsorted(words.starts, spans[:, 1])

    def total(values: np.ndarray, end: np.ndarray = last) -> np.ndarray:
        """Per sentence, the sum of ``values`` over its words [first, end)."""
        running = np.concatenate(([0], np.cumsum(values, dtype=np.int64)))
        return running[end] - running[first]

    count = last - first
    letters, lower = total(words.ends - words.starts), total(words.initial_lower)
    # words followed by spaces alone (the last one's gap is past the sentence: a bound from above)
    blank = total(words.gap_other == 0)
    # gaps with a symbol of code, the last word's left out (past the sentence: exact)
    symbol = np.flatnonzero(_CODE_BYTES[words.ascii])
    coded = np.zeros(len(words.starts), dtype=bool)
    coded[:-1] = ((np.searchsorted(symbol, words.starts[1:]) > np.searchsorted(symbol, words.ends[:-1]))
                  | (words.cp[words.ends[:-1]] - 48 < 10))  # or a digit right after the word
    code = total(coded, np.maximum(last - 1, first))
    english = total(words.among(_EN_WORDS))
    share = np.divide(english, count, out=np.ones(len(spans)), where=count > 0)
    keep = ((letters >= MIN_LETTERS) & (count >= 6) & (2 * lower >= count) & ((2 * blank >= count - 1) | (code == 0))
            & (share < SWITCH_MAX_SHARE))
    doc = np.searchsorted(words.offsets, spans[:, 0], side="right") - 1
    out: dict[int, list[tuple[int, int]]] = {}
    for j in np.flatnonzero(keep & np.asarray(chosen, dtype=bool)[doc]).tolist():
        d = int(doc[j])
        off = int(words.offsets[d])
        out.setdefault(d, []).append((int(spans[j, 0]) - off, int(spans[j, 1]) - off))
    return out


def _switches(text: str, doc_lang: str, doc_script: str, sentences: list[tuple[int, int]],
              foreign: bool, detect: Detect) -> list[Hit]:
    """Check candidate ``sentences`` (and foreign-script stretches) with langdetect."""
    spans: list[tuple[int, int]] = []
    for s, e in sentences:
        while s < e and text[s].isspace():
            s += 1
        if s < e and _candidate(text[s:e], doc_lang, doc_script):
            spans.append((s, e))
    if doc_script == "Latin" and foreign:
        spans.extend(m.span() for m in _FOREIGN_STRETCH.finditer(text)
                     if sum(map(len, _WORDS.findall(m.group()))) >= MIN_LETTERS)
    passages: list[list[int]] = []
    for s, e in sorted(spans):
        if passages and (s <= passages[-1][1] or not text[passages[-1][1]:s].strip()):
            passages[-1][1] = max(passages[-1][1], e)
        else:
            passages.append([s, e])
    hits = []
    for s, e in passages:
        got = detect(text[s:min(e, s + SAMPLE_CHARS)])
        if got is None:
            continue
        lang, prob = got
        if lang != doc_lang and prob >= MIN_PROB:
            article = "an" if doc_lang[0] in "aeiou" else "a"
            hits.append(Hit(s, e, f"passage in {lang} (p={prob:.2f}) inside {article} {doc_lang} "
                            "document", score=prob))
    return hits


@detector("LANG401", "language-switch", "language", "warning",
          "A passage in another language than its document.",
          f"Sentences or stretches of {MIN_LETTERS}+ letters in another script than the document, "
          "or Latin running-text sentences (six or more words, most of them lower-case, so not lists "
          "of names, and most apart by spaces alone or none by a symbol of code, so not URLs, paths "
          "or code) with "
          "almost no English function words in an English document, are checked with langdetect "
          "(seeded); "
          f"reported when it names another language with probability >= {MIN_PROB}. The finding's "
          "score is that probability.")
def _language_switch_rule(text: str) -> list[Hit]:
    return language_switches(text)
