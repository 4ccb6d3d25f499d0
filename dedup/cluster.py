"""Document-level duplicates: exact (content hash) and near (MinHash/LSH, verified), clustered.

The stage is split so another engine can run the middle part elsewhere:
``fingerprint_documents`` (document → shingles, signature, band keys),
``candidate_pairs`` + ``verify_pairs`` (bucket → verified edges),
``build_clusters`` (edges → components, canonical member, findings).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import xxhash

from .config import ScanConfig
from .fingerprint.lsh import band_keys, candidate_pairs
from .fingerprint.minhash import shingle32, shingle_set, signatures
from .model import Cluster, Document, Finding, Related
from .rules import make_finding
from .unionfind import UnionFind


def content_hash(text: str) -> str:
    """xxh3-128 of the text's UTF-8 bytes (lone surrogates kept), as hex."""
    return xxhash.xxh3_128_hexdigest(text.encode("utf-8", "surrogatepass"))


def stable_id(prefix: str, *parts: str) -> str:
    return prefix + xxhash.xxh3_64_hexdigest("\x00".join(parts).encode("utf-8", "surrogatepass"))


@dataclass(slots=True)
class Fingerprints:
    """Per-document fingerprints of the representatives (one per distinct content)."""

    shingles: list[np.ndarray]  # sorted unique uint64 shingle hashes
    sigs: np.ndarray  # n x num_perm uint32
    keys: np.ndarray  # n x bands uint64


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard of two sorted unique arrays (two empty sets: 1.0)."""
    if len(a) == 0 and len(b) == 0:
        return 1.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)


def fingerprint_texts(texts: Sequence[str], cfg: ScanConfig, progress: Callable[[int], None] | None = None,
                      batch: int = 256) -> Fingerprints:
    bands, rows = cfg.bands
    shingles: list[np.ndarray] = []
    sig_parts: list[np.ndarray] = []
    for lo in range(0, len(texts), batch):
        part = [shingle_set(t, cfg.ngram) for t in texts[lo : lo + batch]]
        shingles.extend(part)
        sig_parts.append(signatures([shingle32(s) for s in part], cfg.num_perm, cfg.seed))
        if progress:
            progress(len(part))
    sigs = np.concatenate(sig_parts) if sig_parts else np.empty((0, cfg.num_perm), dtype=np.uint32)
    return Fingerprints(shingles, sigs, band_keys(sigs, bands, rows))


def verify_pairs(pairs: np.ndarray, shingles: Sequence[np.ndarray], threshold: float
                 ) -> list[tuple[int, int, float]]:
    """Keep candidate pairs whose exact shingle Jaccard is >= threshold (empty sets never match)."""
    out = []
    for i, j in pairs.tolist():
        a, b = shingles[i], shingles[j]
        if len(a) == 0 or len(b) == 0:
            continue
        s = jaccard(a, b)
        if s >= threshold:
            out.append((i, j, s))
    return out


#: An engine turns texts into verified near-duplicate edges ``(i, j, jaccard)`` with ``i < j``
#: (indices into ``texts``) plus stats. The local one is :func:`local_edges`; another engine
#: (e.g. Ray) must return exactly the same edges for the same texts and config. It may also put
#: ``stats["component_labels"]`` (an int array: each text's component, found its own way); the
#: driver then only joins each text to its label instead of uniting every edge.
EdgeFinder = Callable[[Sequence[str], ScanConfig, "Callable[[int], None] | None"],
                      tuple[list[tuple[int, int, float]], dict]]


def local_edges(texts: Sequence[str], cfg: ScanConfig, progress: Callable[[int], None] | None = None
                ) -> tuple[list[tuple[int, int, float]], dict]:
    """Verified near-duplicate edges, computed in this process."""
    fp = fingerprint_texts(texts, cfg, progress)
    pairs = candidate_pairs(fp.keys)
    edges = verify_pairs(pairs, fp.shingles, cfg.threshold)
    return edges, {"candidate_pairs": int(len(pairs)), "verified_pairs": len(edges)}


@dataclass(slots=True)
class DocDupResult:
    clusters: list[Cluster]
    findings: list[Finding]
    stats: dict


def find_duplicate_documents(
    docs: Sequence[Document],
    cfg: ScanConfig,
    codes: frozenset[str],
    problem_chars: Mapping[str, int] | None = None,
    progress: Callable[[int], None] | None = None,
    engine: EdgeFinder | None = None,
) -> DocDupResult:
    """Exact and near-duplicate clusters of ``docs`` with one finding per non-canonical member."""
    problem_chars = problem_chars or {}
    # 1. exact groups by content hash; the first document of each group represents it
    group_of: dict[str, int] = {}
    reps: list[int] = []
    members_of_rep: list[list[int]] = []
    for i, d in enumerate(docs):
        h = content_hash(d.text)
        g = group_of.get(h)
        if g is None:
            group_of[h] = len(reps)
            reps.append(i)
            members_of_rep.append([i])
        else:
            members_of_rep[g].append(i)
    stats: dict = {"distinct_texts": len(reps)}
    # 2. near duplicates among representatives (the engine finds verified edges)
    uf = UnionFind(len(reps))
    near = "DUP102" in codes
    if near:
        edges, estats = (engine or local_edges)([docs[i].text for i in reps], cfg, progress)
        labels = estats.pop("component_labels", None)  # an engine's own connected components
        for i, j in (enumerate(labels.tolist()) if labels is not None else (e[:2] for e in edges)):
            uf.union(i, j)
        stats.update(estats)
    elif progress:
        progress(len(reps))
    # 3. clusters
    clusters: list[Cluster] = []
    findings: list[Finding] = []
    for comp in uf.groups():
        member_idx = sorted(m for g in comp for m in members_of_rep[g])
        if len(member_idx) < 2:
            continue
        if len(comp) == 1 and "DUP101" not in codes:
            continue
        mdocs = [docs[m] for m in member_idx]
        canon = min(mdocs, key=lambda d: (problem_chars.get(d.id, 0), -len(d.text), d.id))
        canon_text = canon.text
        canon_rep = next(g for g in comp if any(docs[m].id == canon.id for m in members_of_rep[g]))
        sims: dict[str, float] = {}
        canon_set = shingle_set(docs[reps[canon_rep]].text, cfg.ngram) if len(comp) > 1 else None
        for g in comp:
            s = 1.0
            if canon_set is not None and g != canon_rep:
                s = jaccard(shingle_set(docs[reps[g]].text, cfg.ngram), canon_set)
            for m in members_of_rep[g]:
                sims[docs[m].id] = s
        kind = "exact" if len(comp) == 1 else "near-duplicate"
        ids = sorted(d.id for d in mdocs)
        others = [d for d in mdocs if d.id != canon.id]
        cluster = Cluster(stable_id("C", kind, *ids), kind, canon.id, ids,
                          min(sims[d.id] for d in others))
        clusters.append(cluster)
        for d in others:
            identical = d.text == canon_text
            rule = "DUP101" if identical else "DUP102"
            if rule not in codes:
                continue
            msg = (f"byte-identical to {canon.id}" if identical
                   else f"near-duplicate of {canon.id} (word {cfg.ngram}-gram Jaccard {sims[d.id]:.3f})")
            findings.append(make_finding(rule, d.id, d.text, 0, len(d.text), msg, sims[d.id],
                                         Related(canon.id, 0, len(canon_text))))
    clusters.sort(key=lambda c: (c.members[0], c.id))
    return DocDupResult(clusters, findings, stats)
