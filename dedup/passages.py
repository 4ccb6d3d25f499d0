"""Overlapping passages within and across documents, translation variants, garbled spans.

1. **Segment** every document into paragraphs and sentences (:mod:`dedup.text.segment`).
2. **Candidates by MinHash/LSH over sentences** (:func:`candidate_pairs`), the whole corpus at
   once: all sentences are tokenised and hashed in one pass (:func:`index_sentences`); each
   sentence with at least :data:`MIN_STEMS` distinct content-word stems gets a MinHash signature of
   its stem *unigrams* (paraphrases and translations share words, not phrases), all signatures
   built together in numpy, banded with few rows per band so that pairs at stem Jaccard ~0.3
   collide. Colliding sentence pairs are verified by the weighted Dice of their stem sets; two
   documents (or two paragraphs of one document) are aligned when at least :data:`MIN_SUPPORT`
   colliding pairs reach :data:`SUPPORT_SCORE`, one of them not identical text (paraphrase
   evidence). Pairs linked only by identical sentences skip the alignment: their runs of identical
   sentences are the regions (:func:`exact_regions`, linear in the shared sentences). Pairs of
   documents that are exact or near-duplicates (word n-gram Jaccard >= ``--threshold``) are left
   to :mod:`dedup.cluster`, and the pipeline runs this stage only on documents that are not copies
   of a canonical member. Likewise a variant that ``dedup clean`` drops whole (aligned with its
   canonical member for :data:`ABSORB_SHARE` of its sentences) is aligned with that member only:
   the stars of the *likely variants* (colliding sentences covering :data:`LIKELY_SHARE` of both
   documents) are aligned first, the rest after (see :func:`find_passages`).
3. **Verification by monotone sentence alignment** (:func:`dedup.align.align_sentences`) of the
   two documents (a document with itself: only pairs from an earlier paragraph to a later one);
   inside an accepted region, a sentence mostly contained in one sentence of the other side is
   also paired with it (:func:`dedup.align.contained_pairs`: a translation that packs three
   summary sentences into one), but such pairs never make a region on their own. Long documents
   (score matrices over :data:`WINDOW_MIN_CELLS` cells) are aligned in *windows* around their
   strongly colliding sentences instead (:func:`align_windows`): the cost follows what they
   share, not the product of their lengths, and passages they share in different orders are all
   found (a single monotone alignment follows one of them).
   **Best partner first**: a pair is aligned by its lower-quality side (the side its findings
   mark, see 4.), with its better partners best first, and only around what is new to it: its
   strongly colliding sentences (anchors) that no better partner aligned, nor had as a lone
   anchor when they are lone here too (:func:`_lone`; a heuristic: two anchors close together may
   make a region where they made none apart, a lone anchor seldom makes one). A
   partner with no new anchor is not aligned, one with some is aligned in windows around those
   only (the whole pair when all are new), and findings lying entirely in sentences that a better
   partner aligned are left out. A passage that k documents share then costs about k alignments
   instead of k^2 / 2 (a licence in hundreds of files) and gives k - 1 findings. Pairs that may be
   variants (colliding sentences covering :data:`MAY_VARY_SHARE` of both) are aligned around all
   their anchors all the same (their share makes the variants), and a variant that ``dedup
   clean`` drops whole (absorbed in wave 1) covers nothing.
   Aligned beads close to each other (gaps of at most :data:`MAX_GAP` sentences) form a *region*;
   a region counts when it is identical text, or has at least 4 beads with mean score >= 0.35,
   3 with mean >= 0.45, or 2 with mean >= 0.7.
4. **Findings**: each region is reported once, on the lower-quality side (more problem characters;
   ties: the later document, or the later passage of one document), as ``DUP111`` (identical text)
   or ``DUP112`` (paraphrase/translation), one finding per run of consecutive sentences of that side
   so that removing it never removes a sentence that was not aligned. ``alignment`` lists every
   aligned pair. Two documents whose sentences mostly align (share >= :data:`VARIANT_SHARE`) are
   variants; ``variant`` clusters are stars around canonical members (:func:`variant_clusters`);
   non-canonical members get ``DUP103``.
5. **Garbled spans by alignment** (``MT350``): inside aligned pairs, tokens of the marked side that
   the other side does not support *and* that look garbled (:func:`looks_garbled`).
"""

from __future__ import annotations

import bisect
import itertools
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from . import kernels, sorting
from .align import (
    STEM,
    STOPWORDS,
    Bead,
    Rows,
    StemCounts,
    align_sentences,
    contained_pairs,
    cut_merged,
    matrices_against,
    matrices_of_rows,
    unsupported_tokens,
    word_spans,
)
from .cluster import canonical_key, jaccard_at_least, stable_id
from .config import ScanConfig
from .fingerprint.lsh import band_keys
from .fingerprint.minhash import (
    _run_hashes,
    fmix32,
    ngram_hashes_raw,
    prefix_hashes,
    sequence_hashes,
    token_hashes,
    token_runs,
)
from .fingerprint.minhash import ranges as _ranges
from .fingerprint.minhash import sorted_unique as _unique
from .model import AlignedPair, Cluster, Document, Finding, Related
from .rules import Rule, make_finding, register
from .text.normalize import normalize
from .text.segment import segment
from .workers import fork_map, size_runs

register(Rule("MT350", "garbled-by-alignment", "artifact", "warning",
              "Garbled span that the aligned counterpart sentence does not support.",
              "Inside a sentence pair aligned with a cleaner passage (DUP112/DUP103), tokens absent "
              "from the counterpart that also look garbled: punctuation debris, a stray one-letter "
              "word, a period splitting a phrase."))
register(Rule("MT351", "unsupported-by-reference", "artifact", "warning",
              "Span of the text that the reference does not support (dedup align).",
              "Tokens substituted or dropped by the word-level edit (tercom tie-breaking) from the "
              "aligned reference sentence."))
register(Rule("MT352", "unaligned-sentence", "artifact", "warning",
              "Sentence of the text with no counterpart in the reference (dedup align).",
              "The monotone sentence alignment left it unaligned."))

PASSAGE_CODES = frozenset({"DUP103", "DUP111", "DUP112", "MT350"})
#: A sentence takes part in candidate search when it has this many distinct content stems.
MIN_STEMS = 4
#: MinHash permutations and rows per band of the sentence signatures (21 bands of 3 rows: a pair
#: at stem Jaccard 0.3 collides with probability 0.44, at 0.5 with 0.93, at 0.1 with 0.02).
SENT_PERM, SENT_ROWS = 63, 3
#: Buckets with more sentences than this hold generic sentences: they give no candidates.
MAX_BUCKET = 40
#: Two documents are aligned when this many colliding sentence pairs have a stem-set weighted
#: Dice of at least SUPPORT_SCORE (or when they share an identical sentence).
MIN_SUPPORT, SUPPORT_SCORE = 2, 0.4
#: Alignment parameters.
MIN_SCORE = 0.3
MERGE_PENALTY = 0.0
MAX_GAP = 3
#: A sentence mostly contained in one sentence of the other side (containment of its weighted
#: stems >= MIN_CONTAINMENT, ahead of the runner-up by CONTAINMENT_MARGIN) is paired with it even
#: when that one is already aligned: a long rendering packing several sentences into one.
MIN_CONTAINMENT, CONTAINMENT_MARGIN = 0.5, 0.25
#: A paraphrase bead needs this many content words on each side (not a bare heading).
MIN_BEAD_STEMS = 3
#: A variant that aligns with its canonical member for at least this share of its sentences is
#: *absorbed*: ``dedup clean`` drops it whole (``dedup.clean.VARIANT_DROP_SHARE``), so it is reported
#: whole (``DUP103``) and aligned with no other document (see :func:`find_passages`).
ABSORB_SHARE = 0.8
#: Share of sentences aligned at or above which two documents are variants of each other (0.5 let
#: BBC follow-up stories that reuse background paragraphs pass as rewrites of each other).
VARIANT_SHARE = 0.6
#: Two documents whose colliding sentences cover this share of both are *likely variants*: they
#: are aligned first, so that variants that ``dedup clean`` drops whole are known before the rest
#: (see :func:`find_passages`).
LIKELY_SHARE = 0.5
#: Two documents whose colliding sentences cover this share of both *may be variants*: they are
#: aligned around all their anchors, whatever else either aligns with (see :func:`find_passages`).
#: Every variant pair of the BBC corpus and of the copies corpus of ``make bench`` reaches 0.26.
MAY_VARY_SHARE = 0.2
#: A paraphrase region with mean score below DENSE_BELOW needs at least MIN_DENSITY beads per
#: sentence it spans on its longer side.
MIN_DENSITY, DENSE_BELOW = 0.4, 0.5
#: An identical region needs at least this many word tokens.
MIN_EXACT_TOKENS = 6
#: Work split over ``cfg.jobs`` processes (:func:`dedup.workers.fork_map`) only above these sizes:
#: characters of text to index, candidate document pairs.
PARALLEL_MIN_CHARS, PARALLEL_MIN_PAIRS = 1_000_000, 200
#: ... and sentences whose LSH bands are searched for colliding pairs.
PARALLEL_MIN_SENTENCES = 20_000
#: ... and the sentence pairs that copies of colliding texts make, above this many
PARALLEL_MIN_COPY_PAIRS = 1_000_000
#: The compiled kernels (:mod:`dedup.kernels`) are used when they would save at least this many
#: CPU-seconds: importing numba and loading them from its cache costs ~0.6 s, about what 1.2 s of
#: CPU saves on two cores. Measured savings: KERNEL_PAIR_SAVING seconds a pair (BBC-sized
#: documents, 0.45 -> 0.17 ms) and KERNEL_CELL_SAVING seconds a cell of the pair's score matrix
#: (documents of ~800 sentences, 24 -> 19 ms a pair).
KERNEL_MIN_SAVING, KERNEL_PAIR_SAVING, KERNEL_CELL_SAVING = 1.2, 0.28e-3, 8e-9
#: Colliding sentence pairs scored per task (tasks go to ``cfg.jobs`` processes).
DICE_CHUNK = 20_000

@dataclass(frozen=True, slots=True)
class SentenceIndex:
    """Every sentence of a corpus as flat arrays, numbered in document order.

    Built in one pass over the corpus (:func:`index_sentences`): all sentences are tokenised
    together, every token hashed once, content-word stems (:func:`dedup.align.content_words`)
    numbered by hash, weighted by sentence frequency (:func:`dedup.align.stem_weight`).
    """

    docs: Sequence[Document]
    spans: np.ndarray  # S x 2: offsets of each sentence into its document's text
    para: np.ndarray  # S: paragraph number inside its document
    first: np.ndarray  # D + 1: sentences of document k are first[k]:first[k + 1]
    ntok: np.ndarray  # S: word tokens
    word_ptr: np.ndarray  # S + 1: word token hashes of sentence s are
    word_hash: np.ndarray  # word_hash[word_ptr[s]:word_ptr[s + 1]]
    norm: np.ndarray  # S: hash of the normalised token sequence
    stem_ptr: np.ndarray  # S + 1: stems of sentence s (text order, repeats kept) are
    stem_id: np.ndarray  # stem_id[stem_ptr[s]:stem_ptr[s + 1]]
    set_ptr: np.ndarray  # S + 1: distinct stems of sentence s (sorted) are
    set_id: np.ndarray  # set_id[set_ptr[s]:set_ptr[s + 1]]
    stem_hash: np.ndarray  # per stem id (sorted: ids follow hash order)
    weight: np.ndarray  # per stem id

    @property
    def doc_of(self) -> np.ndarray:
        """Document index of every sentence."""
        return np.repeat(np.arange(len(self.docs)), np.diff(self.first))

    def shingles(self, k: int, n: int) -> np.ndarray:
        """Word n-gram hashes of document ``k``: its sentences cover every word of the text, so
        this equals :func:`dedup.fingerprint.minhash.shingle_set` of the text."""
        lo, hi = self.word_ptr[self.first[k]], self.word_ptr[self.first[k + 1]]
        h = np.sort(ngram_hashes_raw(self.word_hash[lo:hi], n))
        return h[np.concatenate(([True], h[1:] != h[:-1]))] if len(h) else h


_STOP_HASHES = np.unique(token_hashes(sorted(STOPWORDS)))
_STOP_HASHES.flags.writeable = False


class _SmallSet:
    """Membership in a small non-empty set of 64-bit hashes by one table lookup: each hash of the
    set sits in its own slot, ``size`` bits taken from the hash at a shift where no two collide
    (a binary search of every token in :data:`_STOP_HASHES` was a seventh of the index step). A
    slot of no hash holds a hash of another slot, which no value looking there can equal.

    >>> s = _SmallSet(np.array([3, 1 << 40, 7], dtype=np.uint64))
    >>> s.contains(np.array([7, 8, 1 << 40, 0, 3], dtype=np.uint64)).tolist()
    [True, False, True, False, True]
    """

    def __init__(self, values: np.ndarray, size: int = 12) -> None:
        values = np.unique(values.astype(np.uint64))
        while True:  # the first (size, shift) that gives every hash a slot of its own
            mask = np.uint64((1 << size) - 1)
            shift = next((np.uint64(k) for k in range(64 - size + 1)
                          if len(np.unique((values >> np.uint64(k)) & mask)) == len(values)), None)
            if shift is not None:
                break
            size += 1
        self.shift, self.mask = shift, mask
        self.table = np.full(1 << size, values[0], dtype=np.uint64)
        self.table[(values >> shift) & mask] = values
        self.table.flags.writeable = False

    def contains(self, a: np.ndarray) -> np.ndarray:
        return self.table[(a >> self.shift) & self.mask] == a


_STOPS = _SmallSet(_STOP_HASHES)


def _codes(pairs: Sequence[tuple[int, int]], n: int) -> np.ndarray:
    """The codes ``i * n + j`` of document pairs ``(i, j)``, sorted and distinct."""
    return _unique(np.asarray([i * n + j for i, j in pairs], dtype=np.int64))


def _ptr(owner: np.ndarray, n: int) -> np.ndarray:
    return np.concatenate(([0], np.cumsum(np.bincount(owner, minlength=n)))).astype(np.int64)


def _member(a: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """``np.isin(a, sorted_set)`` for a sorted ``sorted_set`` (a binary search of each)."""
    if not len(sorted_set):
        return np.zeros(len(a), dtype=bool)
    return sorted_set[np.minimum(np.searchsorted(sorted_set, a), len(sorted_set) - 1)] == a


@dataclass(slots=True)
class _IndexPart:
    """What :func:`_index_part` finds in a run of documents (sentence numbers local to the run)."""

    spans: np.ndarray  # S x 2
    para: np.ndarray  # S
    counts: np.ndarray  # sentences per document
    ntok: np.ndarray  # S
    word_hash: np.ndarray  # word tokens, sentence after sentence
    norm: np.ndarray  # S
    stem_sid: np.ndarray  # sentence of each content token
    stems: np.ndarray  # the distinct stem hashes of the run, sorted
    stem_of: np.ndarray  # each content token's stem: its row in ``stems``


def _index_part(docs: Sequence[Document]) -> _IndexPart:
    """Segment, tokenise and hash a run of documents; everything :func:`index_sentences` needs that
    does not depend on the rest of the corpus."""
    spans: list[tuple[int, int]] = []
    para: list[int] = []
    texts: list[str] = []
    counts = []
    for d in docs:
        sents = segment(d.text)
        counts.append(len(sents))
        for s in sents:
            spans.append((s.start, s.end))
            para.append(s.para)
            texts.append(d.text[s.start:s.end])
    n = len(spans)
    # all sentences as one normalised byte array: tokens are runs of word bytes, hashed at once,
    # no token string built (the same tokens and hashes as dedup.text.normalize.tokens)
    data, starts, ends, ntok = token_runs(texts)
    th = _run_hashes(data, starts, ends)
    sid = np.repeat(np.arange(n), ntok)
    norm = sequence_hashes(th, ntok)  # order-sensitive hash of each sentence's tokens
    content = np.flatnonzero(~_STOPS.contains(th))
    # a stem is the token cut to STEM characters
    sh = prefix_hashes(data, starts[content], ends[content], STEM)
    stems = _unique(sh)  # a run's distinct stems, so the whole corpus's vocabulary is a small merge
    return _IndexPart(np.asarray(spans, dtype=np.int64).reshape(-1, 2), np.asarray(para, dtype=np.int64),
                      np.asarray(counts, dtype=np.int64), ntok, th, norm, sid[content], stems,
                      np.searchsorted(stems, sh))


def index_sentences(docs: Sequence[Document], jobs: int = 1) -> SentenceIndex:
    """Segment every document and index its sentences (see :class:`SentenceIndex`); runs of
    documents are segmented and hashed in ``jobs`` processes for large corpora (same index)."""
    chars = sum(len(d.text) for d in docs)
    if jobs > 1 and chars >= PARALLEL_MIN_CHARS:
        runs = size_runs((len(d.text) for d in docs), -(-chars // (4 * jobs)))
        parts = fork_map(_index_part, [docs[lo:hi] for lo, hi in runs], jobs)
    else:
        parts = [_index_part(docs)]
    nsent = [len(p.ntok) for p in parts]
    base = np.concatenate(([0], np.cumsum(nsent)[:-1])).astype(np.int64)
    n = int(sum(nsent))
    ntok = np.concatenate([p.ntok for p in parts]).astype(np.int64)
    wptr = np.concatenate(([0], np.cumsum(ntok))).astype(np.int64)
    csid = np.concatenate([p.stem_sid + b for p, b in zip(parts, base, strict=True)]).astype(np.int64)
    # stem ids: ranks in the sorted vocabulary, merged from the runs' own sorted stems
    vocab = _unique(np.concatenate([p.stems for p in parts]))
    stem_id = np.concatenate([np.searchsorted(vocab, p.stems)[p.stem_of] for p in parts]).astype(np.int64)
    nv = max(1, len(vocab))
    keys = _unique(csid * nv + stem_id)
    set_sid, set_id = keys // nv, keys % nv
    df = np.bincount(set_id, minlength=len(vocab))
    if n <= 2:
        weight = np.ones(len(vocab), dtype=np.int64)
    else:
        weight = np.clip(1 + np.rint(np.log2(n / np.maximum(df, 1)) / 2), 1, 4).astype(np.int64)
    first = np.concatenate(([0], np.cumsum(np.concatenate([p.counts for p in parts])))).astype(np.int64)
    return SentenceIndex(docs, np.concatenate([p.spans for p in parts]), np.concatenate([p.para for p in parts]),
                         first, ntok, wptr, np.concatenate([p.word_hash for p in parts]),
                         np.concatenate([p.norm for p in parts]),
                         _ptr(csid, n), stem_id, _ptr(set_sid, n), set_id, vocab, weight)


def _sentence_permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Affine permutations ``a * x + b mod 2**32`` (``a`` odd) for sentence signatures."""
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 1 << 32, num_perm, dtype=np.uint64).astype(np.uint32) | np.uint32(1)
    b = rng.integers(0, 1 << 32, num_perm, dtype=np.uint64).astype(np.uint32)
    return a, b


def sentence_signatures(index: SentenceIndex, sents: np.ndarray, num_perm: int = SENT_PERM,
                        seed: int = 1, columns: range | None = None) -> np.ndarray:
    """MinHash signatures (``len(sents) x num_perm`` uint32) of the distinct stems of ``sents``
    (each with at least one stem), all sentences at once: one ``minimum.reduceat`` per permutation.
    ``columns``: only these permutations' columns (the same values)."""
    counts = np.diff(index.set_ptr)[sents]
    rows = _ranges(index.set_ptr[sents], counts)
    v = fmix32((index.stem_hash[index.set_id[rows]] >> np.uint64(32)).astype(np.uint32))
    offs = np.cumsum(counts) - counts
    a, b = _sentence_permutations(num_perm, seed)
    columns = range(num_perm) if columns is None else columns
    sig = np.empty((len(sents), len(columns)), dtype=np.uint32)
    for c, k in enumerate(columns):
        sig[:, c] = np.minimum.reduceat(v * a[k] + b[k], offs)
    return sig


def set_dice(index: SentenceIndex, s: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Weighted Dice of the distinct stems of sentences ``s[k]`` and ``t[k]``, all pairs at once:
    ``2 w(S ∩ T) / (w(S) + w(T))``."""
    if not len(s):
        return np.zeros(0)
    cs, ct = np.diff(index.set_ptr)[s], np.diff(index.set_ptr)[t]
    nv = max(1, len(index.stem_hash))
    pair = np.arange(len(s), dtype=np.int64)
    ks = np.repeat(pair, cs) * nv + index.set_id[_ranges(index.set_ptr[s], cs)]
    kt = np.repeat(pair, ct) * nv + index.set_id[_ranges(index.set_ptr[t], ct)]
    both = np.intersect1d(ks, kt, assume_unique=True)
    w = index.weight
    inter = np.bincount(both // nv, weights=w[both % nv], minlength=len(s))
    sw = np.concatenate(([0], np.cumsum(w[index.set_id])))
    tot = (sw[index.set_ptr[s + 1]] - sw[index.set_ptr[s]]) + (sw[index.set_ptr[t + 1]] - sw[index.set_ptr[t]])
    return 2 * inter / np.maximum(tot, 1)


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ``counts[r]`` items per row ``r``, each item's row and its number inside the row.

    >>> [a.tolist() for a in _expand(np.array([2, 0, 3]))]
    [[0, 0, 2, 2, 2], [0, 1, 0, 1, 2]]
    """
    return np.repeat(np.arange(len(counts)), counts), _ranges(np.zeros(len(counts), dtype=np.int64), counts)


def _band_pairs(keys: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Pairs ``(s, t)``, ``s <= t``, of rows sharing a key, from buckets of 2..MAX_BUCKET
    sentences: row ``r`` stands for ``weight[r]`` identical sentences, and ``(r, r)`` is there
    when those are two or more (pairs among them)."""
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    starts = np.flatnonzero(np.concatenate(([True], sk[1:] != sk[:-1])))
    sizes = np.diff(np.concatenate((starts, [len(sk)])))
    held = np.add.reduceat(weight[order], starts) if len(starts) else starts  # sentences per bucket
    chunks = []
    for size in np.unique(sizes[(held >= 2) & (held <= MAX_BUCKET)]).tolist():
        st = starts[(sizes == size) & (held >= 2) & (held <= MAX_BUCKET)]
        members = np.sort(order[st[:, None] + np.arange(size)[None, :]], axis=1)
        ii, jj = np.triu_indices(size, k=0)
        chunks.append(np.stack([members[:, ii].ravel(), members[:, jj].ravel()], axis=1))
    pairs = np.concatenate(chunks) if chunks else np.empty((0, 2), dtype=np.int64)
    return pairs[(pairs[:, 0] != pairs[:, 1]) | (weight[pairs[:, 0]] >= 2)]


def sentence_pairs(index: SentenceIndex, seed: int = 1, jobs: int = 1) -> np.ndarray:
    """Sentence pairs ``(s, t)``, ``s < t``, sharing a MinHash/LSH band of their stem sets
    (sentences with at least :data:`MIN_STEMS` distinct stems; not two of one paragraph); the bands
    are split over ``jobs`` processes for large corpora (the same pairs).

    Identical sentences (the same normalised tokens) have the same signature: each text is signed
    and bucketed once, standing for all its copies (a bucket still holds at most
    :data:`MAX_BUCKET` sentences, copies counted), and its pairs are spread over the copies at the
    end — a corpus that repeats paragraphs signs each once.
    """
    pairs = _sentence_pairs(index, seed, jobs)[0]
    return pairs[sorting.argsort(pairs[:, 0] * len(index.ntok) + pairs[:, 1])]


def _sentence_pairs(index: SentenceIndex, seed: int = 1, jobs: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`sentence_pairs` (not sorted: every consumer groups them by sorting keys of its own),
    and the distinct texts they pair: ``(pairs, texts, of)`` where ``texts`` (``k x 2``) holds one
    sentence of each side of every distinct pair of texts and ``of[p]`` is the row of ``texts``
    that sentence pair ``p`` is a copy of (a pair of two copies of one text is a row of two equal
    texts)."""
    elig = np.flatnonzero(np.diff(index.set_ptr) >= MIN_STEMS)
    if len(elig) < 2:
        return np.empty((0, 2), dtype=np.int64), np.empty((0, 2), dtype=np.int64), np.empty(0, dtype=np.int64)
    _, rep, text_of, copies = sorting.unique(index.norm[elig], return_index=True, return_inverse=True,
                                             return_counts=True)
    reps = elig[rep]  # one sentence per distinct text

    def bands(group: range) -> np.ndarray:
        """The pairs of a group of bands: signature columns, keys and buckets of those bands only."""
        sig = sentence_signatures(index, reps, SENT_PERM, seed, range(group[0] * SENT_ROWS, group[-1] * SENT_ROWS + SENT_ROWS))
        keys = band_keys(sig, len(group), SENT_ROWS, first=group[0])
        found = [_band_pairs(keys[:, b], copies) for b in range(len(group))]
        both = np.concatenate(found) if found else np.empty((0, 2), dtype=np.int64)
        return _unique(both[:, 0] * len(reps) + both[:, 1])

    nb = SENT_PERM // SENT_ROWS
    step = -(-nb // (3 * jobs)) if jobs > 1 and len(reps) >= PARALLEL_MIN_SENTENCES else nb
    code = _unique(np.concatenate(fork_map(bands, [range(lo, min(lo + step, nb)) for lo in range(0, nb, step)], jobs)))
    u, v = code // len(reps), code % len(reps)
    # every copy of u with every copy of v (with each other when u == v)
    by_text = sorting.argsort(text_of)  # positions in elig of the copies, text by text
    ptr = np.concatenate(([0], np.cumsum(copies)))
    doc = index.doc_of

    def copy_pairs(rows: range) -> tuple[np.ndarray, np.ndarray]:
        """The sentence pairs of text pairs ``rows`` (not of one paragraph), and their text pair."""
        owner, k = _expand(copies[u[rows]] * copies[v[rows]])
        owner += rows.start
        x = by_text[ptr[u[owner]] + k // copies[v[owner]]]
        y = by_text[ptr[v[owner]] + k % copies[v[owner]]]
        keep = (u[owner] != v[owner]) | (x < y)
        x, y = x[keep], y[keep]
        pairs = elig[np.stack([np.minimum(x, y), np.maximum(x, y)], axis=1)]
        same_para = (doc[pairs[:, 0]] == doc[pairs[:, 1]]) & (index.para[pairs[:, 0]] == index.para[pairs[:, 1]])
        return pairs[~same_para], owner[keep][~same_para]

    # text pairs in runs of about equal numbers of copy pairs, over the processes on a large corpus
    size = np.cumsum(copies[u] * copies[v])
    total = int(size[-1]) if len(size) else 0
    parts = 4 * jobs if jobs > 1 and total >= PARALLEL_MIN_COPY_PAIRS else 1
    cuts = [0, *np.searchsorted(size, [total * q // parts for q in range(1, parts)]).tolist(), len(u)]
    found = fork_map(copy_pairs, [range(lo, hi) for lo, hi in itertools.pairwise(cuts)], jobs)
    return (np.concatenate([f[0] for f in found]), np.stack([reps[u], reps[v]], axis=1),
            np.concatenate([f[1] for f in found]))


@dataclass(slots=True)
class Candidates:
    """What :func:`candidate_pairs` finds: document pairs ``(i, j)``, ``i <= j``, to align (``i ==
    j``: within a document), identical sentence pairs ``(s, t)`` (sentence numbers of the index) of
    the document pairs linked by nothing else (see :func:`exact_regions`), and the *likely
    variants*: pairs of two documents whose colliding sentences cover at least
    :data:`LIKELY_SHARE` of both, with that share (an estimate of the share that aligns)."""

    align: list[tuple[int, int]]
    identical: np.ndarray  # k x 2
    likely: dict[tuple[int, int], float] = field(default_factory=dict)
    #: The strongly colliding sentence pairs ``(s, t)`` (sentence numbers of the index, ``s`` in the
    #: pair's first document) of the pairs to align, and their stem-set Dice: the anchors of the
    #: pairs aligned in windows (see :data:`WINDOW_MIN_CELLS`), and what tells which of its
    #: sentences a pair would align (see :func:`find_passages`).
    anchors: np.ndarray = field(default_factory=lambda: np.empty((0, 2), dtype=np.int64))
    anchor_scores: np.ndarray = field(default_factory=lambda: np.empty(0))
    #: The pairs of two documents that may be variants: colliding sentences cover at least
    #: :data:`MAY_VARY_SHARE` of both (the likely variants among them).
    may_vary: set[tuple[int, int]] = field(default_factory=set)


def candidate_pairs(index: SentenceIndex, seed: int = 1, jobs: int = 1) -> Candidates:
    """Document pairs worth aligning, and the identical sentences of the others.

    Colliding sentence pairs are verified by the weighted Dice of their stem sets
    (:func:`set_dice`). A pair of documents is aligned sentence by sentence when it has
    paraphrase evidence: at least :data:`MIN_SUPPORT` colliding pairs that reach
    :data:`SUPPORT_SCORE`, one of them not identical text. The identical sentences of the other
    pairs need no alignment (the identity is the alignment): they go to :func:`exact_regions`, which is
    linear in them, so a corpus whose documents share whole paragraphs verbatim costs no dynamic
    programming.
    """
    pairs, texts, of = _sentence_pairs(index, seed, jobs)
    if not len(pairs):
        return Candidates([], np.empty((0, 2), dtype=np.int64))
    s, t = pairs[:, 0], pairs[:, 1]
    doc = index.doc_of
    nd = len(index.docs)
    code = doc[s] * nd + doc[t]
    identical = (index.norm[s] == index.norm[t]) & (index.ntok[s] > 0)
    # the Dice of each distinct pair of texts, once (identical sentences have the same stems: 1)
    other = np.flatnonzero(texts[:, 0] != texts[:, 1])
    chunks = [other[lo:lo + DICE_CHUNK] for lo in range(0, len(other), DICE_CHUNK)]
    dice = np.ones(len(texts))
    if chunks:
        dice[other] = np.concatenate(fork_map(lambda c: set_dice(index, texts[c, 0], texts[c, 1]), chunks, jobs))
    strong = (dice >= SUPPORT_SCORE)[of]
    pair_codes, pair_of = sorting.unique(code, return_inverse=True)  # the document pairs, one sort
    support = np.bincount(pair_of, weights=strong, minlength=len(pair_codes))
    evidence = np.bincount(pair_of, weights=strong & ~identical, minlength=len(pair_codes))
    chosen = (support >= MIN_SUPPORT) & (evidence > 0)
    aligned = pair_codes[chosen]
    rest = identical & ~chosen[pair_of]
    anchored = chosen[pair_of] & strong
    shares = _colliding_shares(index, s, t, strong, MAY_VARY_SHARE)
    return Candidates([divmod(c, nd) for c in aligned.tolist()], pairs[rest],
                      {p: v for p, v in shares.items() if v >= LIKELY_SHARE}, pairs[anchored], dice[of[anchored]],
                      set(shares))


def _colliding_shares(index: SentenceIndex, s: np.ndarray, t: np.ndarray, strong: np.ndarray, least: float
                      ) -> dict[tuple[int, int], float]:
    """Pairs of two documents whose strongly colliding sentences ``(s, t)`` cover at least
    ``least`` of their sentences: ``{(i, j): share}``."""
    doc, nd = index.doc_of, len(index.docs)
    two = strong & (doc[s] != doc[t])
    s, t = s[two], t[two]
    # the distinct (sentence, other document) of each side
    keys = np.concatenate((_unique(s * nd + doc[t]), _unique(t * nd + doc[s])))
    mine, other = doc[keys // nd], keys % nd
    # each is one covered sentence of the document pair it belongs to
    code, covered = sorting.unique(np.minimum(mine, other) * nd + np.maximum(mine, other), return_counts=True)
    i, j = code // nd, code % nd
    sentences = np.diff(index.first)
    share = covered / np.maximum(sentences[i] + sentences[j], 1)
    keep = share >= least
    return {(a, b): sh for a, b, sh in zip(i[keep].tolist(), j[keep].tolist(), share[keep].tolist(), strict=True)}


@dataclass(frozen=True, slots=True)
class _Runs:
    """Runs of identical sentences as arrays (see :func:`exact_runs`): sentences ``a[r] ..
    a[r] + n[r]`` of document ``i[r]`` equal sentences ``b[r] .. b[r] + n[r]`` of document ``j[r]``
    (global sentence numbers of the index), sorted by ``(a, b)``."""

    i: np.ndarray
    j: np.ndarray
    a: np.ndarray
    b: np.ndarray
    n: np.ndarray

    def __getitem__(self, m: np.ndarray) -> _Runs:
        return _Runs(self.i[m], self.j[m], self.a[m], self.b[m], self.n[m])


def _run_arrays(index: SentenceIndex, seeds: np.ndarray) -> _Runs:
    """Maximal runs of identical sentences around the identical sentence pairs ``seeds``, all seeds
    at once (see :func:`exact_runs`)."""
    nsent = len(index.ntok)
    code = _unique(seeds[:, 0] * nsent + seeds[:, 1]) if len(seeds) else np.empty(0, dtype=np.int64)
    a, b = code // nsent, code % nsent
    doc, first = index.doc_of, index.first
    # a seed whose predecessor pair (in the same two documents) is a seed too lies in that one's run
    inside = _member(code - nsent - 1, code) & (a > first[doc[a]]) & (b > first[doc[b]])
    a, b = a[~inside], b[~inside]
    i, j = doc[a], doc[b]
    box = (first[i], first[i + 1], first[j], first[j + 1], i == j)

    def identical(x: np.ndarray, y: np.ndarray, m: np.ndarray) -> np.ndarray:
        """Whether sentences ``x`` and ``y`` of runs ``m`` are identical (non-empty) text inside
        their documents; inside one document ``x``'s paragraph comes first."""
        lo_x, hi_x, lo_y, hi_y, one = (v[m] for v in box)
        ok = (lo_x <= x) & (x < hi_x) & (lo_y <= y) & (y < hi_y)
        x, y = np.where(ok, x, 0), np.where(ok, y, 0)
        return ok & (index.ntok[x] > 0) & (index.norm[x] == index.norm[y]) & (~one | (index.para[x] < index.para[y]))

    m = np.arange(len(a))
    while len(m):  # back while the sentences before are identical too (short ones never collide)
        m = m[identical(a[m] - 1, b[m] - 1, m)]
        a[m] -= 1
        b[m] -= 1
    n = np.ones(len(a), dtype=np.int64)
    m = np.arange(len(a))
    while len(m):  # forward; inside one document the two sides never overlap
        x = a[m] + n[m]
        m = m[identical(x, b[m] + n[m], m) & (~box[4][m] | (x < b[m]))]
        n[m] += 1
    n = np.where(box[4], np.minimum(n, b - a), n)
    _, once = sorting.unique(a * nsent + b, return_index=True)  # seeds apart in one run: found twice
    return _Runs(i[once], j[once], a[once], b[once], n[once])


def exact_runs(index: SentenceIndex, seeds: np.ndarray) -> list[tuple[int, int, int, int, int]]:
    """Maximal runs of identical sentences around identical sentence pairs ``seeds``:
    ``(i, j, a, b, length)`` — sentences ``a .. a + length`` of document ``i`` equal sentences
    ``b .. b + length`` of document ``j`` (local numbers). A seed extends both ways while the next
    sentences are identical too (short sentences never collide, so they are reached this way);
    inside one document the first side stays in earlier paragraphs than the second and the two
    sides never overlap.
    """
    r = _run_arrays(index, seeds)
    first = index.first
    return list(zip(r.i.tolist(), r.j.tolist(), (r.a - first[r.i]).tolist(), (r.b - first[r.j]).tolist(),
                    r.n.tolist(), strict=True))


def _long_runs(index: SentenceIndex, seeds: np.ndarray) -> _Runs:
    """The runs of :func:`exact_runs` with at least :data:`MIN_EXACT_TOKENS` words."""
    r = _run_arrays(index, seeds)
    words = np.concatenate(([0], np.cumsum(index.ntok)))
    return r[words[r.a + r.n] - words[r.a] >= MIN_EXACT_TOKENS]


def _pair_shares(index: SentenceIndex, r: _Runs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Document pairs ``(i, j)`` of the runs ``r`` (sorted) and the share of their sentences inside
    runs."""
    nd, nsent = len(index.docs), len(index.ntok)
    pair = r.i * nd + r.j
    owner, rows = _expand(r.n)  # each run's k-th sentence pair: its run and k
    codes = _unique(pair)
    rank = np.searchsorted(codes, pair)[owner]  # pair numbers (codes times sentences could overflow)
    inside = np.zeros(len(codes))
    for side in (r.a, r.b):  # distinct sentences of each side
        key = _unique(rank * nsent + side[owner] + rows)
        c, k = sorting.unique(key // nsent, return_counts=True)
        inside[c] += k
    i, j = codes // nd, codes % nd
    sentences = np.diff(index.first)
    return i, j, inside / (sentences[i] + sentences[j])


def exact_shares(index: SentenceIndex, seeds: np.ndarray) -> list[tuple[tuple[int, int], float]]:
    """Per document pair linked by identical sentence pairs ``seeds``, the share of their sentences
    that :func:`exact_regions` aligns (without its findings)."""
    i, j, share = _pair_shares(index, _long_runs(index, seeds))
    return [((a, b), v) for a, b, v in zip(i.tolist(), j.tolist(), share.tolist(), strict=True)]


def exact_regions(index: SentenceIndex, seeds: np.ndarray, quality: Mapping[str, int],
                  codes: frozenset[str]) -> list[tuple[int, int, float, list[Finding]]]:
    """``DUP111`` findings of the document pairs linked only by identical sentences, and per
    pair the share of sentences aligned: ``(i, j, share, findings)`` for the pairs with findings
    or a share of at least :data:`VARIANT_SHARE` (the others make neither findings nor variants).

    Each run of :func:`exact_runs` with at least :data:`MIN_EXACT_TOKENS` words is a region,
    marked on the lower-quality side as an aligned region is (:func:`_region_findings`). A passage
    repeated in ``k`` documents is one run per pair, but each marked run is reported once, against
    its best counterpart (fewest problem characters, then smallest id; inside one document the
    earliest copy): findings grow with the copies, not with their pairs. All in arrays: linear in
    the sentences of the runs.
    """
    docs = index.docs
    r = _long_runs(index, seeds)
    if not len(r.n):
        return []
    # standing of every document of a run: the side with the better one keeps the passage
    seen = _unique(np.concatenate((r.i, r.j)))
    rank = np.zeros(len(docs), dtype=np.int64)
    rank[seen[sorted(range(len(seen)), key=lambda k: _standing(docs[int(seen[k])], quality))]] = np.arange(len(seen))
    mark_a = (r.i != r.j) & (rank[r.i] > rank[r.j])
    start, other_start = np.where(mark_a, r.a, r.b), np.where(mark_a, r.b, r.a)
    other = np.where(mark_a, r.j, r.i)
    # every marked sentence, and its best counterpart: the other side's standing, then position
    owner, k = _expand(r.n)
    sent, pos = start[owner] + k, other_start[owner] + k
    order = sorting.lexsort((pos, rank[other[owner]], sent))
    best = order[np.concatenate(([True], sent[order][1:] != sent[order][:-1]))]
    # consecutive marked sentences with the same counterpart run make one reported run
    run, sent = owner[best], sent[best]
    shift = other_start[run] - start[run]
    new = np.ones(len(best), dtype=bool)
    new[1:] = ((sent[1:] != sent[:-1] + 1) | (index.doc_of[sent[1:]] != index.doc_of[sent[:-1]])
               | (other[run][1:] != other[run][:-1]) | (shift[1:] != shift[:-1]))
    lo = np.flatnonzero(new)
    length = np.diff(np.append(lo, len(best)))
    rep = run[lo]
    # each reported run: its pair, the first sentence of its marked and of its other side
    bad_s, good_s = sent[lo], sent[lo] + shift[lo]
    nd = len(docs)
    code = r.i[rep] * nd + r.j[rep]
    order = sorting.lexsort((length, np.where(mark_a[rep], good_s, bad_s), np.where(mark_a[rep], bad_s, good_s), code))
    code, bad_s, good_s, length, rep = code[order], bad_s[order], good_s[order], length[order], rep[order]
    by_pair: dict[int, list[Finding]] = {}
    if "DUP111" in codes and len(code):
        found = _exact_findings(index, r.i[rep], r.j[rep], mark_a[rep], bad_s, good_s, length)
        cut = np.flatnonzero(np.concatenate(([True], code[1:] != code[:-1]))).tolist() + [len(code)]
        by_pair = {c: found[cut[k]:cut[k + 1]] for k, c in enumerate(code[cut[:-1]].tolist())}
    i, j, share = _pair_shares(index, r)
    keep = (share >= VARIANT_SHARE) | _member(i * nd + j, np.asarray(sorted(by_pair), dtype=np.int64))
    return [(a, b, v, by_pair.get(a * nd + b, []))
            for a, b, v in zip(i[keep].tolist(), j[keep].tolist(), share[keep].tolist(), strict=True)]


def _exact_findings(index: SentenceIndex, i: np.ndarray, j: np.ndarray, mark_a: np.ndarray, bad_s: np.ndarray,
                    good_s: np.ndarray, length: np.ndarray) -> list[Finding]:
    """The ``DUP111`` finding of each run of identical sentences (documents ``i``, ``j``; marked on
    ``i`` where ``mark_a``; the run's first sentence on the marked side ``bad_s`` and on the other
    ``good_s``, ``length`` sentences): what :func:`_region_findings` makes of the run, built from
    the arrays (a corpus sharing paragraphs verbatim has many)."""
    docs = index.docs
    bad_doc, good_doc = np.where(mark_a, i, j), np.where(mark_a, j, i)
    owner, q = _expand(length)
    bad_spans = [tuple(x) for x in index.spans[bad_s[owner] + q].tolist()]
    good_spans = [tuple(x) for x in index.spans[good_s[owner] + q].tolist()]
    pairs = [AlignedPair(a, b, 1.0) for a, b in zip(bad_spans, good_spans, strict=True)]
    first = np.concatenate(([0], np.cumsum(length)))
    last = index.spans[bad_s + length - 1, 1].tolist()
    good_last = index.spans[good_s + length - 1, 1].tolist()
    out = []
    for k, (b, g, n, s, e, rs, re_) in enumerate(zip(bad_doc.tolist(), good_doc.tolist(), length.tolist(),
                                                      index.spans[bad_s, 0].tolist(), last,
                                                      index.spans[good_s, 0].tolist(), good_last, strict=True)):
        bad, good = docs[b], docs[g]
        where = "earlier in this document" if b == g else f"in {good.id}"
        out.append(make_finding("DUP111", bad.id, bad.text, s, e, f"repeats {n} sentence(s) {where} word for word",
                                1.0, Related(good.id, rs, re_), pairs[first[k]:first[k + 1]]))
    return out


@dataclass(slots=True)
class _Doc:
    """One document ready for alignment: its sentences and their stem counts (the weighted bags of
    :mod:`dedup.align` as counts, see :func:`dedup.align.dice_matrix`)."""

    doc: Document
    spans: list[tuple[int, int]]
    paras: np.ndarray
    texts: list[str]
    norm: list[int]  # hash of each sentence's normalised tokens
    ntok: list[int]  # word tokens of each sentence
    nstems: list[int]  # content stems of each sentence (repeats counted)
    counts: StemCounts | None  # stem counts of each sentence (None: a window, see _Doc.window)
    merged: StemCounts | None  # ... and of each two adjacent sentences
    garbled: dict[tuple[int, int], list[tuple[int, int]]] = field(default_factory=dict)  # looks_garbled by span
    rows: Rows | None = None  # counts and merged ready for matrices_of_rows, once asked for

    def ready(self) -> Rows:
        """:class:`dedup.align.Rows` of the document's stem counts (kept)."""
        if self.rows is None:
            self.rows = Rows.of(self.counts, self.merged)
        return self.rows

    def window(self, lo: int, hi: int) -> _Doc:
        """Sentences ``lo .. hi - 1`` only, as a document of their own, without stem counts (its
        matrices and bag sizes are given to :func:`_aligned`, see :func:`align_windows`)."""
        return _Doc(self.doc, self.spans[lo:hi], self.paras[lo:hi], self.texts[lo:hi], self.norm[lo:hi],
                    self.ntok[lo:hi], self.nstems[lo:hi], None, None, self.garbled)


def prepare(index: SentenceIndex, k: int) -> _Doc:
    """Document ``k`` of the index ready for :func:`align_pair`."""
    lo, hi = int(index.first[k]), int(index.first[k + 1])
    d = index.docs[k]
    spans = list(map(tuple, index.spans[lo:hi].tolist()))
    ptr = index.stem_ptr[lo:hi + 1]
    nstems = np.diff(ptr)
    ids = index.stem_id[ptr[0]:ptr[-1]]
    n = hi - lo
    row = np.repeat(np.arange(n), nstems)
    up, down = row >= 1, row <= n - 2  # merged row r holds sentences r and r + 1
    merged = StemCounts.from_occurrences(np.concatenate((ids[up], ids[down])),
                                         np.concatenate((row[up] - 1, row[down])), max(n - 1, 0), index.weight)
    return _Doc(d, spans, index.para[lo:hi], [d.text[s:e] for s, e in spans], index.norm[lo:hi].tolist(),
                index.ntok[lo:hi].tolist(), nstems.tolist(), StemCounts.from_occurrences(ids, row, n, index.weight),
                merged)


def _gap(new: tuple[int, int], last: tuple[int, int]) -> int:
    """Sentences between two beads' spans on one side; 0 when the new bead shares the last
    sentence (many-to-one pairs), negative when it goes back."""
    g = new[0] - last[1]
    return 0 if g < 0 and new[0] >= last[0] else g


def regions(beads: Sequence[Bead], max_gap: int = MAX_GAP) -> list[list[Bead]]:
    """Split beads (in order) into regions where the sides jump: a gap of more than ``max_gap``
    sentences on both sides, or of more than ``2 * max_gap`` on one side (a longer rendering
    adds material of its own between the sentences it shares). Beads sharing a sentence (see
    :func:`dedup.align.contained_pairs`) stay together.

    >>> bs = [Bead((0, 1), (5, 6), 1.0), Bead((1, 2), (7, 8), 1.0), Bead((20, 21), (20, 21), 1.0)]
    >>> [len(r) for r in regions(bs)]
    [2, 1]
    """
    out: list[list[Bead]] = []
    for b in sorted(beads, key=lambda x: (x.a, x.b)):
        if out:
            last = out[-1][-1]
            ga, gb = _gap(b.a, last.a), _gap(b.b, last.b)
            if min(ga, gb) >= 0 and (max(ga, gb) <= max_gap
                                     or (min(ga, gb) <= 1 and max(ga, gb) <= 2 * max_gap)):
                out[-1].append(b)
                continue
        out.append([b])
    return out


def _exact(pa: _Doc, pb: _Doc, bead: Bead) -> bool:
    """Whether the two sides of a bead are the same text after normalisation."""
    (a0, a1), (b0, b1) = bead.a, bead.b
    if a1 - a0 == 1 and b1 - b0 == 1:
        return pa.ntok[a0] > 0 and pa.ntok[a0] == pb.ntok[b0] and pa.norm[a0] == pb.norm[b0]
    na = normalize(" ".join(pa.texts[a0:a1]))
    return bool(na) and na == normalize(" ".join(pb.texts[b0:b1]))


def _stems(p: _Doc, span: tuple[int, int]) -> int:
    return sum(p.nstems[span[0]:span[1]])


def accept(region: Sequence[Bead], exact: bool, tokens: int) -> bool:
    """Whether a region is a real overlap (see the module docstring)."""
    if exact:
        return tokens >= MIN_EXACT_TOKENS
    mean = sum(b.score for b in region) / len(region)
    span = max(max(b.a[1] for b in region) - min(b.a[0] for b in region),
               max(b.b[1] for b in region) - min(b.b[0] for b in region))
    if len(region) < MIN_DENSITY * span and mean < DENSE_BELOW:
        return False  # a few weak pairs scattered over a long stretch: shared topic, not content
    return ((len(region) >= 4 and mean >= 0.35) or (len(region) >= 3 and mean >= 0.45)
            or (len(region) >= 2 and mean >= 0.7))


def _with_contained(region: list[Bead], extras: list[Bead], dropped: set[Bead], same: bool, shift: int = 0
                    ) -> list[Bead]:
    """An accepted region with the many-to-one pairs that fall inside its span on both sides
    (:func:`dedup.align.contained_pairs`), minus the beads they replace."""
    a0, a1 = min(b.a[0] for b in region), max(b.a[1] for b in region)
    b0, b1 = min(b.b[0] for b in region), max(b.b[1] for b in region)
    inside = [x for x in extras if a0 <= x.a[0] and x.a[1] <= a1 and b0 <= x.b[0] and x.b[1] <= b1]
    out = sorted([b for b in region if b not in dropped] + inside, key=lambda x: (x.a, x.b))
    return _trim_self(out, shift) if same else out


def _trim_self(region: list[Bead], shift: int = 0) -> list[Bead]:
    """Within one document the two sides of a region must not overlap: drop the weaker end bead
    until they do not (``shift``: where the second side's sentences start relative to the first
    side's, for two windows of one document)."""
    if not region or max(b.a[1] for b in region) <= min(b.b[0] for b in region) + shift:
        return region
    # the ends of the beads left are region[lo:hi]; their largest a end and smallest b start come
    # from sparse tables (each end bead dropped in turn: the maxima over the whole rest each time
    # made long regions of a document with itself quadratic)
    most, least = _RangeTable([b.a[1] for b in region], max), _RangeTable([b.b[0] for b in region], min)
    lo, hi = 0, len(region)
    while lo < hi and most(lo, hi) > least(lo, hi) + shift:
        if region[lo].score <= region[hi - 1].score:
            lo += 1
        else:
            hi -= 1
    return region[lo:hi]


class _RangeTable:
    """The maximum (or minimum: ``pick``) of ``values[lo:hi]`` in two lookups (a sparse table:
    ``levels[k][i]`` is that of ``values[i:i + 2 ** k]``).

    >>> t = _RangeTable([3, 1, 4, 1, 5, 9, 2, 6], max)
    >>> t(0, 8), t(1, 4), t(6, 7), t(2, 5)
    (9, 4, 2, 5)
    """

    def __init__(self, values: list[int], pick) -> None:
        self.pick, self.levels = pick, [values]
        width = 1
        while 2 * width <= len(values):
            last = self.levels[-1]
            self.levels.append(list(map(pick, last[:-width], last[width:])))
            width *= 2

    def __call__(self, lo: int, hi: int) -> int:
        k = (hi - lo).bit_length() - 1
        row = self.levels[k]
        return self.pick(row[lo], row[hi - (1 << k)])


_GARBLED = re.compile(
    r"(?:[.,;:!?](?:[\"”’']?\s*[.,])+[\"”’']?(?=\s|$))"  # punctuation debris: ". ." ".”." ",,"
    r"|(?:(?<=\s)[b-hj-uwyz](?=\s))"  # a stray lower-case one-letter word (not a, i, v, x; capitals are initials)
    r"|(?:(?<=[a-z])\.(?=\s+[a-z]))"  # a period splitting a phrase: "land. equipment"
)


_WRITTEN = re.compile(r"\.{2,}|[?!],")  # punctuation runs that writers use on purpose


def looks_garbled(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` that look like translation debris (not an ellipsis ``...`` or the ``?,``
    of a quoted question).

    >>> t = "in provide appropriate land. equipment or u publish. .”. Fine. Why?, he asked..."
    >>> [t[s:e] for s, e in looks_garbled(t)]
    ['.', 'u', '. .”.']
    """
    return [m.span() for m in _GARBLED.finditer(text) if not _WRITTEN.fullmatch(m.group())]


#: What a match of each branch of :data:`_GARBLED` contains, as three patterns that the regex
#: engine scans fast (one pattern with three branches tries them all at every character).
_MAY_BE_GARBLED = tuple(re.compile(p) for p in (r"[.,;:!?][\"”’']?\s*[.,]", r"\.\s+[a-z]", r"\s[b-hj-uwyz]\s"))


def may_look_garbled(text: str) -> bool:
    """False when :func:`looks_garbled` surely finds nothing in ``text`` (a cheaper test).

    >>> may_look_garbled("Fine. Why?"), may_look_garbled("land. equipment"), may_look_garbled("or u go")
    (False, True, True)
    """
    return any(p.search(text) is not None for p in _MAY_BE_GARBLED)


def garbled_spans(bad: _Doc, good: _Doc, bead_bad: tuple[int, int], bead_good: tuple[int, int]
                  ) -> list[tuple[int, int]]:
    """Spans (offsets into ``bad.doc.text``) of garbled tokens of the bad side's sentences that the
    good side's sentences do not support."""
    s0, e0 = bad.spans[bead_bad[0]][0], bad.spans[bead_bad[1] - 1][1]
    g0, g1 = good.spans[bead_good[0]][0], good.spans[bead_good[1] - 1][1]
    text = bad.doc.text[s0:e0]
    garbled = bad.garbled.get((s0, e0))
    if garbled is None:  # a sentence meets many counterparts: test it once
        garbled = bad.garbled[(s0, e0)] = looks_garbled(text) if may_look_garbled(text) else []
    if not garbled:  # cheap test first: the token diff is the expensive part
        return []
    ref = good.doc.text[g0:g1]
    key = (text, ref)  # copies of a story meet the same sentence pairs again and again
    if key not in _UNSUPPORTED:
        if len(_UNSUPPORTED) >= UNSUPPORTED_MEMO:
            _UNSUPPORTED.clear()
        _UNSUPPORTED[key] = _unsupported_garbled(text, ref, garbled)
    return [(s0 + s, s0 + e) for s, e in _UNSUPPORTED[key]]


#: Sentence pairs whose unsupported garbled spans are remembered at most (then the memo restarts).
UNSUPPORTED_MEMO = 100_000
_UNSUPPORTED: dict[tuple[str, str], list[tuple[int, int]]] = {}


def _unsupported_garbled(text: str, ref: str, garbled: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans ``garbled`` of ``text`` (its :func:`looks_garbled`) holding a token that ``ref``
    does not support."""
    toks = word_spans(text)
    words = [text[s:e] for s, e in toks]
    ref_words = [ref[s:e] for s, e in word_spans(ref)]
    # a token the reference does not hold anywhere is unsupported whatever the edit: the edit only
    # decides the spans whose tokens all occur in the reference
    absent = set(words) - set(ref_words)
    flags = None
    out = []
    for s, e in garbled:
        hit = [k for k, (ts, te) in enumerate(toks) if ts < e and s < te]
        if not any(words[k] in absent for k in hit):
            if flags is None:
                flags = unsupported_tokens(words, ref_words)
            if not any(flags[k] for k in hit):
                continue
        out.append((s, e))
    return out


def _worse(da: Document, db: Document, quality: Mapping[str, int]) -> bool:
    """Whether document ``da`` is the lower-quality side (ties: the later document)."""
    return _standing(da, quality) > _standing(db, quality)


def _standing(d: Document, quality: Mapping[str, int]) -> tuple[int, str]:
    """Sort key of the side that keeps a shared passage: fewest problem characters, then id."""
    return quality.get(d.id, 0), d.id


def _span(p: _Doc, lo: int, hi: int) -> tuple[int, int]:
    return p.spans[lo][0], p.spans[hi - 1][1]


class Covered:
    """The sentences of a document that its better partners aligned so far (``aligned``, one flag
    a sentence, as it is now; ``starts``, ``ends``: the sentences' character spans, in order): a
    finding on it that lies entirely in them is left out (see :func:`find_passages`).

    >>> c = Covered([0, 10, 20], [10, 20, 30], np.array([True, True, False]))
    >>> c.holds(2, 15), c.holds(12, 25), c.holds(10, 10)
    (True, False, True)
    """

    __slots__ = ("before", "ends", "starts")

    def __init__(self, starts: list[int], ends: list[int], aligned: np.ndarray) -> None:
        self.starts, self.ends = starts, ends
        self.before = [0, *np.cumsum(aligned, dtype=np.int64).tolist()]  # aligned sentences before each

    def holds(self, start: int, end: int) -> bool:
        """Whether every sentence that ``[start, end)`` overlaps is aligned (none overlaps: True)."""
        lo, hi = bisect.bisect_right(self.ends, start), bisect.bisect_left(self.starts, end)
        return hi <= lo or self.before[hi] - self.before[lo] == hi - lo


def _region_findings(pa: _Doc, pb: _Doc, region: list[Bead], mark_a: bool, exact: bool,
                     codes: frozenset[str], covered: Covered | None = None) -> list[Finding]:
    """One finding per run of consecutive sentences on the marked side, and its garbled spans;
    none that ``covered`` holds (a run it holds: none of its garbled spans either)."""
    if mark_a:
        bad, good, pairs = pa, pb, [(b.a, b.b, b.score) for b in region]
    else:
        bad, good, pairs = pb, pa, [(b.b, b.a, b.score) for b in region]
    pairs.sort()
    runs: list[list[tuple]] = []
    end = -1  # where the last run's sentences end
    for p in pairs:
        if runs and p[0][0] <= end:  # adjacent, or the same sentence
            runs[-1].append(p)
            end = max(end, p[0][1])
        else:
            runs.append([p])
            end = p[0][1]
    code = "DUP111" if exact else "DUP112"
    out: list[Finding] = []
    for run in runs:
        start, end = _span(bad, run[0][0][0], max(p[0][1] for p in run))
        if covered is not None and covered.holds(start, end):
            continue
        rs = min(_span(good, *p[1])[0] for p in run)
        re_ = max(_span(good, *p[1])[1] for p in run)
        alignment = [AlignedPair(_span(bad, *p[0]), _span(good, *p[1]), p[2]) for p in run]
        score = sum(p[2] for p in run) / len(run)
        n = len({k for p in run for k in range(*p[0])})
        where = "earlier in this document" if bad.doc.id == good.doc.id else f"in {good.doc.id}"
        if code in codes:
            msg = (f"repeats {n} sentence(s) {where} word for word" if exact else
                   f"says the same as {n} sentence(s) {where} (mean alignment score {score:.2f})")
            if bad.doc.id == good.doc.id and not exact:
                where_msg = "another passage of this document"
                msg = f"says the same as {where_msg} ({n} sentence(s), mean alignment score {score:.2f})"
            out.append(make_finding(code, bad.doc.id, bad.doc.text, start, end, msg, score,
                                    Related(good.doc.id, rs, re_), alignment))
        if "MT350" in codes and not exact:
            seen: set[tuple[int, int]] = set()
            for p in run:
                for s, e in garbled_spans(bad, good, p[0], p[1]):
                    if (s, e) in seen or (covered is not None and covered.holds(s, e)):
                        continue
                    seen.add((s, e))
                    gs, ge = _span(good, *p[1])
                    out.append(make_finding("MT350", bad.doc.id, bad.doc.text, s, e,
                                            f"garbled: not supported by the aligned sentence in "
                                            f"{good.doc.id}", p[2], Related(good.doc.id, gs, ge)))
    return out


class Aligned(NamedTuple):
    """What the alignment of two documents found (:func:`align_pair`, :func:`align_windows`)."""

    share: float  # of the sentences of both, aligned in accepted regions
    findings: list[Finding]
    a: frozenset[int]  # the sentences of each side aligned in accepted regions (numbers inside it)
    b: frozenset[int]


_NOTHING = Aligned(0.0, [], frozenset(), frozenset())


def align_pair(pa: _Doc, pb: _Doc, quality: Mapping[str, int], codes: frozenset[str],
               covered: Covered | None = None) -> Aligned:
    """Align two prepared documents (or one with itself): the share of sentences aligned in
    accepted regions, the findings (none that ``covered`` holds, on the marked side), the
    sentences aligned."""
    if len(pa.texts) == 0 or len(pb.texts) == 0:
        return _NOTHING
    aligned, got_a, got_b, findings = _aligned(pa, pb, quality, codes, covered=covered)
    return Aligned(aligned / (len(pa.texts) + len(pb.texts)), findings, frozenset(got_a), frozenset(got_b))


def align_windows(pa: _Doc, pb: _Doc, anchors: np.ndarray, scores: np.ndarray, quality: Mapping[str, int],
                  codes: frozenset[str], covered: Covered | None = None) -> Aligned:
    """:func:`align_pair` of two documents (or one with itself) restricted to the :func:`windows`
    around their colliding sentence pairs ``anchors`` (rows ``(a, b)``, with their ``scores``) that
    are each other's best (:func:`best_anchors`): each window's sentences are aligned as a pair of
    documents (two windows of one document as parts of one); the share is that of the distinct
    sentences of both sides aligned in any window (:func:`align_pair` counts a region's sentences
    region by region, as it always has: on the paragraph-sharing corpus of ``make bench`` a few
    sentences sit in two regions of one alignment, and counting them once changes its report).
    The score matrices of a group of windows (at most :data:`MATRIX_CELLS` cells together) come
    from one computation over the sentences in any of them (cells are scored one by one), each
    window's merged matrices then cut as :func:`dedup.align.matrices_against` cuts them (windows
    whose joint matrix would have over :data:`WINDOW_SPARE` times their own cells are scored apart)."""
    n, m = len(pa.texts), len(pb.texts)
    same = pa is pb
    if same:  # the earlier sentence first, as align_pair's allowed pairs have it
        anchors = np.sort(anchors, axis=1)
    boxes = windows(best_anchors(anchors, scores, n, m), n, m, WINDOW_MARGIN) if len(anchors) else []
    aligned_a: set[int] = set()
    aligned_b: set[int] = set()
    findings: list[Finding] = []
    lo = 0
    while lo < len(boxes):  # boxes in groups whose joint matrices stay under MATRIX_CELLS
        hi, rows, cols = lo + 1, boxes[lo][1] - boxes[lo][0], boxes[lo][3] - boxes[lo][2]
        area = rows * cols
        while hi < len(boxes):
            r, c = boxes[hi][1] - boxes[hi][0], boxes[hi][3] - boxes[hi][2]
            if (rows + r) * (cols + c) > min(MATRIX_CELLS, WINDOW_SPARE * (area + r * c)):
                break
            rows, cols, area = rows + r, cols + c, area + r * c
            hi += 1
        group = boxes[lo:hi]
        if len(group) == 1:
            ra, rb = np.arange(*group[0][:2]), np.arange(*group[0][2:])
        else:
            ra = _unique(np.concatenate([np.arange(a0, a1) for a0, a1, _, _ in group]))
            rb = _unique(np.concatenate([np.arange(b0, b1) for _, _, b0, b1 in group]))
        s11, s21, s12 = matrices_of_rows(pa.ready(), pb.ready(), ra, rb)  # floor 0: nothing cut yet
        sa, sb = pa.counts.size[ra], pb.counts.size[rb]
        # where each window's rows are in ra and rb (consecutive there)
        cut_a = ra.searchsorted([a for box in group for a in box[:2]]).tolist()
        cut_b = rb.searchsorted([b for box in group for b in box[2:]]).tolist()
        for w, (a0, a1, b0, b1) in enumerate(group):
            u0, u1, v0, v1 = cut_a[2 * w], cut_a[2 * w + 1], cut_b[2 * w], cut_b[2 * w + 1]
            matrices = cut_merged(s11[u0:u1, v0:v1], s21[u0:u1 - 1, v0:v1].copy(), s12[u0:u1, v0:v1 - 1].copy(),
                                  MIN_SCORE + MERGE_PENALTY)
            lengths = (sa[u0:u1].tolist(), sb[v0:v1].tolist())
            _, got_a, got_b, found = _aligned(pa.window(a0, a1), pb.window(b0, b1), quality, codes, matrices,
                                              lengths, b0 - a0 if same else None, covered)
            aligned_a.update(a0 + k for k in got_a)
            aligned_b.update(b0 + k for k in got_b)
            findings.extend(found)
        lo = hi
    return Aligned((len(aligned_a) + len(aligned_b)) / max(n + m, 1), findings, frozenset(aligned_a),
                   frozenset(aligned_b))


def best_anchors(anchors: np.ndarray, scores: np.ndarray, n: int, m: int) -> np.ndarray:
    """The anchors (rows ``(a, b)`` of an ``n x m`` score matrix) that are the best of both their
    sentences: highest score, then nearest in relative position (``|a / n - b / m|``), then first.
    A passage repeated in one document or both is then anchored copy to copy (in a document with
    itself: each copy to the one before), not every copy to every other.

    >>> best_anchors(np.array([[0, 10], [0, 20], [10, 20], [3, 4]]), np.array([1.0, 1.0, 1.0, 0.5]), 30, 30)
    array([[ 0, 10],
           [10, 20],
           [ 3,  4]])
    """
    if not len(anchors):
        return anchors
    a, b = anchors[:, 0], anchors[:, 1]
    if len(set(a.tolist())) == len(a) and len(set(b.tolist())) == len(b):
        return anchors  # no sentence in two anchors: each is the best of both its sentences
    distance = np.abs(a / max(n, 1) - b / max(m, 1))

    def best(side: np.ndarray, other: np.ndarray) -> np.ndarray:
        order = np.lexsort((other, distance, -scores, side))
        first = np.ones(len(order), dtype=bool)
        first[1:] = side[order][1:] != side[order][:-1]
        keep = np.zeros(len(side), dtype=bool)
        keep[order[first]] = True
        return keep

    return anchors[best(a, b) & best(b, a)]


def windows(anchors: np.ndarray, n: int, m: int, margin: int) -> list[tuple[int, int, int, int]]:
    """Boxes ``(a0, a1, b0, b1)`` of an ``n x m`` score matrix around the cells ``anchors`` (rows
    ``(a, b)``): each anchor's ``margin`` sentences on every side, boxes that overlap merged into
    the box around both until none overlap; sorted.

    >>> windows(np.array([[5, 5], [9, 8], [40, 2]]), 50, 50, 2)
    [(3, 12, 3, 11), (38, 43, 0, 5)]
    """
    boxes = sorted({(max(a - margin, 0), min(a + margin + 1, n), max(b - margin, 0), min(b + margin + 1, m))
                    for a, b in np.asarray(anchors).reshape(-1, 2).tolist()})
    merged = True
    while merged:  # a sweep in row order: each box against the kept boxes its first row is inside of
        merged = False
        out: list[tuple[int, int, int, int]] = []
        open_: list[int] = []  # kept boxes not yet ended at the current box's first row
        for box in boxes:
            open_ = [k for k in open_ if out[k][1] > box[0]]
            for k in open_:
                other = out[k]  # other[0] <= box[0] < other[1]: their rows overlap
                if box[2] < other[3] and other[2] < box[3]:
                    out[k] = (other[0], max(box[1], other[1]), min(box[2], other[2]), max(box[3], other[3]))
                    merged = True
                    break
            else:
                open_.append(len(out))
                out.append(box)
        boxes = sorted(out)
    return boxes


def _aligned(pa: _Doc, pb: _Doc, quality: Mapping[str, int], codes: frozenset[str],
             matrices: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
             lengths: tuple[list[int], list[int]] | None = None, shift: int | None = None,
             covered: Covered | None = None) -> tuple[int, set[int], set[int], list[Finding]]:
    """:func:`align_pair`'s work: the sentences aligned in accepted regions (each region's on both
    sides, counted region by region), those of each side, and the findings. ``lengths``: the
    sentences' bag sizes, if not from their counts; ``shift``: ``pa`` and ``pb`` are windows of
    one document, ``pb``'s first sentence ``shift`` sentences after ``pa``'s; ``covered``: of the
    marked side (the worse document), whose findings it holds are left out. The merged matrices of
    ``matrices`` are changed (zeroed across paragraphs)."""
    same = pa is pb or shift is not None
    shift = shift or 0
    allowed = (pa.paras[:, None] < pb.paras[None, :]) if same else None
    if matrices is None:
        matrices = matrices_against(pa.counts, pa.merged, [pb.counts], [pb.merged], MIN_SCORE + MERGE_PENALTY)[0]
    s11, s21, s12 = matrices
    # a merged bead joins two sentences of one paragraph: a heading never merges into its text
    # (the merged matrices are this call's own: zeroed in place)
    s21[pa.paras[:-1] != pa.paras[1:]] = 0.0
    s12[:, pb.paras[:-1] != pb.paras[1:]] = 0.0
    mats = s11, s21, s12
    if lengths is None:
        lengths = (pa.counts.size.tolist(), pb.counts.size.tolist())
    beads = align_sentences(pa.texts, pb.texts, min_score=MIN_SCORE, allowed=allowed, matrices=mats,
                            merge_penalty=MERGE_PENALTY, fill_unequal=False, lengths=lengths)
    beads = [b for b in beads if _exact(pa, pb, b) or min(_stems(pa, b.a), _stems(pb, b.b)) >= MIN_BEAD_STEMS]
    contained: tuple[list[Bead], set[Bead]] | None = None  # computed for the first paraphrase region

    def many_to_one() -> tuple[list[Bead], set[Bead]]:
        """The many-to-one pairs that refine paraphrase regions, and the beads they replace."""
        s11 = mats[0] if allowed is None else np.where(allowed, mats[0], 0.0)
        full = contained_pairs(beads, s11, *lengths, MIN_CONTAINMENT, CONTAINMENT_MARGIN)
        extras = [b for b in set(full) - set(beads) if min(_stems(pa, b.a), _stems(pb, b.b)) >= MIN_BEAD_STEMS]
        return extras, set(beads) - set(full)

    findings: list[Finding] = []
    aligned = 0
    aligned_a: set[int] = set()
    aligned_b: set[int] = set()
    for region in regions(beads):
        if same:
            region = _trim_self(region, shift)
            if not region:
                continue
        exact = all(_exact(pa, pb, b) for b in region)
        tokens = sum(pa.ntok[k] for b in region for k in range(*b.a))
        if not accept(region, exact, tokens):
            continue
        if not exact:  # many-to-one pairs never make an overlap on their own: they only refine one
            contained = contained or many_to_one()
            region = _with_contained(region, *contained, same, shift)
        in_a, in_b = {k for b in region for k in range(*b.a)}, {k for b in region for k in range(*b.b)}
        aligned += len(in_a) + len(in_b)
        aligned_a.update(in_a)
        aligned_b.update(in_b)
        mark_a = False if same else _worse(pa.doc, pb.doc, quality)
        findings.extend(_region_findings(pa, pb, region, mark_a, exact, codes, covered))
    return aligned, aligned_a, aligned_b, findings


#: What aligning a pair costs besides its score matrix, in cells of it (to share out the work).
ALIGN_PAIR_CELLS = 2_000
#: Windows whose joint score matrix would have more than this many times the cells of the windows
#: themselves are scored apart (:func:`align_windows`; on the package corpus of the sixth session
#: the joint matrices had 5 times the cells of their windows, and the alignment took 13.7-13.9 s
#: in one process, 12.4-12.8 s with this limit; the long digests the same).
WINDOW_SPARE = 3
#: Cells (sentences x sentences) of the score matrices :func:`align_windows` computes at once.
MATRIX_CELLS = 250_000
#: Two documents (or one with itself) whose score matrices would have more cells than this (256 x
#: 256: more sentences than any pair of BBC articles) are aligned in windows around their strongly
#: colliding sentences (:func:`align_windows`), WINDOW_MARGIN sentences on every side of each.
WINDOW_MIN_CELLS, WINDOW_MARGIN = 65_536, 10


def find_passages(docs: Sequence[Document], codes: frozenset[str], cfg: ScanConfig,
                  quality: Mapping[str, int], clustered: bool = False,
                  timings: dict[str, float] | None = None) -> tuple[list[Finding], list[Cluster]]:
    """Duplicate-passage findings (``DUP111``/``DUP112``), garbled spans by alignment (``MT350``),
    and ``variant`` clusters with ``DUP103`` findings. See the module docstring.

    ``clustered``: ``docs`` are what is left of a corpus after its near-duplicate clusters
    (:func:`dedup.cluster.find_duplicate_documents`) dropped their copies, so no two of them are
    near-duplicates that it found: pairs are checked again only for the same text (a pair that its
    LSH missed is reported as passages).

    ``timings`` gets the seconds of each step: ``index`` (segment, tokenise, hash), ``candidates``
    (sentence LSH, Dice of colliding pairs), ``align`` (choosing the first wave, and the sentence
    alignment of document pairs in both waves), ``exact`` (pairs linked only by identical
    sentences), ``variants`` (clusters)."""
    if not codes & PASSAGE_CODES:
        return [], []
    clock = _Clock(timings)
    index = index_sentences(docs, cfg.jobs)
    clock("index")
    cand = candidate_pairs(index, cfg.seed, cfg.jobs)
    clock("candidates")
    with kernels.enabled(_kernel_saving(index, cand.align) >= KERNEL_MIN_SAVING):
        found = _align_all(docs, codes, cfg, quality, clustered, index, cand, clock)
    clock("variants")
    return found


def _kernel_saving(index: SentenceIndex, pairs: Sequence[tuple[int, int]]) -> float:
    """The CPU-seconds the compiled kernels would save aligning ``pairs`` (see KERNEL_MIN_SAVING)."""
    if not pairs:
        return 0.0
    sizes = np.diff(index.first).astype(np.float64)
    p = np.asarray(pairs, dtype=np.int64)
    cells = np.minimum(sizes[p[:, 0]] * sizes[p[:, 1]], WINDOW_MIN_CELLS)  # about what windows cost at most
    return len(p) * KERNEL_PAIR_SAVING + float(cells.sum()) * KERNEL_CELL_SAVING


def _align_all(docs: Sequence[Document], codes: frozenset[str], cfg: ScanConfig, quality: Mapping[str, int],
               clustered: bool, index: SentenceIndex, cand: Candidates, clock: _Clock
               ) -> tuple[list[Finding], list[Cluster]]:
    """:func:`find_passages` after the candidates."""
    nd = len(docs)
    prepared: dict[int, _Doc] = {}  # per process: each fills its own copy
    shingles: dict[int, np.ndarray] = {}

    def near_duplicates(i: int, j: int) -> bool:
        """Whether two documents are the same text or near-duplicates (dedup.cluster's findings)."""
        if i == j:
            return False
        if docs[i].text == docs[j].text:
            return True
        if clustered:
            return False
        for k in (i, j):
            if k not in shingles:
                shingles[k] = index.shingles(k, cfg.ngram)
        return jaccard_at_least(shingles[i], shingles[j], cfg.threshold) is not None

    def near_pairs(pairs: np.ndarray) -> set[int]:
        """Those of the document pairs ``pairs`` (codes ``i * nd + j``) that are near-duplicates;
        the sizes of their shingle sets are compared first, all at once."""
        i, j = pairs // nd, pairs % nd
        if clustered:  # only the same text is left to find (exact clusters may not have run)
            size = np.asarray([len(d.text) for d in docs], dtype=np.float64)
        else:
            size = np.zeros(nd)
            for k in _unique(np.concatenate((i, j))).tolist():
                if k not in shingles:
                    shingles[k] = index.shingles(k, cfg.ngram)
                size[k] = len(shingles[k])
        lo, hi = np.minimum(size[i], size[j]), np.maximum(size[i], size[j])
        close = lo == hi if clustered else (lo == hi) | (lo / np.maximum(hi, 1) >= cfg.threshold)
        maybe = (i != j) & close
        return {c for c in pairs[maybe].tolist() if near_duplicates(*divmod(c, nd))}

    # every pair's strongly colliding sentences (its anchors), as sentence numbers within each document
    anchors: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
    if len(cand.anchors):
        a, b = cand.anchors[:, 0], cand.anchors[:, 1]
        code = index.doc_of[a] * nd + index.doc_of[b]
        order = sorting.argsort(code)
        local = np.stack((a - index.first[index.doc_of[a]], b - index.first[index.doc_of[b]]), axis=1)[order]
        scores = cand.anchor_scores[order]
        bounds = np.flatnonzero(np.diff(code[order])) + 1
        starts = np.concatenate(([0], bounds))
        for c, lo, hi in zip(code[order][starts].tolist(), starts.tolist(), [*bounds.tolist(), len(local)],
                             strict=True):
            anchors[divmod(c, nd)] = local[lo:hi], scores[lo:hi]
    sizes = np.diff(index.first)
    standing = {k: _standing(docs[k], quality) for k in {k for pair in cand.align for k in pair}}
    # Each pair is aligned by its worse side (the side marked), against its better partners best
    # first; what a document aligned in wave 1, by partner (not with one that clean drops whole)
    earlier: dict[int, list[tuple[int, frozenset[int]]]] = {}

    def sides(i: int, j: int) -> tuple[int, int]:
        """``(worse, better)`` of a pair ``i < j`` (``(i, i)`` within a document): the side marked,
        as :func:`_worse` decides it."""
        return (i, j) if i == j or standing[i] > standing[j] else (j, i)

    def verify(task: tuple[int, list[int]], final: bool
               ) -> list[tuple[int, int, float, list[Finding], frozenset, frozenset]]:
        """Align document ``o`` with its ``partners`` (itself first, then the better ones, best
        first; the wave-1 ones in their place, aligned already). A partner is aligned only around
        its new anchors on ``o``'s side (see the module docstring; in windows, see
        :func:`align_windows`), and not at all when it has none (all of them, whole, when the
        two may be variants: their share counts). When the results are ``final`` (wave 2: no
        partner left is absorbed), a partner's findings on ``o`` that lie entirely in sentences a
        better partner aligned are not made (what :func:`first_reports` leaves out)."""
        o, partners = task
        aligned = np.zeros(int(sizes[o]), dtype=bool)
        spans: list[list[int]] = []  # o's sentence starts and ends, when first needed
        lone_before = aligned.copy()  # lone anchors of a better partner
        todo = sorted([*((p, None) for p in partners), *earlier.get(o, ())], key=lambda x: (x[0] != o, standing[x[0]]))
        pairs = [(min(o, p), max(o, p)) for p, _ in todo]
        # which anchors of each partner are lone (_lone, all partners at once; only with better
        # partners to compare: one at most never asks)
        lones = [None] * len(todo)
        if sum(p != o for p, _ in todo) > 1:
            counts = [len(anchors[pair][0]) for pair in pairs]
            lones = np.split(_lone(np.concatenate([anchors[pair][0] for pair in pairs]),
                                   np.repeat(np.arange(len(pairs)), counts)), np.cumsum(counts)[:-1])
        out = []
        for (p, got), (i, j), lone in zip(todo, pairs, lones, strict=True):
            rows, scores = anchors[(i, j)]
            mine = rows[:, 0] if o == i else rows[:, 1]
            part = False
            if got is None and p != o and (i, j) not in cand.may_vary:
                # new: not aligned by a better partner, nor a lone anchor with one and here too
                # (two anchors close together may make a region where apart they made none)
                new = ~aligned[mine] if lone is None else ~aligned[mine] & ~(lone_before[mine] & lone)
                if not new.any():
                    continue
                part = not new.all()
                rows, scores = rows[new], scores[new]
            if got is None:
                if near_duplicates(i, j):
                    continue
                for k in (i, j):
                    if k not in prepared:
                        prepared[k] = prepare(index, k)
                skip = None
                if final and p != o and aligned.any():
                    spans = spans or index.spans[index.first[o]:index.first[o + 1]].T.tolist()
                    skip = Covered(*spans, aligned)
                if part or sizes[i] * sizes[j] > WINDOW_MIN_CELLS:
                    found = align_windows(prepared[i], prepared[j], rows, scores, quality, codes, skip)
                else:
                    found = align_pair(prepared[i], prepared[j], quality, codes, skip)
                out.append((i, j, found.share, found.findings, found.a, found.b))
                got = found.a if o == i else found.b
            if p != o:
                aligned[list(got)] = True
                if lone is not None:
                    lone_before[mine[lone]] = True
        return out

    def run(pairs: list[tuple[int, int]], final: bool
            ) -> list[tuple[int, int, float, list[Finding], frozenset, frozenset]]:
        """Align ``pairs`` document by document (see verify)."""
        partners: dict[int, list[int]] = {}
        for i, j in pairs:
            o, p = sides(i, j)
            partners.setdefault(o, []).append(p)
        tasks = sorted(partners.items())
        jobs = cfg.jobs if len(pairs) >= PARALLEL_MIN_PAIRS else 1
        # many tasks per process, the largest first: balanced under load
        cost = [sum(min(int(sizes[o] * sizes[p]), WINDOW_MIN_CELLS) + ALIGN_PAIR_CELLS for p in ps) for o, ps in tasks]
        order = sorted(range(len(tasks)), key=lambda k: -cost[k])
        tasks, cost = [tasks[k] for k in order], [cost[k] for k in order]
        chunks = [tasks[lo:hi] for lo, hi in size_runs(cost, -(-sum(cost) // (32 * jobs)))]
        return [r for part in fork_map(lambda chunk: [r for t in chunk for r in verify(t, final)], chunks, jobs)
                for r in part]

    def first_reports(found: list[tuple[int, int, float, list[Finding], frozenset, frozenset]], settled: int
                      ) -> list[tuple[int, int, float, list[Finding]]]:
        """The results without a document's findings that lie entirely in sentences a better
        partner aligned (partners in standing order), where that partner is not a variant that
        ``dedup clean`` drops whole (absorbed in wave 1: the passage would not be kept there).
        Results from ``settled`` on are left as they are (wave 2's: verify left those out), unless
        two partners of the document stand level (documents with the same id, through the API):
        verify then aligned the wave-2 one first, and only this order puts the wave-1 one first."""
        by_doc: dict[int, list[int]] = {}
        for k, (i, j, *_) in enumerate(found):
            if i != j:
                by_doc.setdefault(sides(i, j)[0], []).append(k)
        out = [r[:4] for r in found]
        for o, ks in by_doc.items():
            level = len({standing[sides(*found[k][:2])[1]] for k in ks}) < len(ks)
            if min(ks) >= settled and not level:
                continue
            aligned = np.zeros(int(sizes[o]), dtype=bool)
            spans = index.spans[index.first[o]:index.first[o + 1]].T.tolist()
            for k in sorted(ks, key=lambda k: standing[sides(*found[k][:2])[1]]):
                i, j, share, findings, got_a, got_b = found[k]
                if (k < settled or level) and aligned.any():
                    covered = Covered(*spans, aligned)
                    out[k] = (i, j, share, [f for f in findings if not covered.holds(f.start, f.end)])
                if not absorbed[sides(i, j)[1]]:
                    aligned[list(got_a if o == i else got_b)] = True
        return out

    # Two waves. A variant that aligns with its canonical member for ABSORB_SHARE of its sentences
    # is dropped whole by dedup clean and reported whole (DUP103): like a near-duplicate copy, it
    # is aligned with its canonical member only, whose own pairs carry the passages they share.
    # Wave 1 finds those variants: the stars (see variant_clusters) of the likely variants,
    # estimated from the colliding sentences, are aligned first and their variant clusters kept.
    # Wave 2 aligns the rest, except pairs with an absorbed variant.
    seeds = cand.identical
    seed_code = index.doc_of[seeds[:, 0]] * nd + index.doc_of[seeds[:, 1]]
    near = near_pairs(_unique(seed_code))
    guess = _stars(docs, {p: v for p, v in cand.likely.items() if not near_duplicates(*p)}, quality)
    first = sorted({(min(c, m), max(c, m)) for c, members in guess for m in members})
    to_align = set(cand.align)
    wave = run([p for p in first if p in to_align], False)
    clock("align")
    exact_first = [p for p in first if p not in to_align and p[0] * nd + p[1] not in near]
    shares = dict(exact_shares(index, seeds[_member(seed_code, _codes(exact_first, nd))]))
    clock("exact")
    shares.update({(i, j): share for i, j, share, *_ in wave})
    fixed = _stars(docs, {p: v for p, v in shares.items() if v >= VARIANT_SHARE}, quality)
    absorbed = np.zeros(nd, dtype=bool)
    absorbed[[m for c, members in fixed for m in members if shares[(min(c, m), max(c, m))] >= ABSORB_SHARE]] = True
    for i, j, _, _, got_a, got_b in wave:
        o, p = sides(i, j)
        if o != p and not absorbed[p]:  # a partner that dedup clean drops whole keeps nothing
            earlier.setdefault(o, []).append((p, got_a if o == i else got_b))
    done, settled = set(first), len(wave)
    wave += run([(i, j) for i, j in cand.align if (i, j) not in done and not absorbed[i] and not absorbed[j]], True)
    parts = [first_reports(wave, settled)]
    clock("align")
    near_codes = _unique(np.asarray(list(near), dtype=np.int64))
    keep = ~_member(seed_code, near_codes) & (_member(seed_code, _codes(first, nd))
                                              | ~(absorbed[index.doc_of[seeds[:, 0]]] | absorbed[index.doc_of[seeds[:, 1]]]))
    seeds = seeds[keep]
    parts.append(exact_regions(index, seeds, quality, codes))
    clock("exact")
    findings: list[Finding] = []
    variant_edges: list[tuple[int, int, float]] = []
    for part in parts:
        for i, j, share, found in part:
            findings.extend(found)
            if i != j and share >= VARIANT_SHARE:
                variant_edges.append((i, j, share))
    clusters: list[Cluster] = []
    if variant_edges:
        clusters, dfind = variant_clusters(docs, sorted(variant_edges), quality, codes, fixed)
        findings.extend(dfind)
    return findings, clusters


class _Clock:
    """Adds the seconds since the last call to ``timings[step]`` (nothing when ``timings`` is None)."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings, self.last = timings, time.perf_counter()

    def __call__(self, step: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[step] = self.timings.get(step, 0.0) + now - self.last
        self.last = now


def _lone(anchors: np.ndarray, group: np.ndarray | None = None, *, gap: int = MAX_GAP) -> np.ndarray:
    """Which anchors (rows ``(a, b)``) have no other anchor of their ``group`` (a number per anchor;
    default: one group) within ``gap`` sentences on both sides.

    >>> _lone(np.array([[0, 0], [2, 9], [3, 1], [20, 20]])).tolist()
    [False, True, False, True]
    >>> _lone(np.array([[0, 0], [2, 9], [3, 1], [20, 20]]), np.array([0, 0, 1, 1])).tolist()
    [True, True, True, True]
    """
    if not len(anchors):
        return np.zeros(0, dtype=bool)
    a, b = anchors[:, 0].astype(np.int64), anchors[:, 1].astype(np.int64)
    g = np.zeros(len(a), dtype=np.int64) if group is None else np.asarray(group, dtype=np.int64)
    # keys in (group, a, b) order, a and b shifted by gap so that +-gap around one never reaches another group
    # or row: the anchors near (a, b) on row a + d have keys key + d * row +- gap
    row = int(b.max()) + 2 * gap + 1
    key = (g * (int(a.max()) + 2 * gap + 1) + a + gap) * row + b + gap
    order = sorting.argsort(key)
    keys = key[order]
    count = np.zeros(len(a), dtype=np.int64)
    for d in range(-gap, gap + 1):  # sorted queries: searchsorted goes on from the last one
        lo = keys + d * row - gap
        count += np.searchsorted(keys, lo + 2 * gap, "right") - np.searchsorted(keys, lo, "left")
    out = np.empty(len(a), dtype=bool)
    out[order] = count < 2  # itself only
    return out


def _stars(docs: Sequence[Document], share: Mapping[tuple[int, int], float], quality: Mapping[str, int],
           fixed: Sequence[tuple[int, list[int]]] = ()) -> list[tuple[int, list[int]]]:
    """Stars ``(canonical, members)`` of the edges ``share`` (pairs ``i < j``), greedily in canonical
    order (see :func:`variant_clusters`). ``fixed`` stars are kept: their members belong to no
    other star, their canonical members claim no-one else's members but gain members of their own."""
    neighbours: dict[int, list[int]] = {}
    for i, j in share:
        neighbours.setdefault(i, []).append(j)
        neighbours.setdefault(j, []).append(i)
    star = {c: list(members) for c, members in fixed}
    taken = {k for c, members in fixed for k in (c, *members)}
    order = sorted(set(neighbours) | set(star), key=lambda k: canonical_key(docs[k].id, len(docs[k].text), quality))
    out = []
    for ci in order:
        if ci in taken and ci not in star:
            continue
        members = sorted({*star.get(ci, ()), *(k for k in neighbours.get(ci, ()) if k not in taken)})
        if not members:
            continue
        taken.update(members)
        taken.add(ci)
        out.append((ci, members))
    return out


def variant_clusters(docs: Sequence[Document], edges: Sequence[tuple[int, int, float]],
                     quality: Mapping[str, int], codes: frozenset[str],
                     fixed: Sequence[tuple[int, list[int]]] = ()) -> tuple[list[Cluster], list[Finding]]:
    """``variant`` clusters and ``DUP103`` findings: stars around canonical members, no chains.

    Documents are taken in canonical order (fewest problem characters, then longest, then smallest
    id); each one not yet in a cluster becomes the canonical member of the documents not yet in a
    cluster that align with it directly (an edge). So every member is a variant *of its canonical
    member* — two articles that each share half their sentences with a third are not made one
    cluster through it. ``fixed`` stars ``(canonical, members)`` (of some of the edges) are kept as
    they are, and grow by the documents no other star takes.
    """
    share: dict[tuple[int, int], float] = {(i, j): s for i, j, s in edges}
    clusters, findings = [], []
    for ci, members in _stars(docs, share, quality, fixed):
        canon = docs[ci]
        sims = {k: share[(min(k, ci), max(k, ci))] for k in members}
        ids = sorted([canon.id, *(docs[k].id for k in members)])
        clusters.append(Cluster(stable_id("C", "variant", *ids), "variant", canon.id, ids, min(sims.values())))
        if "DUP103" not in codes:
            continue
        for k in members:
            d = docs[k]
            findings.append(make_finding(
                "DUP103", d.id, d.text, 0, len(d.text),
                f"translation or rewrite of {canon.id} ({sims[k]:.0%} of sentences align)", sims[k],
                Related(canon.id, 0, len(canon.text))))
    return clusters, findings


__all__ = ["PASSAGE_CODES", "SentenceIndex", "accept", "align_pair", "candidate_pairs", "exact_shares", "find_passages",
           "garbled_spans", "index_sentences", "looks_garbled", "prepare", "regions", "sentence_pairs",
           "sentence_signatures", "set_dice", "variant_clusters"]
