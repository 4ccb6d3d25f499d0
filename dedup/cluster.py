"""Document-level duplicates: exact (content hash) and near (MinHash/LSH, verified), clustered.

The stage is split so another engine can run the middle part elsewhere:
``fingerprint_documents`` (document → shingles, signature, band keys),
``candidate_pairs`` + ``verify_pairs`` (bucket → verified edges),
``build_clusters`` (edges → components, canonical member, findings).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import xxhash

from .config import ScanConfig
from .fingerprint.lsh import band_keys, candidate_pairs
from .fingerprint.minhash import (
    batch_ngrams,
    batch_shingles,
    batch_signatures,
    batch_token_hashes,
    sequence_hashes,
    shingle32,
    shingle_set,
    sorted_unique,
    split_counts,
)
from .model import Cluster, Document, Finding, Related
from .rules import make_finding
from .unionfind import UnionFind
from .workers import fork_map, size_runs


def content_hash(text: str) -> str:
    """xxh3-128 of the text's UTF-8 bytes (lone surrogates kept), as hex."""
    return xxhash.xxh3_128_hexdigest(text.encode("utf-8", "surrogatepass"))


def stable_id(prefix: str, *parts: str) -> str:
    return prefix + xxhash.xxh3_64_hexdigest("\x00".join(parts).encode("utf-8", "surrogatepass"))


@dataclass(slots=True)
class Fingerprints:
    """Signatures and LSH band keys of a list of texts (row i = text i), and the raw shingles of
    each text when they fitted the memory budget (else ``None``)."""

    sigs: np.ndarray  # n x num_perm uint32
    keys: np.ndarray  # n x bands uint64
    shingles: list[np.ndarray] | None = None
    sequence: np.ndarray | None = None  # sequence hash of each text's tokens, 0: no word (finding ids)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard of two sorted unique arrays (two empty sets: 1.0).

    A stable sort (timsort for 64-bit values) of the two sorted runs merges them in linear time,
    and each shared value then sits next to its copy: what ``np.intersect1d`` counts, 2-7x faster
    from a few hundred values on (it sorts the two anew).

    >>> jaccard(np.array([1, 3, 5, 7]), np.array([3, 4, 5])), jaccard(np.array([]), np.array([]))
    (0.4, 1.0)
    """
    if len(a) == 0 and len(b) == 0:
        return 1.0
    both = np.concatenate((a, b))
    both.sort(kind="stable")
    inter = int(np.count_nonzero(both[1:] == both[:-1]))
    return inter / (len(a) + len(b) - inter)


@dataclass(slots=True)
class BatchFingerprints:
    """A batch of texts tokenised, hashed and signed at once (:func:`shingles_and_signatures`)."""

    shingles: np.ndarray  # every text's shingles, text order, concatenated
    counts: np.ndarray  # shingles of each text
    sigs: np.ndarray  # len(texts) x num_perm
    sequence: np.ndarray | None  # sequence hash of each text's tokens, 0: no word (finding ids, see report.fingerprint)


def shingles_and_signatures(texts: Sequence[str | bytes], ngram: int, num_perm: int, seed: int,
                            sequence: bool = False) -> BatchFingerprints:
    """The whole batch (texts or their UTF-8 bytes) tokenised, hashed and signed at once (and, if
    asked, the sequence hash of each text's tokens: 0 for a text without a word)."""
    th, ntok = batch_token_hashes(texts)
    sh, counts = batch_ngrams(th, ntok, ngram)
    seq = np.where(ntok > 0, sequence_hashes(th, ntok), np.uint64(0)) if sequence else None
    return BatchFingerprints(sh, counts, batch_signatures(shingle32(sh), counts, num_perm, seed), seq)


def signature_batch(args: tuple[Sequence[str], int, int, int, bool]
                    ) -> tuple[np.ndarray, list | None, np.ndarray]:
    """Signatures of ``texts``, if ``keep`` their raw shingles, and the sequence hash of each
    text's tokens (0: no word; see :func:`dedup.report.fingerprint.content_keys`) — a worker task."""
    texts, ngram, num_perm, seed, keep = args
    fp = shingles_and_signatures(texts, ngram, num_perm, seed, sequence=True)
    return fp.sigs, split_counts(fp.shingles, fp.counts) if keep else None, fp.sequence


#: Below this many characters worker processes cost more than they save (measured: the 5 MB BBC
#: corpus takes ~0.4 s in process, ~0.45 s with two forked workers).
PARALLEL_MIN_CHARS = 16_000_000
#: Keep shingles from the signature pass for verification while they fit in this many bytes
#: (8 bytes per word of text); beyond it, candidates are re-shingled from their text.
KEEP_SHINGLES_BYTES = 1 << 30


def fingerprint_texts(texts: Sequence[str], cfg: ScanConfig, progress: Callable[[int], None] | None = None,
                      batch: int = 512) -> Fingerprints:
    """Signatures (in ``cfg.jobs`` worker processes for large inputs) and band keys."""
    bands, rows = cfg.bands
    total_chars = sum(len(t) for t in texts)
    keep = total_chars * 2 <= KEEP_SHINGLES_BYTES  # ~6 chars a word, 8 bytes a shingle
    parallel = cfg.jobs > 1 and total_chars >= PARALLEL_MIN_CHARS
    # batches of at most `batch` documents and, over processes, of about an eighth of a process's
    # share of the text: long documents (licences, manuals) make few batches of 512 otherwise, and
    # one process got most of the work
    chars = min(max(total_chars // (8 * cfg.jobs), 1 << 18), 1 << 23) if parallel else total_chars + 1
    tasks = [(texts[lo:hi], cfg.ngram, cfg.num_perm, cfg.seed, keep) for lo, hi in size_runs(map(len, texts), chars, batch)]
    parts: list[np.ndarray] = []
    seqs: list[np.ndarray] = []
    kept: list[np.ndarray] | None = [] if keep else None
    if parallel:
        import multiprocessing as mp

        ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        with ctx.Pool(cfg.jobs) as pool:
            results = pool.imap(signature_batch, tasks, chunksize=1)  # ordered: deterministic
            for part, sh, seq in results:
                parts.append(part)
                seqs.append(seq)
                if kept is not None:
                    kept.extend(sh)
                if progress:
                    progress(len(part))
    else:
        for task in tasks:
            part, sh, seq = signature_batch(task)
            parts.append(part)
            seqs.append(seq)
            if kept is not None:
                kept.extend(sh)
            if progress:
                progress(len(part))
    sigs = np.concatenate(parts) if parts else np.empty((0, cfg.num_perm), dtype=np.uint32)
    sequence = np.concatenate(seqs) if seqs else np.empty(0, dtype=np.uint64)
    return Fingerprints(sigs, band_keys(sigs, bands, rows), kept, sequence)


class LazyShingles:
    """Shingle sets computed on first use: only documents in candidate pairs are ever shingled.
    ``raw[i]``, when given, holds document ``i``'s shingles in text order (a list, or anything
    indexable such as a spool file of them); else they come from ``text_of(i)``."""

    def __init__(self, text_of: Callable[[int], str] | None, ngram: int, raw=None, cache: bool = True):
        self.text_of = text_of
        self.ngram = ngram
        self.raw = raw
        self._sets: dict[int, np.ndarray] | None = {} if cache else None

    def __getitem__(self, i: int) -> np.ndarray:
        s = self._sets.get(i) if self._sets is not None else None
        if s is None:
            s = sorted_unique(self.raw[i]) if self.raw is not None else shingle_set(self.text_of(i), self.ngram)
            if self._sets is not None:
                self._sets[i] = s
        return s


def jaccard_at_least(a: np.ndarray, b: np.ndarray, threshold: float) -> float | None:
    """:func:`jaccard` of two non-empty sorted unique sets when it is at least ``threshold``, else
    None (an empty set never matches). The Jaccard is at most the ratio of the sizes (one set
    inside the other), and the float division :func:`jaccard` makes then is that ratio's: below
    the threshold, the sets are not joined at all.

    >>> jaccard_at_least(np.array([1, 2, 3, 4]), np.array([1, 2, 3, 4, 5]), 0.8), jaccard_at_least(np.array([1]), np.array([1, 2]), 0.8)
    (0.8, None)
    """
    if len(a) == 0 or len(b) == 0 or min(len(a), len(b)) / max(len(a), len(b)) < threshold:
        return None
    s = jaccard(a, b)
    return s if s >= threshold else None


def verify_pairs(pairs: np.ndarray, shingles, threshold: float) -> list[tuple[int, int, float]]:
    """Keep candidate pairs whose exact shingle Jaccard is >= threshold (empty sets never match).

    ``shingles[i]`` is the sorted unique shingle set of document ``i`` (a list or
    :class:`LazyShingles`).
    """
    out = []
    for i, j in pairs.tolist():
        s = jaccard_at_least(shingles[i], shingles[j], threshold)
        if s is not None:
            out.append((i, j, s))
    return out


def component_groups(pairs: np.ndarray, jobs: int) -> list[np.ndarray]:
    """Candidate pairs cut into groups of whole connected components (of the candidate graph), a
    few groups per worker and each small enough that the sets it caches stay small: a document's
    set is then built by one task only. A component with more pairs than a group holds is cut into
    runs of its pairs (in order of their first document) instead: its documents' sets are then
    built by each run that needs them, and one large component (a licence in hundreds of files)
    spreads over the workers instead of holding one of them for most of the stage.

    >>> [g.tolist() for g in component_groups(np.array([[0, 1], [5, 6], [1, 2]]), 1)]
    [[[0, 1], [1, 2], [5, 6]]]
    """
    uf = UnionFind(int(pairs.max()) + 1)
    for i, j in pairs.tolist():
        uf.union(i, j)
    roots = np.fromiter((uf.find(int(i)) for i in pairs[:, 0]), dtype=np.int64, count=len(pairs))
    order = np.lexsort((pairs[:, 1], pairs[:, 0], roots))
    pairs, roots = pairs[order], roots[order]
    cuts = np.flatnonzero(roots[1:] != roots[:-1]) + 1  # component boundaries
    size = min(20000, max(2000, -(-len(pairs) // (4 * jobs))))
    groups, lo = [], 0
    bounds = [0, *cuts.tolist(), len(pairs)]
    for c_lo, c_hi in itertools.pairwise(bounds):
        if c_hi - c_lo > size:  # one component larger than a group: runs of its pairs
            if lo < c_lo:
                groups.append(pairs[lo:c_lo])
            groups.extend(pairs[k:min(k + size, c_hi)] for k in range(c_lo, c_hi, size))
            lo = c_hi
        elif c_hi - lo >= size or c_hi == len(pairs):
            groups.append(pairs[lo:c_hi])
            lo = c_hi
    return groups


#: An engine turns texts into verified near-duplicate edges ``(i, j, jaccard)`` with ``i < j``
#: (indices into ``texts``) plus stats. The local one is :func:`local_edges`; another engine
#: (e.g. Ray) must return exactly the same edges for the same texts and config. It may also put
#: ``stats["component_labels"]`` (an int array: each text's component, found its own way); the
#: driver then only joins each text to its label instead of uniting every edge; and
#: ``stats["raw_shingles"]`` (each text's shingles, text order) to score clusters without
#: shingling their texts again.
EdgeFinder = Callable[[Sequence[str], ScanConfig, "Callable[[int], None] | None"],
                      tuple[list[tuple[int, int, float]], dict]]


def local_edges(texts: Sequence[str], cfg: ScanConfig, progress: Callable[[int], None] | None = None
                ) -> tuple[list[tuple[int, int, float]], dict]:
    """Verified near-duplicate edges, computed in this process."""
    fp = fingerprint_texts(texts, cfg, progress)
    pairs = candidate_pairs(fp.keys)
    groups = component_groups(pairs, cfg.jobs) if len(pairs) else []

    def verify(group: np.ndarray) -> list[tuple[int, int, float]]:
        return verify_pairs(group, LazyShingles(texts.__getitem__, cfg.ngram, fp.shingles), cfg.threshold)

    jobs = cfg.jobs if len(pairs) >= PARALLEL_MIN_PAIRS else 1
    edges = sorted(e for part in fork_map(verify, groups, jobs) for e in part)
    stats = {"candidate_pairs": int(len(pairs)), "verified_pairs": len(edges)}
    if fp.shingles is not None:
        stats["raw_shingles"] = fp.shingles  # for the driver's cluster scores; never reported
    stats["sequence"] = fp.sequence  # for the finding ids of whole documents; never reported
    return edges, stats


#: Candidate pairs verified in ``cfg.jobs`` forked processes from this many on.
PARALLEL_MIN_PAIRS = 20_000


@dataclass(slots=True)
class DocDupResult:
    clusters: list[Cluster]
    findings: list[Finding]
    stats: dict
    #: document id -> (length, sequence hash of its tokens) when the engine computed them: the
    #: finding ids of whole-document findings without re-tokenising (report.fingerprint.content_keys)
    known: dict[str, tuple[int, int]] | None = None


def group_exact(hashes: Sequence[str | int]) -> tuple[list[int], list[list[int]]]:
    """Representatives (first index of each distinct content hash) and the members of each."""
    group_of: dict[str | int, int] = {}
    reps: list[int] = []
    members_of_rep: list[list[int]] = []
    for i, h in enumerate(hashes):
        g = group_of.get(h)
        if g is None:
            group_of[h] = len(reps)
            reps.append(i)
            members_of_rep.append([i])
        else:
            members_of_rep[g].append(i)
    return reps, members_of_rep


def union_edges(n: int, edges: Sequence[tuple[int, int, float]], estats: dict) -> UnionFind:
    """Union-find over representatives from an engine's edges (or its own component labels)."""
    uf = UnionFind(n)
    labels = estats.pop("component_labels", None)  # an engine's own connected components
    for i, j in (enumerate(labels.tolist()) if labels is not None else (e[:2] for e in edges)):
        uf.union(i, j)
    return uf


def canonical_key(doc_id: str, size: int, problem_chars: Mapping[str, int]) -> tuple[int, int, str]:
    """Sort key of the canonical choice (the smallest wins): fewest problem characters, then
    longest, then smallest id. Used for every kind of cluster."""
    return problem_chars.get(doc_id, 0), -size, doc_id


def build_clusters(
    uf: UnionFind,
    reps: Sequence[int],
    members_of_rep: Sequence[Sequence[int]],
    ids: Sequence[str],
    sizes: Sequence[int],
    text_of: Callable[[int], str],
    cfg: ScanConfig,
    codes: frozenset[str],
    problem_chars: Mapping[str, int],
    sets=None,
) -> tuple[list[Cluster], list[Finding]]:
    """Clusters of documents (by index) with canonical members and one finding per other member.

    Canonical member: fewest problem characters, then longest, then smallest id. Texts are
    fetched with ``text_of`` only for documents that are in a cluster; ``sets[g]`` is the shingle
    set of representative ``g`` (default: shingled from its text on demand).
    """
    if sets is None:  # each set is needed once (a component's canonical set is held while it is built)
        sets = LazyShingles(lambda g: text_of(reps[g]), cfg.ngram, cache=False)
    clusters: list[Cluster] = []
    findings: list[Finding] = []
    for comp in uf.groups():
        member_idx = sorted(m for g in comp for m in members_of_rep[g])
        if len(member_idx) < 2:
            continue
        if len(comp) == 1 and "DUP101" not in codes:
            continue
        canon = min(member_idx, key=lambda m: canonical_key(ids[m], sizes[m], problem_chars))
        canon_rep = next(g for g in comp if canon in members_of_rep[g])
        canon_text = text_of(canon)
        sims: dict[int, float] = {}
        canon_set = sets[canon_rep] if len(comp) > 1 else None
        for g in comp:
            s = 1.0
            if canon_set is not None and g != canon_rep:
                s = jaccard(sets[g], canon_set)
            for m in members_of_rep[g]:
                sims[m] = s
        kind = "exact" if len(comp) == 1 else "near-duplicate"
        others = [m for m in member_idx if m != canon]
        member_ids = sorted(ids[m] for m in member_idx)
        clusters.append(Cluster(stable_id("C", kind, *member_ids), kind, ids[canon], member_ids,
                                min(sims[m] for m in others)))
        for m in others:
            text = text_of(m)
            identical = text == canon_text
            rule = "DUP101" if identical else "DUP102"
            if rule not in codes:
                continue
            msg = (f"byte-identical to {ids[canon]}" if identical
                   else f"near-duplicate of {ids[canon]} (word {cfg.ngram}-gram Jaccard {sims[m]:.3f})")
            findings.append(make_finding(rule, ids[m], text, 0, len(text), msg, sims[m],
                                         Related(ids[canon], 0, len(canon_text))))
    clusters.sort(key=lambda c: (c.members[0], c.id))
    return clusters, findings


def find_duplicate_documents(
    docs: Sequence[Document],
    cfg: ScanConfig,
    codes: frozenset[str],
    problem_chars: Mapping[str, int] | None = None,
    progress: Callable[[int], None] | None = None,
    engine: EdgeFinder | None = None,
) -> DocDupResult:
    """Exact and near-duplicate clusters of ``docs`` with one finding per non-canonical member."""
    reps, members_of_rep = group_exact([content_hash(d.text) for d in docs])
    stats: dict = {"distinct_texts": len(reps)}
    edges: list[tuple[int, int, float]] = []
    estats: dict = {}
    if "DUP102" in codes:  # near duplicates among representatives (the engine finds verified edges)
        edges, estats = (engine or local_edges)([docs[i].text for i in reps], cfg, progress)
    elif progress:
        progress(len(reps))
    raw = estats.pop("raw_shingles", None)
    seq = estats.pop("sequence", None)
    known = None
    if seq is not None:
        known = {docs[i].id: (len(docs[i].text), h) for h, members in
                 zip(seq.tolist(), members_of_rep, strict=True) if h for i in members}
    uf = union_edges(len(reps), edges, estats)
    stats.update(estats)
    sets = (LazyShingles(None, cfg.ngram, raw, cache=False) if raw is not None
            else bulk_sets(lambda g: docs[reps[g]].text, uf.groups(), cfg.ngram))
    clusters, findings = build_clusters(
        uf, reps, members_of_rep, [d.id for d in docs], [len(d.text) for d in docs],
        lambda i: docs[i].text, cfg, codes, problem_chars or {}, sets)
    return DocDupResult(clusters, findings, stats, known)


def bulk_sets(text_of: Callable[[int], str], groups: Sequence[Sequence[int]], ngram: int, batch: int = 512
              ) -> dict[int, np.ndarray]:
    """Shingle sets of the representatives of every component with more than one, tokenised and
    hashed a batch of texts at a time (:func:`batch_shingles`)."""
    need = [g for comp in groups if len(comp) > 1 for g in comp]
    out: dict[int, np.ndarray] = {}
    for lo in range(0, len(need), batch):
        part = need[lo : lo + batch]
        for g, sh in zip(part, split_counts(*batch_shingles([text_of(g) for g in part], ngram)), strict=True):
            out[g] = sorted_unique(sh)
    return out
