"""The data every stage shares: documents in, findings and clusters out.

Offsets (``start``/``end``) are always code-point offsets into ``Document.text`` exactly as it was
read, so ``doc.text[f.start:f.end] == f.text`` holds for every finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("info", "warning", "error")
KINDS = ("duplicate-document", "duplicate-passage", "boilerplate", "artifact", "language")
CLUSTER_KINDS = ("exact", "near-duplicate", "variant")


@dataclass(slots=True)
class Document:
    """One input document.

    ``source`` says where it came from (a path, or ``path:line`` for a JSONL record); ``fmt`` is the
    reader that produced it (``txt``, ``jsonl``, ``parquet``, ``stdin``); ``path``/``line``/``root``
    locate it for writers (``root`` is the directory argument it was found under, if any).
    """

    id: str
    text: str
    source: str
    fmt: str = "txt"
    path: str | None = None
    line: int | None = None
    root: str | None = None
    lang: str | None = None
    #: Length of the text in code points when ``text`` is not held in memory (streamed scans);
    #: -1 means "use len(text)". Read it through :attr:`chars`.
    size: int = -1

    @property
    def chars(self) -> int:
        return self.size if self.size >= 0 else len(self.text)


@dataclass(frozen=True, slots=True)
class Related:
    doc: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return {"doc": self.doc, "start": self.start, "end": self.end}

    def __reduce__(self):  # pickled as a constructor call: see Finding.__reduce__
        return Related, (self.doc, self.start, self.end)


@dataclass(frozen=True, slots=True)
class AlignedPair:
    """One aligned sentence pair: ``a`` in the finding's doc, ``b`` in ``related.doc``."""

    a: tuple[int, int]
    b: tuple[int, int]
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"a": [self.a[0], self.a[1]], "b": [self.b[0], self.b[1]], "score": round(self.score, 4)}

    def __reduce__(self):  # pickled as a constructor call: see Finding.__reduce__
        return AlignedPair, (self.a, self.b, self.score)


@dataclass(slots=True)
class Finding:
    rule: str
    kind: str
    severity: str
    doc: str
    start: int
    end: int
    text: str
    message: str
    score: float = 1.0
    related: Related | None = None
    alignment: list[AlignedPair] | None = None
    #: A certain repair: the text that should replace ``text`` (``None``: remove the span when
    #: cleaning). E.g. ``". ."`` → ``"."``, or ``""`` + missing period → ``"."``.
    fix: str | None = None
    id: str = ""  # filled by report.assign_ids (content fingerprint)

    def __reduce__(self):
        """Pickled as a constructor call: a slotted dataclass otherwise unpickles field by field,
        which made findings sent back from worker processes cost more to receive than to find."""
        return Finding, (self.rule, self.kind, self.severity, self.doc, self.start, self.end, self.text,
                         self.message, self.score, self.related, self.alignment, self.fix, self.id)

    def sort_key(self) -> tuple:
        rel = (self.related.doc, self.related.start, self.related.end) if self.related else ("", -1, -1)
        return (self.doc, self.start, self.rule, self.end, rel, self.message)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rule": self.rule,
            "kind": self.kind,
            "severity": self.severity,
            "doc": self.doc,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "message": self.message,
            "score": round(float(self.score), 4),
            "related": self.related.to_dict() if self.related else None,
            "alignment": (None if self.alignment is None else  # AlignedPair.to_dict, inlined: reports hold millions
                          [{"a": [p.a[0], p.a[1]], "b": [p.b[0], p.b[1]], "score": round(p.score, 4)}
                           for p in self.alignment]),
            "fix": self.fix,
        }


@dataclass(slots=True)
class Cluster:
    id: str
    kind: str
    canonical: str
    members: list[str]
    similarity: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "canonical": self.canonical,
            "members": list(self.members),
            "similarity": round(float(self.similarity), 4),
        }


@dataclass(slots=True)
class Report:
    config: dict[str, Any]
    documents: list[Document]
    clusters: list[Cluster] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
