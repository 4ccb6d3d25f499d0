"""Vectorised MinHash signatures, identical to datasketch's for the same shingle hashes.

Pipeline for one document: word tokens → one xxh3-64 hash per token → word n-gram hashes combined
as integer arithmetic in numpy (no shingle strings are built) → a sorted set of 64-bit shingle
hashes (used for exact Jaccard) → their high 32 bits fed to datasketch's default (>= 2.0) ``affine32`` permutation scheme,
``a * fmix32(h) + b mod 2**32`` with datasketch's own ``a, b`` for ``seed``.

So ``datasketch.MinHash(num_perm, seed=seed, hashfunc=int)`` updated with :func:`shingle32` values
gives exactly the signature :func:`signatures` computes, and
``datasketch.MinHash(num_perm, seed=seed, hashvalues=sig, scheme="affine32")`` accepts ours.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import xxhash

from ..text.normalize import _WORD

SCHEME = "affine32"  # datasketch >= 2.0 default permutation scheme
MAX_HASH = np.uint32((1 << 32) - 1)
_U64 = np.uint64
_U32 = np.uint32

# Odd 64-bit multipliers for the position of a token inside an n-gram (fixed: part of the format).
_POS = np.array(
    [
        0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
        0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x94D049BB133111EB, 0xBF58476D1CE4E5B9,
        0x2545F4914F6CDD1D, 0x5851F42D4C957F2D, 0x14057B7EF767814F, 0xA0761D6478BD642F,
        0xE7037ED1A0B428DB, 0x8EBC6AF09C88C6E3, 0x589965CC75374CC3, 0x1D8E4E27C47D124F,
    ],
    dtype=np.uint64,
)
MAX_NGRAM = len(_POS)


def token_hashes(words: Sequence[str]) -> np.ndarray:
    """One xxh3-64 hash per token (seed 0), as uint64."""
    return np.fromiter(map(xxhash.xxh3_64_intdigest, map(str.encode, words)), dtype=np.uint64,
                       count=len(words))


_WORD_BYTES = re.compile(rb"[^\W_]+")  # for ASCII text: the same tokens as text.normalize.tokens


def text_token_hashes(text: str) -> np.ndarray:
    """``token_hashes(tokens(text))`` with a fast path for ASCII text (NFKC and casefold are then
    plain ``lower()``, and tokens are hashed as bytes without building str objects).

    >>> t = "Mr. O'Brien paid $3.50 — “cheap”, he said."
    >>> from dedup.text.normalize import tokens
    >>> bool((text_token_hashes(t) == token_hashes(tokens(t))).all())
    True
    """
    if text.isascii():
        text = text.lower()
    else:
        text = unicodedata.normalize("NFKC", text).casefold()
        if not text.isascii():
            return token_hashes(_WORD.findall(text))
    toks = _WORD_BYTES.findall(text.encode("ascii"))
    return np.fromiter(map(xxhash.xxh3_64_intdigest, toks), dtype=np.uint64, count=len(toks))


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads every input bit over the output."""
    with np.errstate(over="ignore"):
        x = x ^ (x >> _U64(30))
        x = x * _U64(0xBF58476D1CE4E5B9)
        x = x ^ (x >> _U64(27))
        x = x * _U64(0x94D049BB133111EB)
        return x ^ (x >> _U64(31))


def ngram_hashes(th: np.ndarray, n: int) -> np.ndarray:
    """64-bit hashes of the word n-grams of a token-hash array, as a sorted unique array.

    A text shorter than ``n`` tokens (but not empty) is one shingle of all its tokens.

    >>> h = token_hashes("a b c a b c".split())
    >>> len(ngram_hashes(h, 3))  # abc, bca, cab
    3
    >>> len(ngram_hashes(h[:2], 3)), len(ngram_hashes(h[:0], 3))
    (1, 0)
    """
    return np.unique(ngram_hashes_raw(th, n))


def ngram_hashes_raw(th: np.ndarray, n: int) -> np.ndarray:
    """Like :func:`ngram_hashes` but in text order, repeats kept (enough for a MinHash)."""
    if not 1 <= n <= MAX_NGRAM:
        raise ValueError(f"ngram must be in [1, {MAX_NGRAM}]")
    m = len(th)
    if m == 0:
        return np.empty(0, dtype=np.uint64)
    k = min(n, m)
    count = m - k + 1
    with np.errstate(over="ignore"):
        acc = th[:count] * _POS[0]
        for j in range(1, k):
            acc = acc + th[j : j + count] * _POS[j]
        acc = acc + _U64(k)
    return _mix(acc)


def shingle_set(text: str, n: int) -> np.ndarray:
    """Sorted unique 64-bit word-n-gram hashes of ``text`` after normalisation."""
    return np.unique(text_shingles(text, n))


def text_shingles(text: str, n: int) -> np.ndarray:
    """64-bit word-n-gram hashes of ``text`` in text order, repeats kept."""
    return ngram_hashes_raw(text_token_hashes(text), n)


def shingle32(shingles64: np.ndarray) -> np.ndarray:
    """The 32-bit values MinHash permutes (high half of the 64-bit shingle hash)."""
    return (shingles64 >> _U64(32)).astype(np.uint32)


@lru_cache(maxsize=16)
def permutations(num_perm: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's ``affine32`` permutation parameters ``(a, b)`` for ``num_perm`` and ``seed``.

    The same draws as ``datasketch.MinHash(num_perm, seed, scheme="affine32").permutations``
    (``a`` odd), made here so a scan need not import datasketch (~0.6 s); a test compares them.
    """
    if num_perm < 2:
        raise ValueError("num_perm must be at least 2")
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    a.flags.writeable = False
    b.flags.writeable = False
    return a, b


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser, the pre-mix of datasketch's ``affine32`` scheme."""
    h = h ^ (h >> _U32(16))
    h = h * _U32(0x85EBCA6B)
    h = h ^ (h >> _U32(13))
    h = h * _U32(0xC2B2AE35)
    return h ^ (h >> _U32(16))


def signature(hv32: np.ndarray, a: np.ndarray, b: np.ndarray, chunk: int = 8192) -> np.ndarray:
    """MinHash of one shingle-hash array (duplicates allowed): ``min over h of a * fmix32(h) + b``.

    Computed as a ``num_perm x chunk`` matrix with in-place uint32 arithmetic (wraps mod 2**32);
    an empty array gives datasketch's empty signature (all ``2**32 - 1``).
    """
    out = np.full(len(a), MAX_HASH, dtype=np.uint32)
    ac, bc = a[:, None], b[:, None]
    with np.errstate(over="ignore"):
        for lo in range(0, len(hv32), chunk):
            m = fmix32(hv32[lo : lo + chunk])[None, :] * ac
            m += bc
            np.minimum(out, m.min(axis=1), out=out)
    return out


def signatures(sets32: Sequence[np.ndarray], num_perm: int, seed: int = 1, chunk: int = 8192) -> np.ndarray:
    """MinHash signatures (``len(sets32) x num_perm`` uint32), one :func:`signature` per set."""
    a, b = permutations(num_perm, seed)
    out = np.empty((len(sets32), num_perm), dtype=np.uint32)
    for i, s in enumerate(sets32):
        out[i] = signature(s, a, b, chunk)
    return out
