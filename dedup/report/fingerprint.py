"""Stable content fingerprints for findings (used by baselines): not line numbers, not order."""

from __future__ import annotations

from collections.abc import Sequence

import xxhash

from ..model import Finding
from ..text.normalize import normalize


def _content_key(f: Finding) -> tuple[str, str, str, str]:
    return (f.rule, f.doc, normalize(f.text) or f.text, f.related.doc if f.related else "")


def finding_fingerprint(f: Finding, occurrence: int = 0) -> str:
    """Hash of rule, document, normalised text, related document and the occurrence number of the
    same content inside the document. Moving a finding does not change it."""
    key = "\x00".join([*_content_key(f), str(occurrence)])
    return xxhash.xxh3_64_hexdigest(key.encode("utf-8", "surrogatepass"))


def assign_ids(findings: Sequence[Finding]) -> None:
    """Fill ``Finding.id`` in place (unique within the report); findings must already be sorted."""
    seen: dict[tuple[str, str, str, str], int] = {}
    for f in findings:
        k = _content_key(f)
        n = seen.get(k, 0)
        seen[k] = n + 1
        f.id = finding_fingerprint(f, n)
