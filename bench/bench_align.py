"""Alignment benchmarks (``python bench/run.py align``), each with a baseline from the same run.

1. Word tags on MLQE-PE ru-en (train.mt vs train.pe, gold = word tags at odd positions of
   train.tags): MCC of ``dedup align --pairs`` (tokens overlapped by a span are BAD) vs plain
   rapidfuzz ``Levenshtein.opcodes`` on tokens.
2. Sentence alignment precision/recall on pseudo-documents of 30 MT sentences vs their
   post-edits, with sentences dropped on either side, adjacent MT sentences merged and swapped; baselines:
   the same DP without the swap-recovery pass, the DP filling equal gaps only (the first version), and
   position-only 1-1 pairing.
3. Passage stage wall and CPU time on the BBC corpus and the seeds, in one process and in two,
   vs the floor of issue 7 (read, lowercase, word-split and hash every token), with the machine
   load and the cores really free in the same run.
"""

from __future__ import annotations

import json
import math
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rapidfuzz.distance import Levenshtein

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
MLQE = DATA / "mlqe-pe-ru-en"


def mcc(tp: int, tn: int, fp: int, fn: int) -> float:
    d = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return (tp * tn - fp * fn) / d if d else 0.0


def _score(preds, golds) -> float:
    tp = tn = fp = fn = 0
    for pred, gold in zip(preds, golds, strict=True):
        for p, g in zip(pred, gold, strict=True):
            tp += p and g
            tn += not p and not g
            fp += p and not g
            fn += g and not p
    return mcc(tp, tn, fp, fn)


def word_tags() -> None:
    mt = (MLQE / "train.mt").read_text(encoding="utf-8").split("\n")
    pe = (MLQE / "train.pe").read_text(encoding="utf-8").split("\n")
    tags = (MLQE / "train.tags").read_text(encoding="utf-8").split("\n")
    n = min(len(mt), len(pe), len(tags))
    idx = [i for i in range(n) if mt[i].strip()]
    golds = [[t == "BAD" for t in tags[i].split()[1::2]] for i in idx]
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "pairs.jsonl"
        out = Path(tmp) / "out.jsonl"
        src.write_text("".join(json.dumps({"id": i, "reference": pe[i], "text": mt[i]}) + "\n" for i in idx),
                       encoding="utf-8")
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "dedup", "align", "--pairs", str(src), "-o", str(out)],
                       check=True)
        dt = time.perf_counter() - t
        results = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    preds = []
    for i, res in zip(idx, results, strict=True):
        spans = [(s["start"], s["end"]) for s in res["spans"]]
        toks, pos = [], 0
        for tok in mt[i].split(" "):
            if tok:
                toks.append((pos, pos + len(tok)))
            pos += len(tok) + 1
        preds.append([any(s < e2 and s2 < e for s2, e2 in spans) for s, e in toks])
    t = time.perf_counter()
    base = []
    for i in idx:
        h, r = mt[i].split(), pe[i].split()
        bad = [False] * len(h)
        for op in Levenshtein.opcodes(h, r):
            if op.tag in ("replace", "delete"):
                for k in range(op.src_start, op.src_end):
                    bad[k] = True
        base.append(bad)
    bdt = time.perf_counter() - t
    print(f"MLQE-PE ru-en word tags ({len(idx)} sentences):")
    print(f"  dedup align --pairs             MCC {_score(preds, golds):.4f}  ({dt:.1f}s incl. start-up)")
    print(f"  baseline Levenshtein.opcodes    MCC {_score(base, golds):.4f}  ({bdt:.1f}s)")


def pseudo_documents(n_docs: int = 150, size: int = 30, seed: int = 7):
    """(text sentences, reference sentences, gold pairs of original indices) per pseudo-document."""
    mt = (MLQE / "train.mt").read_text(encoding="utf-8").split("\n")
    pe = (MLQE / "train.pe").read_text(encoding="utf-8").split("\n")
    rng = random.Random(seed)
    docs = []
    for d in range(n_docs):
        ids = list(range(d * size, d * size + size))
        # the reference loses ~8% of its sentences, the text another ~8% (never the same one)
        drop_a, drop_b = set(), set()
        for i in ids:
            r = rng.random()
            if r < 0.08:
                drop_a.add(i)
            elif r < 0.16:
                drop_b.add(i)
        a = [[i] for i in ids if i not in drop_a]
        b = [[i] for i in ids if i not in drop_b]
        k = 0
        while k < len(a) - 1:  # the text merges ~8% of adjacent pairs and swaps ~5%
            r = rng.random()
            # a merge joins consecutive source sentences only (never across one the text dropped:
            # no rendering does that, and no 1-2 bead could express it)
            if r < 0.08 and a[k][-1] + 1 == a[k + 1][0]:
                a[k:k + 2] = [a[k] + a[k + 1]]
            elif r < 0.13:
                a[k], a[k + 1] = a[k + 1], a[k]
                k += 1
            k += 1
        ta = [" ".join(mt[i] for i in grp) for grp in a]
        tb = [" ".join(pe[i] for i in grp) for grp in b]
        gold = {(x, y) for x, ga in enumerate(a) for y, gb in enumerate(b) if set(ga) & set(gb)}
        docs.append((ta, tb, gold))
    return docs


def _pr(pred: set, gold: set) -> tuple[int, int, int]:
    return len(pred & gold), len(pred), len(gold)


def sentence_alignment() -> None:
    from dedup.align import align_sentences

    docs = pseudo_documents()
    runs = {  # name: options of align_sentences
        "dedup (DP + gaps, swaps, merges)": {"fill_score": 0.0},
        "baseline: DP without swaps": {"fill_score": 0.0, "swaps": False},
        "baseline: DP, equal gaps only": {"fill_score": 0.1, "fill_unequal": False, "min_containment": None},
    }
    rows = {name: [0, 0, 0] for name in [*runs, "baseline: position 1-1"]}
    t = time.perf_counter()
    for ta, tb, gold in docs:
        for name, opts in runs.items():
            beads = align_sentences(ta, tb, all_words=True, min_score=0.2, **opts)
            pred = {(x, y) for bd in beads for x in range(*bd.a) for y in range(*bd.b)}
            for k, v in enumerate(_pr(pred, gold)):
                rows[name][k] += v
        pred = {(k, k) for k in range(min(len(ta), len(tb)))}
        for k, v in enumerate(_pr(pred, gold)):
            rows["baseline: position 1-1"][k] += v
    dt = time.perf_counter() - t
    print(f"Sentence alignment, {len(docs)} pseudo-documents (MT vs post-edit; drops, merges, swaps):")
    for name, (hit, npred, ngold) in rows.items():
        print(f"  {name:34} precision {hit / max(1, npred):.4f}  recall {hit / max(1, ngold):.4f}")
    print(f"  ({dt:.1f}s for the three DP runs)")


def _cpu() -> float:
    """CPU seconds of this process and its finished children."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _burn(n: int = 3_000_000) -> int:
    total = 0
    for i in range(n):
        total += i
    return total


def free_cores() -> float:
    """How many cores this run really gets: the speed-up of a pure-Python loop run in two
    processes instead of one (2.0 on an idle two-core machine, ~1.0 when others take a core)."""
    from dedup.passages import fork_map

    t = time.perf_counter()
    fork_map(_burn, [3_000_000] * 2, 1)
    one = time.perf_counter() - t
    t = time.perf_counter()
    fork_map(_burn, [3_000_000] * 2, 2)
    return one / (time.perf_counter() - t)


def passage_runtime(repeats: int = 3) -> None:
    """The passage stage in one process and in two (``jobs``), wall and CPU seconds (median of
    ``repeats``, alternating), against the floor issue 7 measures scans by: reading the corpus,
    lowercasing, word-splitting and hashing every token. The machine is shared: the load average
    and the cores really free (:func:`free_cores`) are printed with the figures."""
    import os
    import statistics

    import numpy as np
    import xxhash

    from dedup.config import ScanConfig
    from dedup.io.readers import read_corpus
    from dedup.passages import PASSAGE_CODES, candidate_pairs, find_passages, index_sentences

    word = re.compile(r"[^\W_]+")

    def floor(paths):
        docs = read_corpus(paths)
        for d in docs:
            toks = word.findall(d.text.lower())
            np.fromiter(map(xxhash.xxh3_64_intdigest, map(str.encode, toks)), dtype=np.uint64, count=len(toks))
        return docs

    load = os.getloadavg()[0]
    print(f"Machine: {os.cpu_count()} cores, load average {load:.2f}, cores free for this run "
          f"{free_cores():.2f} (a pure-Python loop in 2 processes vs 1)")
    for name, paths in (("seeds", [str(ROOT / "fixtures" / "seeds")]),
                        ("BBC", [str(DATA / "bbc-news")])):
        base: list[float] = []
        runs: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
        outputs = {}
        for _ in range(repeats):
            t = time.process_time()
            docs = floor(paths)
            base.append(time.process_time() - t)
            for jobs in (1, 2):
                t, c = time.perf_counter(), _cpu()
                found, clusters = find_passages(docs, PASSAGE_CODES, ScanConfig(jobs=jobs), {})
                runs[jobs].append((time.perf_counter() - t, _cpu() - c))
                outputs[jobs] = ([f.to_dict() for f in found], clusters)
        pairs = candidate_pairs(index_sentences(docs))
        mb = sum(len(d.text) for d in docs) / 1e6
        b = statistics.median(base)
        print(f"Passage stage on {name} ({len(docs)} docs, {mb:.1f} MB): {len(pairs)} candidate document "
              f"pairs, {len(found)} findings, {len(clusters)} variant clusters; jobs=2 output "
              f"{'identical to' if outputs[1] == outputs[2] else 'DIFFERENT FROM'} jobs=1")
        for jobs, r in runs.items():
            wall, cpu = statistics.median(x[0] for x in r), statistics.median(x[1] for x in r)
            print(f"  jobs={jobs}: {wall:.2f} s wall, {cpu:.2f} CPU-s (all processes); "
                  f"{wall / b:.1f}x and {cpu / b:.1f}x the floor")
        print(f"  baseline (floor) read + lowercase + split + xxh3 every token: {b:.2f} CPU-s")
    print(f"  load average after: {os.getloadavg()[0]:.2f}")


def main() -> None:
    word_tags()
    sentence_alignment()
    passage_runtime()


if __name__ == "__main__":
    main()
