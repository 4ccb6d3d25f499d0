"""Persistent index: ``index add`` and ``check`` throughput, index size per document, at 10k and 100k
indexed documents; a 1,000-document batch checked against the index.

Baseline (same run, same documents): **rescan** — without a persistent index, each new batch must be
scanned together with everything ingested so far (``dedup scan --select DUP101,DUP102`` over
index + batch). Also reported: how many batch documents the index flags and how many of the
batch's true copies of indexed documents (known from the generator) it finds.

Corpus: ``bench/corpus.py`` (BBC articles, new articles made of paragraphs from across the corpus,
and transformed copies: edits, site headers and footers, truncation, re-wrapping).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import generate  # noqa: E402

from dedup.cluster import jaccard  # noqa: E402
from dedup.config import ScanConfig  # noqa: E402
from dedup.fingerprint.minhash import shingle_set  # noqa: E402
from dedup.index import IndexStore, match_index  # noqa: E402
from dedup.model import Document  # noqa: E402
from dedup.pipeline import scan  # noqa: E402
from dedup.rules import resolve  # noqa: E402

BATCH = 1000
SIZES = (10_000, 100_000)


def _docs(rows: list[dict]) -> list[Document]:
    return [Document(r["id"], r["text"], r["id"], "jsonl") for r in rows]


def main() -> None:
    rows = generate(max(SIZES) + BATCH, seed=11)
    batch = _docs(rows[-BATCH:])
    cfg = ScanConfig()
    codes = resolve(["DUP101", "DUP102", "DUP111"], [])
    print(f"corpus: {len(rows):,} generated documents; batch of {BATCH:,} checked against the index")
    print(f"{'indexed':>8} {'add docs/s':>11} {'add MB/s':>9} {'bytes/doc':>10} {'check s':>8} "
          f"{'check docs/s':>13} {'flagged':>8} {'copies found':>13} {'rescan s (baseline)':>20} {'speed-up':>9}")
    for n in SIZES:
        indexed = _docs(rows[:n])
        ids = {d.id for d in indexed}
        mb = sum(len(d.text.encode("utf-8")) for d in indexed) / 1e6
        with tempfile.TemporaryDirectory() as tmp:
            db = os.path.join(tmp, "ix.db")
            t = time.perf_counter()
            with IndexStore.open(db, cfg, create=True) as ix:
                for lo in range(0, n, 10_000):  # added in batches, as CI jobs would
                    ix.add(indexed[lo : lo + 10_000])
            add_s = time.perf_counter() - t
            size = sum(os.path.getsize(p) for p in (db, db + "-wal") if os.path.exists(p))
            t = time.perf_counter()
            with IndexStore.open(db, cfg) as ix:
                found = match_index(batch, ix, cfg.threshold, codes)
            check_s = time.perf_counter() - t
        flagged = {f.doc for f in found.findings if f.kind == "duplicate-document"}
        # copies in the batch whose source article is indexed (generator
        # ids "dNNN-of-SRC"; originals "oSRC"): the pairs at exact Jaccard >= threshold must be found
        by_id = {d.id: d for d in indexed}
        copies = {d.id for d in batch if "-of-" in d.id and f"o{d.id.split('-of-')[1]}" in ids
                  and jaccard(shingle_set(d.text, cfg.ngram),
                              shingle_set(by_id[f"o{d.id.split('-of-')[1]}"].text, cfg.ngram)) >= cfg.threshold}
        t = time.perf_counter()
        scan(indexed + batch, cfg.with_(select=("DUP101", "DUP102")))
        rescan_s = time.perf_counter() - t
        print(f"{n:>8,} {n / add_s:>11,.0f} {mb / add_s:>9.1f} {size / n:>10,.0f} {check_s:>8.2f} "
              f"{BATCH / check_s:>13,.0f} {len(flagged):>8} {len(copies & flagged):>6}/{len(copies):<6} "
              f"{rescan_s:>20.2f} {rescan_s / check_s:>8.1f}x", flush=True)
    print("flagged: batch documents reported as duplicates of indexed documents (DUP101/DUP102); "
          "copies found: of the batch's generated copies whose indexed original is at exact word "
          "5-gram Jaccard >= 0.8, those flagged (recall; every flag is verified exactly).")


if __name__ == "__main__":
    main()
