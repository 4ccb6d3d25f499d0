from .readers import ReadOptions, discover, iter_documents, read_corpus
from .writers import atomic_open, write_text

__all__ = ["ReadOptions", "atomic_open", "discover", "iter_documents", "read_corpus", "write_text"]
