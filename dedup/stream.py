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
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import xxhash

from .cluster import (
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
from .workers import fork_map

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


class _Records:
    """``records[i]``: the uint64 array at ``where(i) = (file, offset, length)``, each file opened
    once (the shingle spool's reader, in this process or in a worker given a map of the records)."""

    def __init__(self, where: Callable[[int], tuple[str, int, int]]):
        self.where = where
        self.fds: dict[str, int] = {}

    def __getitem__(self, i: int) -> np.ndarray:
        path, offset, length = self.where(i)
        if path not in self.fds:
            self.fds[path] = os.open(path, os.O_RDONLY)
        return np.frombuffer(os.pread(self.fds[path], length, offset), dtype=np.uint64)

    def close(self) -> None:
        for fd in self.fds.values():
            os.close(fd)
        self.fds.clear()


class ShingleSpool:
    """The shingles (uint64, text order) of each distinct text, as records in part files of one
    temporary directory: each process that fingerprints a batch appends its shingles to its own
    part file (:func:`write_shingles`) and this index records where each text's shingles are."""

    def __init__(self, directory: str | None = None):
        self.dir = tempfile.mkdtemp(prefix="dedup-shingles-", dir=directory)
        self.paths: list[str] = []
        self._path_no: dict[str, int] = {}
        self._records: list[tuple[int, int, int]] = []  # (part file number, offset, length in bytes)
        self._reader = _Records(self.where)

    def add_batch(self, path: str, offset: int, counts: np.ndarray) -> None:
        """Index a batch of texts whose shingles (``counts[k]`` each, concatenated) were written
        at ``offset`` of the part file ``path``."""
        no = self._path_no.setdefault(path, len(self.paths))
        if no == len(self.paths):
            self.paths.append(path)
        lengths = counts.astype(np.int64) * 8
        starts = offset + np.cumsum(lengths) - lengths
        self._records.extend((no, o, n) for o, n in zip(starts.tolist(), lengths.tolist(), strict=True))

    def where(self, i: int) -> tuple[str, int, int]:
        """(part file, offset, length) of record ``i``."""
        no, offset, length = self._records[i]
        return self.paths[no], offset, length

    def __getitem__(self, i: int) -> np.ndarray:
        return self._reader[i]

    def close(self) -> None:
        self._reader.close()
        # the reader holds self.where, a cycle: break it, so the records go now (a scan runs with
        # the cyclic garbage collector paused, see dedup.workers.gc_paused)
        self._reader = _Records(_closed)
        self._records = []
        shutil.rmtree(self.dir, ignore_errors=True)


def _closed(i: int) -> tuple[str, int, int]:
    raise ValueError("the shingle spool is closed")


def write_shingles(directory: str, shingles: np.ndarray) -> tuple[str, int]:
    """Append a batch's shingles to this process's part file in ``directory``; return the file
    and the offset they start at (see :class:`ShingleSpool`)."""
    path = os.path.join(directory, f"part-{os.getpid()}")
    with open(path, "ab") as f:
        offset = f.tell()
        f.write(shingles.astype(np.uint64, copy=False).tobytes())
    return path, offset


def _verify_group(args: tuple[list[tuple[int, int]], dict[int, tuple[str, int, int]], int, float]
                  ) -> list[tuple[int, int, float]]:
    """Verify the candidate pairs of a group of components, shingles read from the spool files."""
    pairs, where, ngram, threshold = args
    records = _Records(where.__getitem__)
    try:
        sets = LazyShingles(None, ngram, records)
        return verify_pairs(np.array(pairs, dtype=np.int64).reshape(-1, 2), sets, threshold)
    finally:
        records.close()


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
        tasks.append((chunk, where, cfg.ngram, cfg.threshold))
    return sorted(e for part in fork_map(_verify_group, tasks, cfg.jobs) for e in part)


@dataclass(slots=True)
class _KeysTask:
    """A batch of new texts to fingerprint: records ``(offset, length)`` of the text spool file."""

    texts: str  # the text spool file
    records: list[tuple[int, int]]
    shingles: str  # the shingle spool directory
    ngram: int
    num_perm: int
    seed: int
    bands: int
    rows: int


def _keys_batch(task: _KeysTask) -> tuple[np.ndarray, str, int, np.ndarray, np.ndarray]:
    """LSH band keys of a batch of texts read from the text spool (signatures as in
    :func:`dedup.cluster.fingerprint_texts`); their shingles are appended to this process's part
    of the shingle spool. Returns the keys, where the shingles went, how many each text has, and
    the sequence hash of each text's tokens (0: no word)."""
    fd = os.open(task.texts, os.O_RDONLY)
    try:
        lo = task.records[0][0] if task.records else 0
        hi = task.records[-1][0] + task.records[-1][1] if task.records else 0
        blob = os.pread(fd, hi - lo, lo)
    finally:
        os.close(fd)
    texts = [blob[o - lo : o - lo + n] for o, n in task.records]  # UTF-8 bytes: no decoding for ASCII
    fp = shingles_and_signatures(texts, task.ngram, task.num_perm, task.seed, sequence=True)
    path, offset = write_shingles(task.shingles, fp.shingles)
    return band_keys(fp.sigs, task.bands, task.rows), path, offset, fp.counts, fp.sequence


#: Characters of text after which a batch of the streaming scan is cut, whatever its number of
#: documents: batches of long documents (licences, manuals) stay small enough to share out.
BATCH_CHARS = 1 << 21


def _batches(docs: Iterable[Document], size: int, chars: int = BATCH_CHARS) -> Iterator[list[Document]]:
    """``docs`` in lists of at most ``size`` documents, cut once they hold ``chars`` characters."""
    batch: list[Document] = []
    held = 0
    for d in docs:
        batch.append(d)
        held += len(d.text)
        if len(batch) >= size or held >= chars:
            yield batch
            batch, held = [], 0
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
        def fingerprint_jobs() -> Iterator[_KeysTask]:
            """Read, spool and hash documents; yield a band-key task for each batch's new texts."""
            for part in _batches(docs, batch):
                fresh: list[tuple[int, int]] = []
                for d in part:
                    data = d.text.encode("utf-8", "surrogatepass")
                    h = xxhash.xxh3_128_intdigest(data)
                    hashes.append(h)
                    spool.append(data)
                    if h not in seen:
                        seen.add(h)
                        fresh.append(spool.where(len(spool.offsets) - 1))
                    metas.append(Document(d.id, "", d.source, d.fmt, d.path, d.line, d.root, d.lang,
                                          size=len(d.text)))
                if progress:
                    progress(len(part))
                spool.flush()  # the workers read the texts from the file
                yield _KeysTask(spool.path, fresh, shingles.dir, cfg.ngram, cfg.num_perm, cfg.seed, bands, rows)

        def collect(result: tuple[np.ndarray, str, int, np.ndarray, np.ndarray]) -> None:
            keys, path, offset, counts, seq = result
            rep_keys.append(keys)
            shingles.add_batch(path, offset, counts)
            sequence.append(seq)

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
