"""The Ray engine gives exactly the local engine's results.

The engine-agnostic plan (``dedup.engines.core``) is checked in process first; the Ray tests
start one local Ray for the module (2 CPUs, no dashboard, a temporary directory, no usage stats)
and are skipped only when Ray is not installed (``pip install 'dedup[ray]'``).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import random
import shutil
import socket
import sys
import tempfile

import numpy as np
import pytest

from dedup.cluster import local_edges
from dedup.config import ScanConfig
from dedup.engines import core
from dedup.errors import UsageError
from dedup.io.readers import read_corpus
from dedup.pipeline import scan
from dedup.unionfind import UnionFind

from .conftest import BBC_FIXTURE, BBC_FULL, SEEDS, invoke

HAS_RAY = importlib.util.find_spec("ray") is not None
needs_ray = pytest.mark.skipif(not HAS_RAY, reason="Ray is not installed (pip install 'dedup[ray]')")


def fixture_texts() -> list[str]:
    return [d.text for d in read_corpus([str(SEEDS), str(BBC_FIXTURE)])]


def chained_corpus(seed: int = 7) -> list[str]:
    """Fixture texts plus, for a few of them, a chain of successive edits (each version a
    near-duplicate of the previous one, the ends of the chain not of each other), shuffled so
    component minima sit anywhere: components that are paths, not stars."""
    rng = random.Random(seed)
    base = fixture_texts()
    out = list(base)
    for text in base[:6]:
        words = text.split(" ")
        if len(words) < 200:
            continue
        for _ in range(5):
            words = list(words)
            for _ in range(6):
                words[rng.randrange(len(words))] = f"w{rng.randrange(10**9)}"
            out.append(" ".join(words))
    rng.shuffle(out)
    return out


def groups(labels: np.ndarray) -> list[list[int]]:
    out: dict[int, list[int]] = {}
    for i, label in enumerate(labels.tolist()):
        out.setdefault(label, []).append(i)
    return sorted(out.values())


def uf_groups(pairs, n: int) -> list[list[int]]:
    uf = UnionFind(n)
    for i, j in pairs:
        uf.union(int(i), int(j))
    return sorted(uf.groups())


def random_graph(rng: random.Random, n: int, m: int) -> np.ndarray:
    return np.array([sorted(rng.sample(range(n), 2)) for _ in range(m)], dtype=np.int64).reshape(-1, 2)


# --- without Ray ---------------------------------------------------------------------------


def test_missing_ray_is_a_usage_error_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` fail
    from dedup.engines.ray import require_ray

    with pytest.raises(UsageError, match=r"pip install 'dedup\[ray\]'"):
        require_ray()
    res = invoke("scan", BBC_FIXTURE, "--engine", "ray", "--quiet")
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'dedup[ray]'" in lines[0]
    assert "Traceback" not in res.stderr


def test_unreachable_or_malformed_ray_address_is_a_usage_error():
    from dedup.engines.ray import check_reachable

    with socket.socket() as s:  # a port nobody listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(UsageError, match=f"cannot reach 127.0.0.1:{port}"):
        check_reachable(f"127.0.0.1:{port}")
    with pytest.raises(UsageError, match="HOST:PORT"):
        check_reachable("nonsense")


@pytest.mark.parametrize(("docs_per_task", "parts"), [(1, 1), (4, 3), (64, 2)])
def test_serial_plan_gives_the_local_edges(docs_per_task, parts):
    texts = chained_corpus()
    cfg = ScanConfig()
    edges, labels, stats = core.serial_edges(texts, cfg, docs_per_task, parts)
    local, lstats = local_edges(texts, cfg)
    assert edges == local
    assert stats["candidate_pairs"] == lstats["candidate_pairs"]
    assert groups(labels) == uf_groups([(i, j) for i, j, _ in local], len(texts))
    assert stats["star_steps"] > 0  # the chains are not stars: the rounds did real work


@pytest.mark.parametrize("seed", range(6))
def test_star_rounds_find_the_union_find_components(seed):
    rng = random.Random(seed)
    n = rng.randint(1, 60)
    pairs = random_graph(rng, n, rng.randint(0, 2 * n)) if n > 1 else np.empty((0, 2), np.int64)
    labels, _ = core.components_serial(pairs, n, parts=rng.randint(1, 4))
    assert groups(labels) == uf_groups(pairs.tolist(), n)
    assert all(labels[g[0]] == g[0] for g in groups(labels))  # label = smallest member


# --- on a local Ray --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def local_ray():
    if not HAS_RAY:
        pytest.skip("Ray is not installed (pip install 'dedup[ray]')")
    import ray

    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    tmp = tempfile.mkdtemp(prefix="ray")  # short: Ray puts unix sockets under it
    ray.init(num_cpus=2, include_dashboard=False, _temp_dir=tmp, logging_level=logging.ERROR,
             log_to_driver=False)
    yield ray
    ray.shutdown()
    shutil.rmtree(tmp, ignore_errors=True)


@needs_ray
@pytest.mark.parametrize(("kw"), [{}, {"docs_per_task": 3, "partitions": 3},
                                  {"partitions": 1, "verify_from": "shingles"}])
def test_ray_edges_are_the_local_edges(local_ray, kw):
    from dedup.engines.ray import ray_edges

    texts = chained_corpus()
    cfg = ScanConfig()
    seen: list[int] = []
    edges, stats = ray_edges(texts, cfg, seen.append, **kw)
    local, lstats = local_edges(texts, cfg)
    assert edges == local
    assert stats["candidate_pairs"] == lstats["candidate_pairs"]
    assert sum(seen) == len(texts)  # progress covers every document once
    assert groups(stats["component_labels"]) == uf_groups([(i, j) for i, j, _ in local], len(texts))
    assert stats["engine"]["star_steps"] > 0


@needs_ray
def test_ray_components_of_random_graphs(local_ray):
    from dedup.engines.ray import ray_components

    rng = random.Random(11)
    for parts in (1, 2, 3):
        n = 80
        pairs = random_graph(rng, n, 70)
        labels, _ = ray_components(pairs, n, parts)
        assert groups(labels) == uf_groups(pairs.tolist(), n)


@needs_ray
def test_cli_scan_reports_are_identical(local_ray):
    args = ["scan", SEEDS, BBC_FIXTURE, "--format", "json", "--quiet"]
    local, ray_ = invoke(*args), invoke(*args, "--engine", "ray")
    assert local.exit_code == 0 and ray_.exit_code == 0, ray_.stderr
    a, b = json.loads(local.stdout), json.loads(ray_.stdout)
    assert a["clusters"], "the fixtures hold duplicates"
    for key in ("config", "documents", "clusters", "findings"):
        assert a[key] == b[key], key
    assert b["stats"]["engine"]["name"] == "ray"


@needs_ray
@pytest.mark.skipif(not BBC_FULL.is_dir(), reason="../shared/data/bbc-news not present on this machine")
def test_bbc_clusters_canonicals_and_findings_are_identical(local_ray):
    docs = read_corpus([str(BBC_FULL)])
    cfg = ScanConfig(select=("duplicate-document",))
    a, b = scan(docs, cfg), scan(docs, cfg.with_(engine="ray"))
    assert len(a.clusters) > 50
    assert [(c.id, c.kind, c.canonical, c.members, c.similarity) for c in a.clusters] == \
           [(c.id, c.kind, c.canonical, c.members, c.similarity) for c in b.clusters]
    assert a.findings == b.findings
