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


@pytest.mark.parametrize("ceiling", [-math.inf, -9999.0, -800.0], ids=["-inf", "sentinel", "under"])
def test_a_ceiling_with_no_mass_is_refused_where_a_tail_is_left(ceiling):
    """ceiling_logprob=-inf gave [1.2937, 1.2937], a point that read as exact.

    The cap was raised to t/m, while no unseen token could hold the tail of 0.17.
    """
    with pytest.raises(
        ValueError, match=r"ceiling_logprob=.* unseen token no mass .* leave 0\.1703 to such"
    ):
        metrics.entropy_bounds([-0.5, -1.5], vocab_size=10, ceiling_logprob=ceiling)


def test_a_ceiling_with_no_mass_names_the_first_position_with_a_tail():
    """Row 0's head sums to 1, so -inf is consistent there; row 1 leaves a tail."""
    x = [[0.0, -np.inf], [-0.5, -1.5]]
    with pytest.raises(ValueError, match=r"ceiling_logprob=-inf at position 1 "):
        metrics.entropy_bounds(x, vocab_size=10, ceiling_logprob=[-np.inf, -np.inf])
    ok = metrics.entropy_bounds(x, vocab_size=10, ceiling_logprob=[-np.inf, -1.5])
    assert ok[0].tolist() == [0.0, 0.0]


def test_a_ceiling_with_no_mass_and_no_member_is_refused():
    """No member leaves the whole mass to unseen tokens: [log V, log V] looked exact."""
    with pytest.raises(ValueError, match=r"ceiling_logprob=-inf .* leave 1 to such"):
        metrics.entropy_bounds([-np.inf, -np.inf], vocab_size=10, ceiling_logprob=-np.inf)


@pytest.mark.parametrize("ceiling", [0.5, 0.01], ids=["probability", "small"])
def test_a_positive_ceiling_is_refused(ceiling):
    """A probability passed for the ceiling was clipped to 0 (no cap) without a word."""
    with pytest.raises(ValueError, match=rf"ceiling_logprob is a logprob \(<= 0\).*{ceiling:g}"):
        metrics.entropy_bounds([-0.5, -1.5], vocab_size=10, ceiling_logprob=ceiling)


def test_a_positive_ceiling_of_rounding_size_caps_nothing():
    """3e-7 (a coarse server's rounding) is clipped to 0, as it is in logprobs."""
    got = metrics.entropy_bounds([-0.5, -1.5], vocab_size=10, ceiling_logprob=3e-7)
    np.testing.assert_array_equal(
        got, metrics.entropy_bounds([-0.5, -1.5], vocab_size=10, ceiling_logprob=0.0)
    )


def test_a_full_vocabulary_is_not_blamed_on_its_ceiling():
    """A full vocabulary with a tail: the vocabulary is wrong, whatever the ceiling says."""
    with pytest.raises(ValueError, match="vocab_size=2 contradicts the tail mass"):
        metrics.entropy_bounds([-0.5, -1.5], vocab_size=2, ceiling_logprob=-np.inf)
