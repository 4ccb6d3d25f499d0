"""Document-level scan that streams the corpus: memory bounded by the index, not by the text.

Used when only document-level rules (DUP101, DUP102) are selected. One pass over the input:
each document's text is spooled to a temporary file (so any input — JSONL, gzip, Parquet,
stdin — can be re-read by offset), hashed for exact duplicates and fingerprinted in worker
processes; only the LSH band keys (not the signatures) and a few numbers per document stay in
memory. Candidates are then verified by re-reading their texts from the spool, one group of
candidate-graph components at a time (each text shingled once), and clusters are built exactly as the in-memory path builds them (same functions), so the
report is identical.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np
import xxhash

from .cluster import (
    BatchFingerprints,
    LazyShingles,
    build_clusters,
    component_groups,
    group_exact,
    shingles_and_signatures,
    union_edges,
    verify_pairs,
)
from .config import ScanConfig
from .fingerprint.lsh import band_keys, candidate_pairs
from .model import Document

DOC_RULES = frozenset({"DUP101", "DUP102"})


class Spool:
    """Records (bytes) appended to one temporary file, read back by index."""

    def __init__(self, directory: str | None = None):
        self._fd, self.path = tempfile.mkstemp(prefix="dedup-spool-", dir=directory)
        self._f = os.fdopen(self._fd, "w+b")
        self.offsets: list[int] = []
        self.lengths: list[int] = []
        self._end = 0

    def append(self, data: bytes) -> None:
        self._f.write(data)
        self.offsets.append(self._end)
        self.lengths.append(len(data))
        self._end += len(data)

    def flush(self) -> None:
        self._f.flush()

    def where(self, i: int) -> tuple[int, int]:
        """(offset, length) of record ``i``."""
        return self.offsets[i], self.lengths[i]

    def read(self, i: int) -> bytes:
        """Record ``i`` (call :meth:`flush` after the last append)."""
        return os.pread(self._f.fileno(), self.lengths[i], self.offsets[i])

    def close(self) -> None:
        self._f.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass


class TextSpool(Spool):
    """Texts (UTF-8, lone surrogates kept)."""

    def add(self, text: str) -> None:
        self.append(text.encode("utf-8", "surrogatepass"))

    def get(self, i: int) -> str:
        return self.read(i).decode("utf-8", "surrogatepass")


class ShingleSpool(Spool):
    """The shingles (uint64, text order) of each distinct text, written a batch at a time."""

    def add_batch(self, shingles: np.ndarray, counts: np.ndarray) -> None:
        data = shingles.astype(np.uint64, copy=False).tobytes()
        ends = np.cumsum(counts) * 8
        self._f.write(data)
        self.offsets.extend((self._end + ends - counts * 8).tolist())
        self.lengths.extend((counts * 8).tolist())
        self._end += len(data)

    def __getitem__(self, i: int) -> np.ndarray:
        return np.frombuffer(self.read(i), dtype=np.uint64)


class _Records:
    """``records[i]``: the uint64 array at ``where[i]`` of an open file (in a worker process)."""

    def __init__(self, fd: int, where: dict[int, tuple[int, int]]):
        self.fd, self.where = fd, where

    def __getitem__(self, i: int) -> np.ndarray:
        offset, length = self.where[i]
        return np.frombuffer(os.pread(self.fd, length, offset), dtype=np.uint64)


def _verify_group(args: tuple[str, list[tuple[int, int]], dict[int, tuple[int, int]], int, float]
                  ) -> list[tuple[int, int, float]]:
    """Verify the candidate pairs of a group of components, shingles read from the spool file."""
    path, pairs, where, ngram, threshold = args
    fd = os.open(path, os.O_RDONLY)
    try:
        sets = LazyShingles(None, ngram, _Records(fd, where))
        return verify_pairs(np.array(pairs, dtype=np.int64).reshape(-1, 2), sets, threshold)
    finally:
        os.close(fd)


def verify_streamed(pairs: np.ndarray, spool: ShingleSpool, cfg: ScanConfig) -> list[tuple[int, int, float]]:
    """Exact Jaccard of candidate pairs (indices of distinct texts), shingles re-read from the spool.

    Pairs are ordered by connected component of the candidate graph, so each text's set is built
    once; groups of whole components are verified in ``cfg.jobs`` worker processes.
    """
    if len(pairs) == 0:
        return []
    tasks = []
    for group in component_groups(pairs, cfg.jobs):
        chunk = [tuple(p) for p in group.tolist()]
        where = {r: spool.where(r) for p in chunk for r in p}
        tasks.append((spool.path, chunk, where, cfg.ngram, cfg.threshold))
    edges: list[tuple[int, int, float]] = []
    if cfg.jobs > 1 and len(tasks) > 1:
        import multiprocessing as mp

        ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        with ctx.Pool(cfg.jobs) as pool:
            for part in pool.imap(_verify_group, tasks):
                edges.extend(part)
    else:
        for t in tasks:
            edges.extend(_verify_group(t))
    edges.sort()
    return edges


def _keys_batch(args: tuple[list[str], int, int, int, int, int]) -> tuple[np.ndarray, BatchFingerprints]:
    """LSH band keys of a batch of texts (signatures as in :func:`dedup.cluster.fingerprint_texts`),
    and the batch's fingerprints without the signatures (the shingles go to the spool)."""
    texts, ngram, num_perm, seed, bands, rows = args
    fp = shingles_and_signatures(texts, ngram, num_perm, seed, sequence=True)
    keys = band_keys(fp.sigs, bands, rows)
    fp.sigs = fp.sigs[:0]  # not sent back
    return keys, fp


def _batches(docs: Iterable[Document], size: int) -> Iterator[list[Document]]:
    batch: list[Document] = []
    for d in docs:
        batch.append(d)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def scan_documents_streaming(
    docs: Iterable[Document], cfg: ScanConfig, codes: frozenset[str],
    progress: Callable[[int], None] | None = None, batch: int = 1024,
) -> tuple[list[Document], list, list, dict, dict[str, tuple[int, int]]]:
    """(documents without their texts, clusters, findings, stats, and for each document with a
    finding its length and the sequence hash of its tokens — see :func:`dedup.report.fingerprint.content_keys`)."""
    bands, rows = cfg.bands
    spool = TextSpool()
    shingles = ShingleSpool()
    metas: list[Document] = []
    hashes: list[int] = []
    seen: set[int] = set()  # content hashes fingerprinted already
    rep_keys: list[np.ndarray] = []  # band keys of each distinct text, in order of first occurrence
    sequence: list[np.ndarray] = []  # sequence hash of each distinct text's tokens (finding ids)
    near = "DUP102" in codes
    pool = None
    try:
        def fingerprint_jobs() -> Iterator[tuple]:
            """Read, spool and hash documents; yield a band-key task for each batch's new texts."""
            for part in _batches(docs, batch):
                fresh_txt: list[str] = []
                for d in part:
                    data = d.text.encode("utf-8", "surrogatepass")
                    h = xxhash.xxh3_128_intdigest(data)
                    hashes.append(h)
                    spool.append(data)
                    if h not in seen:
                        seen.add(h)
                        fresh_txt.append(d.text)
                    metas.append(Document(d.id, "", d.source, d.fmt, d.path, d.line, d.root, d.lang,
                                          size=len(d.text)))
                if progress:
                    progress(len(part))
                yield (fresh_txt, cfg.ngram, cfg.num_perm, cfg.seed, bands, rows)

        def collect(result: tuple[np.ndarray, BatchFingerprints]) -> None:
            keys, fp = result
            rep_keys.append(keys)
            shingles.add_batch(fp.shingles, fp.counts)
            sequence.append(np.where(fp.tokens > 0, fp.sequence, np.uint64(0)))  # 0: no word

        jobs = fingerprint_jobs()
        if near and cfg.jobs > 1:
            import multiprocessing as mp

            ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
            pool = ctx.Pool(cfg.jobs)
            pending: list = []
            for task in jobs:
                pending.append(pool.apply_async(_keys_batch, (task,)))
                while len(pending) > 2 * cfg.jobs:  # bounded queue: memory stays flat
                    collect(pending.pop(0).get())
            for res in pending:
                collect(res.get())
        else:
            for task in jobs:
                if near:
                    collect(_keys_batch(task))
        if pool is not None:
            pool.close()
            pool.join()
            pool = None

        spool.flush()
        shingles.flush()
        reps, members_of_rep = group_exact(hashes)  # reps: first occurrences, as rep_keys are
        stats: dict = {"distinct_texts": len(reps), "streamed": True}
        edges: list[tuple[int, int, float]] = []
        sets = None
        if near:
            keys = np.concatenate(rep_keys) if rep_keys else np.empty((0, bands), dtype=np.uint64)
            pairs = candidate_pairs(keys)
            del keys, rep_keys
            edges = verify_streamed(pairs, shingles, cfg)
            stats.update(candidate_pairs=int(len(pairs)), verified_pairs=len(edges))
            sets = LazyShingles(None, cfg.ngram, shingles, cache=False)  # read once each: memory stays flat
        uf = union_edges(len(reps), edges, {})
        ids = [m.id for m in metas]
        sizes = [m.size for m in metas]
        # texts are read back only for cluster members, and only while their cluster is built:
        # documents keep no text (``size`` holds their length), findings hold their own span
        clusters, findings = build_clusters(uf, reps, members_of_rep, ids, sizes, spool.get, cfg, codes, {}, sets)
        # finding ids of whole-document findings from the workers' sequence hashes (no re-tokenising)
        seq = np.concatenate(sequence) if sequence else np.empty(0, dtype=np.uint64)
        want = {f.doc for f in findings}
        index_of = {d: k for k, d in enumerate(ids) if d in want}
        wanted = set(index_of.values())
        rep_of = {m: g for g, members in enumerate(members_of_rep) for m in members if m in wanted}
        known = ({d: (sizes[k], int(seq[rep_of[k]])) for d, k in index_of.items() if seq[rep_of[k]] != 0}
                 if len(seq) else {})  # nothing fingerprinted (DUP101 only): ids tokenise the findings
        return metas, clusters, findings, stats, known
    finally:
        if pool is not None:
            pool.terminate()
        spool.close()
        shingles.close()


def streamable(codes: Sequence[str] | frozenset[str], cfg: ScanConfig) -> bool:
    """Whether a scan can take the streaming path: only document-level rules, local engine."""
    return bool(codes) and set(codes) <= DOC_RULES and cfg.engine == "local"
