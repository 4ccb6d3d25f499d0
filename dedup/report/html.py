"""One self-contained HTML review page: a summary, the clusters, and every document with findings,
its spans highlighted by kind and its aligned passages side by side.

Scraped text carries markup and scripts, so the page is built to be inert:

* every piece of document text, id, source and message is escaped (:func:`html.escape`);
* the page has no script at all, and a Content-Security-Policy (``default-src 'none'``) allows
  only its own stylesheet, pinned by hash: even markup that slipped through could run nothing and
  load nothing (no images, fonts, frames or network requests; no CDN).

>>> "<script>" in _esc("<script>alert(1)</script>")
False
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Sequence
from html import escape

from .. import __version__
from ..model import Document, Finding, Report
from ..rules import DOCUMENT_RULES, load_all

#: Span kinds in drawing priority (an overlapped character takes the first kind that covers it).
PRIORITY = ("artifact", "language", "boilerplate", "duplicate-passage", "duplicate-document")

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header,main{max-width:1100px;margin:0 auto;padding:0 20px}
header{padding-top:18px}h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:26px 0 8px}
h3{font-size:15px;margin:0 0 6px;word-break:break-all}small,.muted{color:#5b6474}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #d9dde3;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef0f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
.doc{background:#fff;border:1px solid #d9dde3;border-radius:6px;padding:12px 14px;margin:12px 0}
.findings{margin:6px 0 10px;padding-left:18px}.findings li{margin:2px 0}
.text{white-space:pre-wrap;word-wrap:break-word;font:13px/1.5 ui-monospace,Menlo,Consolas,monospace;
background:#fbfbfc;border:1px solid #e3e6ea;padding:10px;margin:6px 0 0;max-height:32em;overflow:auto}
mark{border-radius:2px;padding:0 1px}
.k-artifact{background:#ffc9c9}.k-language{background:#d0bfff}.k-boilerplate{background:#e9ecef;color:#555}
.k-duplicate-passage{background:#ffec99}.k-duplicate-document{background:#a5d8ff}
.sev{display:inline-block;min-width:58px;font-size:12px;font-weight:600;text-transform:uppercase}
.sev-error{color:#c92a2a}.sev-warning{color:#b35c00}.sev-info{color:#1864ab}
.badge{display:inline-block;font-size:12px;padding:0 6px;border-radius:8px;margin-left:6px}
.canonical{font-weight:600}
.aligned{margin-top:10px}.aligned td{width:46%;white-space:pre-wrap;font-size:13px}
.legend mark{margin-right:8px}
""".strip()


_SURROGATE = re.compile("[\ud800-\udfff]")


def _esc(s: object) -> str:
    """HTML-escaped text; a lone surrogate (which UTF-8 cannot encode) shows as U+FFFD."""
    return escape(_SURROGATE.sub("\ufffd", str(s)), quote=True)


def _csp() -> str:
    digest = base64.b64encode(hashlib.sha256(CSS.encode("utf-8")).digest()).decode("ascii")
    return (f"default-src 'none'; style-src 'sha256-{digest}'; img-src 'none'; font-src 'none'; "
            "connect-src 'none'; frame-src 'none'; base-uri 'none'; form-action 'none'")


def _rank(kind: str) -> int:
    return PRIORITY.index(kind) if kind in PRIORITY else len(PRIORITY)


def highlight(text: str, spans: Sequence[Finding]) -> str:
    """``text`` escaped, with each finding's span inside ``<mark class="k-KIND">`` (the kind of
    highest priority where spans overlap; the title lists every rule covering it).

    >>> from dedup.rules import make_finding
    >>> f = make_finding("DUP111", "d", "a <b> c", 2, 5, "repeat")
    >>> highlight("a <b> c", [f])
    'a <mark class="k-duplicate-passage" title="DUP111 repeat">&lt;b&gt;</mark> c'
    """
    cuts = sorted({0, len(text), *(f.start for f in spans), *(f.end for f in spans)})
    out = []
    for s, e in zip(cuts, cuts[1:], strict=False):
        if e <= s:
            continue
        chunk = _esc(text[s:e])
        active = [f for f in spans if f.start <= s and e <= f.end]
        if not active:
            out.append(chunk)
            continue
        top = min(active, key=lambda f: (_rank(f.kind), f.rule))
        title = "; ".join(sorted({f"{f.rule} {f.message}" for f in active}))
        out.append(f'<mark class="k-{_esc(top.kind)}" title="{_esc(title)}">{chunk}</mark>')
    return "".join(out)


def _finding_item(f: Finding, anchors: dict[str, str], failing: bool) -> str:
    rel = ""
    if f.related is not None:
        if f.related.doc in anchors:
            rel = f' → <a href="#{anchors[f.related.doc]}">{_esc(f.related.doc)}</a>'
        else:
            rel = f' → <span class="muted">{_esc(f.related.doc)} (indexed)</span>'
    where = "" if f.rule in DOCUMENT_RULES else f' <small>[{f.start}:{f.end}]</small>'
    mark = ' <span class="badge sev-error">fails</span>' if failing else ""
    return (f'<li><span class="sev sev-{_esc(f.severity)}">{_esc(f.severity)}</span> '
            f'<mark class="k-{_esc(f.kind)}">{_esc(f.rule)}</mark> {_esc(f.message)}{where}{rel}{mark}</li>')


def _aligned(f: Finding, docs: dict[str, Document]) -> str:
    """Side-by-side rows of a finding's aligned passages (or its span and the related span)."""
    if f.related is None or f.rule in DOCUMENT_RULES:
        return ""
    other = docs.get(f.related.doc)
    a_text = docs[f.doc].text if f.doc in docs else ""
    if other is None:
        return ""
    pairs = ([(p.a, p.b, p.score) for p in f.alignment] if f.alignment
             else [((f.start, f.end), (f.related.start, f.related.end), f.score)])
    rows = "".join(
        f'<tr><td>{_esc(a_text[a[0]:a[1]])}</td><td>{_esc(other.text[b[0]:b[1]])}</td>'
        f'<td class="num">{score:.2f}</td></tr>' for a, b, score in pairs)
    return (f'<table class="aligned"><caption>{_esc(f.rule)}: {_esc(f.doc)} ↔ {_esc(f.related.doc)}'
            f'</caption><tr><th>{_esc(f.doc)} [{f.start}:{f.end}]</th><th>{_esc(f.related.doc)} '
            f'[{f.related.start}:{f.related.end}]</th><th>score</th></tr>{rows}</table>')


def render(report: Report, fails: Callable[[Finding], bool] | None = None) -> str:
    fails = fails or (lambda f: f.severity in ("warning", "error"))
    docs = {d.id: d for d in report.documents}
    by_doc: dict[str, list[Finding]] = {}
    for f in report.findings:
        by_doc.setdefault(f.doc, []).append(f)
    shown = [d for d in report.documents if d.id in by_doc]
    anchors = {d.id: f"d{i}" for i, d in enumerate(report.documents)}
    st = report.stats
    n_fail = sum(1 for f in report.findings if fails(f))
    by_rule: dict[str, int] = {}
    for f in report.findings:
        by_rule[f.rule] = by_rule.get(f.rule, 0) + 1

    h: list[str] = []
    h.append("<!DOCTYPE html>")
    h.append('<html lang="en"><head><meta charset="utf-8">')
    h.append(f'<meta http-equiv="Content-Security-Policy" content="{_esc(_csp())}">')
    h.append('<meta name="referrer" content="no-referrer">')
    h.append('<meta name="viewport" content="width=device-width, initial-scale=1">')
    h.append(f"<title>dedup report: {len(report.findings)} findings</title>")
    h.append(f"<style>{CSS}</style></head><body>")
    accepted = (f', {int(st["baseline_suppressed"])} accepted by the baseline'
                if st.get("baseline_suppressed") else "")
    h.append(f'<header><h1>dedup report</h1><p id="summary">{st.get("documents", len(report.documents))} '
             f'documents, {len(report.clusters)} clusters, {len(report.findings)} findings '
             f'({n_fail} failing){accepted}. <small>dedup {_esc(__version__)}</small></p>')
    h.append('<p class="legend">' + "".join(f'<mark class="k-{k}">{k}</mark>' for k in PRIORITY) + "</p>")
    h.append("</header><main>")

    h.append('<section id="rules"><h2>Findings by rule</h2>')
    if by_rule:
        h.append("<table><tr><th>rule</th><th>name</th><th>kind</th><th>findings</th></tr>")
        rules = load_all()  # a report read back may hold any rule
        for code, n in sorted(by_rule.items()):
            r = rules.get(code)
            h.append(f'<tr><td>{_esc(code)}</td><td>{_esc(r.name if r else "")}</td>'
                     f'<td>{_esc(r.kind if r else "")}</td><td class="num">{n}</td></tr>')
        h.append("</table>")
    else:
        h.append('<p class="muted">No findings.</p>')
    h.append("</section>")

    h.append(f'<section id="clusters"><h2>Clusters ({len(report.clusters)})</h2>')
    if report.clusters:
        h.append("<table><tr><th>cluster</th><th>kind</th><th>similarity</th><th>members</th></tr>")
        for c in report.clusters:
            members = ", ".join(
                (f'<a class="canonical" href="#{anchors[m]}">{_esc(m)}</a> (canonical)' if m == c.canonical
                 else f'<a href="#{anchors[m]}">{_esc(m)}</a>') if m in anchors else _esc(m)
                for m in c.members)
            h.append(f'<tr><td>{_esc(c.id)}</td><td>{_esc(c.kind)}</td><td class="num">{c.similarity:.3f}</td>'
                     f"<td>{members}</td></tr>")
        h.append("</table>")
    else:
        h.append('<p class="muted">No clusters.</p>')
    h.append("</section>")

    h.append(f'<section id="documents"><h2>Documents with findings ({len(shown)} of '
             f'{len(report.documents)})</h2>')
    for d in shown:
        found = by_doc[d.id]
        spans = [f for f in found if f.rule not in DOCUMENT_RULES and f.end > f.start]
        h.append(f'<article class="doc" id="{anchors[d.id]}"><h3>{_esc(d.id)} '
                 f'<small>{_esc(d.source)} · {len(d.text)} characters</small></h3>')
        h.append('<ul class="findings">' + "".join(_finding_item(f, anchors, fails(f)) for f in found) + "</ul>")
        h.append(f'<pre class="text">{highlight(d.text, spans)}</pre>')
        h.append("".join(_aligned(f, docs) for f in found))
        h.append("</article>")
    h.append("</section></main></body></html>")
    return "\n".join(h) + "\n"
