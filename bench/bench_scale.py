"""Growth of the document-level scan with corpus size: time and peak memory (process tree).

Corpora of 10k, 100k and 1M documents are generated from the BBC articles (bench/corpus.py,
~3.6 KB a document, a third of them near-duplicate copies) and scanned with
``dedup scan --select DUP101,DUP102 --jobs 2 -f json``, which streams the corpus. Baseline in the
same run: the floor (read JSONL + lowercase + split + xxhash every token) on the same file.

Env: DEDUP_BENCH_SCALE="10000,100000,1000000" (sizes), set smaller for a quick run.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

SIZES = [int(x) for x in os.environ.get("DEDUP_BENCH_SCALE", "10000,100000,1000000").split(",") if x]

FLOOR = """
import json, re, sys, xxhash
word = re.compile(r"[^\\W_]+"); h = xxhash.xxh3_64_intdigest
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        for w in word.findall(json.loads(line)["text"].lower()):
            h(w.encode())
"""


def main() -> None:
    from corpus import corpus_path
    from proctree import run_measured

    dedup = str(Path(sys.executable).parent / "dedup")
    print(f"{'docs':>9} {'MB':>8} {'floor s':>8} {'scan s':>8} {'MB/s':>7} {'x floor':>8} {'peak MB':>8} "
          f"{'us/doc':>7} clusters")
    for n in SIZES:
        path = corpus_path(n)
        mb = path.stat().st_size / 1e6
        floor_s, _, _ = run_measured([sys.executable, "-c", FLOOR, str(path)])
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "r.json")
            wall, peak, res = run_measured([dedup, "scan", str(path), "--select", "DUP101,DUP102", "-j", "2",
                                            "-f", "json", "-o", out, "-q"])
            if res.returncode != 0:
                print(res.stderr)
                raise SystemExit(1)
            import json

            with open(out, encoding="utf-8") as f:
                stats = json.load(f)["stats"]
        print(f"{n:>9} {mb:8.1f} {floor_s:8.1f} {wall:8.1f} {mb / wall:7.2f} {wall / floor_s:8.2f} {peak:8.0f} "
              f"{wall / n * 1e6:7.0f} {stats['clusters']}", flush=True)


if __name__ == "__main__":
    main()
