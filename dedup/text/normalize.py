"""Normalisation and word tokens for fingerprints.

Normalised text is NFKC, case-folded, with punctuation and whitespace folded away: what is left
is the sequence of word tokens.

>>> tokens("The  U.S. Embassy’s “charge d’affaires”!")
['the', 'u', 's', 'embassy', 's', 'charge', 'd', 'affaires']
>>> normalize("Ｆｕｌｌ‐width\\tTEXT") == normalize("full width text")
True
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[^\W_]+")


def tokens(text: str) -> list[str]:
    """Word tokens of the normalised text (letters and digits; everything else separates)."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def normalize(text: str) -> str:
    """The tokens joined by single spaces. Idempotent: ``normalize(normalize(t)) == normalize(t)``."""
    return " ".join(tokens(text))
