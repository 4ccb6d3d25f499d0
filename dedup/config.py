"""One configuration object for a scan, documented field by field."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .errors import UsageError
from .fingerprint.lsh import choose_bands
from .fingerprint.minhash import MAX_NGRAM, SCHEME


@dataclass(frozen=True)
class ScanConfig:
    #: Word n-gram Jaccard at or above which two documents are near-duplicates.
    threshold: float = 0.8
    #: MinHash permutations per signature.
    num_perm: int = 128
    #: Word n-gram size of the document shingles.
    ngram: int = 5
    #: Seed of the MinHash permutations (datasketch's ``seed``).
    seed: int = 1
    #: Probability that a pair exactly at ``threshold`` becomes an LSH candidate (sets the bands).
    lsh_recall: float = 0.995
    #: Rule codes, prefixes or kind names to run (empty: all) and to leave out.
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    #: JSONL/Parquet fields holding the text and the id.
    text_field: str = "text"
    id_field: str = "id"
    #: Worker processes for signatures (1 = in process).
    jobs: int = 1
    #: Where document-level MinHash/LSH runs: ``local`` or ``ray`` (extra ``dedup[ray]``).
    engine: str = "local"
    #: Address of a running Ray cluster (``None``: start a local one).
    ray_address: str | None = None
    #: Extra, free-form settings used by other stages (kept sorted in the report).
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise UsageError(f"--threshold must be in (0, 1], got {self.threshold}")
        if not 2 <= self.num_perm <= 1024:
            raise UsageError(f"--num-perm must be in [2, 1024], got {self.num_perm}")
        if not 1 <= self.ngram <= MAX_NGRAM:
            raise UsageError(f"--ngram must be in [1, {MAX_NGRAM}], got {self.ngram}")
        if not 0.0 < self.lsh_recall < 1.0:
            raise UsageError(f"lsh_recall must be in (0, 1), got {self.lsh_recall}")
        if self.jobs < 1:
            raise UsageError(f"--jobs must be at least 1, got {self.jobs}")
        if self.engine not in ("local", "ray"):
            raise UsageError(f"--engine must be 'local' or 'ray', got {self.engine!r}")

    @property
    def bands(self) -> tuple[int, int]:
        return choose_bands(self.threshold, self.num_perm, self.lsh_recall)

    def with_(self, **kw: Any) -> ScanConfig:
        return replace(self, **kw)

    def to_dict(self, rules: frozenset[str] | None = None) -> dict[str, Any]:
        d = asdict(self)
        d["select"] = list(self.select)
        d["ignore"] = list(self.ignore)
        d["extra"] = dict(sorted(self.extra.items()))
        b, r = self.bands
        d["lsh_bands"] = b
        d["lsh_rows"] = r
        d["minhash_scheme"] = SCHEME
        d["normalization"] = "NFKC+casefold, word tokens [^\\W_]+"
        d["hash"] = "polynomial hash of UTF-8 token bytes (mod 2**64, splitmix64), n-grams combined in numpy"
        d["canonical_policy"] = "fewest problem characters, then longest, then smallest id"
        if rules is not None:
            d["rules"] = sorted(rules)
        for k in ("jobs", "engine", "ray_address"):  # do not change results
            d.pop(k, None)
        return dict(sorted(d.items()))
