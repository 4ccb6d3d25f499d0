"""Monotone sentence alignment and token-level diff.

Sentence alignment (in the spirit of Gale–Church, hunalign and Vecalign): each sentence becomes a
bag of weighted content-word stems; :func:`score_matrices` scores every pair of sentences (and
every pair with two adjacent sentences merged) with :func:`rapidfuzz.process.cdist`; a dynamic
programme (:func:`align_sentences`) picks the monotone chain of 1–1, 2–1 and 1–2 *beads* (and
skipped sentences) with the largest total gain ``score - min_score``; later passes pair sentences
left over by a local reordering (:func:`recover_swaps`), fill the gaps between aligned neighbours
(:func:`fill_gaps`), attach unaligned neighbours that one side merged (:func:`attach_contained`)
and, for the passage stage, add many-to-one pairs by containment (:func:`contained_pairs`).

The similarity is a weighted Dice coefficient: with each stem repeated by its weight (1–4, rarer
stems weigh more) and the bag sorted, rapidfuzz's ``Indel.normalized_similarity`` of two bags is
exactly ``2 |A ∩ B| / (|A| + |B|)`` on multisets, because the longest common subsequence of two
sorted sequences is their multiset intersection.

Token diff (:func:`unsupported_spans`): the spans of a text that a reference does not support,
from rapidfuzz ``Levenshtein.opcodes`` over word tokens, with TER-style block shifts so that a
moved phrase is not counted as an error.

>>> a = ["The cat sat on the mat.", "It was happy."]
>>> b = ["A cat was sitting on a mat.", "Dogs bark loudly at night.", "The cat was happy."]
>>> [(x.a, x.b) for x in align_sentences(a, b)]
[((0, 1), (0, 1)), ((1, 2), (2, 3))]
>>> t = "the North. Korea turned out fake"
>>> [t[s:e] for s, e in unsupported_spans(t, "North Korea turned out to be fake")]
['the North.']
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Indel, Levenshtein

from . import kernels
from .text.normalize import tokens as _word_tokens

#: English function words ignored when comparing sentences by content.
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it its
    itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them themselves
    then there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours yourself yourselves s t d ll m re ve
    said says say mr mrs ms one two new also""".split()
)

#: Stems are the first letters of a word (crude, but language-agnostic and fast).
STEM = 5


def content_words(text: str, all_words: bool = False) -> list[str]:
    """Stems of the content words of ``text``: normalised tokens, stopwords dropped, truncated.

    >>> content_words("The sanctions were imposed on North Korea's satellites.")
    ['sanct', 'impos', 'north', 'korea', 'satel']
    """
    return [w[:STEM] for w in _word_tokens(text) if all_words or w not in STOPWORDS]


@dataclass(frozen=True, slots=True)
class Bead:
    """Sentences ``a[a0:a1]`` align with ``b[b0:b1]`` (each side one or two sentences)."""

    a: tuple[int, int]
    b: tuple[int, int]
    score: float


def stem_weight(n: int, df: int) -> int:
    """Weight of a stem found in ``df`` of ``n`` sentences: ``1 + round(log2(n / df) / 2)`` in
    ``[1, 4]``; names and rare words count more than words the whole text repeats.

    >>> stem_weight(100, 1), stem_weight(100, 10), stem_weight(100, 60)
    (4, 3, 1)
    """
    if n <= 2:
        return 1
    return min(4, max(1, 1 + round(math.log2(n / df) / 2)))


class Bags:
    """Weighted, sorted bags of stem ids (one shared vocabulary) for lists of sentences.

    ``Bags([a, b])`` weighs stems by their sentence frequency over all the lists; :meth:`single`
    and :meth:`merged` give the bags of each sentence and of each two adjacent sentences.
    """

    def __init__(self, lists: Sequence[Sequence[str]], all_words: bool = False) -> None:
        vocab: dict[str, int] = {}
        df: dict[int, int] = {}
        self.ids: list[list[list[int]]] = []
        total = 0
        for texts in lists:
            rows = []
            for t in texts:
                row = [vocab.setdefault(w, len(vocab)) for w in content_words(t, all_words)]
                rows.append(row)
                for w in set(row):
                    df[w] = df.get(w, 0) + 1
            total += len(texts)
            self.ids.append(rows)
        self.weight = {w: stem_weight(total, d) for w, d in df.items()}

    def bag(self, ids: Sequence[int]) -> list[int]:
        return sorted(w for w in ids for _ in range(self.weight[w]))

    def single(self, k: int) -> list[list[int]]:
        return [self.bag(r) for r in self.ids[k]]

    def merged(self, k: int) -> list[list[int]]:
        rows = self.ids[k]
        return [self.bag(rows[i] + rows[i + 1]) for i in range(len(rows) - 1)]


def _cdist(x: list[list[int]], y: list[list[int]]) -> np.ndarray:
    if not x or not y:
        return np.zeros((len(x), len(y)), dtype=np.float32)
    m = process.cdist(x, y, scorer=Indel.normalized_similarity, dtype=np.float32)
    # empty bags are not similar to anything (rapidfuzz says two empty sequences are identical)
    ex = np.array([len(r) == 0 for r in x])
    ey = np.array([len(r) == 0 for r in y])
    m[ex, :] = 0.0
    m[:, ey] = 0.0
    return m


def matrices_from_bags(a1: list[list[int]], a2: list[list[int]], b1: list[list[int]],
                       b2: list[list[int]], floor: float = 0.0
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Score matrices from single (``a1``, ``b1``) and merged (``a2``, ``b2``) sentence bags.

    Merged scores below ``floor`` may come back as 0: a merged bag scores at most twice the better
    of its two halves (``|(A1 + A2) ∩ B| <= |A1 ∩ B| + |A2 ∩ B|``), so merged rows and columns are
    scored only where some single pair reaches ``floor / 2`` (exact, and most pairs of unrelated
    texts skip nearly all merged scoring).
    """
    s11 = _cdist(a1, b1)
    hot = s11 >= floor / 2
    return s11, _cdist_where(a2, b1, hot[:-1] | hot[1:]), _cdist_where(a1, b2, hot[:, :-1] | hot[:, 1:])


def _cdist_where(x: list[list[int]], y: list[list[int]], need: np.ndarray) -> np.ndarray:
    """:func:`_cdist` on the rows and columns where ``need`` holds anything; zero elsewhere."""
    rows, cols = np.flatnonzero(need.any(axis=1)), np.flatnonzero(need.any(axis=0))
    if len(rows) == len(x) and len(cols) == len(y):
        return _cdist(x, y)
    out = np.zeros((len(x), len(y)), dtype=np.float32)
    if len(rows) and len(cols):
        out[np.ix_(rows, cols)] = _cdist([x[i] for i in rows.tolist()], [y[j] for j in cols.tolist()])
    return out


@dataclass(frozen=True, slots=True)
class StemCounts:
    """Weighted bags of sentences (rows) as stem counts: ``(stem, row, count, weight)`` entries
    sorted by stem (then row), and the weighted bag size of each row."""

    stem: np.ndarray
    row: np.ndarray
    count: np.ndarray
    weight: np.ndarray
    size: np.ndarray

    @classmethod
    def from_matrix(cls, counts: np.ndarray, stems: np.ndarray, weight: np.ndarray) -> StemCounts:
        """From a ``rows x stems`` count matrix, the stems' ids (sorted) and weights."""
        col, row = np.nonzero(counts.T)
        return cls(stems[col], row, counts[row, col], weight[col], counts @ weight)

    @classmethod
    def from_occurrences(cls, stem: np.ndarray, row: np.ndarray, rows: int, weight: np.ndarray) -> StemCounts:
        """From stem occurrences (stem ids ``stem`` in rows ``row``, repeats counted) and the weight
        of every stem id: the same as :meth:`from_matrix` without a dense matrix.

        >>> a = StemCounts.from_occurrences(np.array([7, 3, 7, 7]), np.array([0, 0, 0, 2]), 3, np.arange(10))
        >>> b = StemCounts.from_matrix(np.array([[1, 2], [0, 0], [0, 1]]), np.array([3, 7]), np.array([3, 7]))
        >>> all(np.array_equal(getattr(a, f), getattr(b, f)) for f in StemCounts.__slots__)
        True
        """
        key = np.sort(stem * max(rows, 1) + row)
        starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1]))) if len(key) else key
        count = np.diff(np.append(starts, len(key)))
        s, r = np.divmod(key[starts], max(rows, 1))
        w = weight[s]
        return cls(s, r, count, w, np.bincount(r, weights=w * count, minlength=rows).astype(np.int64))

    def by_row(self) -> tuple[np.ndarray, np.ndarray]:
        """The entries in row order, and where each row starts among them (for :meth:`select`)."""
        order = np.argsort(self.row, kind="stable")
        return order, np.searchsorted(self.row[order], np.arange(len(self.size) + 1))

    def in_rows(self, by_row: tuple[np.ndarray, np.ndarray] | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The entries' ``stem, count, weight`` in row order, and where each row starts among them
        (row ``r``: ``start[r]:start[r + 1]``), as :func:`dedup._jit.dice_rows` takes them.
        ``by_row``: :meth:`by_row`, if kept."""
        order, start = self.by_row() if by_row is None else by_row
        return self.stem[order], self.count[order], self.weight[order], start

    def select(self, rows: np.ndarray, by_row: tuple[np.ndarray, np.ndarray] | None = None) -> StemCounts:
        """The rows ``rows`` (increasing; -1: an empty row) numbered 0, 1 ...: what
        :meth:`from_occurrences` makes of their occurrences. ``by_row``: :meth:`by_row`, if kept.

        >>> a = StemCounts.from_occurrences(np.array([7, 3, 7, 5]), np.array([0, 1, 1, 2]), 3, np.arange(10))
        >>> b = StemCounts.from_occurrences(np.array([3, 7, 5]), np.array([0, 0, 2]), 3, np.arange(10))
        >>> all(np.array_equal(getattr(a.select(np.array([1, -1, 2]), k), f), getattr(b, f))
        ...     for f in StemCounts.__slots__ for k in (None, a.by_row()))
        True
        """
        order, starts = self.by_row() if by_row is None else by_row
        real = rows[rows >= 0]
        lens = starts[real + 1] - starts[real]
        at = np.repeat(starts[real] - np.cumsum(lens) + lens, lens) + np.arange(int(lens.sum()))
        keep = np.sort(order[at])  # in the entries' order: by stem, then row
        renumber = np.zeros(len(self.size), dtype=np.int64)
        renumber[real] = np.flatnonzero(rows >= 0)
        size = np.where(rows >= 0, self.size[np.maximum(rows, 0)], 0) if len(self.size) else np.zeros(len(rows), dtype=np.int64)
        return StemCounts(self.stem[keep], renumber[self.row[keep]], self.count[keep], self.weight[keep], size)


def dice_counts(a: StemCounts, b: StemCounts) -> np.ndarray:
    """:func:`_cdist` of the bags of ``a`` and ``b`` from their counts: the multiset intersection
    ``sum_v w_v * min(a_iv, b_jv)`` summed over the entries the two share a stem in (a join on the
    sorted stems), so the cost follows the overlap, not the sizes. Equals rapidfuzz's
    ``Indel.normalized_similarity`` of the sorted bags bit for bit.

    >>> x = StemCounts.from_matrix(np.array([[2, 1], [0, 1]]), np.array([0, 1]), np.array([2, 1]))
    >>> y = StemCounts.from_matrix(np.array([[1, 1]]), np.array([0, 1]), np.array([2, 1]))
    >>> bags = ([0, 0, 0, 0, 1], [1]), ([0, 0, 1],)  # each stem repeated by its weight
    >>> bool((dice_counts(x, y) == _cdist(*bags)).all())
    True
    """
    n, m = len(a.size), len(b.size)
    lo = np.searchsorted(b.stem, a.stem, "left")
    k = np.searchsorted(b.stem, a.stem, "right") - lo
    ia = np.repeat(np.arange(len(a.stem)), k)
    ib = np.repeat(lo - (np.cumsum(k) - k), k) + np.arange(len(ia))
    shared = a.weight[ia] * np.minimum(a.count[ia], b.count[ib])  # small integers: float sums exact
    inter = np.bincount(a.row[ia] * m + b.row[ib], weights=shared, minlength=n * m).reshape(n, m)
    tot = (a.size[:, None] + b.size[None, :]).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        sim = (1.0 - (tot - 2 * inter) / tot).astype(np.float32)
    sim[a.size == 0, :] = 0.0
    sim[:, b.size == 0] = 0.0
    return sim


def _keep_needed(m: np.ndarray, need: np.ndarray) -> np.ndarray:
    """Zero outside the rows and columns where ``need`` holds anything (as :func:`_cdist_where`)."""
    m[~need.any(axis=1), :] = 0.0
    m[:, ~need.any(axis=0)] = 0.0
    return m


def cut_merged(s11: np.ndarray, s21: np.ndarray, s12: np.ndarray, floor: float
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The merged matrices ``s21`` and ``s12`` zeroed (in place) outside the rows and columns next
    to a cell of ``s11`` of at least ``floor / 2``, as :func:`matrices_from_bags` scores them
    (by the kernel when on, for float32 matrices)."""
    if kernels.K is not None and s11.dtype == s21.dtype == s12.dtype == np.float32:
        kernels.K.keep_needed(np.ascontiguousarray(s11), s21, s12, np.array([0, s11.shape[1]]),
                              np.array([0, s12.shape[1]]), np.float32(floor / 2))
        return s11, s21, s12
    hot = s11 >= floor / 2
    return s11, _keep_needed(s21, hot[:-1] | hot[1:]), _keep_needed(s12, hot[:, :-1] | hot[:, 1:])


def matrices_from_counts(a1: StemCounts, a2: StemCounts, b1: StemCounts, b2: StemCounts, floor: float = 0.0
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`matrices_from_bags` from stem counts (:func:`dice_counts`) of single (``a1``, ``b1``)
    and merged (``a2``, ``b2``: each two adjacent sentences) sentences: the same matrices."""
    return cut_merged(dice_counts(a1, b1), dice_counts(a2, b1), dice_counts(a1, b2), floor)


def stacked(counts: Sequence[StemCounts]) -> StemCounts:
    """Several :class:`StemCounts` one after the other as one, their rows numbered on (entries not
    sorted by stem again: it goes first in :func:`dice_counts`, which gives the same matrix
    transposed, see :func:`matrices_against`)."""
    if not counts:
        return StemCounts(*(np.empty(0, dtype=np.int64) for _ in range(5)))
    if len(counts) == 1:  # the same arrays (nothing writes to them)
        return counts[0]
    offset = np.cumsum([0] + [len(c.size) for c in counts[:-1]])
    return StemCounts(np.concatenate([c.stem for c in counts]),
                      np.concatenate([c.row + o for c, o in zip(counts, offset, strict=True)]),
                      np.concatenate([c.count for c in counts]), np.concatenate([c.weight for c in counts]),
                      np.concatenate([c.size for c in counts]))


def matrices_against(a1: StemCounts, a2: StemCounts, b1: Sequence[StemCounts], b2: Sequence[StemCounts],
                     floor: float = 0.0) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``[matrices_from_counts(a1, a2, b1[k], b2[k], floor) for k ...]``: one document against
    several, each :func:`dice_counts` computed once against all of them (:func:`stacked`) and cut
    into blocks; the same matrices."""
    if not b1:
        return []
    # dice_counts(y, x).T is dice_counts(x, y) (the same sums and divisions): the stacked side
    # goes first, so it needs no sort by stem
    one, two = stacked(b1), stacked(b2)
    # partner k: columns starts1[k]:starts1[k + 1] of s11 and s21, starts2[k]:starts2[k + 1] of s12
    starts1 = np.cumsum([0] + [len(c.size) for c in b1])
    starts2 = np.cumsum([0] + [len(c.size) for c in b2])
    if kernels.K is not None:
        s11, s21, s12 = kernels.K.dice3(a1.stem, a1.row, a1.count, a1.size, a2.stem, a2.row, a2.count, a2.size,
                                        one.stem, one.row, one.count, one.weight, one.size,
                                        two.stem, two.row, two.count, two.weight, two.size,
                                        kernels.scratch(max(len(a1.size) * len(one.size), len(a2.size) * len(one.size),
                                                            len(a1.size) * len(two.size))),
                                        starts1, starts2, np.float32(floor / 2))
    else:
        s11, s21, s12 = (dice_counts(y, x).T for x, y in ((a1, one), (a2, one), (a1, two)))
    out = []
    for (lo1, hi1), (lo2, hi2) in zip(itertools.pairwise(starts1.tolist()), itertools.pairwise(starts2.tolist()),
                                      strict=True):
        m11, m21, m12 = s11[:, lo1:hi1], s21[:, lo1:hi1], s12[:, lo2:hi2]
        # (the kernel cut the merged matrices already)
        out.append((m11, m21, m12) if kernels.K is not None else cut_merged(m11, m21, m12, floor))
    return out


class Rows(NamedTuple):
    """The stem counts of a document's sentences and of each sentence with the next (``merged``),
    kept ready for :func:`matrices_of_rows`."""

    counts: StemCounts
    merged: StemCounts
    by_row: tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]  # StemCounts.by_row of both
    in_rows: tuple[tuple, tuple]  # StemCounts.in_rows of both

    @classmethod
    def of(cls, counts: StemCounts, merged: StemCounts) -> Rows:
        by_row = counts.by_row(), merged.by_row()
        return cls(counts, merged, by_row, (counts.in_rows(by_row[0]), merged.in_rows(by_row[1])))


def matrices_of_rows(a: Rows, b: Rows, ra: np.ndarray, rb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`matrices_from_counts` (floor 0: nothing cut) of sentences ``ra`` (increasing) of
    ``a`` against sentences ``rb`` of ``b``, a merged row being a sentence with the next one of
    the rows (empty where that is not the next sentence): what :meth:`StemCounts.select` of both
    gives, which the kernel (:func:`dedup._jit.dice_rows`) scores without selecting.

    >>> a = StemCounts.from_occurrences(np.array([1, 2, 2, 3]), np.array([0, 1, 2, 2]), 3, np.ones(4, int))
    >>> m = StemCounts.from_occurrences(np.array([1, 2, 2, 2, 3]), np.array([0, 0, 1, 1, 1]), 2, np.ones(4, int))
    >>> s11, s21, s12 = matrices_of_rows(Rows.of(a, m), Rows.of(a, m), np.array([0, 2]), np.array([1, 2]))
    >>> s11.astype(float).round(3).tolist(), s21.shape, s12.astype(float).round(3).tolist()
    ([[0.0, 0.0], [0.667, 1.0]], (1, 2), [[0.0], [0.8]])
    """
    pa = np.where(ra[1:] == ra[:-1] + 1, ra[:-1], -1)
    pb = np.where(rb[1:] == rb[:-1] + 1, rb[:-1], -1)
    if kernels.K is None:
        ca, ma = a.counts.select(ra, a.by_row[0]), a.merged.select(pa, a.by_row[1])
        cb, mb = b.counts.select(rb, b.by_row[0]), b.merged.select(pb, b.by_row[1])
        return matrices_from_counts(ca, ma, cb, mb)
    (x1s, x1c, _, x1start), (x2s, x2c, _, x2start) = a.in_rows
    (y1s, y1c, y1w, y1start), (y2s, y2c, y2w, y2start) = b.in_rows
    return kernels.K.dice_rows3(x1s, x1c, x1start, a.counts.size, x2s, x2c, x2start, a.merged.size, ra, pa,
                                y1s, y1c, y1w, y1start, b.counts.size, y2s, y2c, y2w, y2start, b.merged.size, rb, pb,
                                kernels.scratch(len(ra) * len(rb)))


def score_matrices(a: Sequence[str], b: Sequence[str], all_words: bool = False
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``S11[i, j]`` = sim(a_i, b_j); ``S21[i, j]`` = sim(a_i + a_i+1, b_j); ``S12[i, j]`` =
    sim(a_i, b_j + b_j+1), all weighted Dice over content stems in [0, 1] (over every word's stem
    with ``all_words``: for two versions in one language, such as an MT and its post-edit)."""
    bags = Bags([a, b], all_words)
    return matrices_from_bags(bags.single(0), bags.merged(0), bags.single(1), bags.merged(1))


def align_sentences(a: Sequence[str], b: Sequence[str], *, min_score: float = 0.3,
                    merge_penalty: float = 0.0, allowed: np.ndarray | None = None,
                    swaps: bool = True, matrices=None, all_words: bool = False,
                    fill_score: float | None = 0.15, fill_unequal: bool = True, lengths=None,
                    min_containment: float | None = 0.6) -> list[Bead]:
    """The monotone alignment of sentence lists ``a`` and ``b`` with the largest total gain.

    A bead is allowed when its score is at least ``min_score``; it gains ``score - min_score``
    (2–1 and 1–2 beads also pay ``merge_penalty``); a skipped sentence gains nothing. With no
    penalty a merged bead wins as soon as it scores at least as well as the 1–1 bead inside it:
    the Dice score already charges it for every stem its extra sentence does not share, while
    the 1–1 bead leaves that sentence unaligned. ``allowed`` (a boolean ``len(a) x len(b)``
    matrix) forbids pairs, e.g. a sentence with itself when aligning a document with itself.
    With ``swaps``, sentences that a local reordering kept out of the chain are paired first
    (:func:`recover_swaps`); gaps between beads are then filled by :func:`fill_gaps` (when
    ``fill_score`` is set; only equal gaps with ``fill_unequal=False``; with ``all_words`` the
    character lengths guide it, :func:`length_prior`) — in this order, so that a weak pair in a
    gap never takes a sentence whose strong partner sits one place away — and, given the bag
    sizes ``lengths`` (computed here when ``matrices`` is not given), unaligned neighbours that a
    bead's other side contains join it (:func:`attach_contained`, ``min_containment``).
    """
    n, m = len(a), len(b)
    if n == 0 or m == 0:
        return []
    if matrices is None:
        bags = Bags([a, b], all_words)
        s1a, s1b = bags.single(0), bags.single(1)
        matrices = matrices_from_bags(s1a, bags.merged(0), s1b, bags.merged(1))
        lengths = ([len(x) for x in s1a], [len(x) for x in s1b])
    s11, s21, s12 = matrices
    if allowed is not None:
        s11 = np.where(allowed, s11, 0.0)
        s21 = np.where(allowed[:-1] & allowed[1:], s21, 0.0)
        s12 = np.where(allowed[:, :-1] & allowed[:, 1:], s12, 0.0)
    if (kernels.K is not None and swaps and fill_score is not None and not fill_unequal and not all_words
            and lengths is not None and min_containment is not None
            and s11.dtype == s21.dtype == s12.dtype):  # the passage stage's alignment, compiled
        c = np.ascontiguousarray
        rows, scores = kernels.K.align(c(s11), c(s21), c(s12), np.asarray(lengths[0], dtype=np.float64),
                                       np.asarray(lengths[1], dtype=np.float64), float(min_score),
                                       float(merge_penalty), float(fill_score), float(min_containment), ATTACH_SLACK,
                                       float(SWAP_WINDOW), s11.dtype.type(min_score + SWAP_MARGIN))
        return [Bead((a0, a1), (b0, b1), sc) for (a0, a1, b0, b1), sc in zip(rows.tolist(), scores.tolist(), strict=True)]
    beads = _best_chain((s11 - min_score).astype(np.float64),
                        (s21 - min_score - merge_penalty).astype(np.float64),
                        (s12 - min_score - merge_penalty).astype(np.float64))
    beads = [Bead(x, y, float((s11 if x[1] - x[0] == y[1] - y[0] else s21 if x[1] - x[0] == 2 else s12)
                              [x[0], y[0]])) for x, y in beads]
    if swaps:
        beads = recover_swaps(beads, s11, n, m, min_score)
    if fill_score is not None:
        prior = length_prior(a, b) if all_words else None
        beads = fill_gaps(beads, s11, n, m, fill_score, s21=s21, s12=s12, merge_penalty=merge_penalty,
                          unequal=fill_unequal, prior=prior)
    if lengths is not None and min_containment is not None:
        chars = ([len(x) for x in a], [len(x) for x in b]) if all_words else None
        beads = attach_contained(beads, s11, s21, s12, *lengths, min_containment=min_containment, chars=chars)
    return beads


#: Weight and floor of the length prior in gaps (two versions in one language): a pair gains
#: ``LENGTH_WEIGHT * (ratio - LENGTH_FLOOR)`` where ratio is the shorter over the longer length.
LENGTH_WEIGHT, LENGTH_FLOOR = 0.3, 0.6


def length_prior(a: Sequence[str], b: Sequence[str]) -> np.ndarray:
    """Gale–Church's signal for two renderings in one language: ``LENGTH_WEIGHT * (r - LENGTH_FLOOR)``
    with ``r`` the ratio of the shorter to the longer character length of each pair.

    >>> length_prior(["abcd", "ab"], ["abcd"]).round(2).tolist()
    [[0.12], [-0.03]]
    """
    ca = np.array([len(x) for x in a], dtype=np.float64)[:, None]
    cb = np.array([len(x) for x in b], dtype=np.float64)[None, :]
    return LENGTH_WEIGHT * (np.minimum(ca, cb) / np.maximum(np.maximum(ca, cb), 1.0) - LENGTH_FLOOR)


def _best_chain(g11: np.ndarray, g21: np.ndarray, g12: np.ndarray
                ) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The dynamic programme of :func:`align_sentences` over gain matrices (a bead is allowed
    where its gain is positive): ``D[i, j]``, the best total gain of ``a[:i]`` against ``b[:j]``,
    is the running maximum along row ``i`` of the best of skipping ``a[i-1]`` or ending a bead at
    ``(i, j)``, so each row is a few numpy operations; rows where no bead ends are copied. The
    traceback prefers skipping ``a``, then skipping ``b``, then a 1–1, 2–1, 1–2 bead.

    >>> g = np.array([[0.5, -0.3], [-0.3, 0.4]])
    >>> _best_chain(g, np.full((1, 2), -1.0), np.full((2, 1), -1.0))
    [((0, 1), (0, 1)), ((1, 2), (1, 2))]
    """
    n, m = g11.shape
    ninf = -np.inf
    G11 = np.where(g11 > 0.0, g11, ninf)
    G21 = np.where(g21 > 0.0, g21, ninf)
    G12 = np.where(g12 > 0.0, g12, ninf)
    live = (G11 > ninf).any(axis=1)
    live[1:] |= (G21 > ninf).any(axis=1)
    live |= (G12 > ninf).any(axis=1)
    D = np.zeros((n + 1, m + 1))
    for i in range(1, n + 1):
        if not live[i - 1]:
            D[i] = D[i - 1]
            continue
        e = D[i - 1].copy()
        np.maximum(e[1:], D[i - 1, :-1] + G11[i - 1], out=e[1:])
        if i >= 2:
            np.maximum(e[1:], D[i - 2, :-1] + G21[i - 2], out=e[1:])
        if m >= 2:
            np.maximum(e[2:], D[i - 1, :-2] + G12[i - 1], out=e[2:])
        np.maximum.accumulate(e, out=D[i])
    out = []
    i, j = n, m
    while i > 0 and j > 0:
        d = D[i, j]
        if d == D[i - 1, j]:
            i -= 1
        elif d == D[i, j - 1]:
            j -= 1
        elif G11[i - 1, j - 1] > 0.0 and d == D[i - 1, j - 1] + G11[i - 1, j - 1]:
            out.append(((i - 1, i), (j - 1, j)))
            i, j = i - 1, j - 1
        elif i >= 2 and G21[i - 2, j - 1] > 0.0 and d == D[i - 2, j - 1] + G21[i - 2, j - 1]:
            out.append(((i - 2, i), (j - 1, j)))
            i, j = i - 2, j - 1
        else:
            out.append(((i - 1, i), (j - 2, j)))
            i, j = i - 1, j - 2
    out.reverse()
    return out


#: How much lower than the 1-1 bead's a merged bead may score when :func:`attach_contained` joins
#: a contained neighbour.
ATTACH_SLACK = 0.05


def _ratio(x: float, y: float) -> float:
    return min(x, y) / max(x, y) if max(x, y) > 0 else 1.0


def attach_contained(beads: list[Bead], s11: np.ndarray, s21: np.ndarray, s12: np.ndarray,
                     la: Sequence[int], lb: Sequence[int], min_containment: float = 0.6,
                     slack: float = ATTACH_SLACK, chars: tuple[Sequence[int], Sequence[int]] | None = None,
                     length_fit: float = 0.85, length_gain: float = 0.2, length_slack: float = 0.2
                     ) -> list[Bead]:
    """Turn 1–1 beads into 2–1 or 1–2 beads when an unaligned neighbour sentence belongs to the
    other side too (a sentence that the other rendering merged into one).

    ``la``/``lb`` are the bag sizes, so the shared weight of ``a_i`` and ``b_j`` is
    ``s11[i, j] * (la[i] + lb[j]) / 2`` and the containment of ``b_j`` in ``a_i`` is that over
    ``lb[j]``. A neighbour joins when no other unaligned sentence scores higher with it and either
    its containment is at least ``min_containment`` with the merged score within ``slack`` of the
    bead's, or — given character lengths ``chars`` of two texts in one language (Gale–Church's
    signal) — the merged lengths fit (ratio >= ``length_fit``, better by ``length_gain``) with the
    merged score within ``length_slack``.

    >>> s11 = np.array([[0.8, 0.5]]); s12 = np.array([[0.85]])
    >>> [(b.a, b.b) for b in attach_contained([Bead((0, 1), (0, 1), 0.8)], s11, np.zeros((0, 2)), s12, [20], [12, 6])]
    [((0, 1), (0, 2))]
    """
    n, m = s11.shape
    used_a = np.zeros(n, dtype=bool)
    used_b = np.zeros(m, dtype=bool)
    for x in beads:
        used_a[x.a[0]:x.a[1]] = True
        used_b[x.b[0]:x.b[1]] = True
    la, lb = np.asarray(la, dtype=np.float64), np.asarray(lb, dtype=np.float64)
    ca, cb = chars if chars is not None else (None, None)

    def fits(cont: float, score: float, bead: Bead, one: float, two: float, three: float) -> bool:
        if cont >= min_containment and score >= bead.score - slack:
            return True
        return (chars is not None and score >= bead.score - length_slack
                and _ratio(one, two + three) >= max(length_fit, _ratio(one, two) + length_gain))

    out = []
    for bead in beads:
        (i, i1), (j, j1) = bead.a, bead.b
        if i1 - i != 1 or j1 - j != 1:
            out.append(bead)
            continue
        best = None
        for t in (j - 1, j + 1):  # a neighbour on the b side: a 1-2 bead
            if 0 <= t < m and not used_b[t] and lb[t] > 0 and s11[i, t] >= s11[~used_a, t].max(initial=0.0):
                cont = s11[i, t] * (la[i] + lb[t]) / 2 / lb[t]
                score = float(s12[i, min(j, t)])
                if (fits(cont, score, bead, *((ca[i], cb[j], cb[t]) if chars else (0, 0, 0)))
                        and (best is None or cont > best[0])):
                    best = (cont, Bead((i, i1), (min(j, t), max(j, t) + 1), score), "b", t)
        for t in (i - 1, i + 1):  # a neighbour on the a side: a 2-1 bead
            if 0 <= t < n and not used_a[t] and la[t] > 0 and s11[t, j] >= s11[t, ~used_b].max(initial=0.0):
                cont = s11[t, j] * (la[t] + lb[j]) / 2 / la[t]
                score = float(s21[min(i, t), j])
                if (fits(cont, score, bead, *((cb[j], ca[i], ca[t]) if chars else (0, 0, 0)))
                        and (best is None or cont > best[0])):
                    best = (cont, Bead((min(i, t), max(i, t) + 1), (j, j1), score), "a", t)
        if best is None:
            out.append(bead)
            continue
        out.append(best[1])
        (used_b if best[2] == "b" else used_a)[best[3]] = True
    return out


def contained_pairs(beads: list[Bead], s11: np.ndarray, la: Sequence[int], lb: Sequence[int],
                    min_containment: float = 0.5, margin: float = 0.25, min_size: int = 20) -> list[Bead]:
    """Many-to-one pairs: a sentence of ``a`` mostly *contained* in one sentence of ``b`` (a long
    rendering that packs several sentences into one) is paired with it even when that sentence is
    already aligned, and the other way round.

    The containment of ``a_i`` in ``b_j`` is the shared weight ``s11[i, j] * (la[i] + lb[j]) / 2``
    over ``la[i]``. ``a_i`` (with a bag of at least ``min_size``: a short sentence is contained
    anywhere) is paired with its best ``b_j`` when the containment is at least
    ``min_containment``, beats every other sentence of ``b`` by ``margin``, and ``b_j`` lies
    between (or is shared with) the beads of the neighbouring sentences of ``a``. A 1–1 bead that
    ``a_i`` already has is replaced when its containment is worse by ``margin``. The result is
    sorted; beads sharing a sentence may follow each other.

    >>> s11 = np.array([[0.45, 0.0], [0.2, 0.0], [0.0, 0.9]])
    >>> [(b.a, b.b) for b in contained_pairs([Bead((0, 1), (0, 1), 0.45), Bead((2, 3), (1, 2), 0.9)],
    ...                                      s11, [10, 4, 10], [30, 10], min_size=4)]
    [((0, 1), (0, 1)), ((1, 2), (0, 1)), ((2, 3), (1, 2))]
    """
    fa, fb = np.asarray(la, dtype=np.float64), np.asarray(lb, dtype=np.float64)
    out = sorted(beads, key=lambda x: (x.a, x.b))
    # which sentence each one is contained in depends on s11 only, not on the beads: once per side
    fwd = _containment(s11, fa, fb, min_containment, margin, min_size)
    bwd = _containment(s11.T, fb, fa, min_containment, margin, min_size)
    if fwd is None and bwd is None:
        return out
    for _ in range(3):  # a replaced bead can open the window for a neighbour: repeat until stable
        new, changed = _contained(out, s11, fwd, margin, False)
        new, changed_b = _contained(new, s11.T, bwd, margin, True)
        if not (changed or changed_b):  # the same beads in the same (sorted) order
            break
        new.sort(key=lambda x: (x.a, x.b))
        if new == out:
            break
        out = new
    return out


@dataclass(frozen=True, slots=True)
class _Containment:
    """The sentences of one side that :func:`contained_pairs` may pair, with their best partner."""

    rows: list[int]  # sentences contained in one sentence of the other side (ascending)
    best: list[int]  # ... that sentence
    c1: list[float]  # ... their containment in it
    cont: np.ndarray  # containment of each of ``rows`` in every sentence of the other side


def _containment(s11: np.ndarray, la: np.ndarray, lb: np.ndarray, min_containment: float, margin: float,
                 min_size: int) -> _Containment | None:
    """The rows of ``s11`` contained in one column (see :func:`contained_pairs`), or None. Each row
    stands alone, so only rows with a bag of at least ``min_size`` are computed."""
    n, m = s11.shape
    if n == 0 or m == 0:
        return None
    if kernels.K is not None:
        rows, best, c1, cont = kernels.K.containment(np.ascontiguousarray(s11), la, lb, float(min_containment), float(margin),
                                                     float(min_size))
        return _Containment(rows.tolist(), best.tolist(), c1.tolist(), cont) if len(rows) else None
    big = np.flatnonzero(la >= min_size)
    if not len(big):
        return None
    lr = la[big]
    with np.errstate(divide="ignore", invalid="ignore"):
        cont = np.where(lr[:, None] > 0, s11[big] * (lr[:, None] + lb[None, :]) / 2 / lr[:, None], 0.0)
    k = np.arange(len(big))
    best = cont.argmax(axis=1)  # the first of equal maxima
    c1 = cont[k, best]
    if m > 1:
        rest = cont.copy()
        rest[k, best] = -np.inf
        c2 = rest.max(axis=1)
    else:
        c2 = np.zeros(len(big))
    keep = np.flatnonzero((c1 >= min_containment) & (c1 - c2 >= margin))
    if not len(keep):
        return None
    return _Containment(big[keep].tolist(), best[keep].tolist(), c1[keep].tolist(), cont[keep])


def _contained(beads: list[Bead], s11: np.ndarray, found: _Containment | None, margin: float, flip: bool
               ) -> tuple[list[Bead], bool]:
    """One pass of :func:`contained_pairs` over the rows of ``s11`` (with ``flip``, ``s11`` is
    transposed: its rows are the ``b`` sides of the beads); whether it changed anything."""
    if found is None:
        return beads, False

    def sides(x: Bead) -> tuple[tuple[int, int], tuple[int, int]]:
        return (x.b, x.a) if flip else (x.a, x.b)

    chain = sorted(beads, key=sides)
    here = [sides(x) for x in chain]
    starts, ends = [x[0][0] for x in here], [x[0][1] for x in here]
    disjoint = all(ends[k] <= starts[k + 1] for k in range(len(chain) - 1))
    drop: set[Bead] = set()
    extra: list[Bead] = []
    for r, (i, t, c1) in enumerate(zip(found.rows, found.best, found.c1, strict=True)):
        if disjoint:  # the usual monotone chain: find the neighbours by bisection
            k = bisect.bisect_right(starts, i)
            mine = [k - 1] if k and ends[k - 1] > i else []
            e = bisect.bisect_right(ends, i)
            last, following = (here[e - 1] if e else None), (here[k] if k < len(chain) else None)
        else:
            mine = [k for k, x in enumerate(here) if x[0][0] <= i < x[0][1]]
            prev = [x for x in here if x[0][1] <= i]
            nxt = [x for x in here if x[0][0] > i]
            last, following = (prev[-1] if prev else None), (nxt[0] if nxt else None)
        if mine:
            xa, xb = here[mine[0]]
            if xb[0] <= t < xb[1] or xa != (i, i + 1) or found.cont[r, xb[0]:xb[1]].max() > c1 - margin:
                continue
        if (last and t < last[1][1] - 1) or (following and t > following[1][0]):
            continue  # not where the neighbours put it
        drop.update(chain[k] for k in mine)
        score = float(s11[i, t])
        extra.append(Bead((t, t + 1), (i, i + 1), score) if flip else Bead((i, i + 1), (t, t + 1), score))
    if not drop and not extra:
        return beads, False
    return [x for x in beads if x not in drop] + extra, True


def fill_gaps(beads: list[Bead], s11: np.ndarray, n: int, m: int, fill_score: float,
              max_gap: int = 3, s21: np.ndarray | None = None, s12: np.ndarray | None = None,
              merge_penalty: float = 0.0, unequal: bool = True, prior: np.ndarray | None = None
              ) -> list[Bead]:
    """Pair the unaligned sentences of each gap between aligned neighbours (at most ``max_gap`` on
    each side): the best monotone chain inside the gap of beads scoring at least ``fill_score``
    (2–1 and 1–2 beads from ``s21``/``s12`` when given, paying ``merge_penalty``). Sandwiched
    between aligned neighbours, a weak match is still the right one (hunalign's gap filling);
    a sentence a gap has in excess stays unaligned; ``prior`` (shaped like ``s11``, e.g.
    :func:`length_prior`) is added to each pair's gain. With ``unequal=False`` only gaps holding the
    same number of sentences (at most 2) on both sides are filled, pairwise in order, and only
    when every pair reaches ``fill_score`` (for paraphrases, where a gap's excess sentence may
    be new material that happens to share words with its neighbour).

    >>> s = np.array([[0.9, 0.0, 0.0], [0.0, 0.2, 0.0], [0.0, 0.0, 0.9]])
    >>> [b.a for b in fill_gaps([Bead((0, 1), (0, 1), 0.9), Bead((2, 3), (2, 3), 0.9)], s, 3, 3, 0.15)]
    [(0, 1), (1, 2), (2, 3)]
    """
    out: list[Bead] = []
    prev_a = prev_b = 0
    for nxt in [*beads, None]:
        end_a, end_b = (nxt.a[0], nxt.b[0]) if nxt is not None else (n, m)
        ka, kb = end_a - prev_a, end_b - prev_b
        if not unequal:
            pairs = [(prev_a + t, prev_b + t) for t in range(ka)] if 1 <= ka == kb <= 2 else []
            if pairs and (out or nxt is not None) and all(s11[i, j] >= fill_score for i, j in pairs):
                out.extend(Bead((i, i + 1), (j, j + 1), float(s11[i, j])) for i, j in pairs)
        elif 1 <= ka <= max_gap and 1 <= kb <= max_gap and (out or nxt is not None):
            g = s11[prev_a:end_a, prev_b:end_b].astype(np.float64) - fill_score + 1e-9
            if prior is not None:
                g = g + prior[prev_a:end_a, prev_b:end_b]
            g21 = (np.full((ka - 1, kb), -1.0) if s21 is None else
                   s21[prev_a:end_a - 1, prev_b:end_b].astype(np.float64) - fill_score - merge_penalty)
            g12 = (np.full((ka, kb - 1), -1.0) if s12 is None else
                   s12[prev_a:end_a, prev_b:end_b - 1].astype(np.float64) - fill_score - merge_penalty)
            for (i0, i1), (j0, j1) in _best_chain(g, g21, g12):
                x, y = (prev_a + i0, prev_a + i1), (prev_b + j0, prev_b + j1)
                sc = s11 if i1 - i0 == j1 - j0 else s21 if i1 - i0 == 2 else s12
                out.append(Bead(x, y, float(sc[x[0], y[0]])))
        if nxt is not None:
            out.append(nxt)
            prev_a, prev_b = max(prev_a, nxt.a[1]), max(prev_b, nxt.b[1])  # swapped beads cross
    return out


#: How far (sentences) from where its neighbours put it, and by how much above the bead threshold,
#: :func:`recover_swaps` pairs a sentence a local reordering left out.
SWAP_WINDOW, SWAP_MARGIN = 3, 0.15


def recover_swaps(beads: list[Bead], s11: np.ndarray, n: int, m: int, min_score: float,
                  window: int = SWAP_WINDOW, margin: float = SWAP_MARGIN) -> list[Bead]:
    """Add 1–1 beads for sentences a monotone alignment had to skip because of a local reordering.

    An unaligned ``a_i`` is paired with the unaligned ``b_j`` it scores best with, if ``b_j`` lies
    within ``window`` sentences of where the neighbouring beads put ``a_i``, the score is at least
    ``min_score + margin``, and ``a_i`` is also ``b_j``'s best unaligned partner.
    """
    used_a = np.zeros(n, dtype=bool)
    used_b = np.zeros(m, dtype=bool)
    for x in beads:
        used_a[x.a[0]:x.a[1]] = True
        used_b[x.b[0]:x.b[1]] = True
    if used_a.all() or used_b.all():
        return beads
    # expected b position of each a sentence: interpolate between bead anchors
    anchors_a = [-1] + [x.a[0] for x in beads] + [n]
    anchors_b = [-1] + [x.b[0] for x in beads] + [m]
    free_a = np.flatnonzero(~used_a)
    free_b = np.flatnonzero(~used_b)
    expect = np.interp(free_a, anchors_a, anchors_b)
    sub = s11[np.ix_(free_a, free_b)].copy()
    far = np.abs(free_b[None, :] - expect[:, None]) > window
    sub[far] = 0.0
    added = []
    if sub.size:
        best_b = sub.argmax(axis=1)
        best_a = sub.argmax(axis=0)
        for k, i in enumerate(free_a.tolist()):
            jj = int(best_b[k])
            if sub[k, jj] >= min_score + margin and best_a[jj] == k:
                j = int(free_b[jj])
                added.append(Bead((i, i + 1), (j, j + 1), float(s11[i, j])))
    return sorted(beads + added, key=lambda x: (x.a, x.b)) if added else beads


# --- token diff -------------------------------------------------------------------------------

_TOKEN = re.compile(r"\S+")



def word_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the whitespace-separated tokens of ``text``."""
    return [m.span() for m in _TOKEN.finditer(text)]


def edit_trace(h: Sequence[int], r: Sequence[int]) -> list[str]:
    """Word edit operations turning ``h`` into ``r``, as tercom chooses among equal-cost paths.

    ``"M"`` match, ``"S"`` substitution, ``"D"`` a word of ``h`` dropped, ``"I"`` a word of ``r``
    inserted. On ties the traceback (from the end) prefers a match or substitution, then a drop,
    then an insertion — so ``the cult of Cargo`` → ``the cargo cult`` substitutes ``cult`` rather
    than matching it, as the MLQE-PE word tags do.

    >>> edit_trace([1, 2, 3, 9], [1, 4, 2])
    ['M', 'D', 'S', 'S']
    """
    n, m = len(h), len(r)
    prev = list(range(m + 1))
    back: list[list[int]] = [[2] * (m + 1)]
    for i in range(1, n + 1):
        hi = h[i - 1]
        cur = [i] + [0] * m
        row = [1] + [0] * m  # 0 diagonal, 1 drop an h word, 2 insert an r word
        for j in range(1, m + 1):
            best, op = prev[j - 1] + (hi != r[j - 1]), 0
            v = prev[j] + 1
            if v < best:
                best, op = v, 1
            v = cur[j - 1] + 1
            if v < best:
                best, op = v, 2
            cur[j] = best
            row[j] = op
        back.append(row)
        prev = cur
    ops: list[str] = []
    i, j = n, m
    while i > 0 or j > 0:
        op = 2 if i == 0 else 1 if j == 0 else back[i][j]
        if op == 0:
            ops.append("M" if h[i - 1] == r[j - 1] else "S")
            i, j = i - 1, j - 1
        elif op == 1:
            ops.append("D")
            i -= 1
        else:
            ops.append("I")
            j -= 1
    ops.reverse()
    return ops


def _trace_alignment(ops: list[str], n: int, m: int) -> tuple[list[int], list[bool], list[bool]]:
    """From edit operations: for each ``r`` word the ``h`` position it sits at (matched or
    substituted; else the last ``h`` position before it, -1 at the start), and error flags."""
    ref_at = [-1] * m
    h_err = [False] * n
    r_err = [False] * m
    i = j = -1
    for op in ops:
        if op in "MS":
            i += 1
            j += 1
            ref_at[j] = i
            h_err[i] = r_err[j] = op == "S"
        elif op == "D":
            i += 1
            h_err[i] = True
        else:
            j += 1
            ref_at[j] = i
            r_err[j] = True
    return ref_at, h_err, r_err


def _shifted(words: list, start: int, length: int, target: int) -> list:
    """``words`` with ``words[start:start+length]`` moved before position ``target``."""
    phrase = words[start : start + length]
    rest = words[:start] + words[start + length :]
    ins = target if target <= start else target - length
    return rest[:ins] + phrase + rest[ins:]


def ter_shift(h: list[int], r: list[int], max_len: int = 10, max_dist: int = 50,
              max_shifts: int = 50) -> tuple[list[int], list[int]]:
    """The order of ``h`` after TER's greedy phrase shifts towards ``r`` (a permutation of indices),
    and the indices of the words that were moved.

    As in tercom: a phrase of ``h`` (at most ``max_len`` words) that also occurs in ``r`` (at most
    ``max_dist`` words away), mis-aligned on both sides, may move next to where it sits in ``r``;
    the move that lowers the word edit distance most is taken (ties: longer phrase, earlier start,
    earlier target), until no move helps.

    >>> ter_shift([1, 2, 3, 4, 5], [3, 4, 1, 2, 5])
    ([2, 3, 0, 1, 4], [0, 1])
    >>> ter_shift([5, 6, 7], [5, 6, 7])
    ([0, 1, 2], [])
    """
    moved: set[int] = set()
    order = list(range(len(h)))
    cur = list(h)
    n, m = len(h), len(r)
    dist = Levenshtein.distance(cur, r)
    for _ in range(max_shifts):
        if dist == 0:
            break
        ref_at, h_err, r_err = _trace_alignment(edit_trace(cur, r), n, m)
        best = None
        for sh in range(n):
            for sr in range(max(0, sh - max_dist), min(m, sh + max_dist + 1)):
                length = 0
                while (length < max_len and sh + length < n and sr + length < m
                       and cur[sh + length] == r[sr + length]):
                    length += 1
                    if not any(h_err[sh : sh + length]) or not any(r_err[sr : sr + length]):
                        continue
                    if sh <= ref_at[sr] < sh + length:
                        continue
                    tried = -1
                    for off in range(-1, length):
                        idx = 0 if sr + off == -1 else ref_at[sr + off] + 1
                        if idx == tried:
                            continue
                        tried = idx
                        gain = dist - Levenshtein.distance(_shifted(cur, sh, length, idx), r)
                        cand = (gain, length, -sh, -idx)
                        if gain > 0 and (best is None or cand > best[0]):
                            best = (cand, sh, length, idx)
        if best is None:
            break
        (gain, _, _, _), sh, length, idx = best
        moved.update(order[sh : sh + length])
        order = _shifted(order, sh, length, idx)
        cur = [h[k] for k in order]
        dist -= gain
    return order, sorted(moved)


def unsupported_tokens(text_tokens: Sequence[str], ref_tokens: Sequence[str], shifts: bool = False,
                       moved_bad: bool = False) -> list[bool]:
    """``bad[k]``: whether token ``k`` of the text is not supported by the reference tokens:
    substituted or dropped by the tercom-style edit (after TER phrase shifts when ``shifts``;
    a shifted token also counts as unsupported when ``moved_bad``). Tokens compare exactly."""
    vocab: dict[str, int] = {}
    h = [vocab.setdefault(t, len(vocab)) for t in text_tokens]
    r = [vocab.setdefault(t, len(vocab)) for t in ref_tokens]
    order, moved = ter_shift(h, r) if shifts else (list(range(len(h))), [])
    _, err, _ = _trace_alignment(edit_trace([h[k] for k in order], r), len(h), len(r))
    bad = [False] * len(h)
    for pos, k in enumerate(order):
        bad[k] = err[pos]
    if moved_bad:
        for k in moved:
            bad[k] = True
    return bad


def merge_runs(spans: Sequence[tuple[int, int]], flags: Sequence[bool]) -> list[tuple[int, int]]:
    """Join flagged token spans that are adjacent in token order into runs."""
    out: list[tuple[int, int]] = []
    prev = False
    for (s, e), f in zip(spans, flags, strict=True):
        if f and prev:
            out[-1] = (out[-1][0], e)
        elif f:
            out.append((s, e))
        prev = f
    return out


def unsupported_spans(text: str, reference: str, shifts: bool = False) -> list[tuple[int, int]]:
    """Spans of ``text`` (runs of whitespace tokens) that ``reference`` does not support."""
    ts = word_spans(text)
    rs = word_spans(reference)
    flags = unsupported_tokens([text[s:e] for s, e in ts], [reference[s:e] for s, e in rs], shifts)
    return merge_runs(ts, flags)


__all__ = [
    "Bags", "Bead", "STOPWORDS", "align_sentences", "align_texts", "attach_contained", "contained_pairs",
    "StemCounts", "content_words", "dice_counts", "matrices_against", "stacked", "fill_gaps", "length_prior", "matrices_from_bags", "matrices_from_counts", "merge_runs", "recover_swaps",
    "score_matrices", "stem_weight", "ter_shift", "unsupported_spans", "unsupported_tokens", "word_spans",
]


def align_texts(reference: str, text: str, max_direct: int = 3) -> list[tuple[int, int, str, str]]:
    """Spans of ``text`` that ``reference`` does not support, as ``(start, end, rule, message)``.

    Texts of at most ``max_direct`` sentences are compared token by token as a whole; longer ones
    are aligned sentence by sentence first: tokens of aligned sentences that the reference does not
    support are ``MT351``, sentences with no counterpart are ``MT352``.

    >>> t = "The cat sat on teh mat ."
    >>> [(t[s:e], r) for s, e, r, _ in align_texts("The cat sat on the mat .", t)]
    [('teh', 'MT351')]
    """
    from .text.segment import sentences

    ts, rs = sentences(text), sentences(reference)
    if len(ts) <= max_direct or len(rs) <= max_direct:
        pairs = [((0, len(text)), (0, len(reference)))]
        unaligned: list[tuple[int, int]] = []
    else:
        beads = align_sentences([text[s:e] for s, e in ts], [reference[s:e] for s, e in rs],
                                all_words=True, min_score=0.2, fill_score=0.0)
        pairs = [((ts[b.a[0]][0], ts[b.a[1] - 1][1]), (rs[b.b[0]][0], rs[b.b[1] - 1][1])) for b in beads]
        used = {k for b in beads for k in range(*b.a)}
        unaligned = [ts[k] for k in range(len(ts)) if k not in used]
    out = []
    for (s0, e0), (r0, r1) in pairs:
        for s, e in unsupported_spans(text[s0:e0], reference[r0:r1]):
            out.append((s0 + s, s0 + e, "MT351", "not supported by the reference"))
    out.extend((s, e, "MT352", "no counterpart in the reference") for s, e in unaligned)
    return sorted(out)
