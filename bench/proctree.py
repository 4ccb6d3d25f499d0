"""Run a command and sample the memory (PSS) of its whole process tree (Linux /proc)."""

from __future__ import annotations

import os
import subprocess
import threading
import time


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out.extend(int(x) for x in f.read().split())
    except OSError:
        pass
    return out


def _pss_kb(pid: int) -> int:
    """Proportional set size: private pages plus a share of pages shared with other processes
    (forked workers share their parent's pages), so the sum over a tree counts memory once."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_pss_mb(pid: int) -> float:
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += _pss_kb(p)
        stack.extend(_children(p))
    return total / 1024


def run_measured(cmd: list[str], interval: float = 0.1, **kw) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall seconds, peak PSS in MB summed over the process tree, completed process)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    peak = 0.0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            t = time.perf_counter()
            peak = max(peak, tree_pss_mb(proc.pid))
            # reading smaps_rollup walks the page tables of each process (~50 ms for 1 GB) and
            # holds its memory-map lock: sampling back to back slows the run it measures (a 2 GB
            # scan by a quarter), so the pause grows with the cost, keeping sampling near 2 %
            stop.wait(max(interval, 50 * (time.perf_counter() - t)))

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, err = proc.communicate()
    stop.set()
    th.join()
    wall = time.perf_counter() - t0
    return wall, peak, subprocess.CompletedProcess(cmd, proc.returncode, out, err)
