"""GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice`` line per finding,
which the Actions runner turns into annotations on the file and lines.

>>> escape_property("a,b:c%")
'a%2Cb%3Ac%25'
"""

from __future__ import annotations

from ..model import Report
from ..rules import load_all
from .location import locate_finding

LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(s: str) -> str:
    return escape_data(s).replace(":", "%3A").replace(",", "%2C")


def render(report: Report) -> str:
    docs = {d.id: d for d in report.documents}
    rules = load_all()  # a report read back may hold any rule
    out = []
    for f in report.findings:
        loc = locate_finding(f, docs)
        props = []
        if loc.path:
            props.append(("file", loc.path))
        if loc.start_line is not None:
            props.append(("line", str(loc.start_line)))
            if loc.start_col is not None:
                props.append(("col", str(loc.start_col)))
            props.append(("endLine", str(loc.end_line)))
            if loc.end_col is not None:
                props.append(("endColumn", str(loc.end_col)))
        rule = rules.get(f.rule)
        props.append(("title", f"dedup {f.rule} {rule.name if rule else f.kind}"))
        head = ",".join(f"{k}={escape_property(v)}" for k, v in props)
        msg = f"{f.doc}: {f.message}" if not (loc.exact and loc.path) else f.message
        out.append(f"::{LEVELS.get(f.severity, 'warning')} {head}::{escape_data(msg)}")
    return "".join(line + "\n" for line in out)
