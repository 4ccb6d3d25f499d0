"""Where a finding is, in terms a CI system understands: a file path, lines and columns.

A ``.txt``/``.md`` document is its whole file, so its offsets map exactly to 1-based lines and
columns (in code points; ``end_col`` is exclusive, as in SARIF). A JSONL record or Parquet row is
located at its line (row) only; stdin has no path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..model import Document, Finding
from .textfmt import line_col


@dataclass(frozen=True, slots=True)
class Location:
    path: str | None  # "/"-separated, relative to the current directory when under it
    start_line: int | None
    start_col: int | None
    end_line: int | None
    end_col: int | None
    exact: bool  # line/column point into the file itself

    def where(self) -> str:
        """``path:line:col`` for people (as compilers print it)."""
        parts = [self.path or "<stdin>"]
        if self.start_line is not None:
            parts.append(str(self.start_line))
            if self.start_col is not None:
                parts.append(str(self.start_col))
        return ":".join(parts)


def display_path(path: str | None) -> str | None:
    """``path`` with ``/`` separators, relative to the current directory if it lies under it.

    >>> display_path("a/b.txt")
    'a/b.txt'
    """
    if path is None or path == "-":
        return None
    if os.path.isabs(path):
        rel = os.path.relpath(path)
        if not rel.startswith(".."):
            path = rel
    return path.replace(os.sep, "/")


def span_lines(text: str, start: int, end: int) -> tuple[int, int, int, int]:
    """1-based ``(start_line, start_col, end_line, end_col)`` of ``text[start:end]``; the end column
    is exclusive and stays on the line of the span's last character (a final line break is not
    counted, so a whole file ends on its last line).

    >>> span_lines("ab\\ncd\\n", 0, 6)
    (1, 1, 2, 3)
    >>> span_lines("ab\\ncd", 3, 3)
    (2, 1, 2, 1)
    """
    sl, sc = line_col(text, start)
    if end <= start:
        return sl, sc, sl, sc
    last = end - 1
    el, ec = line_col(text, last)
    if text[last] != "\n" or last == start:
        ec += 1
    return sl, sc, el, ec


def locate(doc: Document | None, start: int, end: int) -> Location:
    if doc is None:
        return Location(None, None, None, None, None, False)
    path = display_path(doc.path)
    if doc.fmt in ("txt", "stdin"):
        sl, sc, el, ec = span_lines(doc.text, start, end)
        return Location(path, sl, sc, el, ec, True)
    line = doc.line
    return Location(path, line, None, line, None, False)


def locate_finding(f: Finding, docs: dict[str, Document]) -> Location:
    return locate(docs.get(f.doc), f.start, f.end)
