"""Ray engine vs the local engine on the 20k-document BBC-derived corpus.

Each run is a child process (so memory is measured cleanly); the parent samples the proportional
set size (PSS, shared pages split between the processes mapping them) of the child and all its
descendants — Ray's GCS, raylet, object store and workers included — and prints the peak.
Printed: start-up (Ray only), job time, docs/s, peak memory across processes, Ray's per-stage
split, and whether the edges are identical to the local engine's (the named baseline).

    python bench/bench_ray.py            # all runs
    python bench/bench_ray.py --child ray texts   # one run, prints JSON (used by main)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
N_DOCS = int(os.environ.get("DEDUP_BENCH_RAY_DOCS", "20000"))

#: (label, engine, option) — option is --jobs for local, verify_from for Ray.
RUNS = [
    ("local engine, 1 process (baseline)", "local", "1"),
    ("local engine, --jobs 2", "local", "2"),
    ("ray, verify re-shingles from texts", "ray", "texts"),
    ("ray, verify from shipped shingles", "ray", "shingles"),
]


def corpus_file(n: int) -> Path:
    from corpus import corpus_path  # bench/corpus.py: the shared BBC-derived generator

    return corpus_path(n)


def load_texts(path: Path) -> list[str]:
    """Distinct texts of the corpus (the pipeline hands the engines one text per content)."""
    seen: dict[str, None] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            seen.setdefault(json.loads(line)["text"], None)
    return list(seen)


def child(engine: str, option: str) -> None:
    import xxhash

    from dedup.config import ScanConfig

    texts = load_texts(corpus_file(N_DOCS))
    out: dict = {"docs": len(texts), "mb": sum(len(t.encode()) for t in texts) / 1e6}
    if engine == "local":
        from dedup.cluster import local_edges

        t = time.perf_counter()
        edges, stats = local_edges(texts, ScanConfig(jobs=int(option)))
        out["job"] = time.perf_counter() - t
    else:
        import logging

        import ray

        from dedup.engines.ray import ray_edges

        os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
        tmp = tempfile.mkdtemp(prefix="ray")
        t = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, _temp_dir=tmp, logging_level=logging.ERROR,
                 log_to_driver=False)
        out["startup"] = time.perf_counter() - t
        t = time.perf_counter()
        edges, stats = ray_edges(texts, ScanConfig(), verify_from=option)
        out["job"] = time.perf_counter() - t
        out["stages"] = stats["engine"]["stage_seconds"]
        out["tasks"] = stats["engine"]["map_tasks"]
        out["star_steps"] = stats["engine"]["star_steps"]
        ray.shutdown()
    out["edges"] = len(edges)
    out["candidates"] = stats["candidate_pairs"]
    out["digest"] = xxhash.xxh3_64_hexdigest(repr(edges).encode())
    print(json.dumps(out))


def _tree(root: int) -> list[int]:
    kids: dict[int, list[int]] = {}
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                ppid = int((p / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(p.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, []))
    return out


def _pss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            continue
    return total / 1024


def measured(engine: str, option: str) -> dict:
    """Run one child, sampling the PSS of its process tree; returns its figures and the peak."""
    proc = subprocess.Popen([sys.executable, __file__, "--child", engine, option],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    peak = [0.0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _pss_mb(_tree(proc.pid)))
            time.sleep(0.1)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, _ = proc.communicate()
    th.join()
    if proc.returncode != 0:
        raise SystemExit(f"bench_ray child {engine} {option} failed (exit {proc.returncode})")
    res = json.loads(out.strip().splitlines()[-1])
    res["peak_mb"] = peak[0]
    return res


def main() -> None:
    try:
        import ray  # noqa: F401
    except ImportError:
        print("ray not installed (pip install 'dedup[ray]'): section skipped")
        return
    path = corpus_file(N_DOCS)
    print(f"corpus: {path.name}, {N_DOCS} documents, {path.stat().st_size / 1e6:.1f} MB; "
          "peak = PSS summed over the run's processes")
    base = None
    print(f"{'run':38} {'start s':>8} {'job s':>7} {'docs/s':>8} {'peak MB':>8}  edges")
    for label, engine, option in RUNS:
        r = measured(engine, option)
        base = base or r
        same = "baseline" if r is base else ("identical" if r["digest"] == base["digest"] else "DIFFERENT")
        start = f"{r['startup']:.1f}" if "startup" in r else "-"
        print(f"{label:38} {start:>8} {r['job']:7.2f} {r['docs'] / r['job']:8.0f} {r['peak_mb']:8.0f}  "
              f"{r['edges']} {same}", flush=True)
        if "stages" in r:
            split = ", ".join(f"{k} {v:.2f}s" for k, v in r["stages"].items())
            print(f"{'':38} {r['tasks']} map tasks, {r['star_steps']} star steps; {split}", flush=True)
    print(f"distinct texts {base['docs']}, candidate pairs {base['candidates']}, edges {base['edges']}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
