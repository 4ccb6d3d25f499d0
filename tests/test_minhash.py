"""Signatures are datasketch's, computed vectorised; n-grams and normalisation behave."""

from __future__ import annotations

import datasketch
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.fingerprint.minhash import (
    ngram_hashes,
    shingle32,
    shingle_set,
    signatures,
    token_hashes,
)
from dedup.text.normalize import normalize, tokens

from .conftest import SEEDS

words = st.lists(st.sampled_from("alpha beta gamma delta epsilon zeta eta theta".split()), max_size=60)


def _datasketch(values32: np.ndarray, num_perm: int, seed: int = 1) -> np.ndarray:
    m = datasketch.MinHash(num_perm=num_perm, seed=seed, hashfunc=int)
    m.update_batch([int(v) for v in values32])
    return m.hashvalues


def test_signature_equals_datasketch_on_seed_page():
    text = (SEEDS / "002_ab6bd7f1d7c84c87.txt").read_text(encoding="utf-8")
    s32 = shingle32(shingle_set(text, 5))
    assert len(s32) > 500
    sig = signatures([s32], 128)[0]
    assert np.array_equal(sig, _datasketch(s32, 128))
    # datasketch accepts our values as a MinHash of its default scheme
    m = datasketch.MinHash(num_perm=128, hashvalues=sig, scheme="affine32")
    assert m.jaccard(datasketch.MinHash(num_perm=128, hashvalues=sig.copy(), scheme="affine32")) == 1.0


@settings(max_examples=40, deadline=None)
@given(st.lists(words, min_size=1, max_size=6), st.integers(2, 64), st.integers(1, 5), st.integers(0, 9))
def test_batched_signatures_match_datasketch(docs, num_perm, n, seed):
    sets = [shingle32(ngram_hashes(token_hashes(d), n)) for d in docs]
    sigs = signatures(sets, num_perm, seed, chunk=7)  # tiny chunks exercise the slicing paths
    for s, sig in zip(sets, sigs, strict=True):
        assert np.array_equal(sig, _datasketch(s, num_perm, seed))


@given(st.text())
def test_normalize_is_idempotent(text):
    assert normalize(normalize(text)) == normalize(text)


def test_ngrams_are_order_sensitive_and_count_distinct():
    a = ngram_hashes(token_hashes("a b c d".split()), 2)
    b = ngram_hashes(token_hashes("d c b a".split()), 2)
    assert len(a) == 3 and len(np.intersect1d(a, b)) == 0
    assert len(ngram_hashes(token_hashes("x x x x".split()), 2)) == 1


def test_tokens_fold_case_width_and_punctuation():
    assert tokens("HELLO, ｗｏｒｌｄ!") == ["hello", "world"]
    assert shingle_set("Hello,   world.", 1).tolist() == shingle_set("hello world", 1).tolist()


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80))
def test_fast_token_path_equals_reference(text):
    from dedup.fingerprint.minhash import text_token_hashes

    assert text_token_hashes(text).tolist() == token_hashes(tokens(text)).tolist()


@pytest.mark.parametrize("num_perm,seed", [(2, 0), (128, 1), (256, 7)])
def test_permutations_are_datasketchs(num_perm, seed):
    from dedup.fingerprint.minhash import permutations

    a, b = permutations(num_perm, seed)
    da, db = datasketch.MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    assert np.array_equal(a, da) and np.array_equal(b, db)


def test_segmented_token_hashing_equals_one_prefix_sum(monkeypatch):
    """Hashing a long batch a segment at a time gives the same hashes and counts."""
    import dedup.fingerprint.minhash as mh

    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))] * 3 + ["", "Ünïcödé wörds ✓"]
    whole = mh.batch_token_hashes(texts)
    monkeypatch.setattr(mh, "SEGMENT", 64)  # many segments, cut between tokens
    parts = mh.batch_token_hashes(texts)
    assert len(whole[0]) > 3000
    assert whole[0].tolist() == parts[0].tolist() and whole[1].tolist() == parts[1].tolist()


def test_tokens_longer_than_a_segment_hash_as_one_prefix_sum(monkeypatch):
    """A token longer than a segment is hashed alone, a segment at a time: same hash as in one go."""
    import dedup.fingerprint.minhash as mh

    texts = ["ab cd " + "x" * 1000 + " ef " + "y" * 130 + " gh", "", "Ünï " + "ö" * 300]
    monkeypatch.setattr(mh, "SEGMENT", 1 << 16)  # larger than the whole batch: one prefix sum
    whole = mh.batch_token_hashes(texts)
    monkeypatch.setattr(mh, "SEGMENT", 64)
    parts = mh.batch_token_hashes(texts)
    assert whole[0].tolist() == parts[0].tolist() and whole[1].tolist() == parts[1].tolist() == [6, 0, 2]


def test_token_runs_and_prefix_hashes_equal_the_string_path():
    """The passage index hashes tokens and their 5-character stems from one byte array
    (token_runs, prefix_hashes): the same values as hashing the token strings of
    dedup.text.normalize.tokens and their prefixes, whatever the script, case, width or length."""
    import random

    from dedup.fingerprint.minhash import _run_hashes, prefix_hashes, token_hashes, token_runs
    from dedup.text.normalize import tokens

    rng = random.Random(4)
    alphabet = "abcXYZ09 ,.-_\u00e9\u00df\u0130\u0436\u4e2d\u00a0\uff21\ufb01\u2014\u0301\x00"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 60))) for _ in range(300)]
    texts += ["Anticonstitutionnellement ÉLÉGANCE straße ﬁnancial Ｆｕｌｌ", ""]
    data, starts, ends, counts = token_runs(texts)
    want = [t for text in texts for t in tokens(text)]
    assert counts.tolist() == [len(tokens(t)) for t in texts]
    assert _run_hashes(data, starts, ends).tolist() == token_hashes(want).tolist()
    assert prefix_hashes(data, starts, ends, 5).tolist() == token_hashes([t[:5] for t in want]).tolist()
