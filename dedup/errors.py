"""Errors the CLI turns into one line on stderr and exit code 2."""

from __future__ import annotations


class DedupError(Exception):
    """Base class: a problem the user can fix (bad input, bad option, bad configuration)."""

    exit_code = 2


class InputError(DedupError):
    """A document could not be read. Names the file and, where it applies, the line."""

    def __init__(self, path: str, message: str, line: int | None = None):
        self.path = path
        self.line = line
        self.detail = message
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")


class UsageError(DedupError):
    """An option or configuration value is invalid."""


class IndexError_(DedupError):
    """The persistent index cannot be used as asked (wrong parameters, newer schema ...)."""
