"""Vectorised MinHash signatures, identical to datasketch's for the same shingle hashes.

Pipeline for a batch of documents: the normalised texts as one UTF-8 byte array with every
non-word character a 0 byte → word tokens as runs of word bytes, each hashed by a polynomial over
its bytes computed for all tokens at once from one prefix sum (no token strings are built) → word n-gram hashes combined as
integer arithmetic in numpy (no shingle strings either) → a sorted set of 64-bit shingle
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


#: Odd base of the polynomial token hash (part of the fingerprint format), and its inverse mod 2**64.
_BASE = 0x100000001B3 * 2 + 1
_BASE_INV = pow(_BASE, -1, 1 << 64)
_LEN_MIX = np.uint64(0xC2B2AE3D27D4EB4F)
#: UTF-8 bytes → ASCII letters and digits lower-cased, every other ASCII byte 0 (a separator),
#: bytes of multi-byte characters unchanged (only word characters are left by then, see _NON_WORD).
_FOLD = bytes((c + 32 if 65 <= c <= 90 else c) if chr(c).isalnum() else 0 for c in range(128)) + bytes(range(128, 256))
#: Non-ASCII characters that are not word characters (``[^\\W_]``): replaced by a space first.
_NON_WORD = re.compile(r"[^\x00-\x7f\w]")


@lru_cache(maxsize=4)
def _powers(n: int, base: int) -> np.ndarray:
    """``base ** k mod 2**64`` for ``k < n`` (read-only), by doubling: ``p[m:2m] = p[:m] * base**m``.

    >>> _powers(5, 3).tolist()
    [1, 3, 9, 27, 81]
    """
    p = np.empty(n, dtype=np.uint64)
    p[0] = 1
    m = 1
    with np.errstate(over="ignore"):
        while m < n:
            k = min(m, n - m)
            np.multiply(p[:k], p[m - 1] * np.uint64(base), out=p[m : m + k])
            m += k
    p.flags.writeable = False
    return p


#: Bytes hashed per prefix sum: bounds the power tables and temporary arrays (cache-sized).
SEGMENT = 1 << 18


def _run_hashes(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Hashes of the byte runs ``data[starts[k]:ends[k]]`` (sorted, disjoint), all at once.

    ``h = mix(sum_i data[s + i] * BASE**i + len * C)`` (mod 2**64): a polynomial hash of the
    bytes, computed for every run from one prefix sum (``S[e] - S[s]`` shifted down by
    ``BASE**-s``), then spread by the splitmix64 finaliser. Bytes outside the runs must be 0.
    Long arrays go a segment of about :data:`SEGMENT` bytes at a time, cut between runs (a run's
    hash does not depend on where it sits); a run longer than a segment is hashed alone, a
    segment of it at a time, so memory never grows with the longest token.
    """
    if len(data) <= SEGMENT:
        return _segment_hashes(data, starts, ends)
    out = np.empty(len(starts), dtype=np.uint64)
    long = np.flatnonzero(ends - starts > SEGMENT)
    cuts = set(np.searchsorted(starts, np.arange(SEGMENT, len(data), SEGMENT)).tolist())
    cuts.update(long.tolist())
    cuts.update((long + 1).tolist())
    bounds = sorted(cuts | {0, len(starts)})
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        if b <= a:
            continue
        lo, hi = int(starts[a]), int(ends[b - 1])
        if b - a == 1 and hi - lo > SEGMENT:
            out[a] = _long_run_hash(data[lo:hi])
        else:
            out[a:b] = _segment_hashes(data[lo:hi], starts[a:b] - lo, ends[a:b] - lo)
    return out


def _table(n: int, base: int) -> np.ndarray:
    """Powers of ``base`` for an array of ``n`` bytes: a small table for short arrays (a list of
    words, e.g. at import), one size for every segment, larger only for arrays that are not
    segments — a few cached tables per base."""
    return _powers(_SMALL if n <= _SMALL else max(2 * SEGMENT, 1 << (n - 1).bit_length()), base)


_SMALL = 4096


def _segment_hashes(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    n = len(data)
    pw, inv = _table(n, _BASE), _table(n, _BASE_INV)
    with np.errstate(over="ignore"):
        acc = np.empty(n + 1, dtype=np.uint64)
        acc[0] = 0
        np.multiply(data, pw[:n], out=acc[1:], dtype=np.uint64)
        np.cumsum(acc, out=acc)
        h = (acc[ends] - acc[starts]) * inv[starts]
        return _mix(h + (ends - starts).astype(np.uint64) * _LEN_MIX)


def _long_run_hash(data: np.ndarray) -> np.uint64:
    """The :func:`_run_hashes` value of one run longer than a segment, a segment at a time:
    ``poly(x + y) = poly(x) + BASE**len(x) * poly(y)`` (mod 2**64)."""
    mod = 1 << 64
    h, shift = 0, 1
    for lo in range(0, len(data), SEGMENT):
        piece = data[lo : lo + SEGMENT]
        with np.errstate(over="ignore"):
            poly = int(np.multiply(piece, _table(len(piece), _BASE)[: len(piece)], dtype=np.uint64).sum(
                dtype=np.uint64))
        h = (h + shift * poly) % mod
        shift = shift * pow(_BASE, len(piece), mod) % mod
    total = (h + len(data) * int(_LEN_MIX)) % mod
    return _mix(np.array([total], dtype=np.uint64))[0]


def _normalise(text: str | bytes) -> bytes:
    """UTF-8 of the NFKC-casefolded text with non-word characters as 0 bytes (for ASCII text
    NFKC + casefold is ``lower()``, done here by the byte translation). ``text`` may be given
    as its UTF-8 bytes (lone surrogates as ``surrogatepass`` writes them).

    >>> _normalise("Ünï-Code 2") == _normalise("Ünï-Code 2".encode()) == "ünï code 2".encode().translate(_FOLD)
    True
    """
    if isinstance(text, bytes):
        if text.isascii():
            return text.translate(_FOLD)
        text = text.decode("utf-8", "surrogatepass")
    if not text.isascii():
        text = _NON_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold())
    return text.encode("utf-8", "surrogatepass").translate(_FOLD)


def batch_token_hashes(texts: Sequence[str | bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Token hashes of every text (a ``str``, or its UTF-8 bytes), concatenated, and the number
    of tokens of each text.

    The normalised texts are joined into one byte array; tokens are the maximal runs of word
    bytes, all hashed together by :func:`_run_hashes`. No token string is ever built.
    ``batch_token_hashes([t])[0] == token_hashes(tokens(t))``.
    """
    data, starts, ends, counts = token_runs(texts)
    return _run_hashes(data, starts, ends), counts


def token_runs(texts: Sequence[str | bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The normalised texts as one byte array (non-word bytes 0, texts joined by a 0 byte), where
    each token starts and ends in it, and the number of tokens of each text (see
    :func:`batch_token_hashes`)."""
    norm = [_normalise(t) for t in texts]
    # with a 0 byte before and after: byte k + 1 of `padded` is byte k of `data`; a token starts
    # (ends) where a byte differs from the one before in being 0
    padded = np.frombuffer(b"\x00".join([b"", *norm, b""]), dtype=np.uint8)
    data = padded[1:-1]
    word = padded != 0
    edge = np.flatnonzero(word[1:] != word[:-1])
    starts, ends = edge[0::2], edge[1::2]
    bounds = np.cumsum(np.fromiter(map(len, norm), dtype=np.int64, count=len(norm)) + 1)
    return data, starts, ends, np.diff(np.searchsorted(starts, bounds), prepend=0)


def prefix_hashes(data: np.ndarray, starts: np.ndarray, ends: np.ndarray, chars: int) -> np.ndarray:
    """For each token ``data[starts[k]:ends[k]]`` (UTF-8), the hash of its first ``chars``
    characters: ``token_hashes([t[:chars] for t in tokens])`` without token strings.

    >>> data, s, e, _ = token_runs(["Anticonstitutionnel élégance ok"])
    >>> prefix_hashes(data, s, e, 5).tolist() == token_hashes(["antic", "éléga", "ok"]).tolist()
    True
    """
    # counted through the continuation bytes (10xxxxxx), few in most text, rather than a running
    # count over every byte: the characters of a token are its bytes minus its continuation bytes
    cont = np.flatnonzero((data & 0xC0) == 0x80)
    nchars = (ends - starts) - (np.searchsorted(cont, ends) - np.searchsorted(cont, starts))
    long = np.flatnonzero(nchars > chars)
    cut = ends.copy()
    if len(long):
        # the token's character number ``chars`` is first byte number k of the text (k: first bytes
        # before the token, plus chars); g[i] first bytes precede continuation byte i, so the ones
        # before first byte k are those with g <= k
        k = starts[long] - np.searchsorted(cont, starts[long]) + chars
        g = cont - np.arange(len(cont))
        cut[long] = k + np.searchsorted(g, k, side="right")
    return _run_hashes(data, starts, cut)


def token_hashes(words: Sequence[str]) -> np.ndarray:
    """The hash of each string of ``words`` as it is (already a normalised token), as uint64.

    >>> token_hashes(["alpha", "beta"]).tolist() == batch_token_hashes(["Alpha, BETA!"])[0].tolist()
    True
    """
    raw = [w.encode("utf-8", "surrogatepass") for w in words]
    lengths = np.fromiter(map(len, raw), dtype=np.int64, count=len(raw))
    ends = np.cumsum(lengths)
    return _run_hashes(np.frombuffer(b"".join(raw), dtype=np.uint8), ends - lengths, ends)


def text_token_hashes(text: str) -> np.ndarray:
    """``token_hashes(tokens(text))``, computed without building token strings.

    >>> t = "Mr. O'Brien paid $3.50 — “cheap”, he said."
    >>> from dedup.text.normalize import tokens
    >>> bool((text_token_hashes(t) == token_hashes(tokens(t))).all())
    True
    """
    return batch_token_hashes([text])[0]


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads every input bit over the output."""
    with np.errstate(over="ignore"):
        x = x ^ (x >> _U64(30))
        x = x * _U64(0xBF58476D1CE4E5B9)
        x = x ^ (x >> _U64(27))
        x = x * _U64(0x94D049BB133111EB)
        return x ^ (x >> _U64(31))


def sorted_unique(a: np.ndarray) -> np.ndarray:
    """Sorted unique values: ``np.unique`` without its hash-table detour (faster on uint64 here).

    >>> sorted_unique(np.array([3, 1, 3, 2], dtype=np.uint64)).tolist()
    [1, 2, 3]
    """
    a = np.sort(a)
    return a[np.concatenate(([True], a[1:] != a[:-1]))] if len(a) else a


def ngram_hashes(th: np.ndarray, n: int) -> np.ndarray:
    """64-bit hashes of the word n-grams of a token-hash array, as a sorted unique array.

    A text shorter than ``n`` tokens (but not empty) is one shingle of all its tokens.

    >>> h = token_hashes("a b c a b c".split())
    >>> len(ngram_hashes(h, 3))  # abc, bca, cab
    3
    >>> len(ngram_hashes(h[:2], 3)), len(ngram_hashes(h[:0], 3))
    (1, 0)
    """
    return sorted_unique(ngram_hashes_raw(th, n))


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
    return sorted_unique(text_shingles(text, n))


def text_shingles(text: str, n: int) -> np.ndarray:
    """64-bit word-n-gram hashes of ``text`` in text order, repeats kept."""
    return ngram_hashes_raw(text_token_hashes(text), n)


def ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(starts[k], starts[k] + counts[k])``.

    >>> ranges(np.array([5, 0]), np.array([2, 3])).tolist()
    [5, 6, 0, 1, 2]
    """
    offs = np.cumsum(counts) - counts
    return np.repeat(starts - offs, counts) + np.arange(int(counts.sum()))


def split_counts(values: np.ndarray, counts: np.ndarray) -> list[np.ndarray]:
    """The slices of the concatenated ``values`` holding ``counts[k]`` values each (views).

    >>> [x.tolist() for x in split_counts(np.arange(5), np.array([2, 0, 3]))]
    [[0, 1], [], [2, 3, 4]]
    """
    ends = np.cumsum(counts).tolist()
    return [values[e - c : e] for e, c in zip(ends, np.asarray(counts).tolist(), strict=True)]


def batch_ngrams(th: np.ndarray, counts: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`ngram_hashes_raw` of each text's slice of the concatenated token hashes ``th``
    (``counts`` tokens each), concatenated, and the number of shingles of each text.

    >>> th = token_hashes("a b c d x y".split())
    >>> sh, c = batch_ngrams(th, np.array([4, 0, 2]), 3)
    >>> c.tolist(), sh[:2].tolist() == ngram_hashes_raw(th[:4], 3).tolist()
    ([2, 0, 1], True)
    """
    if not 1 <= n <= MAX_NGRAM:
        raise ValueError(f"ngram must be in [1, {MAX_NGRAM}]")
    counts = np.asarray(counts, dtype=np.int64)
    offs = np.cumsum(counts) - counts
    per = np.where(counts >= n, counts - n + 1, np.minimum(counts, 1))
    out = np.empty(int(per.sum()), dtype=np.uint64)
    out_offs = np.cumsum(per) - per
    long = counts >= n
    if long.any():
        full = ngram_hashes_raw(th, n)  # every window of the whole array; keep those inside a text
        out[ranges(out_offs[long], per[long])] = full[ranges(offs[long], per[long])]
    for k in np.flatnonzero((counts > 0) & ~long).tolist():  # shorter than n: one shingle of all
        out[out_offs[k]] = ngram_hashes_raw(th[offs[k] : offs[k] + counts[k]], n)[0]
    return out, per


def batch_shingles(texts: Sequence[str], n: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`text_shingles` of every text, concatenated, and the number of shingles of each."""
    th, counts = batch_token_hashes(texts)
    return batch_ngrams(th, counts, n)


_SEQ_MIX = np.uint64(0x9E3779B97F4A7C15)


def sequence_hashes(th: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """One order-sensitive 64-bit hash of each text's token sequence (``counts`` tokens each, of the
    concatenated ``th``): the sum of ``mix(token ^ position * C)``, as differences of one running
    sum. Case, punctuation and spacing do not change it; word order does.

    >>> a = sequence_hashes(*batch_token_hashes(["Hello,  world!", "hello world", "world hello"]))
    >>> bool(a[0] == a[1]), bool(a[0] == a[2])
    (True, False)
    """
    counts = np.asarray(counts, dtype=np.int64)
    offs = np.cumsum(counts) - counts
    pos = (np.arange(len(th)) - np.repeat(offs, counts)).astype(np.uint64)
    with np.errstate(over="ignore"):
        acc = np.concatenate(([np.uint64(0)], np.cumsum(_mix(th ^ (pos * _SEQ_MIX)), dtype=np.uint64)))
        return acc[offs + counts] - acc[offs]


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


def batch_signatures(values32: np.ndarray, counts: np.ndarray, num_perm: int, seed: int = 1,
                     chunk: int = 4096) -> np.ndarray:
    """:func:`signatures` of the concatenated sets ``values32`` (``counts`` values each): texts are
    taken a block of about ``chunk`` values at a time, one ``num_perm x block`` matrix and one
    ``minimum.reduceat`` per block (a text longer than ``chunk`` alone, by :func:`signature`)."""
    a, b = permutations(num_perm, seed)
    ac, bc = a[:, None], b[:, None]
    counts = np.asarray(counts, dtype=np.int64)
    out = np.full((len(counts), num_perm), MAX_HASH, dtype=np.uint32)
    ends = np.cumsum(counts)
    starts = ends - counts
    mixed = fmix32(values32)
    buf = np.empty((num_perm, chunk), dtype=np.uint32)
    i, nd = 0, len(counts)
    with np.errstate(over="ignore"):
        while i < nd:
            if counts[i] > chunk:
                out[i] = signature(values32[starts[i] : ends[i]], a, b, chunk)
                i += 1
                continue
            j = max(i + 1, int(np.searchsorted(ends, starts[i] + chunk, side="right")))
            rows = i + np.flatnonzero(counts[i:j])
            if len(rows):
                m = buf[:, : ends[j - 1] - starts[i]]  # one buffer for every block: no page faults
                np.multiply(mixed[starts[i] : ends[j - 1]][None, :], ac, out=m)
                m += bc
                out[rows] = np.minimum.reduceat(m, starts[rows] - starts[i], axis=1).T
            i = j
    return out


def signatures(sets32: Sequence[np.ndarray], num_perm: int, seed: int = 1, chunk: int = 8192) -> np.ndarray:
    """MinHash signatures (``len(sets32) x num_perm`` uint32), one :func:`signature` per set."""
    a, b = permutations(num_perm, seed)
    out = np.empty((len(sets32), num_perm), dtype=np.uint32)
    for i, s in enumerate(sets32):
        out[i] = signature(s, a, b, chunk)
    return out
