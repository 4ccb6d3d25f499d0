"""SARIF 2.1.0: what GitHub code scanning and other static-analysis dashboards read.

One run whose ``tool.driver`` is dedup with every selected rule (short and full description,
help text, default level), and one result per finding with its physical location (file, lines
and columns in Unicode code points, character offsets), a stable ``partialFingerprints`` entry
(the finding's content fingerprint) and the related document as a related location.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .. import __version__
from ..io.writers import json_text
from ..model import Finding, Report
from ..rules import RULES, Rule, load_all
from .location import Location, display_path, locate, locate_finding

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/dedup/"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def _uri(path: str | None) -> str:
    if path is None:
        return "stdin"
    if path.startswith("/"):
        return "file://" + quote(path)
    return quote(path)


def _rule(r: Rule) -> dict[str, Any]:
    text = f"{r.summary} {r.help}".strip()
    return {
        "id": r.code,
        "name": "".join(p.capitalize() for p in r.name.split("-")),
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": text},
        "help": {"text": f"{text} Kind: {r.kind}. Default severity: {r.severity}. "
                         f"List all rules with 'dedup rules'.",
                 "markdown": f"**{r.code} {r.name}** ({r.kind}): {r.summary}\n\n{r.help}"},
        "defaultConfiguration": {"level": LEVELS.get(r.severity, "warning")},
        "properties": {"tags": [r.kind]},
    }


def _physical(loc: Location, start: int, end: int) -> dict[str, Any]:
    phys: dict[str, Any] = {"artifactLocation": {"uri": _uri(loc.path)}}
    if loc.exact:
        phys["region"] = {"startLine": loc.start_line, "startColumn": loc.start_col,
                          "endLine": loc.end_line, "endColumn": loc.end_col,
                          "charOffset": start, "charLength": end - start}
    elif loc.start_line is not None:
        phys["region"] = {"startLine": loc.start_line}
    return phys


def _result(f: Finding, index: dict[str, int], docs: dict) -> dict[str, Any]:
    loc = locate_finding(f, docs)
    res: dict[str, Any] = {
        "ruleId": f.rule,
        "level": LEVELS.get(f.severity, "warning"),
        "message": {"text": f"{f.doc}: {f.message}"},
        "locations": [{"physicalLocation": _physical(loc, f.start, f.end),
                       "logicalLocations": [{"name": f.doc, "kind": "document"}]}],
        "partialFingerprints": {"dedupFinding/v1": f.id},
        "properties": {"doc": f.doc, "kind": f.kind, "start": f.start, "end": f.end,
                       "score": round(float(f.score), 4)},
    }
    if f.rule in index:
        res["ruleIndex"] = index[f.rule]
    if f.related is not None:
        rel_doc = docs.get(f.related.doc)
        related: dict[str, Any] = {"id": 1, "message": {"text": f"related: {f.related.doc}"}}
        if rel_doc is not None:
            rloc = locate(rel_doc, f.related.start, f.related.end)
            related["physicalLocation"] = _physical(rloc, f.related.start, f.related.end)
        else:  # an indexed document: not a file of this run
            related["message"]["text"] = f"related: indexed document {f.related.doc}"
        res["relatedLocations"] = [related]
    return res


def to_sarif_dict(report: Report) -> dict[str, Any]:
    load_all()  # a report read back may hold any rule
    selected = report.config.get("rules") or sorted(RULES)
    codes = sorted({*(c for c in selected if c in RULES), *(f.rule for f in report.findings if f.rule in RULES)})
    rules = [_rule(RULES[c]) for c in codes]
    index = {c: i for i, c in enumerate(codes)}
    docs = {d.id: d for d in report.documents}
    artifacts = sorted({display_path(d.path) for d in report.documents if d.path})
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "dedup", "version": __version__, "semanticVersion": __version__,
                                "informationUri": INFORMATION_URI, "rules": rules}},
            "columnKind": "unicodeCodePoints",
            "artifacts": [{"location": {"uri": _uri(a)}} for a in artifacts],
            "results": [_result(f, index, docs) for f in report.findings],
            "properties": {"documents": report.stats.get("documents", len(report.documents))},
        }],
    }


def render(report: Report) -> str:
    return json_text(to_sarif_dict(report), 2) + "\n"
