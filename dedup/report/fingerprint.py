"""Stable content fingerprints for findings (used by baselines): not line numbers, not order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import xxhash

from ..fingerprint.minhash import batch_token_hashes, sequence_hashes
from ..model import Finding


def content_keys(findings: Sequence[Finding], known: Mapping[str, tuple[int, int]] | None = None,
                 batch: int = 512) -> list[tuple[str, str, str, str]]:
    """``(rule, document, text key, related document)`` of each finding. The text key is the
    :func:`~dedup.fingerprint.minhash.sequence_hashes` value of the finding's word tokens (NFKC,
    casefold; punctuation and spacing ignored), or a hash of the text itself when it has no word;
    all texts are tokenised in bulk. ``known`` maps a document id to ``(length, sequence hash)``
    computed earlier (by the document stage): a finding spanning that whole document uses it."""
    known = known or {}
    whole = [f.start == 0 and known.get(f.doc, (-1, 0))[0] == f.end for f in findings]
    # each distinct text tokenised and hashed once (a passage repeated in many documents is many
    # findings with one text)
    texts = list(dict.fromkeys(f.text for f, w in zip(findings, whole, strict=True) if not w))
    text_key: dict[str, str] = {}
    for lo in range(0, len(texts), batch):
        part = texts[lo : lo + batch]
        th, counts = batch_token_hashes(part)
        for t, h, c in zip(part, sequence_hashes(th, counts).tolist(), counts.tolist(), strict=True):
            text_key[t] = (f"{h:016x}" if c
                           else "=" + xxhash.xxh3_64_hexdigest(t.encode("utf-8", "surrogatepass")))
    return [(f.rule, f.doc, f"{known[f.doc][1]:016x}" if w else text_key[f.text], f.related.doc if f.related else "")
            for f, w in zip(findings, whole, strict=True)]


def finding_fingerprint(key: tuple[str, str, str, str], occurrence: int = 0) -> str:
    """Hash of a finding's content key and the occurrence number of the same content inside the
    document. Moving a finding does not change it."""
    return xxhash.xxh3_64_hexdigest("\x00".join([*key, str(occurrence)]).encode("utf-8", "surrogatepass"))


def assign_ids(findings: Sequence[Finding], known: Mapping[str, tuple[int, int]] | None = None) -> None:
    """Fill ``Finding.id`` in place (unique within the report); findings must already be sorted.
    ``known``: see :func:`content_keys`."""
    seen: dict[tuple[str, str, str, str], int] = {}
    for f, k in zip(findings, content_keys(findings, known), strict=True):
        n = seen.get(k, 0)
        seen[k] = n + 1
        f.id = finding_fingerprint(k, n)
