"""Document-level duplicates end to end: golden report, truth by brute force, determinism, CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import dedup
from dedup.cluster import find_duplicate_documents
from dedup.config import ScanConfig
from dedup.evaluate import exact_pairs, pairs_from_clusters
from dedup.io import read_corpus
from dedup.model import Document
from dedup.pipeline import scan
from dedup.rules import resolve

from .conftest import BBC_FIXTURE, BBC_FULL, FIXTURES, ROOT, SEEDS, invoke, scan_json

GOLDEN = FIXTURES / "golden" / "scan-duplicate-documents.json"


def test_golden_duplicate_document_report(monkeypatch):
    monkeypatch.chdir(ROOT)  # sources are reported as the paths were given
    rep = scan_json("fixtures/seeds", "fixtures/bbc", "--select", "duplicate-document")
    rep.pop("stats")
    assert rep == json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_report_shape_and_offsets():
    rep = scan_json(str(SEEDS), str(BBC_FIXTURE))
    assert rep["version"] == 1 and rep["tool"]["name"] == "dedup"
    texts = {d.id: d.text for d in read_corpus([str(SEEDS), str(BBC_FIXTURE)])}
    assert [d["id"] for d in rep["documents"]] == sorted(texts)
    for f in rep["findings"]:
        assert texts[f["doc"]][f["start"]:f["end"]] == f["text"]
        if f["related"]:
            r = f["related"]
            assert 0 <= r["start"] <= r["end"] <= len(texts[r["doc"]])
    keys = [(f["doc"], f["start"], f["rule"]) for f in rep["findings"]]
    assert keys == sorted(keys)
    assert len({f["id"] for f in rep["findings"]}) == len(rep["findings"])
    # every non-canonical member has a duplicate-document finding pointing at the canonical one
    dup = {(f["doc"], f["related"]["doc"]) for f in rep["findings"] if f["kind"] == "duplicate-document"}
    for c in rep["clusters"]:
        if c["kind"] in ("exact", "near-duplicate"):
            assert {(m, c["canonical"]) for m in c["members"] if m != c["canonical"]} <= dup


def _truth_check(paths):
    docs = read_corpus(paths)
    texts = [d.text for d in docs]
    truth = exact_pairs(texts, 5, 0.5)
    rep = scan(docs, ScanConfig(select=("DUP101", "DUP102")))
    index = {d.id: i for i, d in enumerate(docs)}
    found = pairs_from_clusters([[index[m] for m in c.members] for c in rep.clusters
                                 if c.kind in ("exact", "near-duplicate")])
    must = {p for p, j in truth.items() if j >= 0.8}
    identical = {(i, j) for i in range(len(texts)) for j in range(i + 1, len(texts))
                 if texts[i] == texts[j] and texts[i]} if len(texts) < 200 else set()
    assert must, "the corpus holds true pairs"
    assert must <= found, f"missed {sorted(must - found)[:5]}"
    assert identical <= found
    # nothing below 0.5 is reported, and every edge of a cluster was verified >= threshold
    for f in rep.findings:
        assert f.score >= 0.8 or f.rule != "DUP102"
    below = [p for p in found if truth.get(p, 0.0) < 0.5 and texts[p[0]] != texts[p[1]]]
    assert not below
    return rep


def test_fixture_corpus_matches_brute_force():
    rep = _truth_check([str(BBC_FIXTURE)])
    assert len(rep.clusters) == 5


@pytest.mark.skipif(not BBC_FULL.is_dir(), reason="../shared/data/bbc-news not present on this machine")
def test_full_bbc_matches_brute_force():
    rep = _truth_check([str(BBC_FULL)])
    assert sum(len(c.members) - 1 for c in rep.clusters) >= 150


def test_canonical_policy_fewest_problem_chars_then_longest_then_id():
    base = "the quick brown fox jumps over the lazy dog " * 20
    docs = [Document("b", base + "tail", "b"), Document("a", base + "tail", "a"),
            Document("c", base + "tail extra words", "c")]
    codes = resolve([], [])
    cfg = ScanConfig()
    res = find_duplicate_documents(docs, cfg, codes)
    assert [c.canonical for c in res.clusters] == ["c"]  # longest
    res = find_duplicate_documents(docs, cfg, codes, problem_chars={"c": 5})
    assert [c.canonical for c in res.clusters] == ["a"]  # c has problems; a, b tie → smallest id
    (cl,) = res.clusters
    assert cl.kind == "near-duplicate" and cl.members == ["a", "b", "c"]
    rules = sorted((f.doc, f.rule) for f in res.findings)
    assert rules == [("b", "DUP101"), ("c", "DUP102")]


def test_identical_documents_always_cluster_and_empty_ones_too():
    docs = [Document(str(i), t, str(i)) for i, t in enumerate(["x y", "x y", "", "", "z"])]
    rep = scan(docs, ScanConfig(select=("duplicate-document",)))
    assert sorted(c.members for c in rep.clusters) == [["0", "1"], ["2", "3"]]
    assert all(c.kind == "exact" for c in rep.clusters)


def test_select_and_unknown_rule():
    rep = scan_json(str(BBC_FIXTURE), "--select", "DUP101")
    assert {f["rule"] for f in rep["findings"]} == {"DUP101"}
    assert [c["kind"] for c in rep["clusters"]] == ["exact"]
    res = invoke("scan", str(BBC_FIXTURE), "--select", "NOPE9")
    assert res.exit_code == 2 and "unknown rule" in res.stderr


@pytest.mark.parametrize("opt,value", [("--threshold", "1.5"), ("--num-perm", "1"), ("--ngram", "0")])
def test_bad_options_exit_2(opt, value):
    res = invoke("scan", str(BBC_FIXTURE), opt, value)
    assert res.exit_code == 2 and res.stderr.startswith("dedup: error:")


def test_output_file_is_written(tmp_path):
    out = tmp_path / "sub" / "r.json"
    res = invoke("scan", str(BBC_FIXTURE), "-f", "json", "-o", str(out), "-q")
    assert res.exit_code == 0 and res.stdout == ""
    assert json.loads(out.read_text())["stats"]["documents"] == 21
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".dedup-")]


def test_verbose_prints_every_stage_and_the_report_keeps_them(tmp_path):
    out = tmp_path / "r.json"
    res = invoke("scan", str(SEEDS), str(BBC_FIXTURE), "-f", "json", "-o", str(out), "-q", "--verbose")
    assert res.exit_code == 0 and res.stdout == ""
    lines = res.stderr.splitlines()
    assert lines[0].startswith("dedup: read 23 documents")
    stages = json.loads(out.read_text())["stats"]["stage_seconds"]
    top = [k for k in stages if "." not in k]
    assert top == ["detectors", "documents", "passages"]
    assert [k for k in stages if k.startswith("passages.")] == [
        "passages.index", "passages.candidates", "passages.align", "passages.exact", "passages.variants"]
    # one line per stage, the passage steps on the passages line, then the total
    assert [ln.split()[1] for ln in lines[1:]] == [*top, "scan"]
    assert "(index " in lines[3] and "variants " in lines[3]
    assert sum(stages[k] for k in stages if k.startswith("passages.")) <= stages["passages"] + 1e-3
    quiet = invoke("scan", str(SEEDS), "-f", "json", "-q")
    assert quiet.stderr == ""
    # a document-level scan streams the corpus: reading is inside its documents stage
    streamed = invoke("scan", str(BBC_FIXTURE), "--select", "DUP101,DUP102", "-f", "json", "-q", "-v")
    lines = streamed.stderr.splitlines()
    assert lines[0].startswith("dedup: streamed 21 documents") and lines[1].startswith("dedup: documents ")


def _run(seed: str) -> dict:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    out = subprocess.run([sys.executable, "-m", "dedup", "scan", str(SEEDS), str(BBC_FIXTURE), "-f", "json",
                          "-q"], capture_output=True, text=True, env=env, cwd=ROOT, check=True).stdout
    rep = json.loads(out)
    rep.pop("stats")
    return json.dumps(rep, sort_keys=False)


def test_deterministic_whatever_the_hash_seed():
    assert _run("1") == _run("12345")


def test_text_format_lists_clusters():
    res = invoke("scan", str(BBC_FIXTURE))
    assert res.exit_code == 0
    assert res.stdout.startswith("21 documents")
    assert "* politics/265.txt (canonical)" in res.stdout


def test_console_script_and_version():
    exe = os.path.join(os.path.dirname(sys.executable), "dedup")
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True).stdout
    assert out.startswith("dedup ")


def test_streamed_json_equals_dict():
    from dedup.report.jsonfmt import iter_json, report_to_dict

    rep = scan(read_corpus([str(SEEDS), str(BBC_FIXTURE)]), ScanConfig())
    assert json.loads("".join(iter_json(rep))) == json.loads(json.dumps(report_to_dict(rep)))
    aligned = [f for f in rep.findings if f.alignment]
    assert aligned and all(f.to_dict()["alignment"] == [p.to_dict() for p in f.alignment] for f in aligned)
    empty = scan([], ScanConfig())
    assert json.loads("".join(iter_json(empty)))["findings"] == []


def test_json_pieces_of_any_size_make_the_same_report(monkeypatch):
    from dedup.report import jsonfmt

    rep = scan(read_corpus([str(SEEDS), str(BBC_FIXTURE)]), ScanConfig())
    whole = b"".join(jsonfmt.iter_json_bytes(rep))
    assert len(rep.findings) > 7
    for items in (1, 2, 7):
        monkeypatch.setattr(jsonfmt, "PIECE_ITEMS", items)
        pieces = list(jsonfmt.iter_json_bytes(rep))
        assert b"".join(pieces) == whole and len(pieces) > len(rep.findings) // items
    assert json.loads(whole) == json.loads(json.dumps(jsonfmt.report_to_dict(rep)))
    assert jsonfmt.to_json(rep) == whole.decode("utf-8") == "".join(jsonfmt.iter_json(rep))


def test_binary_output_to_a_text_only_stdout(monkeypatch):
    import io

    from dedup.cli import write_output

    out = io.StringIO()  # no .buffer
    monkeypatch.setattr("sys.stdout", out)
    write_output(iter(["née ".encode(), b"ok"]), None, binary=True)
    assert out.getvalue() == "née ok"


def test_scan_reads_configuration_and_options_win(tmp_path, monkeypatch):
    (tmp_path / "dedup.toml").write_text('threshold = 0.95\nselect = ["DUP102"]\n')
    monkeypatch.chdir(tmp_path)
    rep = scan_json(str(BBC_FIXTURE))
    assert rep["config"]["threshold"] == 0.95 and rep["config"]["select"] == ["DUP102"]
    assert {f["rule"] for f in rep["findings"]} == {"DUP102"}
    assert all(f["score"] >= 0.95 for f in rep["findings"])
    rep = scan_json(str(BBC_FIXTURE), "--threshold", "0.8")
    assert rep["config"]["threshold"] == 0.8
    (tmp_path / "dedup.toml").write_text("thresold = 0.9\n")
    res = invoke("scan", str(BBC_FIXTURE))
    assert res.exit_code == 2 and "unknown key 'thresold'" in res.stderr


def test_worker_processes_give_the_same_edges(monkeypatch):
    import dedup.cluster as cl

    texts = [d.text for d in read_corpus([str(BBC_FIXTURE), str(SEEDS)])]
    one, _ = cl.local_edges(texts, ScanConfig(jobs=1))
    monkeypatch.setattr(cl, "PARALLEL_MIN_CHARS", 0)
    two, _ = cl.local_edges(texts, ScanConfig(jobs=2))
    assert one == two and len(one) >= 4


def test_console_script_fast_exit_keeps_output_codes_and_exit_handlers(tmp_path):
    """main() ends the process without freeing the report (os._exit after the exit handlers and a
    flush): piped and file output complete, exit codes 0 / 1 / 2, atexit handlers still run."""
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "dedup", *args], capture_output=True, text=True, cwd=ROOT)

    piped = run("scan", str(SEEDS), str(BBC_FIXTURE), "-f", "json")
    assert piped.returncode == 0
    want = scan_json(str(SEEDS), str(BBC_FIXTURE))
    got = json.loads(piped.stdout)
    assert {k: v for k, v in got.items() if k != "stats"} == {k: v for k, v in want.items() if k != "stats"}
    out = tmp_path / "r.json"
    assert run("scan", str(SEEDS), "-f", "json", "-o", str(out)).returncode == 0
    assert json.loads(out.read_text(encoding="utf-8"))["findings"]
    assert run("check", str(SEEDS), "-q").returncode == 1
    missing = run("scan", str(tmp_path / "nope"))
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "nope" in missing.stderr
    code = ("import atexit, sys; atexit.register(lambda: print('handler ran')); "
            "sys.argv = ['dedup', '--version']; from dedup.cli import main; main()")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0 and res.stdout.split("\n")[:2] == [f"dedup {dedup.__version__}", "handler ran"]
    prof = tmp_path / "scan.prof"  # under a profiler the process exits normally: the profile is written
    res = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "dedup", "scan", str(SEEDS), "-q"],
                         capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0 and prof.stat().st_size > 0


def test_duplicate_rules_are_all_declared_in_the_rule_table_module():
    """resolve() imports the detector and passage modules only when a selection may match their
    rules: every DUP code, every rule of the duplicate kinds and every name of those rules is
    declared in dedup.rules itself, before any other module registers its rules."""
    from dedup import rules

    every = rules.load_all()
    assert set(rules._CORE) < set(every)
    for code, rule in every.items():
        core = code in rules._CORE
        assert code.startswith("D") == core and (rule.kind in rules._CORE_KINDS) == core
        assert not core or [r.name for r in every.values()].count(rule.name) == 1
        assert core or not rules._core(rule.name)  # e.g. a future 'duplicate-line' detector
    for tokens in (["duplicate-document"], ["DUP10"], ["exact-duplicate", "DUP112"], ["DUP1"], ["d"]):
        assert all(map(rules._core, tokens))
        assert resolve(tokens, []) <= set(rules._CORE)
    assert not rules._core("MT3") and not rules._core("artifact") and not rules._core("BP206")
    assert not rules._core("duplicate-line")


@pytest.mark.parametrize("select", ["BP", "bp", "LANG", "boilerplate", "split-phrase", "artifact,boilerplate",
                                    "DUP101,split-phrase", "MT3"])
def test_select_any_rule_family_from_the_command_line(select):
    """--select takes the detectors' codes, prefixes, kinds and names too (before a full scan the
    selection is resolved with every rule loaded)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "dedup", "scan", str(SEEDS), "--select", select, "-q", "-f", "json"],
                         capture_output=True, text=True, env=env, cwd=ROOT)
    assert out.returncode in (0, 1), out.stderr
    chosen = set(json.loads(out.stdout)["config"]["rules"])
    assert chosen and chosen == set(resolve(select.split(","), []))


def test_a_document_level_scan_imports_no_detector_or_passage_module():
    """dedup scan --select duplicate-document starts without the detector and passage modules
    (their imports are most of the start-up a document-level scan does not need); a full scan
    and 'dedup rules' load every rule."""
    code = ("import sys; from dedup.cli import main; sys.argv = ['dedup'] + sys.argv[1:];\n"
            "import atexit; atexit.register(lambda: print(sorted(m for m in sys.modules if m in "
            "('dedup.detectors', 'dedup.passages', 'dedup.align')), file=sys.stderr))\n"
            "main()")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def loaded(*args):
        out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=ROOT)
        assert out.returncode == 0, out.stderr
        return out.stderr.strip().splitlines()[-1]

    assert loaded("scan", str(SEEDS), "--select", "duplicate-document", "-q", "-f", "json") == "[]"
    assert "dedup.passages" in loaded("scan", str(SEEDS), "-q", "-f", "json")
    listed = subprocess.run([sys.executable, "-m", "dedup", "rules", "-f", "json"], capture_output=True, text=True,
                            env=env, cwd=ROOT, check=True).stdout
    assert {"MT301", "MT350", "BP206", "LANG401", "DUP101"} <= {r["code"] for r in json.loads(listed)}
