"""Human-readable report: a summary, the clusters, then the other findings one per line."""

from __future__ import annotations

from ..model import Report
from ..rules import DOCUMENT_RULES


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column (in code points) of ``offset`` in ``text``.

    >>> line_col("ab\\ncd", 3)
    (2, 1)
    """
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def _snippet(s: str, width: int = 70) -> str:
    s = " ".join(s.split())
    return s if len(s) <= width else s[: width - 1] + "…"


def to_text(report: Report) -> str:
    st = report.stats
    docs = {d.id: d for d in report.documents}
    out: list[str] = []
    by_kind: dict[str, int] = {}
    for f in report.findings:
        by_kind[f.kind] = by_kind.get(f.kind, 0) + 1
    out.append(
        f"{st.get('documents', 0)} documents, {st.get('chars', 0):,} characters, "
        f"{len(report.clusters)} clusters, {len(report.findings)} findings "
        f"in {st.get('seconds', 0):.2f}s"
    )
    if by_kind:
        out.append("findings by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(by_kind.items())))
    for c in report.clusters:
        out.append("")
        out.append(f"cluster {c.id} [{c.kind}] {len(c.members)} documents, similarity {c.similarity:.3f}")
        for m in c.members:
            mark = "*" if m == c.canonical else "-"
            note = " (canonical)" if m == c.canonical else ""
            out.append(f"  {mark} {m}{note}")
    other = [f for f in report.findings if f.rule not in DOCUMENT_RULES]
    if other:
        out.append("")
    for f in other:
        d = docs.get(f.doc)
        ln, col = line_col(d.text, f.start) if d else (0, 0)
        rel = f" [related {f.related.doc}:{f.related.start}-{f.related.end}]" if f.related else ""
        out.append(f"{f.doc}:{ln}:{col}: {f.rule} {f.severity}: {f.message}{rel} \"{_snippet(f.text)}\"")
    return "\n".join(out) + "\n"
