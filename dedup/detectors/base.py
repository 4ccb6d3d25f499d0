"""What every reference-free detector shares: the :class:`Hit` it returns and the registry.

A detector is a pure function ``text -> list[Hit]``. It is registered together with its
:class:`~dedup.rules.Rule` by the :func:`detector` decorator, so ``--select``/``--ignore`` pick
detectors by rule code, prefix, kind or name. Offsets are code-point offsets into ``text``.

>>> h = Hit(3, 6, "demo", fix="x")
>>> (h.start, h.end, h.fix)
(3, 6, 'x')
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from ..rules import Rule, register
from .words import WordTable


@dataclass(frozen=True, slots=True)
class Hit:
    """One span a detector found: ``text[start:end]``.

    ``fix`` is a certain repair (the replacement text) or ``None`` when the span should simply be
    removed by ``dedup clean``.
    """

    start: int
    end: int
    message: str
    score: float = 1.0
    fix: str | None = None


TextDetector = Callable[..., list[Hit]]
_T = TypeVar("_T")
#: Given the words of a batch of texts, ``False`` for each text where a detector surely finds
#: nothing (a necessary condition, computed in bulk); ``True`` where it must run.
Gate = Callable[[WordTable], np.ndarray]

#: Rule code → detector function. Filled once at import by :func:`detector`; never mutated after.
DETECTORS: dict[str, TextDetector] = {}
#: Rule code → :data:`Gate` of its detector (optional). Filled once at import by :func:`gate`.
GATES: dict[str, Gate] = {}
#: Rule codes whose detector works line by line and takes the text's :func:`line_spans` as an
#: optional second argument (``run_detectors`` splits each document once for all of them).
#: Filled once at import by :func:`detector`.
LINE_DETECTORS: set[str] = set()


def detector(code: str, name: str, kind: str, severity: str, summary: str, help: str = "",
             by_line: bool = False) -> Callable[[TextDetector], TextDetector]:
    """Register ``Rule(code, ...)`` and the decorated function as its detector (``by_line``: it
    takes the line spans as ``fn(text, spans)``, see :data:`LINE_DETECTORS`)."""
    rule = register(Rule(code, name, kind, severity, summary, help))

    def wrap(fn: TextDetector) -> TextDetector:
        if DETECTORS.get(rule.code, fn) is not fn:
            raise ValueError(f"detector for {code} registered twice")
        DETECTORS[rule.code] = fn
        if by_line:
            LINE_DETECTORS.add(rule.code)
        return fn

    return wrap


def gate(code: str) -> Callable[[Gate], Gate]:
    """Register the decorated function as the bulk pre-check of the detector for ``code``."""

    def wrap(fn: Gate) -> Gate:
        if GATES.get(code, fn) is not fn:
            raise ValueError(f"gate for {code} registered twice")
        GATES[code] = fn
        return fn

    return wrap


#: Line spans of one text, as :func:`line_spans` gives them.
Spans = Sequence[tuple[int, int]]


def line_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every non-empty line, trailing ``\\r`` and spaces excluded.

    >>> t = "ab\\n\\n cd \\r\\n"
    >>> [t[s:e] for s, e in line_spans(t)]
    ['ab', ' cd']
    """
    out = []
    start = 0
    # The matches of ^[^\n]*[^\n \t\r] (re.M), without trying the pattern at every position.
    for line in text.split("\n"):
        end = start + len(line.rstrip(" \t\r"))
        if end > start:
            out.append((start, end))
        start += len(line) + 1
    return out


class Lines(list):
    """The :func:`line_spans` of one text (a list of them) that the line-based detectors of a
    document share, with what they derive from them, each computed once (:meth:`derived`).

    >>> lines = Lines("Big news\\nBody")
    >>> list(lines), lines.derived(lambda text, spans: len(spans))
    ([(0, 8), (9, 13)], 2)
    """

    __slots__ = ("_derived", "text")

    def __init__(self, text: str, spans: Spans | None = None) -> None:
        super().__init__(line_spans(text) if spans is None else spans)
        self.text = text
        self._derived: dict[Callable[[str, Lines], Any], Any] = {}

    @classmethod
    def of(cls, text: str, spans: Spans | None) -> Lines:
        """``spans`` if they are already :class:`Lines`, else the lines of ``text``."""
        return spans if isinstance(spans, Lines) else cls(text, spans)

    def derived(self, fn: Callable[[str, Lines], _T]) -> _T:
        """``fn(text, self)``, computed once for these lines."""
        if fn not in self._derived:
            self._derived[fn] = fn(self.text, self)
        return self._derived[fn]


def lines(text: str) -> Iterator[tuple[int, int]]:
    """:func:`line_spans` one by one."""
    return iter(line_spans(text))


#: What separates paragraphs (:func:`blocks`): a line of nothing but spaces, tabs or ``\\r``.
BLANK_LINE = re.compile(r"\n[ \t\r]*\n")
NON_SPACE = re.compile(r"\S")


def blocks(text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of every block of consecutive non-blank lines (a paragraph).

    A block starts at a non-space character and ends before the next line break that a blank
    line (nothing but spaces, tabs or ``\\r``) follows; trailing whitespace is excluded.

    >>> t = "a\\nb\\n\\n  \\nc"
    >>> [t[s:e] for s, e in blocks(t)]
    ['a\\nb', 'c']
    """
    pos = 0
    while (m := NON_SPACE.search(text, pos)) is not None:
        s = m.start()
        sep = BLANK_LINE.search(text, s)
        pos = sep.start() if sep else len(text)
        e = pos
        while e > s and text[e - 1] in " \t\r\n":
            e -= 1
        yield s, e
