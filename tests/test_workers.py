"""dedup.workers.fork_map: order, large results streamed while the parent works, failures."""

from __future__ import annotations

import json
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


class _Unpicklable:
    def __reduce__(self):
        return _refuse, ()


def _refuse():
    raise ValueError("cannot unpickle")


def test_a_result_that_cannot_be_received_is_a_worker_error():
    parent = os.getpid()

    def fn(k):
        if os.getpid() != parent:
            return _Unpicklable()
        time.sleep(0.05)  # the parent is slow: the child surely takes a task
        return k

    with pytest.raises(RuntimeError, match="cannot unpickle"):
        fork_map(fn, list(range(20)), 2)


def test_freed_memory_is_kept_on_glibc_only_and_for_a_streamed_scan(monkeypatch):
    """keep_freed_memory takes on glibc (mallopt accepts both thresholds) and is a no-op elsewhere;
    the command line asks for it in a streamed (document-level) scan only."""
    import platform

    from typer.testing import CliRunner

    from dedup import workers
    from dedup.cli import app

    from .conftest import FIXTURES

    libc, version = platform.libc_ver()
    took = workers.keep_freed_memory()
    if libc != "glibc":
        assert took is False
    elif tuple(int(x) for x in version.split(".")[:2]) >= (2, 35):  # older ones cap the mmap threshold
        assert took is True
    calls = []
    monkeypatch.setattr(workers, "keep_freed_memory", lambda: calls.append(1) or True)
    args = ["scan", str(FIXTURES / "seeds"), str(FIXTURES / "bbc"), "-f", "json", "-q"]
    full = CliRunner().invoke(app, args)
    assert full.exit_code == 0 and calls == []
    streamed = CliRunner().invoke(app, [*args, "--select", "DUP101,DUP102"])
    assert streamed.exit_code == 0 and calls == [1]
    report = json.loads(streamed.stdout)
    assert report["stats"].get("streamed") and report["findings"]
