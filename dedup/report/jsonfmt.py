"""The JSON report, version 1 (the machine contract; see README "JSON report")."""

from __future__ import annotations

import json
from typing import Any

from .. import __version__
from ..model import Report

REPORT_VERSION = 1


def report_to_dict(report: Report) -> dict[str, Any]:
    return {
        "version": REPORT_VERSION,
        "tool": {"name": "dedup", "version": __version__},
        "config": report.config,
        "documents": [
            {"id": d.id, "source": d.source, "chars": d.chars, "lang": d.lang} for d in report.documents
        ],
        "clusters": [c.to_dict() for c in report.clusters],
        "findings": [f.to_dict() for f in report.findings],
        "stats": report.stats,
    }


def to_json(report: Report) -> str:
    return json.dumps(report_to_dict(report), ensure_ascii=False, indent=2) + "\n"
