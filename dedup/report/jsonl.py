"""JSON Lines: one finding per line (the report v1 finding objects, in report order)."""

from __future__ import annotations

import json

from ..model import Report


def render(report: Report) -> str:
    return "".join(json.dumps(f.to_dict(), ensure_ascii=False) + "\n" for f in report.findings)
