"""DenseLogprobs: a vocabulary of token bytes, top-k views and slices of positions, checked."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest

from tokenprobs import proxy
from tokenprobs.proxy._byid import DenseScorer

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
        with pytest.raises(ValueError, match=rf"^top_k\(\)'s k must be at least 1, got {k}$"):
            D.top_k(k)
    for k in (2.0, True):
        with pytest.raises(TypeError, match=r"^top_k\(\)'s k must be an integer, got "):
            D.top_k(k)


def test_top_takes_zero_or_more():
    """top(i, 0) is no key; a negative k is refused, not read as 'all but the last'."""
    assert D.top(0, 0) == []
    assert D.top(1, 2) == [b"a", b"b"]
    with pytest.raises(ValueError, match=r"^top\(\)'s k must be at least 0, got -1$"):
        D.top(0, -1)


def test_indexing_takes_a_slice_of_positions():
    """D[0] built a one-dimensional table whose len() was the vocabulary size."""
    one = D[1:2]
    assert (len(one), one.keys) == (1, D.keys)
    np.testing.assert_array_equal(one.logprobs, D.logprobs[1:2])
    for where in (0, -1):
        with pytest.raises(TypeError, match=r"takes a slice of positions, .* d\[i:i \+ 1\]"):
            D[where]


class _Zeros(DenseScorer):
    """A dense scorer over VOCAB whose forward pass counts its calls and gives uniform logits."""

    n_ctx = 16
    vocab = tuple(VOCAB)
    calls = 0

    def _logits(self, tokens, start, *, one_by_one):  # noqa: ARG002 - the protocol's
        """Uniform logits, one row per scored position."""
        self.calls += 1
        return np.zeros((len(tokens) - start + 1, len(VOCAB)))


@pytest.mark.parametrize(
    ("prompt", "continuation", "error", "words"),
    [
        ([0, 4], [], ValueError, r"prompt\[1\] is 4, not a token id .*\(0 <= id < 4\)"),
        ([0], [1, -1], ValueError, r"continuation\[1\] is -1, not a token id"),
        ([0], [1.0], TypeError, r"continuation\[0\] is 1.0"),
        ([True], [], TypeError, r"prompt\[0\] is True"),
    ],
)
def test_score_refuses_ids_outside_the_vocabulary(prompt, continuation, error, words):
    """llama.cpp said 'llama_decode returned -1', torch an IndexError: now named, before a pass."""
    scorer = _Zeros()
    with pytest.raises(error, match=words):
        scorer.score(prompt, continuation)
    assert scorer.calls == 0
    assert len(scorer.score([0, 3], [np.int64(2)])) == 2  # numpy ints are ids too


def test_an_empty_vocabulary_is_refused_in_words():
    """An empty vocabulary ended in numpy's 'zero-size array to reduction operation maximum'."""
    with pytest.raises(ValueError, match=r"^vocab is empty"):
        proxy.DenseLogprobs.from_logits(np.zeros((1, 0)), [])


@pytest.mark.parametrize(
    ("logprobs", "keys", "error", "words"),
    [
        pytest.param(np.zeros((1, 2)), (b"a",), ValueError, r"shape \(T, 1\)", id="extra column"),
        pytest.param(np.zeros(2), (b"a", b"b"), ValueError, r"shape \(T, 2\)", id="one-dim"),
        pytest.param([[0.0, "x"]], (b"a", b"b"), TypeError, "real numbers", id="not numbers"),
        pytest.param([[0.0, np.nan]], (b"a", b"b"), ValueError, "NaN or", id="NaN"),
        pytest.param([[0.0, 0.0]], (b"a", b"a"), ValueError, "repeats", id="repeated key"),
        pytest.param([[0.0]], [b"a"], TypeError, "tuple of token bytes", id="list keys"),
    ],
)
def test_a_table_built_by_hand_must_fit_its_keys(logprobs, keys, error, words):
    """A hand-built table that did not fit its keys was certified by combine() on wrong values."""
    with pytest.raises(error, match=words):
        proxy.DenseLogprobs(logprobs=logprobs, keys=keys)


@pytest.mark.parametrize(
    ("logprobs", "keys", "error", "field", "words"),
    [
        pytest.param(
            np.zeros((1, 0)),
            (),
            ValueError,
            "keys",
            " is empty: a model's vocabulary has at least one token$",
            id="empty vocabulary",
        ),
        pytest.param(
            np.zeros((1, 2)),
            ("a", "b"),
            TypeError,
            "keys",
            r"\[0\] is 'a' \(a str\): .* or \.encode\(\) a vocabulary of plain-text tokens",
            id="str keys",
        ),
        pytest.param(
            [[0.0, -1.0], [-np.inf, -np.inf]],
            (b"a", b"b"),
            ValueError,
            "logprobs",
            " at position 1 have no finite value: -inf masks a token",
            id="a row all masked",
        ),
    ],
)
def test_a_table_built_by_hand_is_refused_as_from_logits_refuses_it(
    logprobs, keys, error, field, words
):
    """By hand these were taken: top_k then raised IndexError or AttributeError, or listed -inf."""
    named = {"keys": "vocab", "logprobs": "logits"}[field]
    with pytest.raises(error, match=f"^{named}{words}"):
        proxy.DenseLogprobs.from_logits(logprobs, list(keys))
    with pytest.raises(error, match=rf"^DenseLogprobs\.{field}{words}"):
        proxy.DenseLogprobs(logprobs=logprobs, keys=keys)


def test_str_keys_by_hand_say_to_encode_them_or_use_from_logits():
    """('a', 'b') as keys matched none of the base's tokens in combine(), silently."""
    with pytest.raises(
        TypeError, match=r"\.encode\(\) .*; DenseLogprobs\.from_logits\(logits, vocab\)"
    ):
        proxy.DenseLogprobs(logprobs=np.zeros((1, 2)), keys=("a", "b"))


def test_replace_checks_the_new_table_too():
    """dataclasses.replace builds through __init__, so it is refused as a table built by hand."""
    with pytest.raises(TypeError, match=r"^DenseLogprobs\.keys\[0\] is 'a' \(a str\)"):
        dataclasses.replace(D, keys=tuple(k.decode() for k in D.keys))
    with pytest.raises(ValueError, match=r"^DenseLogprobs\.logprobs at position 0 have no finite"):
        dataclasses.replace(D, logprobs=np.full(D.logprobs.shape, -np.inf))
    moved = dataclasses.replace(D, logprobs=D.logprobs - 1.0)
    assert (moved.keys, moved.top(0, 1)) == (D.keys, [b"d"])


def test_a_table_built_by_hand_from_lists_is_an_array():
    """Lists are read as a float array (combine() subtracted the rows: a TypeError on lists)."""
    d = proxy.DenseLogprobs(logprobs=[[0.0, -np.inf]], keys=(b"a", b"b"))  # type: ignore[arg-type]
    assert d.logprobs.dtype == np.float64
    assert not d.logprobs.flags.writeable


def test_top_k_never_lists_a_masked_token():
    """top_k(k >= V) listed -inf tokens: a server's top-k never shows a probability-0 token."""
    d = proxy.DenseLogprobs.from_logits(
        [[0.0, -np.inf, 1.0, -np.inf], [2.0, 1.0, 0.0, -1.0]], VOCAB
    )
    top = d.top_k(4)
    assert top.top_tokens == [["c", "a"], ["a", "b", "c", "d"]]
    assert np.isfinite(top.candidates.logprobs[0, :2]).all()
    assert top.candidates.tail[0] == pytest.approx(
        0.0, abs=1e-12
    )  # nothing lost: the masked had none
    assert d.top_k(1).top_tokens == [["c"], ["a"]]


@pytest.mark.parametrize("flag", ["no", 1])
def test_one_by_one_must_be_a_bool(flag):
    """`one_by_one="no"` was truthy: it evaluated one token per pass, the slow way."""
    scorer = _Zeros()
    with pytest.raises(TypeError, match=r"`one_by_one` must be True or False .* got "):
        scorer.score([0], [1], one_by_one=flag)
    assert scorer.calls == 0


def test_the_llama_scorer_flag_is_checked_before_loading():
    """`use_extra_bufts="no"` turned AMX on, the setting that crashes on Q4_1 weights."""
    with pytest.raises(TypeError, match=r"`use_extra_bufts` must be True or False"):
        proxy.LlamaCppScorer("no-such.gguf", use_extra_bufts="no")


def test_an_unpickled_table_is_read_only_and_equal():
    """Was writable once unpickled (`__post_init__` does not run): a frozen table could change."""
    d = proxy.DenseLogprobs.from_logits([[2.0, 1.0, 1.0], [0.0, 0.0, -1.0]], [b"a", b"b", b"c"])
    back = pickle.loads(pickle.dumps(d))  # noqa: S301 - our own bytes
    assert back.keys == d.keys
    assert np.array_equal(back.logprobs, d.logprobs)
    assert not back.logprobs.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        back.logprobs[0, 0] = 0.0
