"""The rule table: every finding carries one of these codes.

Codes group by family: ``DUP1xx`` duplicates, ``BP2xx`` boilerplate, ``MT3xx`` translation
artifacts, ``LANG4xx`` language. ``--select``/``--ignore`` take codes, code prefixes, kind names
or rule names; :func:`resolve` turns them into a set of codes.

>>> sorted(resolve(["duplicate-document"], []))  # the MinHash document level: no alignment
['DUP101', 'DUP102']
>>> sorted(c for c in resolve(["DUP1"], ["DUP101"]) if c.startswith("DUP10"))
['DUP102', 'DUP103']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .errors import UsageError
from .model import Finding


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    name: str
    kind: str
    severity: str
    summary: str
    help: str = ""


RULES: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    if rule.code in RULES and RULES[rule.code] != rule:
        raise ValueError(f"rule code {rule.code} registered twice")
    RULES[rule.code] = rule
    return rule


register(Rule("DUP101", "exact-duplicate", "duplicate-document", "warning",
              "Document is byte-identical to another document.",
              "Found by a content hash (xxh3-128) of the text as read."))
register(Rule("DUP102", "near-duplicate", "duplicate-document", "warning",
              "Document is a near-duplicate of another document.",
              "MinHash/LSH candidates verified by exact word n-gram Jaccard >= --threshold."))
register(Rule("DUP103", "translation-variant", "duplicate-passage", "warning",
              "Document is a translation or rewrite of another document.",
              "Most of its sentences align, in order, with another document's sentences."))
register(Rule("DUP111", "repeated-passage", "duplicate-passage", "warning",
              "Passage repeats another passage word for word.",
              "Same normalised paragraph text, in the same or another document."))
register(Rule("DUP112", "overlapping-passage", "duplicate-passage", "warning",
              "Passage says the same as another passage (paraphrase or translation).",
              "Passage candidates from MinHash/LSH over content words, verified by monotone "
              "sentence alignment."))


_CORE = dict(RULES)  # the rules declared above

#: Rules whose findings are about a whole document (its cluster membership), not a span: shown and
#: cleaned as documents. ``DUP103`` has kind ``duplicate-passage`` (sentence alignment finds it).
DOCUMENT_RULES = frozenset({"DUP101", "DUP102", "DUP103"})


#: Modules whose import registers the rest of the rules (detectors; alignment-based artifacts).
RULE_MODULES = ("dedup.detectors", "dedup.passages")
#: Tokens that only rules of this module match (:func:`_core`): every code starting with ``D`` is
#: declared here, and so is every rule of these kinds (``tests/test_scan.py`` keeps it so).
_CORE_KINDS = frozenset({"duplicate-document", "duplicate-passage"})


def load_all() -> dict[str, Rule]:
    """:data:`RULES` with every rule registered (importing :data:`RULE_MODULES`)."""
    import importlib

    for name in RULE_MODULES:
        importlib.import_module(name)
    return RULES


def _core(token: str) -> bool:
    """Whether only rules declared here can match ``token``: a prefix of their codes (other
    families start with other letters), one of their kinds or names."""
    t = token.strip()
    return any(c.startswith(t.upper()) for c in _CORE) or t in _CORE_KINDS or any(t == r.name for r in _CORE.values())


def _matches(rule: Rule, token: str) -> bool:
    t = token.strip()
    return rule.code == t.upper() or rule.code.startswith(t.upper()) or t in (rule.kind, rule.name)


def resolve(select: Iterable[str] | None, ignore: Iterable[str] | None) -> frozenset[str]:
    """Rule codes selected by ``select`` (default: all) minus those matched by ``ignore``."""
    select = [s for s in (select or []) if s.strip()]
    ignore = [s for s in (ignore or []) if s.strip()]
    if not select or not all(map(_core, [*select, *ignore])):
        load_all()  # (a selection of duplicate rules only needs none of the other modules)
    for token in [*select, *ignore]:
        if token.strip().upper() == "ALL":
            continue
        if not any(_matches(r, token) for r in RULES.values()):
            raise UsageError(f"unknown rule, prefix or kind: {token!r} (see 'dedup rules')")
    if not select or any(s.strip().upper() == "ALL" for s in select):
        chosen = set(RULES)
    else:
        chosen = {c for c, r in RULES.items() if any(_matches(r, t) for t in select)}
    chosen -= {c for c, r in RULES.items() if any(_matches(r, t) for t in ignore)}
    return frozenset(chosen)


def split_tokens(values: Iterable[str] | None) -> list[str]:
    """Accept both ``--select A,B`` and ``--select A --select B``."""
    out: list[str] = []
    for v in values or []:
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return out


def make_finding(code: str, doc: str, text: str, start: int, end: int, message: str, score: float = 1.0,
                 related=None, alignment=None, fix: str | None = None):
    """A :class:`~dedup.model.Finding` for rule ``code`` on ``text[start:end]`` of document ``doc``;
    kind and severity come from the rule table."""
    rule = RULES[code]
    return Finding(code, rule.kind, rule.severity, doc, start, end, text[start:end], message, score,
                   related, alignment, fix)
