"""Renderers of a :class:`~dedup.model.Report`: each is ``render(report) -> str``."""

from .jsonfmt import report_to_dict, to_json
from .textfmt import to_text

__all__ = ["report_to_dict", "to_json", "to_text"]
