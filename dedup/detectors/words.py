"""The words of a batch of texts, found in bulk with numpy.

Cheap statistics that decide where a slow check must run (the share of English function words
of a sentence, a word repeated back to back) need every word of the corpus; finding them with
``re`` costs a Python object per word. :class:`WordTable` finds them for a whole batch of texts
at once, as arrays.

A word is a maximal run of letters, exactly what ``re.findall(r"[^\\W\\d_]+", text)`` returns.
The texts are joined with ``\\n`` (not a letter, so no word spans two texts). Each word short
enough to matter carries a :func:`code`: its lower-cased ASCII letters packed into an integer,
so that sets of words are compared as integers.

>>> w = WordTable.build(["The cat, the CAT.", "Ünë 2x"])
>>> [w.text[s:e] for s, e in zip(w.starts, w.ends)]
['The', 'cat', 'the', 'CAT', 'Ünë', 'x']
>>> w.doc.tolist(), w.initial_lower.tolist()
([0, 0, 0, 0, 1, 1], [False, True, True, False, False, True])
>>> bool(w.code[0] == w.code[2] == code("the")), bool(w.code[4] == NON_ASCII)
(True, True)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

#: Longest word that gets a :func:`code` (8 letters fill the 64 bits).
MAX_CODE_LETTERS = 8
#: Code of a word with a letter outside ASCII (no ASCII word has it).
NON_ASCII = 1
_LETTER = re.compile(r"[^\W\d_]")


def code(word: str) -> int:
    """The integer a word of at most 8 ASCII letters is known by, whatever its case.

    >>> code("The") == code("the") == int.from_bytes(b"the", "little")
    True
    """
    if not (word.isascii() and word.isalpha() and len(word) <= MAX_CODE_LETTERS):
        raise ValueError(f"not a word of at most {MAX_CODE_LETTERS} ASCII letters: {word!r}")
    return int.from_bytes(word.lower().encode("ascii"), "little")


def codes(words: Iterable[str]) -> np.ndarray:
    """The sorted codes of ``words``."""
    return np.array(sorted({code(w) for w in words}), dtype=np.uint64)


class WordSet:
    """A fixed set of words with a vectorised membership test (:meth:`WordTable.among`).

    Codes are hashed multiplicatively into a table where no two words share a slot; the
    multiplier is the first of a fixed sequence that achieves it, so it is the same every run.

    >>> ws = WordSet(["the", "of"])
    >>> ws.contains(np.array([code("of"), code("cat"), 0, NON_ASCII], dtype=np.uint64)).tolist()
    [True, False, False, False]
    """

    __slots__ = ("_multiplier", "_shift", "_table")
    _EMPTY = 2  # not a code: a code is 0, NON_ASCII or has a lower-case letter in its low byte

    def __init__(self, words: Iterable[str]) -> None:
        known = codes(words)
        bits = max(4, 2 * len(known)).bit_length() + 2
        for attempt in range(1, 1 << 16):
            multiplier = np.uint64((0x9E3779B97F4A7C15 * attempt) % (1 << 64) | 1)
            slots = (known * multiplier) >> np.uint64(64 - bits)
            if len(np.unique(slots)) == len(known):
                break
        else:  # pragma: no cover - a few tries always suffice for sets this small
            raise ValueError("no collision-free multiplier")
        table = np.full(1 << bits, self._EMPTY, dtype=np.uint64)
        table[slots] = known
        table.flags.writeable = False
        self._multiplier, self._shift, self._table = multiplier, np.uint64(64 - bits), table

    def contains(self, word_codes: np.ndarray) -> np.ndarray:
        """Whether each code is in the set."""
        return self._table[(word_codes * self._multiplier) >> self._shift] == word_codes


_MASKS = np.array([(1 << (8 * n)) - 1 for n in range(MAX_CODE_LETTERS + 1)], dtype=np.uint64)
_HIGH_BITS = np.uint64(0x8080808080808080)
_LOWER_BITS = np.uint64(0x2020202020202020)


def _table(pred: Callable[[str], bool]) -> np.ndarray:
    out = np.array([pred(chr(c)) for c in range(256)], dtype=bool)
    out.flags.writeable = False
    return out


_IS_LOWER = _table(str.islower)


def _classify(cp: np.ndarray, table: np.ndarray, pred: Callable[[str], bool]) -> np.ndarray:
    """``pred`` of every code point: from ``table`` below 256, else once per distinct one."""
    out = table[np.minimum(cp, 255)]
    big = np.flatnonzero(cp > 255)
    if big.size:
        distinct, inverse = np.unique(cp[big], return_inverse=True)
        out[big] = np.array([pred(chr(c)) for c in distinct.tolist()], dtype=bool)[inverse]
    return out


#: The characters whose positions :attr:`WordTable.punct` holds: sentence marks, line breaks,
#: closing quotes and brackets, commas (what the sentence splitter and the punctuation checks need).
PUNCTUATION = ".!?。！？\n”\"’),"
_ASCII_PUNCTUATION = [np.uint8(ord(c)) for c in PUNCTUATION if c.isascii()]
_OTHER_PUNCTUATION = np.array([ord(c) for c in PUNCTUATION if not c.isascii()], dtype=np.uint32)


def _gap_others(cp: np.ndarray, gaps: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """For each gap ``cp[gaps[i]:ends[i]]`` (never empty), how many of its characters are
    neither a space nor a tab, counted up to 2: character by character, for all gaps at once,
    dropping each gap as soon as it is settled (most are one space)."""
    first = cp[gaps]
    out = ((first != 32) & (first != 9)).astype(np.int8)
    active = np.flatnonzero(gaps + 1 < ends)
    k = 1
    while active.size:
        c = cp[gaps[active] + k]
        out[active] += (c != 32) & (c != 9)
        k += 1
        active = active[(gaps[active] + k < ends[active]) & (out[active] < 2)]
    return out


@dataclass(frozen=True, slots=True)
class WordTable:
    """Every word of a batch of texts; arrays are indexed by word, offsets are into :attr:`text`."""

    #: The texts joined with ``\\n``; text ``i`` starts at ``offsets[i]``.
    text: str
    offsets: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    #: Text each word is in.
    doc: np.ndarray
    #: :func:`code` of the word; :data:`NON_ASCII` for a word with a non-ASCII letter, 0 for a
    #: word longer than :data:`MAX_CODE_LETTERS`.
    code: np.ndarray
    #: The word's first letter is lower-case (``str.islower``).
    initial_lower: np.ndarray
    #: The code points of :attr:`text`.
    cp: np.ndarray
    #: One byte a character of :attr:`text`: the character if ASCII, else 0x80.
    ascii: np.ndarray
    #: Positions of the non-ASCII characters of :attr:`text`.
    non_ascii: np.ndarray
    #: Positions in :attr:`text` of the characters in :data:`PUNCTUATION`, in order.
    punct: np.ndarray
    #: Characters between the word and the next that are neither a space nor a tab, counted up
    #: to 2 (1 after the last word): 0 where only spaces or tabs separate them.
    gap_other: np.ndarray

    @classmethod
    def build(cls, texts: Sequence[str]) -> WordTable:
        text = "\n".join(texts)
        offsets = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, texts), np.int64, len(texts)) + 1, out=offsets[1:])
        cp = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        # One byte a character (what follows works on it, four times less memory than on cp):
        # the character if ASCII, else 0x80. Eight more zero bytes for the windows below.
        octets = np.zeros(len(cp) + MAX_CODE_LETTERS, dtype=np.uint8)
        np.minimum(cp, 0x80, out=octets[:len(cp)], casting="unsafe")
        ascii_ = octets[:len(cp)]
        letter = ((ascii_ | 0x20) - 97) < 26  # a-z, A-Z (unsigned: below 'a' wraps round)
        beyond = np.flatnonzero(ascii_ == 0x80)
        if beyond.size:
            distinct, inverse = np.unique(cp[beyond], return_inverse=True)
            letter[beyond] = np.array([_LETTER.match(chr(c)) is not None for c in distinct.tolist()],
                                      dtype=bool)[inverse]
        edges = np.flatnonzero(np.diff(letter, prepend=False, append=False))
        starts, ends = edges[0::2], edges[1::2]
        lengths = ends - starts
        # Eight bytes from each word's start, one per character: the lower-cased ASCII letter, or
        # 0x80 (0xA0 once lower-cased) for a non-ASCII character; the bytes beyond the word are
        # masked off.
        window = np.ndarray((len(cp),), dtype="<u8", buffer=octets, strides=(1,))  # one at each byte
        short = lengths <= MAX_CODE_LETTERS
        packed = (window[starts] | _LOWER_BITS) & _MASKS[np.minimum(lengths, 8)]
        word_code = np.where(packed & _HIGH_BITS, np.uint64(NON_ASCII), packed)
        word_code[~short] = 0
        initial = ascii_[starts]
        initial_lower = (initial - 97) < 26  # an ASCII letter is lower-case if it is a-z
        other = np.flatnonzero(initial == 0x80)
        initial_lower[other] = _classify(cp[starts[other]], _IS_LOWER, str.islower)
        doc = np.repeat(np.arange(len(texts)), np.diff(np.searchsorted(starts, offsets)))
        gap_other = np.ones(len(starts), dtype=np.int8)
        gap_other[:-1] = _gap_others(ascii_, ends[:-1], starts[1:])
        is_punct = ascii_ == _ASCII_PUNCTUATION[0]
        for c in _ASCII_PUNCTUATION[1:]:
            is_punct |= ascii_ == c
        is_punct[beyond[np.isin(cp[beyond], _OTHER_PUNCTUATION)]] = True
        punct = np.flatnonzero(is_punct)
        return cls(text, offsets, starts, ends, doc, word_code, initial_lower, cp, ascii_, beyond, punct,
                   gap_other)

    def among(self, known: WordSet) -> np.ndarray:
        """Whether each word is in ``known``, whatever its case.

        >>> WordTable.build(["Of course not"]).among(WordSet(["not", "of"])).tolist()
        [True, False, True]
        """
        return known.contains(self.code)

    def texts_with(self, positions: np.ndarray) -> np.ndarray:
        """Per text, whether any of the character ``positions`` (into :attr:`text`) is in it.

        >>> WordTable.build(["ab", "cd", "ef"]).texts_with(np.array([4, 3])).tolist()
        [False, True, False]
        """
        found = np.zeros(len(self.offsets) - 1, dtype=bool)
        found[np.searchsorted(self.offsets, positions, side="right") - 1] = True
        return found

    def gap_is_blank(self, i: int) -> bool:
        """Only spaces and tabs separate word ``i`` from word ``i + 1``."""
        return not self.text[self.ends[i]:self.starts[i + 1]].strip(" \t")

