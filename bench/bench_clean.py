"""``dedup clean``: what it changes and what it costs on top of ``dedup scan``.

On the BBC corpus (2,225 articles, real duplicates) and on a synthetic near-duplicate corpus built
from it (bench/corpus.py; ``DEDUP_BENCH_CLEAN_N`` documents, default 1000): characters in/out,
documents kept/modified/dropped, and the time clean adds over the scan (planning + re-scan passes
+ writing the corpus and manifest). Baselines in the same run: the scan alone (time), and exact
content-hash dedup (what ``sort -u``-style tools keep: documents and characters).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import BBC, corpus_path  # noqa: E402

from dedup.clean import CleanOptions, clean, summarize, write_corpus  # noqa: E402
from dedup.cluster import content_hash  # noqa: E402
from dedup.config import ScanConfig  # noqa: E402
from dedup.io import read_corpus  # noqa: E402
from dedup.pipeline import scan  # noqa: E402


def exact_hash_baseline(docs) -> tuple[int, int]:
    """Documents and characters kept by dropping byte-identical repeats only."""
    seen: set[str] = set()
    n = chars = 0
    for d in docs:
        h = content_hash(d.text)
        if h not in seen:
            seen.add(h)
            n += 1
            chars += len(d.text)
    return n, chars


def run_case(name: str, inputs: list[str]) -> None:
    cfg = ScanConfig()
    docs = read_corpus(inputs)
    t = time.perf_counter()
    report = scan(docs, cfg)
    t_scan = time.perf_counter() - t
    t = time.perf_counter()
    results = clean(report, CleanOptions(), rescan=lambda ds: scan(ds, cfg))
    t_plan = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        write_corpus(results, os.path.join(tmp, "out"), inputs)
        t_write = time.perf_counter() - t
    s = summarize(results)
    base_docs, base_chars = exact_hash_baseline(docs)
    cin = s["chars_in"] or 1
    print(f"[{name}] {s['documents']:,} documents, {s['chars_in']:,} characters")
    print(f"  dedup clean : kept {s['kept']:,}, modified {s['modified']:,}, dropped {s['dropped']:,}; "
          f"characters out {s['chars_out']:,} ({100 * s['chars_out'] / cin:.1f}%)")
    print(f"  baseline exact-hash dedup: kept {base_docs:,}, dropped {s['documents'] - base_docs:,}; "
          f"characters out {base_chars:,} ({100 * base_chars / cin:.1f}%)")
    top = sorted(s["edits_by_rule"].items(), key=lambda kv: -kv[1])[:8]
    print("  edits by rule: " + ", ".join(f"{k} {v}" for k, v in top))
    added = t_plan + t_write
    print(f"  time: baseline scan alone {t_scan:.2f}s; clean adds {added:.2f}s "
          f"(+{100 * added / t_scan:.0f}%: passes and re-scans {t_plan:.2f}s, writing {t_write:.2f}s)")


def main() -> None:
    if not BBC.exists():
        print(f"BBC corpus not found under {BBC}: skipped")
        return
    run_case("bbc-news", [str(BBC)])
    n = int(os.environ.get("DEDUP_BENCH_CLEAN_N", "1000"))
    run_case(f"synthetic near-duplicates ({n})", [str(corpus_path(n))])


if __name__ == "__main__":
    main()
