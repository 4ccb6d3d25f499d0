"""One line per finding, as linters print them, then a summary: ``dedup check``'s text format.

``path:line:col: RULE [severity] message`` (a JSONL record: ``path:line: [id] ...``).
"""

from __future__ import annotations

from collections.abc import Callable

from ..model import Finding, Report
from .location import locate_finding


def to_concise(report: Report, fails: Callable[[Finding], bool] | None = None) -> str:
    docs = {d.id: d for d in report.documents}
    out = []
    for f in report.findings:
        loc = locate_finding(f, docs)
        who = "" if loc.exact and loc.path and loc.path.endswith(f.doc) else f" [{f.doc}]"
        out.append(f"{loc.where()}:{who} {f.rule} [{f.severity}] {f.message}")
    n = len(report.findings)
    failing = sum(1 for f in report.findings if fails(f)) if fails else n
    docs_n = report.stats.get("documents", len(report.documents))
    summary = (f"Found {n} finding{'s' if n != 1 else ''} ({failing} failing) in {docs_n} documents."
               if n else f"All checks passed: {docs_n} documents.")
    suppressed = report.stats.get("baseline_suppressed")
    if suppressed:
        summary += f" {suppressed} more accepted by the baseline."
    out.append(summary)
    return "\n".join(out) + "\n"
