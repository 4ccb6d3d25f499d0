"""langdetect's ``detect_langs``, seeded, with the same answers bit for bit, 2-6x faster.

langdetect spends its time in Python per character (a Unicode-block lookup and an n-gram object
per character of the sample) and per iteration (an indexed loop over the 55 language
probabilities). :class:`FastDetector` is langdetect's own :class:`~langdetect.detector.Detector`,
same profiles, same seeded random draws and the same floating-point operations in the same
order, with those loops written tighter: each distinct character is normalised once (a
``str.translate`` table), the n-grams of each distinct word are collected once (as rows of one
matrix of their language probabilities), and the probabilities are a numpy vector multiplied by
the n-grams drawn between two convergence checks (five at a time, in order) — or, when
:func:`dedup.kernels.language` is on (Python < 3.12), each trial is one compiled loop
(:func:`dedup._jit.langdetect_trial`) over the seeded generator's 32-bit words, which numpy's
Mersenne Twister produces from Python's seeded state (``random.choice`` takes a word's top bits;
``gauss`` is Python's own over those words): 1.4-1.8 -> 0.4 ms a 600-character sample.
``tests/test_detectors.py`` compares both with ``langdetect.detect_langs`` on hundreds of texts.

>>> [(l.lang, round(l.prob, 3)) for l in detect_langs("Это предложение написано по-русски.")]
[('ru', 1.0)]
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import random
import re
from collections.abc import Iterator, Mapping

import numpy as np
from langdetect.detector import Detector
from langdetect.detector_factory import DetectorFactory
from langdetect.lang_detect_exception import ErrorCode, LangDetectException
from langdetect.language import Language
from langdetect.utils.ngram import NGram

from .. import kernels

_SPACES = re.compile(" {2,}")
#: What langdetect's ``cleaning_text`` counts as Latin (``"A" <= ch <= "z"``) and as non-Latin
#: (``ch >= "\u0300" and unicode_block(ch) != "Latin Extended Additional"``: ``unicode_block``
#: returns a number, so the second test always holds and every character from U+0300 on counts;
#: tests/test_detectors.py checks that against langdetect over every code point).
_LATIN_RUN = re.compile("[A-z]+")
_NON_LATIN_RUN = re.compile("[\u0300-\U0010ffff]+")


_TABLE: dict[int, str] = {}  # str.translate table of NGram.normalize, for the characters met
_MET: set[str] = set()  # the characters in _TABLE
#: Words whose n-grams are remembered at most (then the memo starts again).
WORD_CACHE = 200_000


def _table(text: str) -> dict[int, str]:
    for ch in set(text) - _MET:  # (a set difference: most texts bring no new character)
        _TABLE[ord(ch)] = NGram.normalize(ch)
        _MET.add(ch)
    return _TABLE


def _word_ngrams(word: str, space_after: bool, rows: dict[str, int]) -> list[int]:
    """The rows (in ``rows``) of what ``Detector._extract_ngrams`` collects from ``word``
    (normalised text without spaces) between a space and, if ``space_after``, another: at each
    character the 1-, 2- and 3-gram ending there (with the space before the word), unless it and
    the one before are capitals; n-grams of no profile are left out."""
    out = []
    padded = " " + word
    for k in range(len(word)):
        if k and word[k].isupper() and word[k - 1].isupper():
            continue  # langdetect skips n-grams inside a capitalised word
        for gram in (word[k], padded[k:k + 2], padded[k - 1:k + 2] if k else None):
            if gram is None:
                break
            if gram in rows:
                out.append(rows[gram])
    if space_after:
        grams = (padded[-3:][1:] if len(padded) >= 3 else padded) + " "
        for gram in (grams[-2:], grams[-3:] if len(grams) >= 3 else None):
            if gram is None:
                break
            if gram in rows:
                out.append(rows[gram])
    return out


class FastDetector(Detector):
    """:class:`langdetect.detector.Detector` with its per-character and per-iteration loops
    rewritten; every result is the same. Its factory's ``word_lang_prob_map`` must be
    :class:`Profiles` (as :func:`detect_langs` sets it up), not langdetect's dict."""

    def __init__(self, factory: DetectorFactory) -> None:
        # langdetect's, but the generator is made when the numpy trials need it (seeded there):
        # ``random.Random()`` seeds itself from the system's entropy, ~10 us a document, and the
        # compiled trials draw from a stream of their own
        self.word_lang_prob_map = factory.word_lang_prob_map
        self.langlist = factory.langlist
        self.seed = factory.seed
        self.random: random.Random | None = None
        self.text = ""
        self.langprob = None
        self.alpha = self.ALPHA_DEFAULT
        self.n_trial = 7
        self.max_text_length = 10000
        self.prior_map = None
        self.verbose = False

    def append(self, text: str) -> None:
        text = self.URL_RE.sub(" ", text)
        text = self.MAIL_RE.sub(" ", text)
        text = NGram.normalize_vi(text)
        # langdetect keeps a space only when the character before it is not one
        self.text += _SPACES.sub(" ", text[:self.max_text_length])

    def cleaning_text(self) -> None:
        # langdetect's loop over the characters, as counts of what two regexes remove
        rest = _LATIN_RUN.sub("", self.text)
        latin = len(self.text) - len(rest)
        non_latin = len(rest) - len(_NON_LATIN_RUN.sub("", rest))
        if latin * 2 < non_latin:
            self.text = rest

    def _ngram_ids(self) -> np.ndarray:
        """What langdetect's ``_extract_ngrams`` collects, as rows of the profiles' matrix."""
        # langdetect's n-gram window restarts after every space (a character normalised to one):
        # the n-grams of a text are those of its words in turn, each word's found once
        parts = self.text.translate(_table(self.text)).split(" ")
        profiles = self.word_lang_prob_map
        # every word but the last is followed by a space
        body, last = [w for w in parts[:-1] if w], parts[-1]
        spaced, unspaced = profiles.words
        new = set(body).difference(spaced)
        if len(spaced) + len(new) > WORD_CACHE:  # a memo, not a vocabulary: bounded
            spaced.clear()
            new = set(body)
        for word in new:
            spaced[word] = _word_ngrams(word, True, profiles.row)
        ids = list(itertools.chain.from_iterable(map(spaced.__getitem__, body)))
        if last:
            got = unspaced.get(last)
            if got is None:
                if len(unspaced) >= WORD_CACHE:
                    unspaced.clear()
                got = unspaced[last] = _word_ngrams(last, False, profiles.row)
            ids.extend(got)
        return np.array(ids, dtype=np.int64)

    def _detect_block(self) -> None:
        self.cleaning_text()
        ids = self._ngram_ids()
        if not len(ids):
            raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
        matrix = self.word_lang_prob_map.matrix
        total = np.zeros(len(self.langlist))  # langdetect's langprob: lp + p / n_trial, element by element
        init = np.array(self._init_probability())  # each trial starts from a copy
        trial = kernels.LANG
        if trial is not None and isinstance(self.seed, int):  # (kernels.language: Python < 3.12)
            draws = _Draws(self.seed)
            for _ in range(self.n_trial):
                weight = (self.alpha + draws.gauss(0.0, 1.0) * self.ALPHA_WIDTH) / self.BASE_FREQ
                need = draws.pos + 1
                while True:
                    prob = init.copy()
                    words = draws.words(need)
                    end = trial(prob, matrix, ids, words, draws.pos, weight, self.CONV_THRESHOLD,
                                self.ITERATION_LIMIT)
                    if end >= 0:
                        break
                    need = 2 * len(words)  # the stream ran out: again with a longer one
                draws.pos = end
                total += prob / self.n_trial
            self.langprob = total.tolist()
            return
        if self.random is None:
            self.random = random.Random(0)
        self.random.seed(self.seed)
        draw, n = self.random._randbelow, len(ids)  # what random.choice(ngrams) draws
        buf = np.empty((6, len(self.langlist)))
        for _ in range(self.n_trial):
            prob = init.copy()
            alpha = self.alpha + self.random.gauss(0.0, 1.0) * self.ALPHA_WIDTH
            weight = alpha / self.BASE_FREQ
            # langdetect updates with one random n-gram per iteration and checks for convergence
            # at iterations 0, 5, 10 ...: the draws of a block of iterations come first, then the
            # products in the same order (a reduction along the first axis multiplies in order)
            i, block = 0, 1
            while True:
                buf[0] = prob
                for k in range(1, block + 1):
                    buf[k] = matrix[ids[draw(n)]]
                buf[1:block + 1] += weight
                prob = np.multiply.reduce(buf[:block + 1], axis=0)
                prob /= sum(prob.tolist())  # langdetect's sum(): the same on every Python version
                i += block - 1
                if max(0.0, prob.max()) > self.CONV_THRESHOLD or i >= self.ITERATION_LIMIT:
                    break
                i, block = i + 1, 5
            total += prob / self.n_trial
        self.langprob = total.tolist()


class _Draws:
    """``random.Random(seed)``'s draws for :class:`FastDetector`'s kernel: the generator's 32-bit
    words (numpy's Mersenne Twister set to Python's seeded state: the same words), read from
    ``pos`` on, and Python's own ``gauss`` over them (``random()`` as CPython makes it from two
    words)."""

    _STREAMS: dict[int, tuple[np.random.MT19937, np.ndarray]] = {}
    #: Words a stream grows by at least.
    CHUNK = 1 << 15
    gauss = random.Random.gauss

    def __init__(self, seed: int) -> None:
        self.seed, self.pos, self.gauss_next = seed, 0, None

    def words(self, size: int) -> np.ndarray:
        """The first ``size`` words or more (the stream of a seed is kept and grown)."""
        got = self._STREAMS.get(self.seed)
        if got is None:
            gen = np.random.MT19937()
            state = random.Random(self.seed).getstate()[1]
            gen.state = {"bit_generator": "MT19937",
                         "state": {"key": np.array(state[:-1], dtype=np.uint32), "pos": state[-1]}}
            got = gen, np.zeros(0, dtype=np.int64)
        gen, words = got
        if len(words) < size:
            more = max(size - len(words), len(words), self.CHUNK)
            words = np.concatenate((words, gen.random_raw(more).astype(np.int64)))
        self._STREAMS[self.seed] = gen, words
        return words

    def random(self) -> float:
        words = self.words(self.pos + 2)
        a, b = int(words[self.pos]) >> 5, int(words[self.pos + 1]) >> 6
        self.pos += 2
        return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0)


class Profiles(Mapping[str, list[float]]):
    """langdetect's ``word_lang_prob_map`` (each n-gram's probability in every language) as one
    matrix, ``matrix[row[gram]]``. ``DetectorFactory.load_profile`` fills a Python list of 55
    floats for each of the 87,598 n-grams of the profiles, one n-gram and language at a time (a
    third of a second); here the JSON profiles are read the same way (files in ``os.listdir``
    order, hidden files skipped) and each profile's column is filled in one numpy division, with
    langdetect's operands: the same values."""

    def __init__(self, directory: str) -> None:
        names = os.listdir(directory)
        size = len(names)  # langdetect's row length: every directory entry
        self.langlist: list[str] = []
        profiles: list[tuple[dict[str, int], list[int]]] = []
        for name in names:
            path = os.path.join(directory, name)
            if name.startswith(".") or not os.path.isfile(path):
                continue
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
            self.langlist.append(data["name"])
            profiles.append((data["freq"], data["n_words"]))
        grams: dict[str, None] = {}
        for freq, _ in profiles:
            grams.update(dict.fromkeys(freq))
        self.row = {gram: k for k, gram in enumerate(grams)}
        #: The rows of each word's n-grams (see :func:`_word_ngrams`) followed by a space, and not.
        self.words: tuple[dict[str, list[int]], dict[str, list[int]]] = ({}, {})
        self.matrix = np.zeros((len(self.row), size))
        for column, (freq, n_words) in enumerate(profiles):
            count = np.fromiter(freq.values(), np.float64, len(freq))
            length = np.fromiter(map(len, freq), np.int64, len(freq))
            at = np.fromiter(map(self.row.__getitem__, freq), np.int64, len(freq))
            usable = (length >= 1) & (length <= 3)
            words = np.array(n_words, dtype=np.float64)[np.clip(length - 1, 0, 2)]
            # 1.0 * freq[gram] / n_words[len(gram) - 1]
            self.matrix[at[usable], column] = count[usable] / words[usable]

    def __contains__(self, gram: object) -> bool:
        return gram in self.row

    def __getitem__(self, gram: str) -> list[float]:
        return self.matrix[self.row[gram]].tolist()

    def __iter__(self) -> Iterator[str]:
        return iter(self.row)

    def __len__(self) -> int:
        return len(self.row)


@functools.cache
def _factory() -> DetectorFactory:
    """A langdetect ``DetectorFactory`` over :class:`Profiles` of its bundled profiles."""
    from langdetect.detector_factory import PROFILES_DIRECTORY

    factory = DetectorFactory()
    profiles = Profiles(PROFILES_DIRECTORY)
    factory.word_lang_prob_map, factory.langlist = profiles, profiles.langlist
    return factory


def detect_langs(text: str) -> list[Language]:
    """``langdetect.detect_langs(text)`` (seeded: ``DetectorFactory.seed = 0``), faster."""
    DetectorFactory.seed = 0
    detector = FastDetector(_factory())
    detector.append(text)
    return detector.get_probabilities()


__all__ = ["FastDetector", "Profiles", "detect_langs"]
