"""entropy_bounds refuses a vocabulary size the returned tokens contradict, not a point interval."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tokenprobs import metrics


def test_a_vocabulary_the_returned_tokens_fill_leaves_the_tail_nowhere():
    """V == k with a tail of 0.258 gave [0.574, 0.574], as if the entropy were known."""
    head = [-0.5, -2.0]  # tail 1 - e^-0.5 - e^-2 = 0.258
    with pytest.raises(ValueError, match=r"vocab_size=2 contradicts the tail mass: .* 0\.2581"):
        metrics.entropy_bounds(head, vocab_size=2)
    rows = [[math.log(0.5), math.log(0.5)], head]
    with pytest.raises(ValueError, match="tail mass at position 1"):
        metrics.entropy_bounds(rows, vocab_size=2)
    lo, hi = metrics.entropy_bounds(head, vocab_size=3)  # one unseen token takes the whole tail
    assert lo == pytest.approx(hi)


def test_a_full_vocabulary_with_a_rounding_tail_is_exact():
    """Every token returned, probabilities summing to 1 up to rounding: the entropy is known."""
    p = np.array([0.5, 0.3, 0.2 - 1e-7])
    lo, hi = metrics.entropy_bounds(np.log(p), vocab_size=3)
    truth = -float(np.sum(p * np.log(p)))
    assert lo == pytest.approx(truth, abs=1e-12)
    assert hi == pytest.approx(truth, abs=1e-12)


@pytest.mark.parametrize("vocab_size", [True, False])
def test_vocab_size_is_not_a_bool(vocab_size):
    """vocab_size=True was read as a vocabulary of one token, dropping the tail."""
    with pytest.raises(TypeError, match="vocab_size is the model's vocabulary size"):
        metrics.entropy_bounds([-0.5], vocab_size=vocab_size)
