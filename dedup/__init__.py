"""dedup: near-duplicate documents, overlapping passages and machine-translation artifacts in
scraped corpora, and a clean canonical corpus out of them."""

__version__ = "0.1.0"
