"""Overlapping passages within and across documents, translation variants, garbled spans.

1. **Segment** every document into paragraphs and sentences (:mod:`dedup.text.segment`).
2. **Candidates by MinHash/LSH over sentences**: each sentence with at least
   :data:`MIN_STEMS` distinct content-word stems gets a MinHash signature of its stem *unigrams*
   (paraphrases and translations share words, not phrases), banded with few rows per band so that
   pairs at stem Jaccard ~0.3 collide. Two documents (or two paragraphs of one document) become a
   candidate when their sentences collide at least :data:`MIN_COLLISIONS` times, or once for an
   identical sentence. Pairs of documents that are exact or near-duplicates (word n-gram Jaccard
   >= ``--threshold``) are left to :mod:`dedup.cluster`.
3. **Verification by monotone sentence alignment** (:func:`dedup.align.align_sentences`) of the
   two documents (a document with itself: only pairs from an earlier paragraph to a later one).
   Aligned beads close to each other (gaps of at most :data:`MAX_GAP` sentences) form a *region*;
   a region counts when it is identical text, or has at least 4 beads with mean score >= 0.35,
   3 with mean >= 0.45, or 2 with mean >= 0.7.
4. **Findings**: each region is reported once, on the lower-quality side (more problem characters;
   ties: the later document, or the later passage of one document), as ``DUP111`` (identical text)
   or ``DUP112`` (paraphrase/translation), one finding per run of consecutive sentences of that side
   so that removing it never removes a sentence that was not aligned. ``alignment`` lists every
   aligned pair. Two documents whose sentences mostly align (share >= :data:`VARIANT_SHARE`) form a
   ``variant`` cluster; non-canonical members get ``DUP103``.
5. **Garbled spans by alignment** (``MT350``): inside aligned pairs, tokens of the marked side that
   the other side does not support *and* that look garbled (:func:`looks_garbled`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import xxhash

from .align import Bags, Bead, align_sentences, matrices_from_bags, unsupported_tokens, word_spans
from .cluster import jaccard, stable_id
from .config import ScanConfig
from .fingerprint.minhash import shingle_set, signatures
from .model import AlignedPair, Cluster, Document, Finding, Related
from .rules import Rule, make_finding, register
from .text.normalize import normalize
from .text.segment import segment
from .unionfind import UnionFind

register(Rule("MT350", "garbled-by-alignment", "artifact", "warning",
              "Garbled span that the aligned counterpart sentence does not support.",
              "Inside a sentence pair aligned with a cleaner passage (DUP112/DUP103), tokens absent "
              "from the counterpart that also look garbled: punctuation debris, a stray one-letter "
              "word, a period splitting a phrase."))
register(Rule("MT351", "unsupported-by-reference", "artifact", "warning",
              "Span of the text that the reference does not support (dedup align).",
              "Tokens substituted or dropped by the word-level edit (tercom tie-breaking) from the "
              "aligned reference sentence."))
register(Rule("MT352", "unaligned-sentence", "artifact", "warning",
              "Sentence of the text with no counterpart in the reference (dedup align).",
              "The monotone sentence alignment left it unaligned."))

PASSAGE_CODES = frozenset({"DUP103", "DUP111", "DUP112", "MT350"})
#: A sentence takes part in candidate search when it has this many distinct content stems.
MIN_STEMS = 4
#: MinHash permutations and rows per band of the sentence signatures (21 bands of 3 rows: a pair
#: at stem Jaccard 0.3 collides with probability 0.44, at 0.5 with 0.93, at 0.1 with 0.02).
SENT_PERM, SENT_ROWS = 63, 3
#: Buckets with more sentences than this hold generic sentences: they give no candidates.
MAX_BUCKET = 40
#: Colliding sentence pairs needed before two documents are aligned.
MIN_COLLISIONS = 4
#: Alignment parameters.
MIN_SCORE = 0.3
MAX_GAP = 3
#: A paraphrase bead needs this many content words on each side (not a bare heading).
MIN_BEAD_STEMS = 3
#: Share of sentences aligned at or above which two documents are variants of each other.
VARIANT_SHARE = 0.5
#: An identical region needs at least this many word tokens.
MIN_EXACT_TOKENS = 6


@dataclass(slots=True)
class _Doc:
    doc: Document
    spans: list[tuple[int, int]]
    paras: np.ndarray
    texts: list[str]
    norms: list[str]
    stems: list[list[int]]  # stem ids of each sentence (corpus vocabulary)
    bags: tuple | None = None  # (single, merged) weighted bags, built for candidates only


def prepare(docs: Sequence[Document]) -> tuple[list[_Doc], Bags]:
    """Segment every document and index its sentences' stems (corpus-wide vocabulary/weights)."""
    segs = [segment(d.text) for d in docs]
    texts = [[d.text[s.start:s.end] for s in ss] for d, ss in zip(docs, segs, strict=True)]
    bags = Bags(texts)
    out = []
    for k, (d, ss) in enumerate(zip(docs, segs, strict=True)):
        out.append(_Doc(d, [(s.start, s.end) for s in ss], np.array([s.para for s in ss], dtype=np.int64),
                        texts[k], [normalize(t) for t in texts[k]], bags.ids[k]))
    return out, bags


def _band_pairs(keys: np.ndarray) -> np.ndarray:
    """Pairs ``(s, t)``, ``s < t``, of rows sharing a key, from buckets of 2..MAX_BUCKET rows."""
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    starts = np.flatnonzero(np.concatenate(([True], sk[1:] != sk[:-1])))
    sizes = np.diff(np.concatenate((starts, [len(sk)])))
    chunks = []
    for size in np.unique(sizes[(sizes >= 2) & (sizes <= MAX_BUCKET)]).tolist():
        st = starts[sizes == size]
        members = np.sort(order[st[:, None] + np.arange(size)[None, :]], axis=1)
        ii, jj = np.triu_indices(size, k=1)
        chunks.append(np.stack([members[:, ii].ravel(), members[:, jj].ravel()], axis=1))
    return np.concatenate(chunks) if chunks else np.empty((0, 2), dtype=np.int64)


def candidate_pairs(prepared: Sequence[_Doc], seed: int = 1) -> list[tuple[int, int]]:
    """Document index pairs ``(i, j)``, ``i <= j``, worth aligning (``i == j``: within a document)."""
    owner: list[int] = []
    para: list[int] = []
    norm: list[int] = []
    sets: list[np.ndarray] = []
    for di, p in enumerate(prepared):
        for k, ids in enumerate(p.stems):
            u = np.unique(np.asarray(ids, dtype=np.uint32))
            if len(u) < MIN_STEMS:
                continue
            owner.append(di)
            para.append(int(p.paras[k]))
            norm.append(xxhash.xxh3_64_intdigest(p.norms[k].encode("utf-8", "surrogatepass")))
            sets.append(u)
    if len(sets) < 2:
        return []
    sigs = signatures(sets, SENT_PERM, seed).astype(np.uint64)
    chunks = []
    with np.errstate(over="ignore"):
        for b in range(SENT_PERM // SENT_ROWS):
            keys = np.zeros(len(sets), dtype=np.uint64)
            for r in range(SENT_ROWS):
                keys = keys * np.uint64(0x9E3779B97F4A7C15) + sigs[:, b * SENT_ROWS + r]
            chunks.append(_band_pairs(keys))
    pairs = np.unique(np.concatenate(chunks), axis=0)
    if not len(pairs):
        return []
    own, par = np.asarray(owner), np.asarray(para)
    di, dj = own[pairs[:, 0]], own[pairs[:, 1]]
    keep = (di != dj) | (par[pairs[:, 0]] != par[pairs[:, 1]])
    pairs, di, dj = pairs[keep], di[keep], dj[keep]
    lo, hi = np.minimum(di, dj), np.maximum(di, dj)
    dp, counts = np.unique(np.stack([lo, hi], axis=1), axis=0, return_counts=True)
    chosen = {(a, b) for (a, b), c in zip(dp.tolist(), counts.tolist(), strict=True)
              if c >= MIN_COLLISIONS}
    nh = np.asarray(norm, dtype=np.uint64)
    same = nh[pairs[:, 0]] == nh[pairs[:, 1]]
    chosen.update(zip(lo[same].tolist(), hi[same].tolist(), strict=True))
    return sorted(chosen)


def regions(beads: Sequence[Bead], max_gap: int = MAX_GAP) -> list[list[Bead]]:
    """Split beads (in order) into regions where the sides jump: a gap of more than ``max_gap``
    sentences on both sides, or of more than ``2 * max_gap`` on one side (a longer rendering
    adds material of its own between the sentences it shares).

    >>> bs = [Bead((0, 1), (5, 6), 1.0), Bead((1, 2), (7, 8), 1.0), Bead((20, 21), (20, 21), 1.0)]
    >>> [len(r) for r in regions(bs)]
    [2, 1]
    """
    out: list[list[Bead]] = []
    for b in sorted(beads, key=lambda x: (x.a, x.b)):
        if out:
            last = out[-1][-1]
            ga, gb = b.a[0] - last.a[1], b.b[0] - last.b[1]
            if min(ga, gb) >= 0 and (max(ga, gb) <= max_gap
                                     or (min(ga, gb) <= 1 and max(ga, gb) <= 2 * max_gap)):
                out[-1].append(b)
                continue
        out.append([b])
    return out


def _exact(pa: _Doc, pb: _Doc, bead: Bead) -> bool:
    return (" ".join(pa.norms[bead.a[0]:bead.a[1]]) == " ".join(pb.norms[bead.b[0]:bead.b[1]])
            and bool(pa.norms[bead.a[0]]))


def _stems(p: _Doc, span: tuple[int, int]) -> int:
    return sum(len(p.stems[k]) for k in range(*span))


def accept(region: Sequence[Bead], exact: bool, tokens: int) -> bool:
    """Whether a region is a real overlap (see the module docstring)."""
    if exact:
        return tokens >= MIN_EXACT_TOKENS
    mean = sum(b.score for b in region) / len(region)
    return ((len(region) >= 4 and mean >= 0.35) or (len(region) >= 3 and mean >= 0.45)
            or (len(region) >= 2 and mean >= 0.7))


def _trim_self(region: list[Bead]) -> list[Bead]:
    """Within one document the two sides of a region must not overlap: drop the weaker end bead
    until they do not."""
    while region and max(b.a[1] for b in region) > min(b.b[0] for b in region):
        region = region[1:] if region[0].score <= region[-1].score else region[:-1]
    return region


_GARBLED = re.compile(
    r"(?:[.,;:!?](?:[\"”’']?\s*[.,])+[\"”’']?(?=\s|$))"  # punctuation debris: ". ." ".”." ",,"
    r"|(?:(?<=\s)[b-hj-zB-HJ-Z](?=\s))"  # a stray one-letter word (not a, I)
    r"|(?:(?<=[a-z])\.(?=\s+[a-z]))"  # a period splitting a phrase: "land. equipment"
)


def looks_garbled(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` that look like translation debris.

    >>> t = "in provide appropriate land. equipment or u publish. .”. Fine."
    >>> [t[s:e] for s, e in looks_garbled(t)]
    ['.', 'u', '. .”.']
    """
    return [m.span() for m in _GARBLED.finditer(text)]


def garbled_spans(bad: _Doc, good: _Doc, bead_bad: tuple[int, int], bead_good: tuple[int, int]
                  ) -> list[tuple[int, int]]:
    """Spans (offsets into ``bad.doc.text``) of garbled tokens of the bad side's sentences that the
    good side's sentences do not support."""
    s0, e0 = bad.spans[bead_bad[0]][0], bad.spans[bead_bad[1] - 1][1]
    g0, g1 = good.spans[bead_good[0]][0], good.spans[bead_good[1] - 1][1]
    text, ref = bad.doc.text[s0:e0], good.doc.text[g0:g1]
    toks = word_spans(text)
    flags = unsupported_tokens([text[s:e] for s, e in toks], [ref[s:e] for s, e in word_spans(ref)])
    out = []
    for s, e in looks_garbled(text):
        if any(f and ts < e and s < te for (ts, te), f in zip(toks, flags, strict=True)):
            out.append((s0 + s, s0 + e))
    return out


@dataclass(slots=True)
class _PairResult:
    i: int
    j: int
    share: float
    findings: list[Finding]


def _worse(pa: _Doc, pb: _Doc, quality: Mapping[str, int]) -> bool:
    """Whether side ``a`` is the lower-quality one (ties: the later document)."""
    qa, qb = quality.get(pa.doc.id, 0), quality.get(pb.doc.id, 0)
    if qa != qb:
        return qa > qb
    return pa.doc.id > pb.doc.id


def _span(p: _Doc, lo: int, hi: int) -> tuple[int, int]:
    return p.spans[lo][0], p.spans[hi - 1][1]


def _region_findings(pa: _Doc, pb: _Doc, region: list[Bead], mark_a: bool, exact: bool,
                     codes: frozenset[str]) -> list[Finding]:
    """One finding per run of consecutive sentences on the marked side."""
    if mark_a:
        bad, good, pairs = pa, pb, [(b.a, b.b, b.score) for b in region]
    else:
        bad, good, pairs = pb, pa, [(b.b, b.a, b.score) for b in region]
    pairs.sort()
    runs: list[list[tuple]] = []
    for p in pairs:
        if runs and p[0][0] == runs[-1][-1][0][1]:
            runs[-1].append(p)
        else:
            runs.append([p])
    code = "DUP111" if exact else "DUP112"
    out: list[Finding] = []
    for run in runs:
        start, end = _span(bad, run[0][0][0], run[-1][0][1])
        rs = min(_span(good, *p[1])[0] for p in run)
        re_ = max(_span(good, *p[1])[1] for p in run)
        alignment = [AlignedPair(_span(bad, *p[0]), _span(good, *p[1]), p[2]) for p in run]
        score = sum(p[2] for p in run) / len(run)
        n = sum(p[0][1] - p[0][0] for p in run)
        where = "earlier in this document" if bad.doc.id == good.doc.id else f"in {good.doc.id}"
        if code in codes:
            msg = (f"repeats {n} sentence(s) {where} word for word" if exact else
                   f"says the same as {n} sentence(s) {where} (mean alignment score {score:.2f})")
            if bad.doc.id == good.doc.id and not exact:
                where_msg = "another passage of this document"
                msg = f"says the same as {where_msg} ({n} sentence(s), mean alignment score {score:.2f})"
            out.append(make_finding(code, bad.doc.id, bad.doc.text, start, end, msg, score,
                                    Related(good.doc.id, rs, re_), alignment))
        if "MT350" in codes and not exact:
            for p in run:
                for s, e in garbled_spans(bad, good, p[0], p[1]):
                    gs, ge = _span(good, *p[1])
                    out.append(make_finding("MT350", bad.doc.id, bad.doc.text, s, e,
                                            f"garbled: not supported by the aligned sentence in "
                                            f"{good.doc.id}", p[2], Related(good.doc.id, gs, ge)))
    return out


def align_pair(pa: _Doc, pb: _Doc, quality: Mapping[str, int], codes: frozenset[str]
               ) -> tuple[float, list[Finding]]:
    """Align two prepared documents (or one with itself); return the share of sentences aligned in
    accepted regions and the findings."""
    same = pa is pb
    allowed = (pa.paras[:, None] < pb.paras[None, :]) if same else None
    if len(pa.texts) == 0 or len(pb.texts) == 0:
        return 0.0, []
    mats = matrices_from_bags(pa.bags[0], pa.bags[1], pb.bags[0], pb.bags[1])
    beads = [b for b in align_sentences(pa.texts, pb.texts, min_score=MIN_SCORE, allowed=allowed,
                                        matrices=mats)
             if _exact(pa, pb, b) or min(_stems(pa, b.a), _stems(pb, b.b)) >= MIN_BEAD_STEMS]
    findings: list[Finding] = []
    aligned_a = aligned_b = 0
    for region in regions(beads):
        if same:
            region = _trim_self(region)
            if not region:
                continue
        exact = all(_exact(pa, pb, b) for b in region)
        tokens = sum(len(pa.norms[k].split()) for b in region for k in range(*b.a))
        if not accept(region, exact, tokens):
            continue
        aligned_a += sum(b.a[1] - b.a[0] for b in region)
        aligned_b += sum(b.b[1] - b.b[0] for b in region)
        mark_a = False if same else _worse(pa, pb, quality)
        findings.extend(_region_findings(pa, pb, region, mark_a, exact, codes))
    share = (aligned_a + aligned_b) / (len(pa.texts) + len(pb.texts))
    return share, findings


def find_passages(docs: Sequence[Document], codes: frozenset[str], cfg: ScanConfig,
                  quality: Mapping[str, int]) -> tuple[list[Finding], list[Cluster]]:
    """Duplicate-passage findings (``DUP111``/``DUP112``), garbled spans by alignment (``MT350``),
    and ``variant`` clusters with ``DUP103`` findings. See the module docstring."""
    if not codes & PASSAGE_CODES:
        return [], []
    prepared, bags = prepare(docs)
    findings: list[Finding] = []
    variant_edges: list[tuple[int, int, float]] = []
    for i, j in candidate_pairs(prepared, cfg.seed):
        pa, pb = prepared[i], prepared[j]
        for k, p in ((i, pa), (j, pb)):
            if p.bags is None:
                p.bags = (bags.single(k), bags.merged(k))
        if i != j:
            if pa.doc.text == pb.doc.text:
                continue
            sa, sb = shingle_set(pa.doc.text, cfg.ngram), shingle_set(pb.doc.text, cfg.ngram)
            if len(sa) and len(sb) and jaccard(sa, sb) >= cfg.threshold:
                continue  # a near-duplicate document: dedup.cluster reports it
        share, found = align_pair(pa, pb, quality, codes)
        findings.extend(found)
        if i != j and share >= VARIANT_SHARE:
            variant_edges.append((i, j, share))
    clusters: list[Cluster] = []
    if variant_edges:
        clusters, dfind = variant_clusters(docs, variant_edges, quality, codes)
        findings.extend(dfind)
    return findings, clusters


def variant_clusters(docs: Sequence[Document], edges: Sequence[tuple[int, int, float]],
                     quality: Mapping[str, int], codes: frozenset[str]
                     ) -> tuple[list[Cluster], list[Finding]]:
    """``variant`` clusters (union-find over aligned document pairs) and ``DUP103`` findings."""
    uf = UnionFind(len(docs))
    share: dict[tuple[int, int], float] = {}
    for i, j, s in edges:
        uf.union(i, j)
        share[(i, j)] = s
    clusters, findings = [], []
    for comp in uf.groups():
        if len(comp) < 2:
            continue
        members = [docs[k] for k in sorted(comp)]
        canon = min(members, key=lambda d: (quality.get(d.id, 0), -len(d.text), d.id))
        ids = sorted(d.id for d in members)
        sims = [s for (i, j), s in share.items() if i in comp and j in comp]
        clusters.append(Cluster(stable_id("C", "variant", *ids), "variant", canon.id, ids, min(sims)))
        if "DUP103" not in codes:
            continue
        ci = next(k for k in comp if docs[k].id == canon.id)
        for k in sorted(comp):
            d = docs[k]
            if d.id == canon.id:
                continue
            s = share.get((min(k, ci), max(k, ci)), min(sims))
            findings.append(make_finding(
                "DUP103", d.id, d.text, 0, len(d.text),
                f"translation or rewrite of {canon.id} ({s:.0%} of sentences align)", s,
                Related(canon.id, 0, len(canon.text))))
    return clusters, findings


__all__ = ["PASSAGE_CODES", "accept", "align_pair", "candidate_pairs", "find_passages",
           "garbled_spans", "looks_garbled", "regions", "variant_clusters"]
