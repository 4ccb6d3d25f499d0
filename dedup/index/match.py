"""Check a batch against the index: which new documents were already ingested, nearly or exactly.

For every batch document (an indexed document with the *same id* is the same document checked
again, never its own duplicate):

* ``DUP101`` if an indexed document has the same content hash;
* else ``DUP102`` if an indexed document shares an LSH band key with it and their exact word
  n-gram Jaccard is at least the threshold (the best match is reported);
* else ``DUP111`` for each of its paragraphs whose normalised text is indexed, when that paragraph
  occurs in at most :data:`PASSAGE_MAX_DOCS` indexed documents (a paragraph found in more is site
  boilerplate, not a repeated story).

``related.doc`` is the indexed document's id; ``related.start``/``end`` cover the whole indexed
document (or the indexed paragraph).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..cluster import content_hash, jaccard_at_least
from ..model import Document, Finding, Related
from ..rules import make_finding
from .store import IndexedDoc, IndexStore, fingerprint, passage_fingerprints

#: A paragraph indexed in more documents than this is treated as boilerplate, not a repeat.
PASSAGE_MAX_DOCS = 3


@dataclass(slots=True)
class IndexMatch:
    findings: list[Finding]
    stats: dict = field(default_factory=dict)


def match_index(docs: Sequence[Document], store: IndexStore, threshold: float,
                codes: frozenset[str]) -> IndexMatch:
    """Findings for the batch documents that repeat indexed documents (see the module doc)."""
    findings: list[Finding] = []
    covered: set[int] = set()  # batch documents already reported as whole duplicates
    threshold = max(threshold, store.cfg.threshold)
    stats = {"index_documents": store.count(), "index_candidates": 0, "index_duplicates": 0,
             "index_passages": 0}

    if "DUP101" in codes or "DUP102" in codes:
        hashes = [content_hash(d.text) for d in docs]
        exact = store.by_content_hash(hashes)
        for i, d in enumerate(docs):
            other = [x for x in exact.get(hashes[i], []) if x.id != d.id]
            if other:
                covered.add(i)
                if "DUP101" in codes:
                    findings.append(_doc_finding("DUP101", d, other[0], 1.0,
                                                 f"byte-identical to indexed document {other[0].id}"))
    if "DUP102" in codes:
        todo = [i for i in range(len(docs)) if i not in covered]
        shingles, _, keys = fingerprint([docs[i].text for i in todo], store.cfg)
        pairs = store.candidates(keys)
        stats["index_candidates"] = len(pairs)
        indexed = store.documents(doc for _, doc in pairs)
        best: dict[int, tuple[float, IndexedDoc]] = {}
        for row, doc in pairs:
            ixd, ish = indexed[doc]
            d = docs[todo[row]]
            if ixd.id == d.id:
                continue
            s = jaccard_at_least(shingles[row], ish, threshold)
            if s is not None and (row not in best or (-s, ixd.id) < (-best[row][0], best[row][1].id)):
                best[row] = (s, ixd)
        for row, (s, ixd) in best.items():
            d = docs[todo[row]]
            covered.add(todo[row])
            findings.append(_doc_finding(
                "DUP102", d, ixd, s,
                f"near-duplicate of indexed document {ixd.id} (word {store.cfg.ngram}-gram Jaccard {s:.3f})"))
    stats["index_duplicates"] = len(covered)

    if "DUP111" in codes:
        todo = [i for i in range(len(docs)) if i not in covered]
        fps = {i: passage_fingerprints(docs[i].text, store.params.get("passage_min_words", 8)) for i in todo}
        found = store.passages(h for ps in fps.values() for h, _, _ in ps)
        for i in todo:
            d = docs[i]
            for h, s, e in fps[i]:
                hits = [x for x in found.get(h, []) if x[0].id != d.id]
                if not hits or len({x[0].id for x in found[h]}) > PASSAGE_MAX_DOCS:
                    continue
                ixd, rs, re_ = hits[0]
                stats["index_passages"] += 1
                findings.append(make_finding(
                    "DUP111", d.id, d.text, s, e,
                    f"paragraph repeats indexed document {ixd.id} (characters {rs}-{re_})", 1.0,
                    Related(ixd.id, rs, re_)))
    return IndexMatch(findings, stats)


def _doc_finding(rule: str, d: Document, ixd: IndexedDoc, score: float, message: str) -> Finding:
    return make_finding(rule, d.id, d.text, 0, len(d.text), message, score, Related(ixd.id, 0, ixd.chars))


__all__ = ["PASSAGE_MAX_DOCS", "IndexMatch", "match_index"]
