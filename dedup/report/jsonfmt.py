"""The JSON report, version 1 (the machine contract; see README "JSON report").

Written in pieces (:func:`iter_json`) so a large report never exists twice in memory: small
sections are indented, each document, cluster and finding is one compact line (orjson).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .. import __version__
from ..io.writers import json_line_bytes, json_text
from ..model import Report

REPORT_VERSION = 1


def _doc(d) -> dict[str, Any]:
    return {"id": d.id, "source": d.source, "chars": d.chars, "lang": d.lang}


def report_to_dict(report: Report) -> dict[str, Any]:
    return {
        "version": REPORT_VERSION,
        "tool": {"name": "dedup", "version": __version__},
        "config": report.config,
        "documents": [_doc(d) for d in report.documents],
        "clusters": [c.to_dict() for c in report.clusters],
        "findings": [f.to_dict() for f in report.findings],
        "stats": report.stats,
    }


def _dumps(x: Any, indent: int | None = None) -> str:
    return json_text(x, indent)


#: Items serialised into one piece of :func:`iter_json_bytes`.
PIECE_ITEMS = 1000


def _array(name: str, items: Iterator[dict[str, Any]], last: bool = False) -> Iterator[bytes]:
    yield f'  "{name}": ['.encode()
    piece: list[bytes] = []
    first = True
    for it in items:
        piece.append(json_line_bytes(it))
        if len(piece) == PIECE_ITEMS:
            yield (b"\n    " if first else b",\n    ") + b",\n    ".join(piece)
            piece, first = [], False
    if piece:
        yield (b"\n    " if first else b",\n    ") + b",\n    ".join(piece)
        first = False
    yield (b"]" if first else b"\n  ]") + (b"\n" if last else b",\n")


def iter_json_bytes(report: Report) -> Iterator[bytes]:
    """The report as JSON, UTF-8 encoded, in pieces (what ``dedup scan -f json`` writes: each
    document, cluster and finding is serialised by orjson straight to bytes)."""
    yield b"{\n"
    yield f'  "version": {REPORT_VERSION},\n'.encode()
    yield ('  "tool": ' + _dumps({"name": "dedup", "version": __version__}) + ",\n").encode()
    yield ('  "config": ' + _dumps(report.config, 2).replace("\n", "\n  ") + ",\n").encode()
    yield from _array("documents", (_doc(d) for d in report.documents))
    yield from _array("clusters", (c.to_dict() for c in report.clusters))
    yield from _array("findings", (f.to_dict() for f in report.findings))
    yield ('  "stats": ' + _dumps(report.stats, 2).replace("\n", "\n  ") + "\n").encode()
    yield b"}\n"


def iter_json(report: Report) -> Iterator[str]:
    """The report as JSON text, in pieces. ``json.loads("".join(iter_json(r)))`` equals
    :func:`report_to_dict` ``(r)``."""
    return (piece.decode("utf-8") for piece in iter_json_bytes(report))


def to_json(report: Report) -> str:
    return b"".join(iter_json_bytes(report)).decode("utf-8")
