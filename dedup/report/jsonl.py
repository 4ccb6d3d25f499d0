"""JSON Lines: one finding per line (the report v1 finding objects, in report order)."""

from __future__ import annotations

from ..io.writers import json_line
from ..model import Report


def render(report: Report) -> str:
    return "".join(json_line(f.to_dict()) + "\n" for f in report.findings)
