"""Stable content fingerprints for findings (used by baselines): not line numbers, not order."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xxhash

from ..fingerprint.minhash import batch_token_hashes
from ..model import Finding


def content_keys(findings: Sequence[Finding], batch: int = 512) -> list[tuple[str, str, str, str]]:
    """``(rule, document, text key, related document)`` of each finding. The text key is a hash of
    the finding's word tokens (NFKC, casefold, punctuation and spacing ignored: the sequence
    :func:`dedup.text.normalize.tokens` gives), or of the text itself when it has no word; all
    texts are tokenised in bulk."""
    keys = []
    for lo in range(0, len(findings), batch):
        part = findings[lo : lo + batch]
        th, counts = batch_token_hashes([f.text for f in part])
        ends = np.cumsum(counts)
        for f, e, c in zip(part, ends.tolist(), counts.tolist(), strict=True):
            text = (xxhash.xxh3_64_hexdigest(th[e - c : e].tobytes()) if c
                    else "=" + xxhash.xxh3_64_hexdigest(f.text.encode("utf-8", "surrogatepass")))
            keys.append((f.rule, f.doc, text, f.related.doc if f.related else ""))
    return keys


def finding_fingerprint(key: tuple[str, str, str, str], occurrence: int = 0) -> str:
    """Hash of a finding's content key and the occurrence number of the same content inside the
    document. Moving a finding does not change it."""
    return xxhash.xxh3_64_hexdigest("\x00".join([*key, str(occurrence)]).encode("utf-8", "surrogatepass"))


def assign_ids(findings: Sequence[Finding]) -> None:
    """Fill ``Finding.id`` in place (unique within the report); findings must already be sorted."""
    seen: dict[tuple[str, str, str, str], int] = {}
    for f, k in zip(findings, content_keys(findings), strict=True):
        n = seen.get(k, 0)
        seen[k] = n + 1
        f.id = finding_fingerprint(k, n)
