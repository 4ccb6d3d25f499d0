"""Boilerplate (``BP2xx``, kind ``boilerplate``): page chrome that is not part of the text.

Line-level detectors are pure ``str -> list[Hit]``; :func:`frequent_lines` is the corpus-level
detector (CCNet-style line frequency) and needs every document at once. Spans cover whole lines
(or a byline/credit at the end of one), so ``dedup clean`` removes them as lines.

>>> [h.message for h in known_boilerplate("Text.\\nLeave a Reply\\nMore text.")]
['web boilerplate: comment form']
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from .. import sorting
from ..rules import Rule, register
from .base import Hit, Lines, Spans, detector, gate, line_spans
from .words import MAX_CODE_LETTERS, WordSet, WordTable

# --- BP201 known web boilerplate ------------------------------------------------------------------

#: (what, full-line pattern) — matched case-insensitively against a whole line of ≤ 200 chars.
KNOWN_BOILERPLATE: tuple[tuple[str, str], ...] = (
    ("comment form", r"leave a (?:reply|comment)(?: cancel reply)?|cancel reply|post a comment"),
    ("comment form", r"your email address will not be published\.?(?: required fields are marked \*?\.?)?"),
    ("comment form", r"required fields are marked \*?\.?"),
    ("comment form", r"this site uses akismet to reduce spam\..{0,80}"),
    ("comment form", r"learn how your comment data is processed\.?"),
    ("comment form", r"save my name,? e-?mail,? and website in this browser for the next time i comment\.?"),
    ("comment form", r"notify me of (?:follow-up comments|new posts|new comments) (?:by|via) e-?mail\.?"),
    ("comment form", r"\d+ comments?|no comments(?: yet)?|comments? \(\d+\)|comments?|reply"),
    ("share buttons", r"(?:share|share this(?: article| story| post| page)?|share on (?:facebook|twitter|"
                      r"linkedin|whatsapp|x|reddit|pinterest)|click to share on .{1,40}|tweet|"
                      r"email this(?: article| story)?|print this(?: article| page| story)?)\W{0,3}"),
    ("share buttons", r"(?:facebook|twitter|linkedin|whatsapp|email|print|pinterest|reddit|telegram)"
                      r"(?:[\s,|/•·]+(?:facebook|twitter|linkedin|whatsapp|email|print|pinterest|"
                      r"reddit|telegram)){1,8}"),
    ("subscribe", r"(?:subscribe|sign up)(?: (?:to|for) (?:our|the|my) (?:free )?(?:daily |weekly )?"
                  r"(?:newsletter|mailing list|channel)s?)?(?: (?:now|today|here))?\W{0,3}"),
    ("subscribe", r"follow us on (?:facebook|twitter|instagram|linkedin|youtube|x|social media)"
                  r".{0,60}"),
    ("cookie notice", r"(?:we|this (?:web)?site|our (?:web)?site) uses? cookies.{0,160}"),
    ("cookie notice", r"(?:accept|reject|manage)(?: all)? cookies|cookie (?:policy|settings)"),
    ("read more", r"read (?:more|full (?:article|story)|the full (?:article|story)|next)\W{0,3}"
                  r"|continue reading\W{0,3}|click here to .{1,80}"),
    ("navigation", r"related (?:articles|posts|stories|news|content)\W{0,3}|post navigation|"
                   r"skip to (?:main )?content|(?:previous|next) (?:post|article|story)\W{0,3}|"
                   r"advertisement|sponsored(?: content)?|you may also like\W{0,3}|"
                   r"like this:?|loading\.{0,3}|back to top"),
    ("copyright", r"(?:©|copyright|\(c\)).{0,100}all rights reserved\.?|all rights reserved\.?"),
)
_KNOWN = [(what, re.compile(p, re.I)) for what, p in KNOWN_BOILERPLATE]
#: All of them at once: most lines match none, and one test is cheaper than eighteen.
_ANY_KNOWN = re.compile("|".join(f"(?:{p})" for _, p in KNOWN_BOILERPLATE), re.I)


@detector("BP201", "web-boilerplate", "boilerplate", "warning",
          "Known web boilerplate line: comment forms, share/subscribe/cookie lines, `Read more`.",
          "A whole line (at most 200 characters) matching one of the patterns in "
          "`dedup/detectors/boilerplate.py` (`KNOWN_BOILERPLATE`), case-insensitively.", by_line=True)
def known_boilerplate(text: str, spans: Spans | None = None) -> list[Hit]:
    """Whole lines of known web boilerplate.

    >>> t = "Your email address will not be published. Required fields are marked *\\nWe share it."
    >>> [t[h.start:h.end] for h in known_boilerplate(t)]
    ['Your email address will not be published. Required fields are marked *']
    >>> known_boilerplate("Read more about the plan in our report.")
    []
    """
    hits = []
    for s, e in line_spans(text) if spans is None else spans:
        if e - s > 200:
            continue
        line = text[s:e].strip()
        if not _ANY_KNOWN.fullmatch(line):
            continue
        for what, rx in _KNOWN:
            if rx.fullmatch(line):
                off = text.index(line, s)
                hits.append(Hit(off, off + len(line), f"web boilerplate: {what}"))
                break
    return hits


# --- BP202 hashtag and tag lines ------------------------------------------------------------------

_HASHTAGS = re.compile(r"(?:#[^\W_][\w-]*[\s,;|]*){2,}")
_TAGLINE = re.compile(r"(?:tags?|categor(?:y|ies)|filed under|topics?|keywords|posted in)\s*:\s*"
                      r"[^.!?]{1,150}", re.I)


@detector("BP202", "tag-line", "boilerplate", "warning",
          "Hashtag line or category/tag line (`#General #politics`, `Tags: …`).",
          "A line made only of two or more hashtags, or a `Tags:`/`Categories:`/`Filed under:` "
          "line without sentence punctuation.", by_line=True)
def tag_lines(text: str, spans: Spans | None = None) -> list[Hit]:
    """Whole hashtag/tag lines.

    >>> [h.message for h in tag_lines("Body.\\n#General #politics #News\\nTags: Korea, Russia")]
    ['hashtag line', 'tag line']
    >>> tag_lines("We use #hashtags in text. Categories: see below.")
    []
    """
    hits: list[Hit] = []
    if "#" not in text and ":" not in text:
        return hits  # every hashtag line has a "#", every tag line a ":"
    for s, e in line_spans(text) if spans is None else spans:
        line = text[s:e]
        if "#" not in line and ":" not in line:
            continue
        st = len(line) - len(line.lstrip())
        if _HASHTAGS.fullmatch(line.strip()):
            hits.append(Hit(s + st, e, "hashtag line"))
        elif _TAGLINE.fullmatch(line.strip()):
            hits.append(Hit(s + st, e, "tag line"))
    return hits


# --- BP203 bylines, photo credits, source lines ----------------------------------------------------

_NAME = r"[A-Z][\w.'’-]*(?:[ \t]+[A-Z][\w.'’-]*){0,3}"
AGENCIES = ("Reuters|AP|AFP|EPA|Getty Images|Getty|Yonhap|Yonhap News|Xinhua|Bloomberg|Newsis|News1|"
            "Kyodo|TASS|Sputnik|Anadolu|PA|Shutterstock|AAP|dpa|EFE|ANSA|UPI|Alamy")
_BYLINE_LINE = re.compile(r"(?:By|Written by|Posted by|Reporter|Correspondent|Staff [Ww]riter|Author)"
                          r"[ \t]*:?[ \t]+" + _NAME + r"(?:[ \t]*[,|–—-][ \t]*[^.!?\n]{1,60})?")
_BYLINE_TAIL = re.compile(r"(?<=[.!?”\"] )(?:Reporter|Correspondent|Staff [Ww]riter)[ \t]+" + _NAME
                          + r"[ \t]*$", re.M)
_SOURCE_LINE = re.compile(r"(?:Source|Sources|Via|Photo|Photos|Image|Images|Photograph|Credit|"
                          r"Photo credit|Image credit|Picture|Pictures)[ \t]*:[ \t]*[^\n]{1,120}")
_CREDIT_TAIL = re.compile(r"(?:(?<=[.!?”\")] )|^)(?:" + _NAME + r"[ \t]*/[ \t]*(?:" + AGENCIES
                          + r")|(?:Photo|Image|Picture)s?[ \t]+(?:by|credit:?)[ \t]+" + _NAME
                          + r"|(?:" + _NAME + r"[ \t]+via[ \t]+)?Getty Images)[ \t]*$", re.M)



def _byline_cue(text: str) -> bool:
    return "Reporter" in text or "Correspondent" in text or "Staff" in text


_CREDIT_CUE = re.compile(r"/[ \t]*(?:" + AGENCIES + ")|Photo|Image|Picture")


def _credit_cue(text: str) -> bool:
    return ("/" in text or "Photo" in text or "Image" in text or "Picture" in text) \
        and _CREDIT_CUE.search(text) is not None


#: Each end-of-paragraph pattern with a fast test that every text it matches passes.
_TAIL_CUES = ((_BYLINE_TAIL, _byline_cue), (_CREDIT_TAIL, _credit_cue))
#: What a whole-line byline or source line starts with (a fast test before the patterns).
_LINE_STARTS = ("By", "Written by", "Posted by", "Reporter", "Correspondent", "Staff", "Author",
                "Source", "Via", "Photo", "Image", "Credit", "Picture")


#: Words a byline or credit needs: one of them starts a whole-line byline or source line, or is
#: in a byline or credit closing a paragraph (with a "/" for Name/Agency credits).
_LINE_WORDS = ("By", "Written", "Posted", "Reporter", "Correspondent", "Staff", "Author", "Source",
               "Sources", "Via", "Photo", "Photos", "Photograph", "Image", "Images", "Credit", "Picture",
               "Pictures")
_TAIL_WORDS = ("Reporter", "Correspondent", "Staff", "Photo", "Photos", "Image", "Images", "Picture",
               "Pictures")
_LINE_WORD_SET = WordSet(w for w in _LINE_WORDS if len(w) <= MAX_CODE_LETTERS)
_TAIL_WORD_SET = WordSet(w for w in _TAIL_WORDS if len(w) <= MAX_CODE_LETTERS)
_LONG_WORDS = np.array(sorted({len(w) for w in _LINE_WORDS if len(w) > MAX_CODE_LETTERS}))


@gate("BP203")
def bylines_gate(words: WordTable) -> np.ndarray:
    """Per text, whether :func:`bylines` can find anything: a line starting with one of
    :data:`_LINE_WORDS`, one of :data:`_TAIL_WORDS` anywhere, or a "/" (longer words by length:
    their code is 0).

    >>> bylines_gate(WordTable.build(["Body.\\nBy Kim Lee", "Said so. Reporter Jang", "It was by him.",
    ...                               "AC/DC"])).tolist()
    [True, True, False, True]
    """
    cap = np.flatnonzero(~words.initial_lower)
    c, start = words.code[cap], words.starts[cap]
    long = (c == 0) & np.isin(words.ends[cap] - start, _LONG_WORDS)
    at_line = (start == 0) | (words.ascii[np.maximum(start - 1, 0)] == ord("\n"))
    found = (long | _TAIL_WORD_SET.contains(c)) | (_LINE_WORD_SET.contains(c) & at_line)
    return words.texts_with(np.concatenate((start[found], np.flatnonzero(words.ascii == ord("/")))))


@detector("BP203", "byline-credit", "boilerplate", "warning",
          "Byline, photo credit or source line (`Reporter Jang Ye-ji`, `… /Reuters`, `Source: …`).",
          "A line that is only a byline (`By …`, `Reporter …`), a `Source:`/`Photo:` line, or a "
          "byline or `Name/Agency` photo credit closing a paragraph after its last sentence.",
          by_line=True)
def bylines(text: str, spans: Spans | None = None) -> list[Hit]:
    """Byline and credit spans.

    >>> t = "Body text. Reporter Jang Ye-ji\\nIt shows. Yonhap News Vostocini/Reuters\\nSource: voanews.com"
    >>> [t[h.start:h.end] for h in bylines(t)]
    ['Reporter Jang Ye-ji', 'Yonhap News Vostocini/Reuters', 'Source: voanews.com']
    >>> bylines("By the end of the year, the reporter said.\\nHe went to AC/DC concerts.")
    []
    """
    hits = []
    # The end-of-paragraph patterns are slow to search: look for their cues first.
    tails = [(rx, cue) for rx, cue in _TAIL_CUES if cue(text)]
    for s, e in line_spans(text) if spans is None else spans:
        start = text.startswith(_LINE_STARTS, s, e)
        if not (start or tails):
            continue
        line = text[s:e]
        if start and (_BYLINE_LINE.fullmatch(line) or _SOURCE_LINE.fullmatch(line)):
            hits.append(Hit(s, e, "byline or source line"))
            continue
        m = None
        for rx, cue in tails:
            if cue(line):
                m = rx.search(line)
                if m:
                    break
        if m:
            what = "byline" if m.re is _BYLINE_TAIL else "photo credit"
            hits.append(Hit(s + m.start(), s + m.end(), f"{what} at the end of a paragraph"))
    return hits


# --- BP204/BP205 title repeated inside its document, and the page chrome around it ----------------

def _key(line: str) -> str:
    """A line compared up to case and spacing.

    >>> _key(" Big  news\ttoday"), _key("Big News Today")
    ('big news today', 'big news today')
    """
    folded = line.casefold()
    # Printable text has no whitespace but the ASCII space: if single and inside, keep it as is.
    if line.isprintable() and "  " not in line and line[:1] != " " and line[-1:] != " ":
        return folded
    return " ".join(folded.split())


def _title_repeats(text: str, spans: Spans | None = None
                   ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(repeated title lines after the first, short chrome lines around the first occurrence).

    A title candidate is one of the first six lines, of three words or more, with only chrome
    lines (:func:`_is_chrome`) before it; the first candidate that appears again is the title.
    """
    spans = line_spans(text) if spans is None else spans
    if len(spans) < 2:
        return [], []  # nothing can repeat
    for i, (s, e) in enumerate(spans[:6]):
        key = _key(text[s:e])
        words = key.split(maxsplit=3)  # enough to tell three words and the first
        if len(words) >= 3:
            # casefold maps character by character, each to one or more: the key of a line
            # that starts with a non-space begins with the case-folded first characters of the
            # line, so a repeat's first len(first) characters fold to a string that starts with
            # the title's first word (a cheap test before the key).
            first = words[0]
            n = len(first)
            later = [j for j, (a, b) in enumerate(spans[i + 1:], i + 1)
                     if (text[a].isspace() or text[a:a + n].casefold().startswith(first))
                     and _key(text[a:b]) == key]
            if later:
                chrome = [(a, b) for j, (a, b) in enumerate(spans[:later[0]])
                          if j != i and _is_chrome(text[a:b])]
                return [spans[j] for j in later], chrome
        if not _is_chrome(text[s:e]):
            break
    return [], []


def _is_chrome(line: str) -> bool:
    words = line.split()
    return 1 <= len(words) <= 6 and line.rstrip()[-1] not in ".!?:;,”\""


@detector("BP204", "repeated-title", "boilerplate", "warning",
          "A title line repeated inside its own document.",
          "A title line (one of the first six lines, three words or more, with only short page "
          "chrome lines before it) that appears again, identically up to case and spacing, later "
          "in the document; the later copies are flagged.", by_line=True)
def repeated_title(text: str, spans: Spans | None = None) -> list[Hit]:
    """Later copies of the title line.

    >>> t = "Site\\n\\nBig news today\\nWorld\\nBig news today\\n\\nBody."
    >>> [t[h.start:h.end] for h in repeated_title(t)]
    ['Big news today']
    >>> repeated_title("A title here\\nBody text.")
    []
    """
    return [Hit(s, e, "title repeated in its own document")
            for s, e in Lines.of(text, spans).derived(_title_repeats)[0]]


@detector("BP205", "page-header", "boilerplate", "warning",
          "Site name, tagline or category line around a repeated title.",
          "When a document's title line repeats (BP204), the short lines (one to six words, no "
          "sentence punctuation) before the title's second occurrence are page chrome.",
          by_line=True)
def page_header(text: str, spans: Spans | None = None) -> list[Hit]:
    """Short chrome lines around a repeated title.

    >>> t = "Site\\n\\nBig news today\\nWorld\\nBig news today\\n\\nBody."
    >>> [t[h.start:h.end] for h in page_header(t)]
    ['Site', 'World']
    """
    return [Hit(s, e, "page header (site name, tagline or category)")
            for s, e in Lines.of(text, spans).derived(_title_repeats)[1]]


# --- BP206 corpus-level line frequency ---------------------------------------------------------------

#: A line in at least this many documents (and this share of the corpus) may be boilerplate.
MIN_DOCS = 3
MIN_SHARE = 0.001
#: ... unless lines found in other documents are most of the document: then it is a duplicate.
MAX_DOC_SHARE = 0.5

register(Rule("BP206", "frequent-line", "boilerplate", "warning",
              "A line repeated across many documents of the corpus (site chrome).",
              f"Lines (compared up to case and spacing) found in at least {MIN_DOCS} documents and "
              f"{MIN_SHARE:.1%} of the corpus, as CCNet does; not in a document where lines found in "
              f"other documents make up more than {MAX_DOC_SHARE:.0%} of the text (that document is a duplicate, "
              "reported by the DUP rules)."))


def frequent_lines(texts: Sequence[str], spans: Sequence[Spans] | None = None) -> list[list[Hit]]:
    """Per document, the lines that repeat across the corpus (``spans``: the
    :func:`~dedup.detectors.base.line_spans` of each text, found if not given).

    Each distinct line (scraped corpora repeat theirs) gets the number of its key
    (:func:`_key`) once; the documents each key is in are then counted with numpy.

    >>> docs = [f"Article {i} says something new.\\nShare this" for i in range(4)] + ["Share this"]
    >>> [len(h) for h in frequent_lines(docs)]
    [1, 1, 1, 1, 0]
    """
    spans = [line_spans(t) for t in texts] if spans is None else spans
    every = [t[s:e] for t, sp in zip(texts, spans, strict=True) for s, e in sp]
    key_ids: dict[str, int] = {}
    line_ids = {line: key_ids.setdefault(_key(line), len(key_ids)) for line in dict.fromkeys(every)}
    key = np.fromiter(map(line_ids.__getitem__, every), np.int64, len(every))
    span = np.fromiter((x for sp in spans for se in sp for x in se), np.int64,
                       2 * len(every)).reshape(-1, 2)
    per_doc = np.fromiter(map(len, spans), np.int64, len(texts))
    doc = np.repeat(np.arange(len(texts)), per_doc)
    n_keys = len(key_ids)
    # (document, key) pairs, each once: a key's document frequency counts its documents.
    pairs = sorting.unique(doc * n_keys + key)
    df = np.bincount(pairs % n_keys, minlength=n_keys) if n_keys else np.zeros(0, np.int64)
    # A document made mostly of lines found elsewhere is a duplicate: its lines are content that
    # was copied, so it does not count towards a line's frequency (nor is it flagged here).
    shared = np.bincount(doc, weights=(span[:, 1] - span[:, 0]) * (df[key] >= 2), minlength=len(texts))
    half = np.array([MAX_DOC_SHARE * len(t.strip()) for t in texts], dtype=np.float64)
    copies = shared > half
    pairs = pairs[~copies[pairs // n_keys]] if n_keys else pairs
    df = np.bincount(pairs % n_keys, minlength=n_keys) if n_keys else df
    need = max(MIN_DOCS, int(MIN_SHARE * len(texts) + 0.999))
    out: list[list[Hit]] = [[] for _ in texts]
    for i in np.flatnonzero(~copies[doc] & (df[key] >= need)).tolist():
        (s, e), n = span[i].tolist(), int(df[key[i]])
        out[doc[i]].append(Hit(s, e, f"line found in {n} documents", score=min(1.0, n / (4 * need))))
    return out
