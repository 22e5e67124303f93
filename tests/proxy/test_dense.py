"""DenseLogprobs: a vocabulary of token bytes, top-k views and slices of positions, checked."""

from __future__ import annotations

import numpy as np
import pytest

from tokenprobs import proxy

VOCAB = [b"a", b"b", b"c", b"d"]
D = proxy.DenseLogprobs.from_logits([[0.0, 1.0, 2.0, 3.0], [3.0, 2.0, 1.0, 0.0]], VOCAB)


@pytest.mark.parametrize(
    ("vocab", "words"),
    [
        pytest.param(["a", "b"], r"vocab\[0\] is 'a' \(a str\)", id="str entries"),
        pytest.param([b"a", bytearray(b"b")], r"vocab\[1\] .* \(a bytearray\)", id="unhashable"),
        pytest.param(b"ab", "sequence of each token id's bytes .* got a bytes", id="one bytes"),
        pytest.param({b"a", b"b"}, "sequence of each token id's bytes .* got a set", id="set"),
    ],
)
def test_the_vocabulary_is_token_bytes(vocab, words):
    """A str vocabulary would match no base token: combine said 'the base returned no token'."""
    with pytest.raises(TypeError, match=words):
        proxy.DenseLogprobs.from_logits([[0.0, 1.0]], vocab)


def test_top_k_needs_one_alternative_at_least():
    """top_k(-1) gave V-1 alternatives and top_k(0) an IndexError; k above V gives every token."""
    assert D.top_k(1).top_tokens == [["d"], ["a"]]
    assert D.top_k(10).top_tokens[0] == ["d", "c", "b", "a"]
    assert D.top_k(np.int64(2)).top_tokens[1] == ["a", "b"]
    for k in (0, -1):
        with pytest.raises(ValueError, match=rf"top_k\(\) takes k >= 1, got {k}"):
            D.top_k(k)
    for k in (2.0, True):
        with pytest.raises(TypeError, match=r"top_k\(\) takes k as an int"):
            D.top_k(k)


def test_top_takes_zero_or_more():
    """top(i, 0) is no key; a negative k is refused, not read as 'all but the last'."""
    assert D.top(0, 0) == []
    assert D.top(1, 2) == [b"a", b"b"]
    with pytest.raises(ValueError, match=r"top\(\) takes k >= 0, got -1"):
        D.top(0, -1)


def test_indexing_takes_a_slice_of_positions():
    """D[0] built a one-dimensional table whose len() was the vocabulary size."""
    one = D[1:2]
    assert (len(one), one.keys) == (1, D.keys)
    np.testing.assert_array_equal(one.logprobs, D.logprobs[1:2])
    for where in (0, -1):
        with pytest.raises(TypeError, match=r"takes a slice of positions, .* d\[i:i \+ 1\]"):
            D[where]
