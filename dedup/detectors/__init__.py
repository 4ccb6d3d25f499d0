"""Reference-free detectors (artifacts, boilerplate, language).

Each detector is a pure function registered with its rule; :func:`run_detectors` runs the selected
ones over a corpus and returns findings. (Filled in by the detectors work, issue 4.)
"""

from __future__ import annotations

from collections.abc import Sequence

from ..config import ScanConfig
from ..model import Document, Finding


def run_detectors(docs: Sequence[Document], codes: frozenset[str], cfg: ScanConfig) -> list[Finding]:
    return []
