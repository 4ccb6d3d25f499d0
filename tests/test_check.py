"""``dedup check`` as a CI step: exit codes, the index catching a re-scraped copy, baseline, fail-on,
configuration files, stdout/stderr separation."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from .conftest import BBC_FIXTURE, invoke

HEADER = "WorldNewsToday | Get Informed, Stay Inspired\n\n"
FOOTER = "\n\nShare this article: Facebook | Twitter | Email\n"


@pytest.fixture
def ingest(tmp_path):
    """An index of the BBC fixture, and a new batch: a re-scraped copy (new header and footer) of an
    indexed article plus a fresh article not in the index."""
    first = tmp_path / "first"
    shutil.copytree(BBC_FIXTURE, first)
    fresh_text = (first / "tech" / "001.txt").read_text(encoding="utf-8")
    (first / "tech" / "001.txt").unlink()  # keep one article out of the index
    db = tmp_path / "ingested.db"
    assert invoke("index", "add", str(first), "--index", str(db)).exit_code == 0
    batch = tmp_path / "batch"
    batch.mkdir()
    original = (BBC_FIXTURE / "politics" / "001.txt").read_text(encoding="utf-8")
    (batch / "rescraped.txt").write_text(HEADER + original + FOOTER, encoding="utf-8")
    (batch / "fresh.txt").write_text(fresh_text, encoding="utf-8")
    return tmp_path, db, batch


def run_json(*args):
    res = invoke("check", *args, "--format", "json", "--quiet")
    return res, json.loads(res.stdout) if res.stdout else None


def test_index_catches_rescraped_copy_and_passes_fresh_article(ingest):
    _, db, batch = ingest
    res, rep = run_json(str(batch), "--index", str(db))
    assert res.exit_code == 1
    dups = [f for f in rep["findings"] if f["kind"] == "duplicate-document"]
    assert [(f["rule"], f["doc"], f["related"]["doc"]) for f in dups] == [
        ("DUP102", "rescraped.txt", "politics/001.txt")]
    assert dups[0]["score"] >= 0.8 and dups[0]["related"]["start"] == 0
    assert not [f for f in rep["findings"] if f["doc"] == "fresh.txt"]
    assert rep["stats"]["index_documents"] == 20 and rep["config"]["index"]["ngram"] == 5
    # the fresh article alone passes
    res, rep = run_json(str(batch / "fresh.txt"), "--index", str(db))
    assert res.exit_code == 0 and rep["findings"] == []


def test_without_index_the_copy_is_new(ingest):
    _, _, batch = ingest
    res, rep = run_json(str(batch), "--select", "duplicate-document")
    assert res.exit_code == 0 and rep["findings"] == []


def test_exit_codes(ingest, tmp_path):
    _, db, batch = ingest
    assert invoke("check", str(BBC_FIXTURE / "tech" / "001.txt"), "-q").exit_code == 0
    res = invoke("check", str(BBC_FIXTURE), "-q")  # the fixture holds duplicates
    assert res.exit_code == 1 and "DUP102" in res.stdout and "Found" in res.stdout
    missing = invoke("check", str(tmp_path / "nope"))
    assert missing.exit_code == 2 and "nope: no such file or directory" in missing.stderr
    assert "Traceback" not in missing.stderr + missing.stdout
    assert invoke("check", str(batch), "--index", str(tmp_path / "nope.db")).exit_code == 2
    assert invoke("check", str(batch), "--fail-on", "bogus").exit_code == 2
    assert invoke("check", str(batch), "--index", str(db), "--exit-zero", "-q").exit_code == 0
    # fail-on: only errors fail (duplicates are warnings); or a rule that always fails
    assert invoke("check", str(batch), "--index", str(db), "--fail-on", "error", "-q").exit_code == 0
    assert invoke("check", str(batch), "--index", str(db), "--fail-on", "none,DUP102", "-q").exit_code == 1
    assert invoke("check", str(batch), "--index", str(db), "--fail-on", "none,DUP101", "-q").exit_code == 0


def test_index_parameters_must_match(ingest):
    _, db, batch = ingest
    res = invoke("check", str(batch), "--index", str(db), "--ngram", "3")
    assert res.exit_code == 2 and "built with --ngram 5" in res.stderr
    # a stricter threshold is allowed: the copy (Jaccard ~0.9) is then below it
    res, rep = run_json(str(batch), "--index", str(db), "--threshold", "0.99", "--select", "duplicate-document")
    assert res.exit_code == 0 and rep["config"]["threshold"] == 0.99


def test_machine_formats_on_stdout_messages_on_stderr(ingest, tmp_path):
    _, db, batch = ingest
    res = invoke("check", str(batch), "--index", str(db), "--format", "jsonl")
    lines = [json.loads(x) for x in res.stdout.splitlines()]
    assert lines and all(x["rule"] for x in lines)
    assert "dedup check: 2 documents" in res.stderr
    out = tmp_path / "out" / "report.sarif"
    res = invoke("check", str(batch), "--index", str(db), "--format", "sarif", "-o", str(out))
    assert res.exit_code == 1 and res.stdout == ""
    assert json.loads(out.read_text(encoding="utf-8"))["version"] == "2.1.0"
    assert not list(out.parent.glob(".dedup-*"))  # atomic write left no temporary file


def test_baseline_write_then_check_passes(ingest, tmp_path):
    _, db, batch = ingest
    bl = tmp_path / "baseline.json"
    res = invoke("baseline", "write", str(batch), "--index", str(db), "-o", str(bl))
    assert res.exit_code == 0, res.stderr
    data = json.loads(bl.read_text(encoding="utf-8"))
    _, rep = run_json(str(batch), "--index", str(db))
    assert data["version"] == 2 and {f["id"] for f in data["findings"]} == {f["id"] for f in rep["findings"]}
    res, rep = run_json(str(batch), "--index", str(db), "--baseline", str(bl))
    assert res.exit_code == 0 and rep["findings"] == [] and rep["stats"]["baseline_suppressed"] >= 1
    # a new problem is still reported: a second copy of another indexed article
    other = (BBC_FIXTURE / "business" / "001.txt").read_text(encoding="utf-8")
    (batch / "another.txt").write_text(HEADER + other, encoding="utf-8")
    res, rep = run_json(str(batch), "--index", str(db), "--baseline", str(bl))
    assert res.exit_code == 1
    assert {f["doc"] for f in rep["findings"] if f["kind"] == "duplicate-document"} == {"another.txt"}
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    res = invoke("check", str(batch), "--baseline", str(bad))
    assert res.exit_code == 2 and "bad.json:1: baseline is not valid JSON" in res.stderr
    old = tmp_path / "old.json"  # ids of an earlier version are not comparable: refused, with the fix
    old.write_text(json.dumps({**data, "version": 1}), encoding="utf-8")
    res = invoke("check", str(batch), "--baseline", str(old))
    assert res.exit_code == 2 and "write it again with 'dedup baseline write'" in res.stderr


def test_configuration_file_and_cli_precedence(ingest, monkeypatch):
    root, db, batch = ingest
    monkeypatch.chdir(root)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.dedup]\nindex = "ingested.db"\nfail-on = ["error"]\n'
        'format = "jsonl"\n', encoding="utf-8")
    res = invoke("check", "batch", "-q")
    assert res.exit_code == 0  # fail-on error from the file: warnings do not fail
    assert any(json.loads(x)["related"]["doc"] == "politics/001.txt" for x in res.stdout.splitlines())
    assert invoke("check", "batch", "-q", "--fail-on", "warning").exit_code == 1  # the command line wins
    # dedup.toml in the same directory wins over pyproject.toml
    (root / "dedup.toml").write_text('threshold = 0.95\nindex = "ingested.db"\n', encoding="utf-8")
    res = invoke("check", "batch", "-q", "--format", "json")
    assert json.loads(res.stdout)["config"]["threshold"] == 0.95
    (root / "dedup.toml").write_text('treshold = 0.9\n', encoding="utf-8")
    res = invoke("check", "batch")
    assert res.exit_code == 2 and "unknown key 'treshold'" in res.stderr and "dedup.toml" in res.stderr
    (root / "dedup.toml").write_text('threshold = "high"\n', encoding="utf-8")
    res = invoke("check", "batch")
    assert res.exit_code == 2 and "'threshold' must be a number" in res.stderr
    (root / "dedup.toml").write_text('threshold = [\n', encoding="utf-8")
    res = invoke("check", "batch")
    assert res.exit_code == 2 and "invalid TOML" in res.stderr
    res = invoke("check", "batch", "--config", str(root / "missing.toml"))
    assert res.exit_code == 2 and "configuration file not found" in res.stderr


def test_installed_command_as_a_ci_step(ingest):
    root, db, batch = ingest
    cmd = [sys.executable, "-m", "dedup", "check", str(batch), "--index", str(db), "--format", "github"]
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=root)
    assert p.returncode == 1
    assert p.stdout.startswith("::warning file=batch/rescraped.txt,line=1,col=1,")
    assert "Traceback" not in p.stderr
    p = subprocess.run([sys.executable, "-m", "dedup", "check", "missing-dir"], capture_output=True, text=True,
                       cwd=root)
    assert p.returncode == 2 and p.stderr.strip() == "dedup: error: missing-dir: no such file or directory"
