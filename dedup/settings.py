"""Configuration files: ``[tool.dedup]`` in ``pyproject.toml`` or a ``dedup.toml``, and ``--fail-on``.

Lookup: ``--config FILE`` if given; else, from the current directory upwards, the first directory
holding a ``dedup.toml`` (the whole file is the table) or a ``pyproject.toml`` with a
``[tool.dedup]`` table (``dedup.toml`` wins in the same directory). Keys may be written with
``-`` or ``_``. Unknown keys and values of the wrong type are errors (exit 2). Paths (``index``,
``baseline``) are relative to the file's directory. Command-line options win over the file.

>>> s = parse_settings({"fail-on": "error", "threshold": 0.9, "select": "DUP1,MT3"}, "dedup.toml")
>>> s.values["fail_on"], s.values["threshold"], s.values["select"]
(['error'], 0.9, ['DUP1', 'MT3'])
>>> parse_fail_on(["warning"]).fails_severity("info")
False
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UsageError
from .model import SEVERITIES, Finding
from .rules import resolve, split_tokens

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG_NAMES = ("dedup.toml", "pyproject.toml")


def _number(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError("a number")
    return float(v)


def _int(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError("an integer")
    return v


def _str(v: Any) -> str:
    if not isinstance(v, str):
        raise TypeError("a string")
    return v


def _tokens(v: Any) -> list[str]:
    """A list of strings, or one comma-separated string."""
    if isinstance(v, str):
        return split_tokens([v])
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return split_tokens(v)
    raise TypeError("a string or a list of strings")


def _format(v: Any) -> str:
    v = _str(v)
    if v not in FORMATS:
        raise TypeError("one of " + ", ".join(FORMATS))
    return v


#: Output formats of ``dedup check``.
FORMATS = ("text", "json", "jsonl", "github", "sarif", "junit", "html")

#: Every key a configuration file may hold: ``name -> (parse, is a path, help)``.
KEYS: dict[str, tuple[Callable[[Any], Any], bool, str]] = {
    "threshold": (_number, False, "word n-gram Jaccard for near-duplicate documents (--threshold)"),
    "num_perm": (_int, False, "MinHash permutations (--num-perm)"),
    "ngram": (_int, False, "word n-gram size of document shingles (--ngram)"),
    "select": (_tokens, False, "rules to run: codes, prefixes or kinds (--select)"),
    "ignore": (_tokens, False, "rules to leave out (--ignore)"),
    "fail_on": (_tokens, False, "severities and/or rules that make 'dedup check' fail (--fail-on)"),
    "index": (_str, True, "the persistent index file (--index)"),
    "baseline": (_str, True, "baseline file of accepted findings (--baseline)"),
    "format": (_format, False, "output format of 'dedup check' (--format)"),
    "text_field": (_str, False, "JSONL/Parquet field holding the text (--text-field)"),
    "id_field": (_str, False, "JSONL/Parquet field holding the id (--id-field)"),
    "jobs": (_int, False, "worker processes for fingerprints (--jobs)"),
}


@dataclass(frozen=True)
class Settings:
    """Values read from a configuration file (already validated; paths made absolute)."""

    values: dict[str, Any] = field(default_factory=dict)
    path: str | None = None


def parse_settings(table: Mapping[str, Any], path: str) -> Settings:
    """Validate a ``[tool.dedup]`` table read from ``path``."""
    if not isinstance(table, Mapping):
        raise UsageError(f"{path}: [tool.dedup] must be a table")
    base = os.path.dirname(os.path.abspath(path))
    values: dict[str, Any] = {}
    for raw_key, raw in table.items():
        key = raw_key.replace("-", "_")
        if key not in KEYS:
            known = ", ".join(k.replace("_", "-") for k in sorted(KEYS))
            raise UsageError(f"{path}: unknown key {raw_key!r} in dedup settings (known: {known})")
        parse, is_path, _ = KEYS[key]
        try:
            value = parse(raw)
        except TypeError as e:
            raise UsageError(f"{path}: {raw_key!r} must be {e}, got {raw!r}") from None
        values[key] = os.path.join(base, value) if is_path else value
    return Settings(values, path)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"{path}: invalid TOML: {e}") from None
    except OSError as e:
        raise UsageError(f"{path}: cannot read configuration: {e.strerror}") from None


def load_file(path: str | os.PathLike) -> Settings:
    """Settings from one file: ``pyproject.toml`` (its ``[tool.dedup]``) or a ``dedup.toml``."""
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"{p}: configuration file not found")
    data = _read_toml(p)
    if p.name == "pyproject.toml":
        data = data.get("tool", {}).get("dedup", {})
    return parse_settings(data, str(p))


def find_config(start: str | os.PathLike | None = None) -> Path | None:
    """The configuration file that applies in ``start`` (default: the current directory)."""
    d = Path(start or os.getcwd()).resolve()
    for folder in (d, *d.parents):
        own = folder / "dedup.toml"
        if own.is_file():
            return own
        py = folder / "pyproject.toml"
        if py.is_file() and "dedup" in _read_toml(py).get("tool", {}):
            return py
    return None


def load_settings(config: str | None = None, start: str | None = None) -> Settings:
    """Settings from ``config`` if given, else from the file :func:`find_config` finds (or none)."""
    if config is not None:
        return load_file(config)
    found = find_config(start)
    return load_file(found) if found else Settings()


def merge(cli: Mapping[str, Any], given: Iterable[str], settings: Settings) -> tuple[dict[str, Any], set[str]]:
    """Effective values: command line (``given`` names the options actually given there), then the
    configuration file, then the command's defaults (``cli``'s values). Also returns the names set
    explicitly (on the command line or in the file).

    >>> values, explicit = merge({"threshold": 0.8, "ngram": 5}, {"ngram"}, Settings({"threshold": 0.9, "ngram": 3}))
    >>> values, sorted(explicit)
    ({'threshold': 0.9, 'ngram': 5}, ['ngram', 'threshold'])
    """
    given = set(given)
    out = dict(cli)
    explicit = set()
    for name in cli:
        if name in given:
            explicit.add(name)
        elif name in settings.values:
            out[name] = settings.values[name]
            explicit.add(name)
    return out, explicit


_RANK = {s: i for i, s in enumerate(SEVERITIES)}


@dataclass(frozen=True)
class FailOn:
    """Which findings make ``dedup check`` exit 1: those at or above ``severity`` (``None``: no
    severity rule) and those of the rules in ``rules``."""

    severity: str | None = "warning"
    rules: frozenset[str] = frozenset()

    def fails_severity(self, severity: str) -> bool:
        return self.severity is not None and _RANK.get(severity, 0) >= _RANK[self.severity]

    def fails(self, f: Finding) -> bool:
        return self.fails_severity(f.severity) or f.rule in self.rules


def parse_fail_on(values: Iterable[str] | None) -> FailOn:
    """``--fail-on`` tokens: severities (``info``, ``warning``, ``error``: that or worse fails),
    ``none`` (no severity fails), and rule codes, prefixes or kinds (those always fail).
    Default: ``warning``.

    >>> parse_fail_on(["error", "DUP102"]) == FailOn("error", frozenset({"DUP102"}))
    True
    """
    tokens = split_tokens(values)
    if not tokens:
        return FailOn()
    severity: str | None = None
    rule_tokens = []
    for t in tokens:
        low = t.lower()
        if low in _RANK:
            severity = low if severity is None or _RANK[low] < _RANK[severity] else severity
        elif low != "none":
            rule_tokens.append(t)
    try:
        rules = resolve(rule_tokens, []) if rule_tokens else frozenset()
    except UsageError as e:
        raise UsageError(f"--fail-on: {e}") from None
    return FailOn(severity, rules)
