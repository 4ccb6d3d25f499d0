"""Document-level near-duplicate scan vs datasketch and rensa, on a BBC-derived corpus.

Every method runs in its own subprocess (peak RSS is per method) on the same documents and the
same shingles (word 5-grams of NFKC-casefolded word tokens), threshold 0.8, 128 permutations.
Recall is measured against exact Jaccard by brute force (an inverted index over shingles):

- recall: share of true pairs (Jaccard >= 0.8) whose documents end up in the same cluster;
- precision: share of the pairs a method reports as duplicates whose true Jaccard is >= 0.8
  (dedup reports verified edges; the baselines report their LSH candidates, as users take them);
- below 0.5: pairs inside reported clusters whose true Jaccard is under 0.5.

Baselines:
- datasketch 'ordinary way': ``MinHash.update`` per shingle + ``MinHashLSH`` (on a subset: it
  runs at ~0.7 MB/s; dedup is timed on the same subset for the ratio);
- rensa: ``RMinHash.update`` + ``RMinHashLSH`` (16 bands), the fast Rust baseline;
- floor: read + lowercase + word-split + xxhash every token (what any scan must at least do).

Times are the library calls on texts already read; each method's imports are timed apart and
printed beside the ratio (which also appears with them included). The ``end to end`` lines are
whole processes, start-up, imports and reading included.

Env: DEDUP_BENCH_DOCS (default 20000), DEDUP_BENCH_SUBSET (default 2000).
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

N_DOCS = int(os.environ.get("DEDUP_BENCH_DOCS", "20000"))
SUBSET = int(os.environ.get("DEDUP_BENCH_SUBSET", "2000"))
THRESHOLD, NUM_PERM, NGRAM = 0.8, 128, 5


# --------------------------------------------------------------------------- methods (subprocess)

def _load(path: str, limit: int | None) -> list[str]:
    texts = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            texts.append(json.loads(line)["text"])
            if limit and len(texts) >= limit:
                break
    return texts


def _shingle_strings(text: str) -> list[str]:
    from dedup.text.normalize import tokens

    t = tokens(text)
    if len(t) < NGRAM:
        return [" ".join(t)] if t else []
    return [" ".join(t[i : i + NGRAM]) for i in range(len(t) - NGRAM + 1)]


def run_dedup(texts: list[str], jobs: int) -> list[tuple[int, int]]:
    from dedup.cluster import local_edges
    from dedup.config import ScanConfig

    edges, _ = local_edges(texts, ScanConfig(threshold=THRESHOLD, num_perm=NUM_PERM, ngram=NGRAM, jobs=jobs))
    return [(i, j) for i, j, _ in edges]


def run_datasketch(texts: list[str]) -> list[tuple[int, int]]:
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    mhs = []
    for i, t in enumerate(texts):
        m = MinHash(num_perm=NUM_PERM)
        for s in _shingle_strings(t):
            m.update(s.encode("utf-8"))
        mhs.append(m)
        lsh.insert(i, m)
    return sorted({(min(i, j), max(i, j)) for i, m in enumerate(mhs) for j in lsh.query(m) if j != i})


def run_rensa(texts: list[str]) -> list[tuple[int, int]]:
    from rensa import RMinHash, RMinHashLSH

    lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, num_bands=16)
    mhs = []
    for i, t in enumerate(texts):
        m = RMinHash(num_perm=NUM_PERM, seed=42)
        m.update(_shingle_strings(t))
        mhs.append(m)
        lsh.insert(i, m)
    return sorted({(min(i, j), max(i, j)) for i, m in enumerate(mhs) for j in lsh.query(m) if j != i})


def run_floor(texts: list[str]) -> list[tuple[int, int]]:
    import re

    import xxhash

    word = re.compile(r"[^\W_]+")
    h = xxhash.xxh3_64_intdigest
    for t in texts:
        for w in word.findall(t.lower()):
            h(w.encode())
    return []


#: What each method imports before its timed run (measured and printed separately).
IMPORTS = {"dedup": ["dedup.cluster", "dedup.config"], "datasketch": ["datasketch"], "rensa": ["rensa"],
           "floor": ["re", "xxhash"]}


def _child(method: str, path: str, limit: int, jobs: int) -> None:
    t0 = time.perf_counter()
    texts = _load(path, limit or None)
    t_read = time.perf_counter() - t0
    fn = {"dedup": lambda t: run_dedup(t, jobs), "datasketch": run_datasketch, "rensa": run_rensa,
          "floor": run_floor}[method]
    t_import = time.perf_counter()  # each method's imports are timed apart (library start-up, not throughput)
    for module in IMPORTS[method]:
        importlib.import_module(module)
    t_import = time.perf_counter() - t_import
    t1 = time.perf_counter()
    pairs = fn(texts)
    t_run = time.perf_counter() - t1
    json.dump({"pairs": pairs, "read_s": t_read, "import_s": t_import, "run_s": t_run, "peak_mb": peak_mb(),
               "mb": sum(len(t.encode("utf-8")) for t in texts) / 1e6, "docs": len(texts)}, sys.stdout)


def peak_mb() -> float:
    """Peak RSS of this process plus the peak of its largest worker (VmHWM; not inherited at exec)."""
    import resource

    with open("/proc/self/status") as f:
        hwm = next(int(x.split()[1]) for x in f if x.startswith("VmHWM:"))
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (hwm + children) / 1024


def measure(method: str, path: Path, limit: int = 0, jobs: int = 1) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", method, str(path), str(limit), str(jobs)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


# --------------------------------------------------------------------------- scoring

def score(pairs: list, truth: dict, n: int) -> dict:
    from dedup.unionfind import UnionFind

    uf = UnionFind(n)
    for i, j in pairs:
        uf.union(i, j)
    must = [p for p, v in truth.items() if v >= THRESHOLD]
    recall = sum(uf.find(i) == uf.find(j) for i, j in must) / max(1, len(must))
    precision = sum(truth.get(tuple(p), 0.0) >= THRESHOLD for p in pairs) / max(1, len(pairs))
    below = 0
    for g in uf.groups():
        if len(g) > 1:
            for a in range(len(g)):
                for b in range(a + 1, len(g)):
                    below += truth.get((g[a], g[b]), 0.0) < 0.5
    return {"recall": recall, "precision": precision, "below_0.5": below, "reported": len(pairs)}


def line(name: str, r: dict, s: dict | None = None, base: dict | None = None) -> str:
    mbs = r["mb"] / r["run_s"] if r["run_s"] else float("inf")
    txt = (f"  {name:32} {r['run_s']:7.2f}s {r['docs'] / r['run_s']:9.0f} docs/s {mbs:6.2f} MB/s "
           f"peak {r['peak_mb']:6.0f} MB")
    if s:
        txt += f"  recall {s['recall']:.4f} precision {s['precision']:.4f} <0.5: {s['below_0.5']}"
    if base:
        txt += f"  x{base['run_s'] / r['run_s']:.1f} vs baseline"
        with_imports = (base["run_s"] + base["import_s"]) / (r["run_s"] + r["import_s"])
        txt += f" (imports {r['import_s']:.2f}s vs {base['import_s']:.2f}s; x{with_imports:.1f} with them)"
    return txt


def full_default_scan() -> None:
    """Issue 7's ratio: a full default scan (every rule) against the floor, on the real BBC articles."""
    import tempfile

    from corpus import BBC
    from proctree import run_measured

    dedup = str(Path(sys.executable).parent / "dedup")
    floor_code = ("import re, sys, xxhash, pathlib\nw = re.compile(r'[^\\W_]+'); h = xxhash.xxh3_64_intdigest\n"
                  "for p in sorted(pathlib.Path(sys.argv[1]).rglob('*.txt')):\n"
                  "    for t in w.findall(p.read_text(encoding='utf-8').lower()): h(t.encode())\n")
    floor, _, _ = run_measured([sys.executable, "-c", floor_code, str(BBC)])
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "r.json")
        wall, peak, res = run_measured([dedup, "scan", str(BBC), "-f", "json", "-o", out, "-q"])
        stats = json.load(open(out, encoding="utf-8"))["stats"] if res.returncode == 0 else {}
    print(f"full default scan of the BBC articles (every rule, one process start): {wall:.2f}s, "
          f"peak {peak:.0f} MB; floor (start + read + lowercase + split + xxhash): {floor:.2f}s "
          f"-> {wall / floor:.1f}x the floor; stages {stats.get('stage_seconds')}")


def end_to_end(path: Path) -> None:
    """Issue 7's headline ratio as a user meets it: whole processes, reading the file included —
    ``dedup scan --select duplicate-document`` against a rensa script (read JSONL, same shingles,
    ``RMinHash`` + ``RMinHashLSH``) and the floor script, on the same file."""
    import tempfile

    from proctree import run_measured

    dedup = str(Path(sys.executable).parent / "dedup")
    base = [sys.executable, __file__, "--child"]
    floor, _, _ = run_measured([*base, "floor", str(path), "0", "1"])
    rensa, rpeak, _ = run_measured([*base, "rensa", str(path), "0", "1"])
    print(f"end to end (whole processes, reading included) on {path.name}:")
    print(f"  floor script                     {floor:7.2f}s")
    print(f"  rensa script                     {rensa:7.2f}s  peak {rpeak:5.0f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        for jobs in (1, 2):
            wall, peak, res = run_measured([dedup, "scan", str(path), "--select", "duplicate-document", "-j",
                                            str(jobs), "-f", "json", "-o", os.path.join(tmp, "r.json"), "-q"])
            ok = "" if res.returncode in (0, 1) else f"  FAILED: {res.stderr.strip()[:200]}"
            print(f"  dedup scan --select duplicate-document -j {jobs} {wall:6.2f}s  peak {peak:5.0f} MB  "
                  f"x{rensa / wall:.2f} rensa's throughput, {wall / floor:.2f}x the floor{ok}")


def document_level(path: Path, truth_max: int | None = None) -> tuple[list[str], dict | None]:
    """The in-process comparison (floor, rensa, dedup ``--jobs`` 1 and 2) on the JSONL file
    ``path``, recall and precision against exact Jaccard by brute force (when the corpus has at
    most ``truth_max`` documents), then the same as whole processes: the texts and the truth."""
    from dedup.evaluate import exact_pairs

    texts = _load(str(path), None)
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    print(f"corpus: {path.name}: {len(texts)} documents, {mb:.1f} MB; word {NGRAM}-grams, "
          f"threshold {THRESHOLD}, {NUM_PERM} permutations")
    truth = None
    if truth_max is None or len(texts) <= truth_max:
        t = time.perf_counter()
        truth = exact_pairs(texts, NGRAM, 0.5)
        n_true = sum(v >= THRESHOLD for v in truth.values())
        print(f"truth (brute force, {time.perf_counter() - t:.1f}s): {n_true} pairs >= {THRESHOLD}")
    else:
        print(f"truth: not computed (over {truth_max} documents): no recall figures")

    def scored(r: dict) -> dict | None:
        return score(r["pairs"], truth, len(texts)) if truth is not None else None

    print(f"full corpus ({len(texts)} docs):")
    floor = measure("floor", path)
    print(line("floor: read+lower+split+xxhash", floor))
    rensa = measure("rensa", path)
    print(line("rensa RMinHash+RMinHashLSH", rensa, scored(rensa)))
    for jobs in (1, 2):
        r = measure("dedup", path, jobs=jobs)
        print(line(f"dedup (--jobs {jobs})", r, scored(r), rensa))
    print(f"  dedup --jobs 2 / floor time: {r['run_s'] / floor['run_s']:.2f}x")
    end_to_end(path)
    return texts, truth


def main() -> None:
    from corpus import corpus_path

    path = corpus_path(N_DOCS)
    texts, truth = document_level(path)

    full_default_scan()

    sub = min(SUBSET, len(texts))
    sub_truth = {p: v for p, v in truth.items() if p[1] < sub}
    print(f"subset (first {sub} docs) for the per-shingle datasketch baseline:")
    ds = measure("datasketch", path, sub)
    print(line("datasketch update+MinHashLSH", ds, score(ds["pairs"], sub_truth, sub)))
    r = measure("dedup", path, sub, 1)
    print(line("dedup (--jobs 1)", r, score(r["pairs"], sub_truth, sub), ds))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    else:
        main()
