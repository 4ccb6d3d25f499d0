"""Issue 7's second ratio: a full default scan (every rule) against the floor on the same corpus.

Whole processes, reading included: ``dedup scan FILE -j 2 -f json`` against the floor script (read
JSONL + lowercase + word-split + xxhash every token; run just before and just after the scan, the
ratio against the mean of the two), on
- ``copies``: 20,000 scraped copies of the 2,225 BBC articles (each article ~9 times: edited words,
  headers/footers, truncation, re-wrapping, retitling) — a re-scraped news feed;
- ``paragraphs``: the 20,000-document corpus of the ``documents`` section, whose new articles are
  built out of shared BBC paragraphs and a third of whose documents are edited copies, so that
  document pairs sharing (edited) paragraphs are everywhere (~88,000 pairs to align, ~3 minutes
  of the benchmark);
- ``mlqe``: 2,100 short documents of MLQE-PE lines, Russian sources, English machine
  translations and post-edits (language detection on a third of them);
- ``digests``: 120 long documents (~800 sentences: 40 BBC articles each, drawn at random), about
  every other pair sharing an article somewhere (aligned in windows).
Per-stage seconds come from the report's ``stats``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def full_scan(name: str, path: Path) -> None:
    from bench_scale import FLOOR  # the same floor script as the growth section
    from proctree import run_measured

    dedup = str(Path(sys.executable).parent / "dedup")
    # the floor just before and just after the scan: this machine's speed drifts within minutes,
    # and the ratio is taken against their mean (both printed)
    before, _, _ = run_measured([sys.executable, "-c", FLOOR, str(path)])
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "r.json")
        wall, peak, res = run_measured([dedup, "scan", str(path), "-j", "2", "-f", "json", "-o", out, "-q"])
        stats = json.load(open(out, encoding="utf-8"))["stats"] if res.returncode in (0, 1) else {}
    after, _, _ = run_measured([sys.executable, "-c", FLOOR, str(path)])
    floor = (before + after) / 2
    mb = path.stat().st_size / 1e6
    print(f"{name:10} {mb:6.1f} MB  floor {floor:6.2f}s ({before:.2f} before, {after:.2f} after)  full scan "
          f"{wall:7.2f}s  -> {wall / floor:5.1f}x the floor  peak {peak:5.0f} MB  findings {stats.get('findings')}  "
          f"stages {stats.get('stage_seconds')}")


def main() -> None:
    from corpus import copies_path, corpus_path, digests_path, mlqe_path

    full_scan("copies", copies_path(20000))
    full_scan("paragraphs", corpus_path(20000))
    full_scan("mlqe", mlqe_path())
    full_scan("digests", digests_path())


if __name__ == "__main__":
    main()
