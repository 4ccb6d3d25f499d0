"""dedup.workers.fork_map: order, large results streamed while the parent works, failures."""

from __future__ import annotations

import os
import time

import pytest

from dedup.workers import fork_map


def test_large_results_come_back_in_order_while_the_parent_works():
    # each result is far larger than a pipe buffer: a child blocks on sending until the parent's
    # receiving thread takes it, whatever task the parent is busy with
    parent = os.getpid()

    def fn(k):
        if os.getpid() == parent:
            time.sleep(0.01)  # the parent is slow: the child surely takes tasks
        return os.getpid(), bytes([k % 251]) * 300_000

    got = fork_map(fn, list(range(30)), 2)
    assert [r[1] for r in got] == [bytes([k % 251]) * 300_000 for k in range(30)]
    assert len({pid for pid, _ in got}) == 2  # both processes took tasks


def test_a_child_that_dies_is_an_error_not_a_hang():
    parent = os.getpid()

    def fn(k):
        if os.getpid() != parent:
            os._exit(3)
        time.sleep(0.05)  # the parent is slow: the child surely takes a task
        return k

    with pytest.raises(RuntimeError, match="exited with code 3"):
        fork_map(fn, list(range(50)), 2)


def test_an_error_in_the_parent_is_raised_as_is():
    parent = os.getpid()

    def fn(k):
        if os.getpid() == parent:
            raise KeyError("parent")
        time.sleep(0.05)  # the child is slow: the parent surely takes a task
        return k

    with pytest.raises(KeyError):
        fork_map(fn, list(range(20)), 2)


def test_reuse_freed_memory_keeps_large_blocks_in_the_heap():
    # fresh processes: without it, each large array freed is unmapped and faulted in again
    import subprocess
    import sys

    script = """
import resource, sys
import numpy as np
from dedup.workers import reuse_freed_memory
ok = reuse_freed_memory() if sys.argv[1] == "on" else None
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    a = np.ones(4_000_000); b = a * 2; del a, b  # 32 MB each, freed at once
print(ok, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""
    got = {}
    for mode in ("off", "on"):
        out = subprocess.run([sys.executable, "-c", script, mode], capture_output=True, text=True, check=True)
        ok, faults = out.stdout.split()
        got[mode] = (ok, int(faults))
    if got["on"][0] != "True":
        pytest.skip("no glibc mallopt here")
    assert got["on"][1] * 4 < got["off"][1], got
