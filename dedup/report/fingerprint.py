"""Stable content fingerprints for findings (used by baselines): not line numbers, not order."""

from __future__ import annotations

from collections.abc import Sequence

import xxhash

from ..model import Finding
from ..text.normalize import normalize


def finding_fingerprint(f: Finding, occurrence: int = 0) -> str:
    """Hash of rule, document, normalised text, related document and the occurrence number of the
    same (rule, doc, text) inside the document. Moving a finding does not change it."""
    rel = f.related.doc if f.related else ""
    key = "\x00".join([f.rule, f.doc, normalize(f.text) or f.text, rel, str(occurrence)])
    return xxhash.xxh3_64_hexdigest(key.encode("utf-8", "surrogatepass"))


def assign_ids(findings: Sequence[Finding]) -> None:
    """Fill ``Finding.id`` in place; findings must already be sorted."""
    seen: dict[tuple[str, str, str, str], int] = {}
    for f in findings:
        k = (f.rule, f.doc, f.text, f.related.doc if f.related else "")
        n = seen.get(k, 0)
        seen[k] = n + 1
        f.id = finding_fingerprint(f, n)
