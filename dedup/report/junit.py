"""JUnit XML, as CI dashboards (Jenkins, GitLab, Azure, test-report actions) read it.

One ``<testcase>`` per document (``classname`` = its directory or file, ``name`` = its id): a
document with failing findings gets one ``<failure>`` listing them, one with only non-failing
findings passes and lists them in ``<system-out>``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

from ..model import Finding, Report
from .location import display_path, locate_finding


def default_fails(f: Finding) -> bool:
    return f.severity in ("warning", "error")


def _clean(s: str) -> str:
    """Drop characters XML 1.0 cannot carry (control characters, lone surrogates)."""
    return "".join(c for c in s if c in "\t\n\r" or (" " <= c <= "\ud7ff") or ("\ue000" <= c <= "\ufffd")
                   or c >= "\U00010000")


def render(report: Report, fails: Callable[[Finding], bool] | None = None) -> str:
    fails = fails or default_fails
    docs = {d.id: d for d in report.documents}
    by_doc: dict[str, list[Finding]] = {}
    for f in report.findings:
        by_doc.setdefault(f.doc, []).append(f)
    seconds = f"{float(report.stats.get('seconds', 0.0)):.3f}"
    suite = ET.Element("testsuite", name="dedup check", tests=str(len(report.documents)), errors="0",
                       skipped="0", time=seconds)
    failures = 0
    for d in report.documents:
        path = display_path(d.path)
        classname = path.rsplit("/", 1)[0].replace("/", ".") if path and "/" in path else (path or "stdin")
        case = ET.SubElement(suite, "testcase", classname=_clean(classname), name=_clean(d.id), time="0")
        if path:
            case.set("file", _clean(path))
            if d.line is not None:
                case.set("line", str(d.line))
        found = by_doc.get(d.id, [])
        bad = [f for f in found if fails(f)]
        lines = [f"{locate_finding(f, docs).where()}: {f.rule} [{f.severity}] {f.message}" for f in found]
        if bad:
            failures += 1
            rules = sorted({f.rule for f in bad})
            fail = ET.SubElement(case, "failure", type=rules[0],
                                 message=_clean(f"{len(bad)} failing finding{'s' if len(bad) != 1 else ''}: "
                                                f"{', '.join(rules)} ({bad[0].message})"))
            fail.text = _clean("\n".join(lines))
        elif found:
            ET.SubElement(case, "system-out").text = _clean("\n".join(lines))
    suite.set("failures", str(failures))
    root = ET.Element("testsuites", name="dedup", tests=str(len(report.documents)), failures=str(failures),
                      errors="0", time=seconds)
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
