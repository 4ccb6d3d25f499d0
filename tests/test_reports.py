"""Output formats read by their consumers: JSON Lines, GitHub annotations, SARIF 2.1.0 (validated
against the official schema), JUnit XML (junitparser) and the HTML page (headless Chromium)."""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import subprocess
import threading
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest

from dedup.io import read_corpus

from .conftest import BBC_FIXTURE, ROOT, SEEDS, invoke

SCHEMA = Path(__file__).with_name("sarif-schema-2.1.0.json")


@pytest.fixture(scope="module")
def outputs():
    """Every format of one check of the seeds and the BBC sample (run from the repository root so
    paths are relative), and the documents as read."""
    old = os.getcwd()
    os.chdir(ROOT)
    try:
        out = {fmt: invoke("check", "fixtures/seeds", "fixtures/bbc", "--format", fmt, "-q")
               for fmt in ("json", "jsonl", "github", "sarif", "junit")}
    finally:
        os.chdir(old)
    docs = {d.id: d for d in read_corpus([str(SEEDS), str(BBC_FIXTURE)])}
    return out, docs


def test_all_formats_exit_like_the_check(outputs):
    out, _ = outputs
    assert {fmt: r.exit_code for fmt, r in out.items()} == dict.fromkeys(out, 1)


def test_jsonl_is_the_report_findings(outputs):
    out, _ = outputs
    report = json.loads(out["json"].stdout)
    assert [json.loads(x) for x in out["jsonl"].stdout.splitlines()] == report["findings"]


_GH = re.compile(r"^::(error|warning|notice) (?P<props>[^:]*)::(?P<msg>.*)$")


def _unescape(s: str) -> str:
    return s.replace("%0A", "\n").replace("%0D", "\r").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def test_github_annotations_point_at_the_text(outputs):
    out, docs = outputs
    report = json.loads(out["json"].stdout)
    lines = out["github"].stdout.splitlines()
    assert len(lines) == len(report["findings"])
    for line, f in zip(lines, report["findings"], strict=True):
        m = _GH.match(line)
        assert m, line
        level = {"error": "error", "warning": "warning", "info": "notice"}[f["severity"]]
        assert m.group(1) == level
        props = dict(p.split("=", 1) for p in m.group("props").split(","))
        props = {k: _unescape(v) for k, v in props.items()}
        assert props["title"].startswith(f"dedup {f['rule']} ")
        path = Path(ROOT, props["file"])
        file_lines = path.read_text(encoding="utf-8").split("\n")
        start_line, col = int(props["line"]), int(props["col"])
        end_line, end_col = int(props["endLine"]), int(props["endColumn"])
        first = f["text"].split("\n")[0]
        assert file_lines[start_line - 1][col - 1:].startswith(first)
        last = f["text"].rstrip("\n").split("\n")[-1]
        assert file_lines[end_line - 1][: end_col - 1].endswith(last)
        assert "\n" not in m.group("msg")


def test_sarif_validates_against_the_official_schema(outputs):
    out, docs = outputs
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    log = json.loads(out["sarif"].stdout)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    errors = sorted(cls(schema, format_checker=cls.FORMAT_CHECKER).iter_errors(log), key=str)
    assert errors == []
    run = log["runs"][0]
    assert run["tool"]["driver"]["name"] == "dedup" and run["columnKind"] == "unicodeCodePoints"
    rules = run["tool"]["driver"]["rules"]
    assert all(r["help"]["text"] and r["shortDescription"]["text"] for r in rules)
    report = json.loads(out["json"].stdout)
    assert len(run["results"]) == len(report["findings"])
    for res, f in zip(run["results"], report["findings"], strict=True):
        assert res["partialFingerprints"]["dedupFinding/v1"] == f["id"]
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"] == f["rule"]
        region = res["locations"][0]["physicalLocation"]["region"]
        text = docs[f["doc"]].text
        assert text[region["charOffset"]: region["charOffset"] + region["charLength"]] == f["text"]
        assert region["startLine"] == text.count("\n", 0, f["start"]) + 1


def test_junit_read_by_junitparser(outputs):
    from junitparser import Failure, JUnitXml

    out, docs = outputs
    report = json.loads(out["json"].stdout)
    xml = JUnitXml.fromstring(out["junit"].stdout)
    cases = [c for suite in xml for c in suite]
    assert sorted(c.name for c in cases) == sorted(docs)
    failing_docs = {f["doc"] for f in report["findings"] if f["severity"] in ("warning", "error")}
    failed = {c.name for c in cases if any(isinstance(r, Failure) for r in c.result)}
    assert failed == failing_docs
    assert int(xml.failures) == len(failing_docs) and int(xml.tests) == len(docs)


# -- HTML in a real browser ------------------------------------------------------------------------
HOSTILE = (
    'Breaking <script>document.title="PWNED"</script> news '
    '<img src="http://127.0.0.1:{port}/img.png" onerror="document.body.setAttribute(\'data-pwned\',1)">'
    ' </textarea><textarea> <style>body{{display:none}}</style> '
    '<link rel="stylesheet" href="http://127.0.0.1:{port}/x.css"> '
    '"><svg onload="document.title=\'PWNED2\'"> <iframe src="http://127.0.0.1:{port}/frame"></iframe>\n\n'
    "The Prime Minister said on Monday that the plan would go ahead as expected by everyone.\n"
)


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):
        pytest.fail("headless Chromium is needed for the HTML test (.ci/run installs Debian's chromium)")
    pytest.skip("chromium not installed (apt-get install chromium)")


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802
        type(self).hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


class _Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_html_shows_findings_and_runs_nothing_from_the_corpus(tmp_path):
    browser = chromium()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    _Recorder.hits = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        batch = tmp_path / "batch"
        batch.mkdir()
        evil = HOSTILE.format(port=port)
        (batch / "evil.txt").write_text(evil, encoding="utf-8")
        (batch / "evil-copy.txt").write_text(evil + "One more line.\n", encoding="utf-8")
        page = tmp_path / "report.html"
        res = invoke("check", str(batch), str(SEEDS), "--format", "html", "-o", str(page), "-q")
        assert res.exit_code == 1
        html = page.read_text(encoding="utf-8")
        assert "<script" not in html.lower() and "http://127.0.0.1" not in html.replace("http://127.0.0.1:"
                                                                                       f"{port}", "")
        p = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=2000", "--dump-dom",
             page.as_uri()],
            capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr[-2000:]
        dom = _Dom()
        dom.feed(p.stdout)
    finally:
        server.shutdown()
    assert _Recorder.hits == []  # nothing loaded from the network
    tags = dom.tags
    assert not [t for t, _ in tags if t in ("script", "img", "iframe", "svg", "link", "textarea")]
    assert not [a for _, attrs in tags for a in attrs if a.startswith("on")]
    assert not [attrs for t, attrs in tags if t == "body" and "data-pwned" in attrs]
    title = p.stdout.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "PWNED" not in title and title.startswith("dedup report")
    text = "".join(dom.text)
    assert '<script>document.title="PWNED"</script>' in text  # shown as text, exactly
    assert "</textarea><textarea>" in text
    # what is shown: the summary, the cluster of the two copies, highlighted spans by kind
    assert re.search(r"\d+ documents, \d+ clusters, \d+ findings \(\d+ failing\)", text)
    assert "evil-copy.txt" in text and "near-duplicate" in text
    kinds = {attrs.get("class") for t, attrs in tags if t == "mark"}
    assert {"k-duplicate-document", "k-artifact", "k-boilerplate"} <= kinds
    # aligned passages side by side: a table with both documents' spans
    assert any(t == "table" and attrs.get("class") == "aligned" for t, attrs in tags)


def test_whole_document_findings_are_not_shown_as_spans():
    """A translation variant (DUP103, kind duplicate-passage) is a whole-document finding: the HTML
    page does not highlight the whole text with it, the text report lists it with the clusters."""
    from dedup.config import ScanConfig
    from dedup.model import Document
    from dedup.pipeline import scan
    from dedup.report import html, textfmt

    p = ["The government announced a new plan to cut taxes for small businesses next year.",
         "Officials said the plan would cost about two billion pounds over five years.",
         "Critics argued that the proposal favoured large firms over local shops.",
         "The minister defended the policy in a speech to parliament on Tuesday."]
    q = ["The government unveiled a new plan to reduce taxes for small firms next year.",
         "Officials stated the plan could cost around two billion pounds across five years.",
         "Critics claimed that the proposal favoured big firms over local shops.",
         "The minister defended this policy during a speech to parliament on Tuesday."]
    rep = scan([Document("a", " ".join(p), "a"), Document("b", " ".join(q) + " Unrelated tail words here.", "b")],
               ScanConfig(jobs=1))
    assert {f.rule for f in rep.findings} >= {"DUP103", "DUP112"}
    page = html.render(rep)
    assert 'title="DUP103' not in page and 'title="DUP112' in page
    assert "<caption>DUP103" not in page
    text = textfmt.to_text(rep)
    assert ": DUP112 " in text and ": DUP103 " not in text


def test_lone_surrogates_reach_every_format_without_a_traceback(tmp_path):
    """A JSON ``\\ud800`` escape reads as a lone surrogate, which UTF-8 cannot encode: the JSON
    outputs escape it (and read back the same text), the HTML shows U+FFFD; nothing crashes."""
    corpus = tmp_path / "s.jsonl"
    line = '{"id": "%s", "text": "bad \\ud800 x. Some more text here for the duplicate scan."}\n'
    corpus.write_text(line % "a" + line % "b", encoding="utf-8")
    for fmt in ("text", "json", "jsonl", "github", "sarif", "junit", "html"):
        out = tmp_path / f"r.{fmt}"
        res = invoke("check", corpus, "--format", fmt, "-o", out, "-q")
        assert res.exit_code == 1, (fmt, res.output)
        assert out.stat().st_size > 0
    finding = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["findings"][0]
    assert finding["text"].startswith("bad \ud800 x")
    assert json.loads((tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()[0])["text"] == finding["text"]
    assert "\ufffd" in (tmp_path / "r.html").read_text(encoding="utf-8")
