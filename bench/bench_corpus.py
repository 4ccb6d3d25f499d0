"""Issue 7's ratios on a corpus you bring: ``DEDUP_BENCH_CORPUS=a.jsonl[,b.jsonl ...]`` (JSONL, one
document per line with a ``"text"`` field; ``make bench-corpus CORPUS=a.jsonl``).

For each file, in one run: the document-level comparison of the ``documents`` section (floor,
rensa, dedup ``--jobs`` 1 and 2, in-process with recall and precision against exact Jaccard when
the file has at most ``DEDUP_BENCH_TRUTH_MAX`` documents, default 50,000; then as whole
processes), and the full default scan against the floor of the ``fullscan`` section. Without
``DEDUP_BENCH_CORPUS`` the section says how to run it and measures nothing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main() -> None:
    from bench_documents import document_level
    from bench_fullscan import full_scan

    paths = [Path(p) for p in os.environ.get("DEDUP_BENCH_CORPUS", "").split(",") if p]
    if not paths:
        print("no corpus given: DEDUP_BENCH_CORPUS=path.jsonl[,...] (or make bench-corpus CORPUS=path.jsonl)")
        return
    truth_max = int(os.environ.get("DEDUP_BENCH_TRUTH_MAX", "50000"))
    for path in paths:
        if not path.is_file():
            raise SystemExit(f"{path}: no such file")
        document_level(path, truth_max)
        full_scan(path.stem[:10], path)


if __name__ == "__main__":
    main()
