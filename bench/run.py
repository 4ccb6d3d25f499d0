"""Run every benchmark section (bench/bench_*.py, each with a ``main()``) in order and print figures.

Usage: python bench/run.py [SECTION ...]   e.g. python bench/run.py documents
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    sections = sorted(HERE.glob("bench_*.py"))
    # numba compiles dedup's kernels once per install (then loads them from its cache): not a cost
    # of the scans measured below
    warm = subprocess.run([sys.executable, "-c", "from dedup import kernels; print(f'{kernels.warm():.1f}')"],
                          capture_output=True, text=True)
    print(f"numba kernels compiled or loaded in {warm.stdout.strip() or '?'} s {warm.stderr.strip()}", flush=True)
    wanted = set(argv)
    for path in sections:
        name = path.stem.removeprefix("bench_")
        if wanted and name not in wanted:
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[path.stem] = mod
        spec.loader.exec_module(mod)
        print(f"\n=== {name} ===", flush=True)
        t = time.perf_counter()
        mod.main()
        print(f"--- {name}: {time.perf_counter() - t:.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
