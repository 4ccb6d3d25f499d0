"""Work shared out over forked worker processes (one helper for every stage that splits its work).

A fork costs ~10-50 ms (the process, its pipe, the pages its writes copy): stages call
:func:`fork_map` only above a size where that pays off.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing as mp
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

_T = TypeVar("_T")
_R = TypeVar("_R")


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while the block runs (and in the processes it forks).

    A scan allocates millions of small objects that form no reference cycles (findings, spans,
    aligned pairs, tuples of numbers); the collector's full passes walk all of them again and
    again, which cost a quarter of a full scan on a corpus with 170,000 findings. Memory is
    freed by reference counting as before; cyclic garbage, if any, waits for the block's end.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


#: glibc's ``mallopt`` parameters (malloc.h): M_TRIM_THRESHOLD, M_MMAP_THRESHOLD.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
#: Bytes up to which a block comes from the heap and freed heap is kept (1 GiB).
KEEP_FREED = 1 << 30


def keep_freed_memory() -> bool:
    """Have glibc's malloc serve large blocks from its heap and keep freed memory for the next
    ones (``mallopt``: mmap and trim thresholds of :data:`KEEP_FREED`); True when it took.

    By default a block over 32 MB is a fresh ``mmap``, returned at ``free``, and freed heap above
    the trim threshold goes back to the system: the kernel zeroes those pages again at their next
    first touch. The streaming document-level scan allocates and drops arrays of the same sizes
    batch after batch, and on this project's virtual machines that zeroing was a third of the
    CPU time of a million-document scan (sys 76 of 246 CPU-s; with both thresholds 40 s, and
    wall 152 -> 113 s; either threshold alone was worse than none). The command line sets it when
    it runs that scan (:func:`dedup.cli.run_scan`; for the rest of the process): a full scan keeps
    long-lived structures, and there it cost 380 MB more at the peak and 2 s more on a 36 s scan.
    Elsewhere than on glibc (or where glibc refuses the mmap threshold) it does nothing.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):  # no C library to open, or no mallopt in it
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    # both or neither: the trim threshold alone was the slowest setting of all (glibc before 2.35
    # refuses an mmap threshold over 32 MB)
    return bool(mallopt(_M_MMAP_THRESHOLD, KEEP_FREED)) and bool(mallopt(_M_TRIM_THRESHOLD, KEEP_FREED))


def size_runs(sizes: Iterable[int], size: int, most: int | None = None) -> list[tuple[int, int]]:
    """``(lo, hi)`` runs of consecutive items, each cut once its ``sizes`` add up to ``size`` (or
    it holds ``most`` items): how a stage shares out documents of any length.

    >>> size_runs([4, 1, 1, 6, 1], 5), size_runs([4, 1, 1, 6, 1], 5, most=3)
    ([(0, 2), (2, 4), (4, 5)], [(0, 2), (2, 4), (4, 5)])
    >>> size_runs([1, 1, 1, 1], 5, most=2)
    [(0, 2), (2, 4)]
    """
    out: list[tuple[int, int]] = []
    lo = held = n = 0
    for n, item in enumerate(sizes, start=1):
        held += item
        if held >= size or (most is not None and n - lo >= most):
            out.append((lo, n))
            lo, held = n, 0
    if lo < n:
        out.append((lo, n))
    return out


def _fork_context():
    return mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None


def fork_map(fn: Callable[[_T], _R], tasks: Sequence[_T], jobs: int) -> list[_R]:
    """``[fn(t) for t in tasks]`` computed by this process and ``jobs - 1`` forked children.

    The children share this process's memory (copy-on-write: ``fn`` may be a closure over a large
    index, nothing is pickled on the way in); every process takes the next task from a shared
    counter, so a busy core does not hold the others back. A child sends each result as soon as it
    has it, and a thread of this process receives it while this process works on its own tasks:
    pickling and receiving are spread over the run instead of piling up after the last task (the
    children never wait on a full pipe). Results come back in task order, so the output does not
    depend on how the tasks were shared out. An error in a child is raised here. Without ``fork``
    (or with one task or one job) everything runs in this process.

    >>> fork_map(lambda x: x * x, list(range(7)), 2)
    [0, 1, 4, 9, 16, 25, 36]
    """
    ctx = _fork_context()
    if jobs <= 1 or len(tasks) <= 1 or ctx is None:
        return [fn(t) for t in tasks]
    counter = ctx.Value("q", 0)

    def take() -> int:
        with counter.get_lock():
            k = counter.value
            counter.value = k + 1
        return k

    def stop() -> None:
        """No task is taken any more (after an error)."""
        with counter.get_lock():
            counter.value = len(tasks)

    def child(conn) -> None:
        try:
            while (k := take()) < len(tasks):
                conn.send((k, fn(tasks[k])))
            conn.send((-1, None))  # done
        except BaseException:  # noqa: BLE001 - reported to the parent, which raises it
            conn.send((-2, traceback.format_exc()))
        finally:
            conn.close()

    results: dict[int, _R] = {}
    errors: list[str] = []

    def fail(error: str) -> None:
        errors.append(error)
        stop()

    def receive(p, recv) -> None:
        """Take one child's results until it says it is done (runs in a thread of this process)."""
        try:
            while (msg := recv.recv())[0] >= 0:
                results[msg[0]] = msg[1]
            if msg[0] == -2:
                fail(msg[1])
        except EOFError:
            p.join()
            fail(f"worker process exited with code {p.exitcode}")
        except BaseException:  # noqa: BLE001 - a message cut short, a result that cannot be unpickled
            fail(traceback.format_exc())
        finally:
            recv.close()

    procs = []
    for _ in range(min(jobs, len(tasks)) - 1):
        recv, send = ctx.Pipe(duplex=False)
        p = ctx.Process(target=child, args=(send,), daemon=True)
        p.start()
        send.close()
        procs.append((p, recv))
    # the threads start after the last fork: a process forked while threads run may inherit locks held
    readers = [threading.Thread(target=receive, args=pr, daemon=True) for pr in procs]
    for t in readers:
        t.start()
    try:
        while (k := take()) < len(tasks):
            results[k] = fn(tasks[k])
    except BaseException:
        stop()  # let the children stop early
        raise
    finally:
        for t in readers:
            t.join()
        for p, _ in procs:
            p.join()
    if errors:
        raise RuntimeError("worker process failed:\n" + errors[0])
    return [results[k] for k in range(len(tasks))]
