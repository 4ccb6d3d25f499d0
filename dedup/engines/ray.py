"""Ray engine: document-level MinHash/LSH as Ray core tasks (``pip install 'dedup[ray]'``).

The plan of :mod:`dedup.engines.core`, with every arrow an object-store shuffle::

    shards of texts ──map──▶ band records by key ──bucket──▶ candidate pairs by first document
    ──verify──▶ edges (to the driver) + adjacency by node ──large-star / small-star …──▶ labels

A verify task fetches only the text shards its candidate pairs touch and re-shingles just those
documents, as the local engine does (``verify_from="shingles"`` instead has the map tasks keep
every shingle set in the object store; ``make bench`` measures both). Connected components are computed by alternating large-star and small-star rounds as
tasks; the driver only checks one flag per partition and gathers the final labels.

The result is exactly :func:`dedup.cluster.local_edges`'s: same edges, same Jaccard values,
sorted, whatever the number of tasks or partitions.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import numpy as np

from ..config import ScanConfig
from ..errors import UsageError
from ..fingerprint.minhash import shingle_set
from . import core

#: Documents per map task: bounds a task's memory (texts + shingles + a 64k x num_perm block).
DOCS_PER_TASK = 2000
INSTALL_HINT = "--engine ray needs Ray: pip install 'dedup[ray]'"


def require_ray() -> Any:
    """The ``ray`` module, or a :class:`UsageError` naming the extra to install."""
    try:
        import ray
    except ImportError:
        raise UsageError(INSTALL_HINT) from None
    return ray


def check_reachable(address: str | None, timeout: float = 5.0) -> None:
    """Fail fast (a :class:`UsageError`) if a ``host:port`` address does not accept connections;
    Ray itself retries for minutes. ``None``, ``auto`` and ``ray://`` addresses are left to Ray.

    >>> check_reachable("auto"), check_reachable(None)
    (None, None)
    """
    if not address or address == "auto" or "://" in address:
        return
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise UsageError(f"--ray-address must be HOST:PORT, auto or ray://HOST:PORT, got {address!r}")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as e:
        raise UsageError(f"--ray-address: cannot reach {address}: {e.strerror or e}") from None


@contextmanager
def ray_session(address: str | None = None) -> Iterator[Any]:
    """Use the Ray already initialised in this process, else connect to ``address`` (``None``:
    start a local Ray for the duration of the block)."""
    ray = require_ray()
    if ray.is_initialized():
        yield ray
        return
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    check_reachable(address)
    try:
        ray.init(address=address, include_dashboard=False, logging_level=logging.ERROR,
                 log_to_driver=False, configure_logging=True)
    except (ConnectionError, ValueError, RuntimeError) as e:
        where = address or "a local Ray"
        raise UsageError(f"--ray-address: cannot start or reach {where}: {str(e).splitlines()[0]}") from None
    try:
        yield ray
    finally:
        ray.shutdown()


def _returns(values: Sequence[Any]) -> Any:
    """A task's result for ``num_returns=len(values)`` (Ray wants a bare value for one)."""
    return values[0] if len(values) == 1 else tuple(values)


def _tasks(ray: Any) -> SimpleNamespace:
    """The remote functions (defined per run: no module-level Ray state)."""

    @ray.remote
    def map_task(texts, first, cfg, parts, with_sets):
        sets, records = core.map_shard(texts, first, cfg, parts, with_sets)
        return (sets, *records)

    @ray.remote
    def bucket_task(parts, *records):
        return _returns(core.bucket_pairs(records, parts))

    @ray.remote
    def verify_task(cfg, parts, starts, source_refs, from_texts, *pair_parts):
        loaded: dict[int, Any] = {}

        def get_set(d: int) -> np.ndarray:
            s = int(np.searchsorted(starts, d, side="right")) - 1
            if s not in loaded:
                loaded[s] = ray.get(source_refs[s])
            if from_texts:
                return shingle_set(loaded[s][d - starts[s]], cfg.ngram)
            return core.unpack_set(loaded[s], d - starts[s])

        count, ij, sim = core.verify_partition(pair_parts, get_set, cfg.threshold)
        return ((count, ij, sim, len(loaded)), *core.adjacency(ij, parts))

    @ray.remote
    def star_task(step, parts, *adj):
        """Whether this partition is already a star, its labels if so, and one step's adjacency
        (needed unless every partition is a star, which only the driver knows)."""
        ok = core.is_star_partition(adj)
        labels = core.star_labels(adj) if ok else np.empty((0, 2), dtype=np.int64)
        out = (core.large_star if step == "large" else core.small_star)(adj, parts)
        return (ok, labels, *out)

    return SimpleNamespace(map=map_task, bucket=bucket_task, verify=verify_task, star=star_task)


def ray_edges(texts: Sequence[str], cfg: ScanConfig, progress: Callable[[int], None] | None = None,
              *, docs_per_task: int = DOCS_PER_TASK, partitions: int | None = None,
              verify_from: str = "texts") -> tuple[list[tuple[int, int, float]], dict]:
    """Verified near-duplicate edges of ``texts`` computed by Ray tasks (see the module doc).

    ``partitions`` (default: the cluster's CPUs) is the width of each shuffle. Stats hold the
    component label of every text (``component_labels``, smallest member), the per-stage seconds
    and the task counts.
    """
    if verify_from not in ("shingles", "texts"):
        raise ValueError("verify_from must be 'shingles' or 'texts'")
    with ray_session(cfg.ray_address) as ray:
        return _run(ray, texts, cfg.with_(jobs=1), progress, docs_per_task, partitions, verify_from)


def _wait(ray: Any, refs: list) -> None:
    if refs:
        ray.wait(refs, num_returns=len(refs), fetch_local=False)


def _run(ray: Any, texts: Sequence[str], cfg: ScanConfig, progress: Callable[[int], None] | None,
         docs_per_task: int, partitions: int | None, verify_from: str
         ) -> tuple[list[tuple[int, int, float]], dict]:
    t = _tasks(ray)
    parts = partitions or max(1, int(ray.cluster_resources().get("CPU", 1)))
    # at most docs_per_task per map task, but enough tasks (4 per partition) to keep CPUs busy
    bounds = core.shard_bounds(len(texts), max(1, min(docs_per_task, -(-len(texts) // (4 * parts)))))
    starts = np.array([lo for lo, _ in bounds], dtype=np.int64)
    seconds: dict[str, float] = {}

    clock = time.perf_counter()
    text_refs = [ray.put(list(texts[lo:hi])) for lo, hi in bounds]
    from_texts = verify_from == "texts"
    mapped = [t.map.options(num_returns=parts + 1).remote(ref, lo, cfg, parts, not from_texts)
              for ref, (lo, _) in zip(text_refs, bounds, strict=True)]
    size_of = {id(m[0]): hi - lo for m, (lo, hi) in zip(mapped, bounds, strict=True)}
    pending = [m[0] for m in mapped]
    while pending:
        done, pending = ray.wait(pending, num_returns=1, fetch_local=False)
        if progress:
            progress(sum(size_of[id(r)] for r in done))
    seconds["map"] = time.perf_counter() - clock

    clock = time.perf_counter()
    buckets = [_as_list(t.bucket.options(num_returns=parts).remote(parts, *[m[1 + p] for m in mapped]))
               for p in range(parts)]
    _wait(ray, [r for b in buckets for r in b])
    seconds["bucket"] = time.perf_counter() - clock

    clock = time.perf_counter()
    sources = text_refs if from_texts else [m[0] for m in mapped]
    verified = [t.verify.options(num_returns=parts + 1).remote(
        cfg, parts, starts, sources, from_texts, *[b[p] for b in buckets]) for p in range(parts)]
    results = ray.get([v[0] for v in verified])
    seconds["verify"] = time.perf_counter() - clock
    edges = core.collect_edges([(ij, sim) for _, ij, sim, _ in results])

    clock = time.perf_counter()
    labels, steps = _components(ray, t, [[v[1 + p] for v in verified] for p in range(parts)], len(texts))
    seconds["components"] = time.perf_counter() - clock

    return edges, {
        "candidate_pairs": int(sum(r[0] for r in results)),
        "verified_pairs": len(edges),
        "component_labels": labels,
        "engine": {
            "name": "ray",
            "map_tasks": len(bounds),
            "partitions": parts,
            "star_steps": steps,
            "verify_shards_fetched": int(sum(r[3] for r in results)),
            "stage_seconds": {k: round(v, 4) for k, v in seconds.items()},
        },
    }


def _components(ray: Any, t: SimpleNamespace, adj: list[list], n: int) -> tuple[np.ndarray, int]:
    """Labels of ``n`` nodes from adjacency refs (``adj[p]``: what partition ``p`` receives) by
    large-star/small-star rounds of tasks; returns the labels and the number of steps."""
    parts = len(adj)
    steps = 0
    while True:
        step = "large" if steps % 2 == 0 else "small"
        outs = [t.star.options(num_returns=parts + 2).remote(step, parts, *adj[p]) for p in range(parts)]
        if all(ray.get([o[0] for o in outs])):
            return core.labels_from_rows(ray.get([o[1] for o in outs]), n), steps
        adj = [[o[2 + p] for o in outs] for p in range(parts)]
        steps += 1


def ray_components(pairs: np.ndarray, n: int, parts: int = 2, address: str | None = None
                   ) -> tuple[np.ndarray, int]:
    """Connected components of ``n`` nodes joined by ``pairs`` (``m x 2``), as Ray tasks: each
    node's label is its component's smallest node. Returns the labels and the number of steps.
    """
    with ray_session(address) as ray:
        routed = core.adjacency(np.asarray(pairs, dtype=np.int64).reshape(-1, 2), parts)
        return _components(ray, _tasks(ray), [[ray.put(a)] for a in routed], n)


def _as_list(refs: Any) -> list:
    return refs if isinstance(refs, list) else [refs]
