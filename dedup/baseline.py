"""Baselines: findings accepted once, ignored by later ``dedup check`` runs.

A baseline lists findings by their content fingerprint (``Finding.id``: rule, document, normalised
text, related document; not offsets or line numbers), so it survives unrelated edits. The file is
JSON, versioned and sorted::

    {"version": 1, "tool": {"name": "dedup", "version": "0.1.0"},
     "findings": [{"id": "7d0f...", "rule": "DUP102", "doc": "politics/012.txt"}, ...]}

>>> from dedup.rules import make_finding
>>> f = make_finding("DUP101", "a", "text", 0, 4, "byte-identical to b"); f.id = "x1"
>>> kept, n = apply_baseline([f], {"x1"})
>>> kept, n
([], 1)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from . import __version__
from .errors import InputError
from .io.writers import atomic_open, json_text
from .model import Finding

#: 2: finding ids hash the token sequence of the finding's text (version 1 ids are not comparable).
BASELINE_VERSION = 2


def baseline_dict(findings: Iterable[Finding]) -> dict[str, Any]:
    rows = sorted({(f.id, f.rule, f.doc) for f in findings})
    return {"version": BASELINE_VERSION, "tool": {"name": "dedup", "version": __version__},
            "findings": [{"id": i, "rule": r, "doc": d} for i, r, d in rows]}


def write_baseline(path: str, findings: Iterable[Finding]) -> int:
    """Write the baseline of ``findings`` to ``path`` atomically; returns how many it lists."""
    data = baseline_dict(findings)
    with atomic_open(path) as f:
        f.write(json_text(data, 2) + "\n")
    return len(data["findings"])


def load_baseline(path: str) -> frozenset[str]:
    """The finding ids listed in a baseline file; any problem is an InputError naming the file."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise InputError(path, "baseline file not found (create it with 'dedup baseline write')") from None
    except OSError as e:
        raise InputError(path, f"cannot read baseline: {e.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(path, "baseline is not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise InputError(path, f"baseline is not valid JSON: {e.msg}", e.lineno) from None
    if not isinstance(data, dict) or "findings" not in data:
        raise InputError(path, "not a dedup baseline (no 'findings' list)")
    version = data.get("version")
    if version != BASELINE_VERSION:
        hint = (": its finding ids were computed another way; write it again with 'dedup baseline write'"
                if isinstance(version, int) and version < BASELINE_VERSION else "")
        raise InputError(path, f"unsupported baseline version {version!r} (this dedup reads "
                               f"{BASELINE_VERSION}){hint}")
    rows = data["findings"]
    if not isinstance(rows, list) or not all(isinstance(r, dict) and isinstance(r.get("id"), str) for r in rows):
        raise InputError(path, "baseline 'findings' must be a list of objects with a string 'id'")
    return frozenset(r["id"] for r in rows)


def apply_baseline(findings: Sequence[Finding], ids: frozenset[str]) -> tuple[list[Finding], int]:
    """``findings`` without those listed in the baseline, and how many were left out."""
    kept = [f for f in findings if f.id not in ids]
    return kept, len(findings) - len(kept)
