"""The persistent SQLite index: add/info/remove, recorded parameters, schema versions, concurrent
writers, and the CLI commands."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest

from dedup.cluster import jaccard
from dedup.config import ScanConfig
from dedup.errors import IndexError_
from dedup.fingerprint.minhash import shingle_set
from dedup.index import SCHEMA_VERSION, IndexStore, match_index
from dedup.index.store import _SCHEMA_V1, index_params
from dedup.io import read_corpus
from dedup.model import Document
from dedup.rules import resolve

from .conftest import BBC_FIXTURE, invoke


def words_doc(rng: random.Random, n: int = 120) -> str:
    vocab = [f"w{i}" for i in range(3000)]
    return " ".join(rng.choice(vocab) for _ in range(n))


def test_add_info_remove_roundtrip(tmp_path):
    db = str(tmp_path / "ix.db")
    docs = read_corpus([str(BBC_FIXTURE)])
    with IndexStore.open(db, ScanConfig(), create=True) as ix:
        res = ix.add(docs)
        assert (res.added, res.unchanged, res.replaced, res.total) == (len(docs), 0, 0, len(docs))
        again = ix.add(docs[:3])
        assert (again.added, again.unchanged) == (0, 3)
        info = ix.info()
        assert info["documents"] == len(docs) and info["schema_version"] == SCHEMA_VERSION
        assert info["params"] == index_params(ScanConfig())
        assert info["band_keys"] > 0 and info["passages"] > 0
        assert ix.ids() == sorted(d.id for d in docs)
        # stored shingles are exact: the same Jaccard as recomputed from the text
        a, b = docs[0], docs[1]
        rows = ix.documents(r for r, in ix.conn.execute("SELECT doc FROM documents WHERE id IN (?, ?)",
                                                        (a.id, b.id)))
        stored = {d.id: sh for d, sh in rows.values()}
        assert np.array_equal(stored[a.id], shingle_set(a.text, 5))
        assert jaccard(stored[a.id], stored[b.id]) == jaccard(shingle_set(a.text, 5), shingle_set(b.text, 5))
        row = ix.conn.execute("SELECT doc FROM documents WHERE id = ?", (a.id,)).fetchone()[0]
        assert ix.remove([a.id]) == 1
        assert a.id not in ix.ids() and ix.count() == len(docs) - 1
        # removal deletes the document's band keys and passages too
        for table in ("band_keys", "passages"):
            assert ix.conn.execute(f"SELECT COUNT(*) FROM {table} WHERE doc = ?", (row,)).fetchone()[0] == 0
        assert ix.conn.execute("SELECT COUNT(*) FROM band_keys").fetchone()[0] == (len(docs) - 1) * ix.cfg.bands[0]


def test_same_id_other_text_needs_replace(tmp_path):
    db = str(tmp_path / "ix.db")
    with IndexStore.open(db, ScanConfig(), create=True) as ix:
        ix.add([Document("a", "alpha beta gamma delta epsilon zeta eta", "a.txt")])
        with pytest.raises(IndexError_, match="already indexed with different text"):
            ix.add([Document("a", "something else entirely in this text now", "a.txt"),
                    Document("b", "a second document that must not be added", "b.txt")])
        assert ix.ids() == ["a"]  # all or nothing
        res = ix.add([Document("a", "something else entirely in this text now", "a.txt")], replace=True)
        assert (res.added, res.replaced, res.total) == (0, 1, 1)


def test_remove_unknown_id_is_error_and_nothing_removed(tmp_path):
    db = str(tmp_path / "ix.db")
    with IndexStore.open(db, ScanConfig(), create=True) as ix:
        ix.add([Document("a", "alpha beta gamma delta epsilon zeta eta", "a.txt")])
        with pytest.raises(IndexError_, match="not in the index: 'zz'"):
            ix.remove(["a", "zz"])
        assert ix.ids() == ["a"]
        assert ix.remove(["a", "zz"], missing_ok=True) == 1


def test_other_parameters_are_refused_and_unset_ones_adopted(tmp_path):
    db = str(tmp_path / "ix.db")
    IndexStore.open(db, ScanConfig(ngram=3), create=True).close()
    with pytest.raises(IndexError_, match="built with --ngram 3, this run asks for --ngram 5"):
        IndexStore.open(db, ScanConfig(ngram=5), explicit={"ngram"})
    with IndexStore.open(db, ScanConfig(ngram=5)) as ix:  # not asked explicitly: the index's value
        assert ix.cfg.ngram == 3
    # a check may verify at a stricter threshold, never a looser one
    IndexStore.open(db, ScanConfig(threshold=0.9), explicit={"threshold"}, for_check=True).close()
    with pytest.raises(IndexError_, match="--threshold"):
        IndexStore.open(db, ScanConfig(threshold=0.7), explicit={"threshold"}, for_check=True)


def test_newer_schema_refused(tmp_path):
    db = str(tmp_path / "ix.db")
    IndexStore.open(db, ScanConfig(), create=True).close()
    with sqlite3.connect(db) as c:
        c.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(IndexError_, match="newer than this dedup understands"):
        IndexStore.open(db, ScanConfig())


def test_version_1_index_is_migrated(tmp_path):
    db = str(tmp_path / "old.db")
    with sqlite3.connect(db) as c:  # an index as schema version 1 wrote it (no passages)
        c.executescript(_SCHEMA_V1)
        c.executemany("INSERT INTO meta VALUES (?, ?)", [
            ("schema_version", "1"), ("params", json.dumps(index_params(ScanConfig()))),
            ("created_by", "dedup 0.0.9")])
    docs = read_corpus([str(BBC_FIXTURE)])
    with IndexStore.open(db, ScanConfig()) as ix:
        assert ix.info()["schema_version"] == SCHEMA_VERSION
        ix.add(docs)
        assert ix.info()["passages"] > 0
        found = match_index(docs[:1], ix, 0.8, resolve([], []))
    assert found.stats["index_documents"] == len(docs)


def test_not_an_index(tmp_path):
    plain = tmp_path / "other.db"
    with sqlite3.connect(plain) as c:
        c.execute("CREATE TABLE t (x)")
    with pytest.raises(IndexError_, match="not a dedup index"):
        IndexStore.open(str(plain), ScanConfig())
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(IndexError_, match="not a usable SQLite index"):
        IndexStore.open(str(junk), ScanConfig())
    with pytest.raises(IndexError_, match="index not found"):
        IndexStore.open(str(tmp_path / "missing.db"), ScanConfig())


def _batch(tmp_path, name: str, n: int, seed: int):
    d = tmp_path / name
    d.mkdir()
    rng = random.Random(seed)
    with open(d / "docs.jsonl", "w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"{name}-{i:04d}", "text": words_doc(rng)}) + "\n")
    return d


def _add_proc(batch, db):
    return subprocess.Popen([sys.executable, "-m", "dedup", "index", "add", str(batch), "--index", str(db)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _assert_consistent(db, expected_ids):
    with sqlite3.connect(db) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with IndexStore.open(str(db), ScanConfig()) as ix:
        assert ix.ids() == sorted(expected_ids)
        bands = ix.cfg.bands[0]
        per_doc = ix.conn.execute("SELECT doc, COUNT(*) FROM band_keys GROUP BY doc").fetchall()
        assert len(per_doc) == len(expected_ids) and all(n == bands for _, n in per_doc)


def test_two_concurrent_index_add_processes_create_one_index(tmp_path):
    a, b = _batch(tmp_path, "a", 300, 1), _batch(tmp_path, "b", 300, 2)
    db = tmp_path / "shared.db"
    procs = [_add_proc(a, db), _add_proc(b, db)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    _assert_consistent(db, [f"a-{i:04d}" for i in range(300)] + [f"b-{i:04d}" for i in range(300)])


def test_concurrent_writers_wait_for_the_lock(tmp_path):
    a, b = _batch(tmp_path, "a", 50, 3), _batch(tmp_path, "b", 50, 4)
    db = tmp_path / "shared.db"
    IndexStore.open(str(db), ScanConfig(), create=True).close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a third writer holds the lock while both start
    procs = [_add_proc(a, db), _add_proc(b, db)]
    time.sleep(3.0)
    assert all(p.poll() is None for p in procs)  # both still waiting, neither failed
    holder.execute("COMMIT")
    holder.close()
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    _assert_consistent(db, [f"a-{i:04d}" for i in range(50)] + [f"b-{i:04d}" for i in range(50)])


def test_cli_index_commands(tmp_path):
    db = tmp_path / "ix.db"
    res = invoke("index", "add", str(BBC_FIXTURE), "--index", str(db))
    assert res.exit_code == 0, res.stderr
    assert "indexed 21 new documents" in res.stderr and res.stdout == ""
    res = invoke("index", "info", "--index", str(db), "--format", "json", "--ids")
    info = json.loads(res.stdout)
    assert info["documents"] == 21 and "politics/226.txt" in info["ids"]
    assert info["params"]["ngram"] == 5
    text = invoke("index", "info", "--index", str(db)).stdout
    assert "documents   21" in text and "param       ngram = 5" in text
    res = invoke("index", "add", str(BBC_FIXTURE), "--index", str(db), "--ngram", "3")
    assert res.exit_code == 2 and "--ngram 5" in res.stderr and "Traceback" not in res.stderr
    res = invoke("index", "remove", "politics/226.txt", "--index", str(db))
    assert res.exit_code == 0 and "holds 20" in res.stderr
    res = invoke("index", "remove", "nope.txt", "--index", str(db))
    assert res.exit_code == 2 and "not in the index" in res.stderr
    res = invoke("index", "info", "--index", str(tmp_path / "missing.db"))
    assert res.exit_code == 2 and "index not found" in res.stderr
    res = invoke("index", "add", str(BBC_FIXTURE))
    assert res.exit_code == 2 and "no index given" in res.stderr
