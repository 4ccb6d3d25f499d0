"""The persistent index of ingested documents (SQLite) and checking a batch against it."""

from .match import match_index
from .store import (
           SCHEMA_VERSION,
           AddResult,
           IndexedDoc,
           IndexStore,
           index_params,
           passage_fingerprints,
)

__all__ = ["SCHEMA_VERSION", "AddResult", "IndexStore", "IndexedDoc", "index_params", "match_index",
           "passage_fingerprints"]
