"""`ChoiceScores.of` and `greedy` on hand-built distributions: what is unknown stays unknown."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tokenprobs as tp
from tokenprobs.testing import completion


def dist(*positions: tuple[str, float | None, list[tuple[str, float]]]) -> tp.TokenDistribution:
    """A legacy completion's distribution of the given `(token, logprob, alternatives)`."""
    return tp.parse(completion(list(positions)))


A = dist(("A", -1.0, [("A", -1.0), ("B", -2.0)]))
B = dist(("B", -2.0, [("A", -1.0), ("B", -2.0)]))


def test_known_choices_keep_their_sums_softmax_and_best():
    """Two fully scored choices: summed logprobs, a softmax summing to 1, the likelier one best."""
    s = tp.scoring.ChoiceScores.of(["A", "B"], [A, B])
    assert s.logprobs.tolist() == [-1.0, -2.0]
    assert s.probs.sum() == pytest.approx(1.0)
    assert (s.best, s.best_index) == ("A", 0)
    assert s.greedy.tolist() == [True, False]


def test_a_choice_with_an_unknown_logprob_is_never_silently_best():
    """A NaN position (an echoed first token) makes the sum unknown: `best` refuses, naming it."""
    first = dist(("A", None, []), (" x", -0.5, [(" x", -0.5)]))
    s = tp.scoring.ChoiceScores.of(["A x", "B"], [first, B])
    assert math.isnan(s.logprobs[0])
    assert s.logprobs[1] == -2.0
    assert np.isnan(s.probs).all()
    with pytest.raises(ValueError, match=r"'A x'.*no logprob.*context"):
        _ = s.best
    with pytest.raises(ValueError, match=r"'A x'"):
        _ = s.best_index


def test_choices_all_outside_the_top_alternatives_have_no_best():
    """Every choice at the -9999 sentinel (probability 0): no softmax and no best, said so."""
    low = dist(("A", -9999.0, [("Z", -0.1)]))
    lower = dist(("B", -9999.0, [("Z", -0.1)]))
    s = tp.scoring.ChoiceScores.of(["A", "B"], [low, lower])
    assert np.isneginf(s.logprobs).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(s.probs).all()
        with pytest.raises(ValueError, match="every choice has probability 0"):
            _ = s.best


def test_one_choice_at_the_sentinel_still_loses_to_a_known_one():
    """A sentinel choice has probability 0 next to a scored one: the scored one is best."""
    low = dist(("A", -9999.0, [("Z", -0.1)]))
    s = tp.scoring.ChoiceScores.of(["A", "B"], [low, B])
    assert s.probs.tolist() == [0.0, 1.0]
    assert s.best == "B"


@pytest.mark.parametrize(
    ("choices", "distributions", "match"),
    [
        pytest.param([], [], "at least one choice", id="no-choices"),
        pytest.param(["A"], [B, A], r"1 choices? .*2 distributions", id="fewer-choices"),
        pytest.param(["A", "B"], [A], r"2 choices? .*1 distribution", id="fewer-distributions"),
        pytest.param(["A", ""], [A, B], r"choice 1 \(''\) is empty", id="empty-text"),
        pytest.param(["A", "B"], [A, dist()], r"choice 1 \('B'\) has no scored", id="no-positions"),
        pytest.param(["A", "A"], [A, B], r"choices 0 and 1 are the same text", id="twice"),
    ],
)
def test_of_refuses_inconsistent_input(choices, distributions, match):
    """No choices, a length mismatch or an empty choice is a ValueError saying which."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=match):
            tp.scoring.ChoiceScores.of(choices, distributions)


@pytest.mark.parametrize(
    ("choices", "distributions", "match"),
    [
        pytest.param([1], [A], r"choice 0 must be a str .*got an int", id="int-choice"),
        pytest.param(["A"], [" A"], r"distribution 0 must be a TokenDistribution", id="a-text"),
    ],
)
def test_of_names_a_wrong_type(choices, distributions, match):
    """A choice that is no str or a distribution that is none: a TypeError, not AttributeError."""
    with pytest.raises(TypeError, match=match):
        tp.scoring.ChoiceScores.of(choices, distributions)


def test_of_reads_its_arguments_once():
    """Generators are read once into the lists the scores keep."""
    s = tp.scoring.ChoiceScores.of((c for c in ["A", "B"]), (d for d in [A, B]))
    assert s.choices == ("A", "B")
    assert s.logprobs.tolist() == [-1.0, -2.0]


def test_greedy_of_something_else_is_a_type_error():
    """`greedy` names what it takes."""
    with pytest.raises(TypeError, match="takes a TokenDistribution"):
        tp.scoring.greedy(" A")


@pytest.mark.parametrize(
    ("d", "want"),
    [
        pytest.param(dist(("A", -5.0, [])), False, id="no-alternatives"),
        pytest.param(dist(("A", None, [])), False, id="no-logprob"),
        pytest.param(dist(("A", -1.0, [("A", -1.0)]), (" b", -1.0, [])), False, id="one-bare"),
        pytest.param(dist(("A", -1.0, [("A", -1.0), ("B", -1.0 - 1e-7)])), True, id="tie"),
        pytest.param(dist(("B", -2.0, [("A", -1.0), ("B", -2.0)])), False, id="worse"),
        pytest.param(dist(), False, id="empty"),
    ],
)
def test_greedy_needs_a_logprob_and_alternatives_at_every_position(d, want):
    """As documented: False where a position has no logprob or no alternatives to compare with."""
    assert tp.scoring.greedy(d) is want


@pytest.mark.parametrize(
    "positions",
    [
        pytest.param([("A", -9999.0, [("A", -9999.0), ("B", -9999.0)])], id="all-sentinel"),
        pytest.param([("A", -9999.0, [("A", -9999.0)])], id="itself-at-the-sentinel"),
        pytest.param(
            [("A", -0.1, [("A", -0.1)]), ("B", -9999.0, [("B", -9999.0)])], id="one-position"
        ),
    ],
)
def test_a_token_of_probability_zero_is_never_greedy(positions):
    """A sampled token at the -9999 sentinel (-inf) among sentinel alternatives: not greedy.

    Was True: `-inf >= -inf - 1e-6` held, so a choice of probability 0 read as what greedy
    decoding writes (`ChoiceScores.greedy`, `loglikelihood`'s `is_greedy`).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # parse warns of the placeholder values
        d = dist(*positions)
    assert np.isneginf(d.logprobs).any()
    assert tp.scoring.greedy(d) is False
    s = tp.scoring.ChoiceScores.of(["AB", "C"], [d, dist(("C", -1.0, [("C", -1.0)]))])
    assert s.greedy.tolist() == [False, True]


def test_choice_scores_compare_by_identity_not_by_their_arrays():
    """`==` between two results is identity (no numpy 'truth value' error), and they hash."""
    s = tp.scoring.ChoiceScores.of(["A", "B"], [A, B])
    t = tp.scoring.ChoiceScores.of(["A", "B"], [A, B])
    assert s == s  # noqa: PLR0124 - identity is what is tested
    assert s != t
    assert len({s, t}) == 2


def test_choices_and_distributions_are_tuples():
    """A list kept by the scores could be changed after them, and `best` name another choice."""
    s = tp.scoring.ChoiceScores.of(["A", "B"], [A, B])
    assert (s.choices, s.distributions) == (("A", "B"), (A, B))
    direct = tp.scoring.ChoiceScores(
        ["A", "B"],  # type: ignore[arg-type]  # built with lists, kept as tuples
        [A, B],  # type: ignore[arg-type]
        s.logprobs,
        s.token_counts,
        s.byte_counts,
        s.greedy,
    )
    assert isinstance(direct.choices, tuple)
    assert isinstance(direct.distributions, tuple)


def test_a_positive_logprob_counts_as_zero_as_the_perplexity_reads_it():
    """A server's rounding gave a near-certain token logprob 3e-7 (below parse's warning).

    Was: the choice's log-likelihood was `3e-7 - 0.5`, not the `-0.5` that `d.perplexity` and
    `tp.metrics.sequence_logprob` read, and a lone such token scored above 0 (probability > 1),
    beating a choice of exactly probability 1 on rounding noise.
    """
    rounded = dist(("A", 3e-7, [("A", 3e-7)]), (" b", -0.5, [(" b", -0.5)]))
    alone = dist(("C", 3e-7, [("C", 3e-7)]))
    assert rounded.logprobs[0] == alone.logprobs[0] == 3e-7  # kept as returned
    certain = dist(("D", 0.0, [("D", 0.0)]))
    s = tp.scoring.ChoiceScores.of(["A b", "C", "D"], [rounded, alone, certain])
    assert s.logprobs.tolist() == [-0.5, 0.0, 0.0]
    assert s.logprobs[0] == float(tp.metrics.sequence_logprob(rounded.logprobs))
    assert math.exp(-s.logprobs[0] / len(rounded)) == pytest.approx(rounded.perplexity, rel=1e-15)
    assert (s.logprobs <= 0).all()
    first = dist(("A", None, []), (" b", 3e-7, [(" b", 3e-7)]))
    assert math.isnan(tp.scoring.ChoiceScores.of(["A b"], [first]).logprobs[0])  # NaN stays
