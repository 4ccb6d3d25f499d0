"""The persistent index of ingested documents: one SQLite file (standard library, WAL mode).

It holds, per document: its id and source, character count, content hash, MinHash signature,
sorted 64-bit word-n-gram shingle hashes (so candidates are verified by *exact* Jaccard, as in a
scan), LSH band keys and normalised-paragraph fingerprints. The ``meta`` table records the schema
version and the parameters the index was built with (n-gram size, permutations, seed, threshold and
the bands derived from it, the hashing scheme): opening it with other parameters is an error, a
newer schema is refused, an older one is migrated in place.

Writers take SQLite's write lock only for the inserts (``BEGIN IMMEDIATE``), after fingerprinting,
and wait for each other (busy timeout), so two CI jobs can add to one index at the same time.

>>> import tempfile, os
>>> from dedup.config import ScanConfig
>>> from dedup.model import Document
>>> db = os.path.join(tempfile.mkdtemp(), "ix.db")
>>> with IndexStore.open(db, ScanConfig(), create=True) as ix:
...     ix.add([Document("a", "one two three four five six seven", "a.txt")]).added
1
>>> with IndexStore.open(db, ScanConfig()) as ix:
...     ix.info()["documents"]
1
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xxhash

from ..cluster import content_hash, shingles_and_signatures
from ..config import ScanConfig
from ..errors import IndexError_
from ..fingerprint.lsh import band_keys
from ..fingerprint.minhash import SCHEME, sorted_unique, split_counts
from ..model import Document
from ..text.normalize import tokens

#: Version of the table layout written by this code. 1: documents + band keys;
#: 2: adds paragraph fingerprints (``passages`` table, ``documents.passages`` column).
SCHEMA_VERSION = 2
#: Identifies how shingles and band keys are computed; an index written differently is refused.
FINGERPRINT_FORMAT = f"{SCHEME}; poly64 UTF-8 tokens, NFKC+casefold [^\\W_]+; uint64 shingles; splitmix band keys"
#: A paragraph needs at least this many words to be fingerprinted as a passage.
PASSAGE_MIN_WORDS = 8
#: How long a writer waits for another writer's lock before giving up (seconds).
BUSY_TIMEOUT = 600.0
_CHUNK = 500  # SQLite host parameters per statement stay well under its limit

_SCHEMA_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE documents (
    doc INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    chars INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    signature BLOB NOT NULL,
    shingles BLOB NOT NULL
);
CREATE INDEX documents_content_hash ON documents(content_hash);
CREATE TABLE band_keys (key INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (key, doc)) WITHOUT ROWID;
"""

_MIGRATE_1_TO_2 = """
ALTER TABLE documents ADD COLUMN passages BLOB;
CREATE TABLE passages (
    hash INTEGER NOT NULL, doc INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    PRIMARY KEY (hash, doc, start)
) WITHOUT ROWID;
"""

#: ``MIGRATIONS[v]`` turns schema ``v`` into ``v + 1``.
MIGRATIONS: dict[int, str] = {1: _MIGRATE_1_TO_2}

# (hash, start, end) per paragraph, stored in documents.passages so removal needs no extra index
_PASSAGE_DTYPE = np.dtype([("hash", "<i8"), ("start", "<i8"), ("end", "<i8")])


def index_params(cfg: ScanConfig) -> dict[str, Any]:
    """The parameters an index is built with (recorded in it, checked on every open)."""
    bands, rows = cfg.bands
    return {"ngram": cfg.ngram, "num_perm": cfg.num_perm, "seed": cfg.seed, "threshold": cfg.threshold,
            "lsh_recall": cfg.lsh_recall, "lsh_bands": bands, "lsh_rows": rows,
            "fingerprint": FINGERPRINT_FORMAT, "passage_min_words": PASSAGE_MIN_WORDS}


def passage_fingerprints(text: str, min_words: int = PASSAGE_MIN_WORDS) -> list[tuple[int, int, int]]:
    """``(hash, start, end)`` of each paragraph of at least ``min_words`` words; the hash (signed
    64-bit, as SQLite stores it) is of the normalised paragraph, so case, punctuation and line
    wrapping do not matter.

    >>> t = "Short.\\n\\nThe Prime Minister said on Monday that the plan would go ahead.\\n"
    >>> [(t[s:e][:13], h == passage_fingerprints(t.upper())[0][0]) for h, s, e in passage_fingerprints(t)]
    [('The Prime Min', True)]
    """
    from ..text.segment import paragraphs

    out = []
    for s, e in paragraphs(text):
        words = tokens(text[s:e])
        if len(words) >= min_words:
            h = xxhash.xxh3_64_intdigest(" ".join(words).encode("utf-8", "surrogatepass"))
            out.append((h - (1 << 64) if h >= 1 << 63 else h, s, e))
    return out


def fingerprint(texts: Sequence[str], cfg: ScanConfig, progress: Callable[[int], None] | None = None,
                batch: int = 256) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Shingle sets (sorted unique uint64), MinHash signatures and band keys of ``texts``: the
    same values a scan computes, kept together because the index stores all three."""
    shingles: list[np.ndarray] = []
    parts: list[np.ndarray] = []
    for lo in range(0, len(texts), batch):
        fp = shingles_and_signatures(texts[lo : lo + batch], cfg.ngram, cfg.num_perm, cfg.seed)
        shingles.extend(map(sorted_unique, split_counts(fp.shingles, fp.counts)))
        parts.append(fp.sigs)
        if progress:
            progress(len(fp.counts))
    sigs = np.concatenate(parts) if parts else np.empty((0, cfg.num_perm), dtype=np.uint32)
    return shingles, sigs, band_keys(sigs, *cfg.bands)


@dataclass(frozen=True, slots=True)
class AddResult:
    added: int
    unchanged: int
    replaced: int
    total: int


@dataclass(frozen=True, slots=True)
class IndexedDoc:
    """An indexed document as a check sees it."""

    doc: int  # internal row id
    id: str
    source: str
    chars: int


def _i64(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.uint64).view(np.int64)


def _chunks(seq: Sequence, n: int = _CHUNK) -> Iterator[Sequence]:
    for lo in range(0, len(seq), n):
        yield seq[lo : lo + n]


class IndexStore:
    """An open index. Use :meth:`open`; close it (or use ``with``) when done."""

    def __init__(self, path: str, conn: sqlite3.Connection, params: dict[str, Any], cfg: ScanConfig):
        self.path = path
        self.conn = conn
        #: Parameters recorded in the index.
        self.params = params
        #: The configuration the index's fingerprints are computed with (its recorded parameters).
        self.cfg = cfg

    # -- opening ---------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str, cfg: ScanConfig, create: bool = False, explicit: Iterable[str] = (),
             for_check: bool = False) -> IndexStore:
        """Open (or, with ``create``, create) the index at ``path``.

        ``cfg`` gives the parameters of a new index. For an existing one, its recorded parameters
        are used, and each parameter named in ``explicit`` (given on the command line or in the
        configuration) must match them, else :class:`~dedup.errors.IndexError_`. With
        ``for_check`` a higher ``threshold`` than the index's is allowed (candidates are then
        verified at the higher threshold).
        """
        if not create and not os.path.exists(path):
            raise IndexError_(f"{path}: index not found (create it with 'dedup index add PATH... --index {path}')")
        if os.path.isdir(path):
            raise IndexError_(f"{path}: is a directory, not an index file")
        try:
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)
        except sqlite3.Error as e:
            raise IndexError_(f"{path}: cannot open index: {e}") from None
        try:
            params = _prepare(conn, path, index_params(cfg), create)
            store_cfg = _reconcile(path, params, cfg, set(explicit), for_check)
        except BaseException:
            conn.close()
            raise
        return cls(path, conn, params, store_cfg)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> IndexStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------------
    def add(self, docs: Sequence[Document], replace: bool = False,
            progress: Callable[[int], None] | None = None) -> AddResult:
        """Add ``docs``. A document whose id is already indexed with the same text is left as it
        is; with other text it is an error unless ``replace``. All or nothing."""
        cfg = self.cfg
        shingles, sigs, keys = fingerprint([d.text for d in docs], cfg, progress)
        rows_out = []
        for i, d in enumerate(docs):
            pas = np.array(passage_fingerprints(d.text), dtype=_PASSAGE_DTYPE)
            rows_out.append((d, content_hash(d.text), sigs[i], shingles[i], _i64(keys[i]), pas))
        added = unchanged = replaced = 0
        with _write(self.conn, self.path):
            existing = self._existing_hashes([d.id for d in docs])
            for d, h, sig, sh, k, pas in rows_out:
                old = existing.get(d.id)
                if old is not None:
                    if old[1] == h:
                        unchanged += 1
                        continue
                    if not replace:
                        raise IndexError_(f"{self.path}: document {d.id!r} ({d.source}) is already indexed "
                                          "with different text (use --replace to update it)")
                    self._delete_rows([old[0]])
                    replaced += 1
                else:
                    added += 1
                cur = self.conn.execute(
                    "INSERT INTO documents (id, source, chars, content_hash, signature, shingles, passages) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (d.id, d.source, len(d.text), h, sig.astype("<u4").tobytes(),
                     sh.astype("<u8").tobytes(), pas.tobytes()))
                doc = cur.lastrowid
                self.conn.executemany("INSERT OR IGNORE INTO band_keys (key, doc) VALUES (?, ?)",
                                      [(int(x), doc) for x in k])
                self.conn.executemany(
                    'INSERT OR IGNORE INTO passages (hash, doc, start, "end") VALUES (?, ?, ?, ?)',
                    [(int(p["hash"]), doc, int(p["start"]), int(p["end"])) for p in pas])
                existing[d.id] = (doc, h)
            total = self.conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        return AddResult(added, unchanged, replaced, total)

    def remove(self, ids: Sequence[str], missing_ok: bool = False) -> int:
        """Remove the documents with these ids; an unknown id is an error unless ``missing_ok``."""
        with _write(self.conn, self.path):
            found = self._existing_hashes(list(ids))
            missing = sorted(set(ids) - set(found))
            if missing and not missing_ok:
                shown = ", ".join(repr(m) for m in missing[:5]) + (" ..." if len(missing) > 5 else "")
                raise IndexError_(f"{self.path}: not in the index: {shown}")
            self._delete_rows([v[0] for v in found.values()])
        return len(found)

    def _existing_hashes(self, ids: Sequence[str]) -> dict[str, tuple[int, str]]:
        out: dict[str, tuple[int, str]] = {}
        for part in _chunks(sorted(set(ids))):
            q = f"SELECT id, doc, content_hash FROM documents WHERE id IN ({','.join('?' * len(part))})"
            for id_, doc, h in self.conn.execute(q, list(part)):
                out[id_] = (doc, h)
        return out

    def _delete_rows(self, docs: Sequence[int]) -> None:
        bands, rows = self.cfg.bands
        for part in _chunks(list(docs)):
            marks = ",".join("?" * len(part))
            for doc, sig, pas in self.conn.execute(
                    f"SELECT doc, signature, passages FROM documents WHERE doc IN ({marks})", list(part)):
                k = _i64(band_keys(np.frombuffer(sig, dtype="<u4")[None, :], bands, rows)[0])
                self.conn.executemany("DELETE FROM band_keys WHERE key = ? AND doc = ?",
                                      [(int(x), doc) for x in k])
                for p in np.frombuffer(pas or b"", dtype=_PASSAGE_DTYPE):
                    self.conn.execute("DELETE FROM passages WHERE hash = ? AND doc = ? AND start = ?",
                                      (int(p["hash"]), doc, int(p["start"])))
            self.conn.execute(f"DELETE FROM documents WHERE doc IN ({marks})", list(part))

    # -- reading ---------------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        c = self.conn
        n = c.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        size = sum(os.path.getsize(p) for p in (self.path, self.path + "-wal") if os.path.exists(p))
        return {
            "path": self.path,
            "schema_version": int(_meta(c, "schema_version") or 0),
            "created_by": _meta(c, "created_by"),
            "documents": n,
            "band_keys": c.execute("SELECT COUNT(*) FROM band_keys").fetchone()[0],
            "passages": c.execute("SELECT COUNT(*) FROM passages").fetchone()[0],
            "chars": c.execute("SELECT COALESCE(SUM(chars), 0) FROM documents").fetchone()[0],
            "bytes": size,
            "params": self.params,
        }

    def count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]

    def ids(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT id FROM documents ORDER BY id")]

    def by_content_hash(self, hashes: Iterable[str]) -> dict[str, list[IndexedDoc]]:
        """Indexed documents with each of these content hashes (sorted by id)."""
        out: dict[str, list[IndexedDoc]] = {}
        for part in _chunks(sorted(set(hashes))):
            q = (f"SELECT content_hash, doc, id, source, chars FROM documents "
                 f"WHERE content_hash IN ({','.join('?' * len(part))}) ORDER BY id")
            for h, doc, id_, src, chars in self.conn.execute(q, list(part)):
                out.setdefault(h, []).append(IndexedDoc(doc, id_, src, chars))
        return out

    def candidates(self, keys: np.ndarray) -> list[tuple[int, int]]:
        """``(row of keys, indexed doc)`` pairs sharing at least one band key, sorted."""
        c = self.conn
        c.execute("CREATE TEMP TABLE IF NOT EXISTS q_keys (key INTEGER NOT NULL, i INTEGER NOT NULL)")
        c.execute("DELETE FROM q_keys")
        k = _i64(keys)
        c.executemany("INSERT INTO q_keys VALUES (?, ?)",
                      [(int(x), i) for i in range(k.shape[0]) for x in k[i]])
        rows = c.execute("SELECT DISTINCT q.i, b.doc FROM q_keys q JOIN band_keys b ON b.key = q.key "
                         "ORDER BY q.i, b.doc").fetchall()
        c.execute("DELETE FROM q_keys")
        return rows

    def documents(self, docs: Iterable[int]) -> dict[int, tuple[IndexedDoc, np.ndarray]]:
        """Indexed documents by row id, with their shingle sets."""
        out: dict[int, tuple[IndexedDoc, np.ndarray]] = {}
        for part in _chunks(sorted(set(docs))):
            q = (f"SELECT doc, id, source, chars, shingles FROM documents "
                 f"WHERE doc IN ({','.join('?' * len(part))})")
            for doc, id_, src, chars, sh in self.conn.execute(q, list(part)):
                out[doc] = (IndexedDoc(doc, id_, src, chars), np.frombuffer(sh, dtype="<u8").astype(np.uint64))
        return out

    def passages(self, hashes: Iterable[int]) -> dict[int, list[tuple[IndexedDoc, int, int]]]:
        """Indexed paragraphs with each of these fingerprints: ``(doc, start, end)``, by id."""
        out: dict[int, list[tuple[IndexedDoc, int, int]]] = {}
        for part in _chunks(sorted(set(hashes))):
            q = (f'SELECT p.hash, d.doc, d.id, d.source, d.chars, p.start, p."end" FROM passages p '
                 f"JOIN documents d ON d.doc = p.doc WHERE p.hash IN ({','.join('?' * len(part))}) "
                 "ORDER BY d.id, p.start")
            for h, doc, id_, src, chars, s, e in self.conn.execute(q, list(part)):
                out.setdefault(h, []).append((IndexedDoc(doc, id_, src, chars), s, e))
        return out


# -- helpers -------------------------------------------------------------------------------------
class _write:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on error): one writer at a time."""

    def __init__(self, conn: sqlite3.Connection, path: str):
        self.conn, self.path = conn, path

    def __enter__(self) -> None:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            raise IndexError_(f"{self.path}: cannot lock the index for writing: {e}") from None

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.conn.execute("COMMIT")
        else:
            self.conn.execute("ROLLBACK")


def _meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def _set_wal(conn: sqlite3.Connection, path: str) -> None:
    # Switching the journal mode needs an exclusive moment; retry while another process holds it.
    deadline = time.monotonic() + BUSY_TIMEOUT
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise IndexError_(f"{path}: cannot open index: {e}") from None
            time.sleep(0.05)


def _prepare(conn: sqlite3.Connection, path: str, new_params: dict[str, Any], create: bool) -> dict[str, Any]:
    """Create the schema if the file is new, migrate an older one, return the recorded params."""
    from .. import __version__

    try:
        _set_wal(conn, path)
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=OFF")
        has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
        if has_meta:
            version = int(_meta(conn, "schema_version") or 0)
            if version > SCHEMA_VERSION:
                raise IndexError_(f"{path}: index schema version {version} is newer than this dedup "
                                  f"understands ({SCHEMA_VERSION}); upgrade dedup")
            if version < SCHEMA_VERSION:
                _migrate(conn, path)
            return json.loads(_meta(conn, "params") or "{}")
        if not create:
            tables = conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
            raise IndexError_(f"{path}: not a dedup index" + (" (empty file)" if not tables else ""))
        with _write(conn, path):
            # another process may have created it while we waited for the lock
            if not conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone():
                if conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]:
                    raise IndexError_(f"{path}: not a dedup index (a SQLite file with other tables)")
                for stmt in _statements(_SCHEMA_V1 + MIGRATIONS[1]):
                    conn.execute(stmt)
                conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", [
                    ("schema_version", str(SCHEMA_VERSION)),
                    ("params", json.dumps(new_params, sort_keys=True)),
                    ("created_by", f"dedup {__version__}"),
                ])
        return json.loads(_meta(conn, "params") or "{}")
    except sqlite3.DatabaseError as e:
        raise IndexError_(f"{path}: not a usable SQLite index: {e}") from None


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _migrate(conn: sqlite3.Connection, path: str) -> None:
    with _write(conn, path):
        version = int(_meta(conn, "schema_version") or 0)  # re-read under the lock
        while version < SCHEMA_VERSION:
            step = MIGRATIONS.get(version)
            if step is None:
                raise IndexError_(f"{path}: cannot migrate index schema version {version}")
            for stmt in _statements(step):
                conn.execute(stmt)
            version += 1
            conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version),))


_USER_PARAMS = {"ngram": "--ngram", "num_perm": "--num-perm", "seed": "seed", "threshold": "--threshold",
                "lsh_recall": "lsh_recall"}


def _reconcile(path: str, params: dict[str, Any], cfg: ScanConfig, explicit: set[str],
               for_check: bool) -> ScanConfig:
    """The configuration to fingerprint with: the index's parameters, after checking that the
    explicitly requested ones agree with them."""
    if params.get("fingerprint") != FINGERPRINT_FORMAT:
        raise IndexError_(f"{path}: index fingerprints were computed another way "
                          f"({params.get('fingerprint')!r}); rebuild it with this dedup version")
    adopted: dict[str, Any] = {}
    for key, opt in _USER_PARAMS.items():
        recorded, asked = params.get(key), getattr(cfg, key)
        if recorded is None:
            raise IndexError_(f"{path}: index records no {key!r} parameter")
        if key in explicit and asked != recorded:
            if key == "threshold" and for_check and asked > recorded:
                adopted[key] = recorded  # query with the index's bands, verify at the stricter one
                continue
            raise IndexError_(f"{path}: index was built with {opt} {recorded}, this run asks for "
                              f"{opt} {asked}: use the index's parameters or build a new index")
        adopted[key] = recorded
    store_cfg = cfg.with_(**adopted)
    if [*store_cfg.bands] != [params.get("lsh_bands"), params.get("lsh_rows")]:
        raise IndexError_(f"{path}: index bands {params.get('lsh_bands')}x{params.get('lsh_rows')} do not "
                          "match its parameters; rebuild it")
    return store_cfg
