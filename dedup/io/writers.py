"""Atomic output: write to a temporary file beside the target, then rename over it."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from typing import IO

import orjson


def json_text(obj: object, indent: int | None = None, separators: tuple[str, str] | None = None) -> str:
    """``obj`` as JSON text, non-ASCII characters as they are (the output is UTF-8) — except when
    a string holds a lone surrogate (text read from a JSON ``\\ud800`` escape), which UTF-8 cannot
    encode: then everything non-ASCII is written as ``\\u`` escapes, which read back the same.

    >>> json_text({"t": "née"}), json_text({"t": "bad \\ud800"})
    ('{"t": "née"}', '{"t": "bad \\\\ud800"}')
    """
    text = json.dumps(obj, ensure_ascii=False, indent=indent, separators=separators)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(obj, indent=indent, separators=separators)
    return text


def json_line(obj: object) -> str:
    """``obj`` as one compact JSON line: :func:`json_line_bytes` as text.

    >>> json_line({"t": "née", "n": [1, 2.5]}), json_line({"t": "bad \\ud800"})
    ('{"t":"née","n":[1,2.5]}', '{"t":"bad \\\\ud800"}')
    """
    return json_line_bytes(obj).decode("utf-8")


def json_line_bytes(obj: object) -> bytes:
    """``obj`` as one compact JSON line in UTF-8, by orjson (several times faster than the standard
    library on the many small objects of a report, and no decoding and encoding again on the way
    to a file); what orjson refuses (a lone surrogate, an integer beyond 64 bits) goes through
    :func:`json_text` with the same compact separators.

    >>> json_line_bytes({"t": "née"}), json_line_bytes({"t": "bad \\ud800"})
    (b'{"t":"n\\xc3\\xa9e"}', b'{"t":"bad \\\\ud800"}')
    """
    try:
        return orjson.dumps(obj)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json_text(obj, separators=(",", ":")).encode("utf-8")


@contextlib.contextmanager
def atomic_open(path: str, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Open ``path`` for writing so readers see either the old file or the complete new one.

    ``-`` writes to stdout. On an exception the temporary file is removed and ``path`` untouched.
    """
    if path == "-":
        if "b" in mode:
            yield sys.stdout.buffer
        else:
            yield sys.stdout
        return
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".dedup-", suffix=".tmp", dir=directory)
    try:
        kwargs = {} if "b" in mode else {"encoding": encoding, "newline": ""}
        with os.fdopen(fd, mode, **kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text(path: str, text: str) -> None:
    with atomic_open(path) as f:
        f.write(text)
