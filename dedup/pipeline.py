"""Run the stages over a corpus and return a :class:`~dedup.model.Report`. Never prints.

read → detectors (artifacts, boilerplate, language) → document duplicates (exact, near) with
canonical members chosen by fewest problem characters → passages (repeats, overlaps, variants) of
the documents that are not copies of a canonical member.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence

from . import __version__
from .cluster import find_duplicate_documents, local_edges
from .config import ScanConfig
from .model import Document, Finding, Report
from .report.fingerprint import assign_ids
from .rules import RULES, resolve
from .stream import DOC_RULES, scan_documents_streaming, streamable
from .workers import gc_paused

#: Finding kinds whose characters count as "problem characters" for the canonical choice.
PROBLEM_KINDS = ("artifact", "boilerplate", "language")


def problem_chars(docs: Sequence[Document], findings: Sequence[Finding]) -> dict[str, int]:
    """Characters of each document covered by artifact/boilerplate/language findings (union)."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for f in findings:
        if f.kind in PROBLEM_KINDS and f.end > f.start:
            spans.setdefault(f.doc, []).append((f.start, f.end))
    out = {d.id: 0 for d in docs}
    for doc, ss in spans.items():
        ss.sort()
        total, cur_s, cur_e = 0, -1, -1
        for s, e in ss:
            if s > cur_e:
                total += max(0, cur_e - cur_s)
                cur_s, cur_e = s, e
            else:
                cur_e = max(cur_e, e)
        total += max(0, cur_e - cur_s)
        out[doc] = total
    return out


def edge_finder(cfg: ScanConfig):
    """The engine that finds verified near-duplicate edges (see ``cluster.EdgeFinder``)."""
    if cfg.engine == "ray":
        from .engines.ray import ray_edges, require_ray

        require_ray()  # UsageError naming the extra if Ray is missing
        return ray_edges
    return local_edges


def scan(docs: Sequence[Document], cfg: ScanConfig | None = None,
         progress: Callable[[str, int, int], None] | None = None) -> Report:
    """Analyse ``docs`` with ``cfg``; ``progress(stage, advance, total)`` is called as work is done
    (with Python's cyclic garbage collector paused, see :func:`dedup.workers.gc_paused`)."""
    with gc_paused():
        return _scan(docs, cfg, progress)


def _scan(docs: Sequence[Document], cfg: ScanConfig | None,
          progress: Callable[[str, int, int], None] | None) -> Report:
    cfg = cfg or ScanConfig()
    codes = resolve(cfg.select, cfg.ignore)
    find_edges = edge_finder(cfg)  # before any work: a missing engine is a usage error
    t0 = time.perf_counter()
    timings: dict[str, float] = {}

    def tick(stage: str) -> Callable[[int], None] | None:
        if progress is None:
            return None
        return lambda n: progress(stage, n, len(docs))

    t = time.perf_counter()
    findings: list[Finding] = []
    if any(RULES[c].kind in PROBLEM_KINDS for c in codes):  # else documents' lang stays None
        from .detectors import run_detectors  # (imported only for a scan that runs them)

        findings = list(run_detectors(docs, codes, cfg))
    timings["detectors"] = time.perf_counter() - t
    quality = problem_chars(docs, findings)

    t = time.perf_counter()
    dd = find_duplicate_documents(docs, cfg, codes, quality, tick("documents"), find_edges)
    findings.extend(dd.findings)
    timings["documents"] = time.perf_counter() - t

    # passages of the documents that stay: a non-canonical member of an exact or near-duplicate
    # cluster is reported whole, its canonical member carries the same passages
    t = time.perf_counter()
    copies = {m for c in dd.clusters for m in c.members if m != c.canonical}
    steps: dict[str, float] = {}
    pfind, pclusters = [], []
    if not codes <= DOC_RULES:
        from .passages import find_passages

        pfind, pclusters = find_passages([d for d in docs if d.id not in copies], codes, cfg, quality,
                                         clustered="DUP102" in codes, timings=steps)
    findings.extend(pfind)
    timings["passages"] = time.perf_counter() - t
    timings.update({f"passages.{k}": v for k, v in steps.items()})

    return _assemble(cfg, codes, docs, [*dd.clusters, *pclusters], findings, timings, dd.stats, t0, dd.known)


def _assemble(cfg: ScanConfig, codes: frozenset[str], docs: Sequence[Document], clusters: list,
              findings: list[Finding], timings: dict[str, float], extra: dict, t0: float,
              known: dict[str, tuple[int, int]] | None = None) -> Report:
    """Filter, sort and fingerprint the findings (``known``: see ``report.fingerprint.content_keys``);
    sort clusters and documents; add stats."""
    findings = [f for f in findings if f.rule in codes]
    findings.sort(key=Finding.sort_key)
    assign_ids(findings, known)
    clusters = sorted(clusters, key=lambda c: (c.members[0], c.kind, c.id))
    by_rule: dict[str, int] = {}
    for f in findings:
        by_rule[f.rule] = by_rule.get(f.rule, 0) + 1
    stats = {
        "documents": len(docs),
        "chars": sum(d.chars for d in docs),
        "seconds": round(time.perf_counter() - t0, 4),
        "stage_seconds": {k: round(v, 4) for k, v in timings.items()},
        "clusters": len(clusters),
        "findings": len(findings),
        "findings_by_rule": dict(sorted(by_rule.items())),
        **extra,
    }
    config = cfg.to_dict(codes)
    config["version"] = __version__
    return Report(config=config, documents=sorted(docs, key=lambda d: d.id), clusters=clusters,
                  findings=findings, stats=stats)


def scan_stream(docs: Iterable[Document], cfg: ScanConfig | None = None,
                progress: Callable[[str, int, int], None] | None = None) -> Report:
    """Like :func:`scan` for document-level rules only, reading ``docs`` as a stream: memory holds
    band keys and per-document numbers, not the corpus (see :mod:`dedup.stream`). Same report."""
    cfg = cfg or ScanConfig()
    codes = resolve(cfg.select, cfg.ignore)
    if not streamable(codes, cfg):
        raise ValueError("scan_stream runs document-level rules (DUP101, DUP102) on the local engine only")
    t0 = time.perf_counter()
    tick = (lambda n: progress("documents", n, 0)) if progress else None
    metas, clusters, findings, stats, known = scan_documents_streaming(docs, cfg, codes, tick)
    return _assemble(cfg, codes, metas, clusters, findings, {"documents": time.perf_counter() - t0}, stats, t0,
                     known)


__all__ = ["problem_chars", "scan", "scan_stream", "streamable"]
