from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SEEDS = FIXTURES / "seeds"
BBC_FIXTURE = FIXTURES / "bbc"
SHARED = ROOT.parent / "shared" / "data"
BBC_FULL = SHARED / "bbc-news"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(*args: str, input: str | bytes | None = None):
    """Run the real typer app in-process; returns click's Result (exit_code, stdout, stderr)."""
    from dedup.cli import app

    return CliRunner().invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)


def scan_json(*args: str) -> dict:
    res = invoke("scan", *args, "--format", "json", "--quiet")
    assert res.exit_code == 0, res.stderr
    return json.loads(res.stdout)
