"""The metrics on TokenDistribution: counted once, honest support, uncertain spans."""

from __future__ import annotations

import numpy as np
import pytest

import tokenprobs as tp
from tokenprobs import testing


def _d(positions):
    return tp.parse(testing.chat_completion(positions))


def test_sampled_token_counted_once_in_the_support():
    """When the sampled token is among the alternatives it is not added again."""
    d = _d([("a", -0.5, [("a", -0.5), ("b", -1.5)])])
    finite = np.isfinite(d.support_logprobs[0])
    assert finite.sum() == 2
    assert d.tail_mass[0] == pytest.approx(1 - np.exp(-0.5) - np.exp(-1.5))


def test_sampled_token_outside_the_alternatives_is_added():
    """A sampled token missing from top_logprobs joins the support (as it happens for real)."""
    d = _d([("c", -3.0, [("a", -0.5), ("b", -1.5)])])
    assert not d.sampled_in_top[0]
    assert np.isfinite(d.support_logprobs[0]).sum() == 3
    assert d.tail_mass[0] == pytest.approx(1 - np.exp(-0.5) - np.exp(-1.5) - np.exp(-3.0))


def test_duplicate_alternatives_count_once():
    """Two alternatives with the same bytes count once."""
    d = _d([("a", -0.5, [("a", -0.5), ("a", -0.5), ("b", -1.5)])])
    assert np.isfinite(d.support_logprobs[0]).sum() == 2


def test_sentinel_sampled_token_has_no_mass():
    """The -9999 sampled token (outside the top 20) adds nothing to the support's mass."""
    d = _d([("no", -9999.0, [("iveness", 0.0), ("iven", -19.625)])])
    assert d.probs[0] == 0.0
    assert d.tail_mass[0] == 0.0  # 0.0 + tiny rounds the head to all of the mass
    assert d.margin[0] == pytest.approx(1.0 - np.exp(-19.625))


def test_no_alternatives_gives_nan_entropy_and_margin():
    """With top_logprobs=0 entropy and margin are undefined (NaN), tail mass is defined."""
    d = _d([("a", -0.1, [])])
    assert np.isnan(d.entropy[0])
    assert np.isnan(d.margin[0])
    assert d.tail_mass[0] == pytest.approx(1 - np.exp(-0.1))


def test_metrics_are_computed_once():
    """Each metric is computed on first access and then reused (the same array object)."""
    d = _d([("a", -0.5, [("a", -0.5), ("b", -1.5)])])
    assert d.entropy is d.entropy
    assert d.margin is d.margin
    assert d.probs is d.probs


def test_perplexity_skips_null_logprobs():
    """Perplexity is exp(-mean) over the positions that have a logprob (echo's null skipped)."""
    d = tp.parse(testing.completion([("Hi", None, []), (" a", -1.0, []), (" b", -3.0, [])]))
    assert d.perplexity == pytest.approx(np.exp(2.0))


def test_entropy_bounds_contain_the_estimate_region():
    """Bounds are ordered and non-negative, and below log(vocab_size)."""
    d = _d([("a", -0.5, [("a", -0.5), ("b", -1.5), ("c", -2.5)]), ("x", -0.01, [("x", -0.01)])])
    bounds = d.entropy_bounds(vocab_size=1000)
    assert bounds.shape == (2, 2)
    assert (bounds[:, 0] <= bounds[:, 1]).all()
    assert (bounds >= 0).all()
    assert (bounds[:, 1] <= np.log(1000) + 1e-12).all()


def test_uncertain_merges_runs_and_gives_character_spans():
    """uncertain() merges neighbouring uncertain positions and maps them to characters."""
    d = _d(
        [
            ("The", -0.01, []),
            (" cat", -1.2, []),
            (" sat", -2.0, []),
            (".", -0.01, []),
            (" It", -1.5, []),
        ]
    )
    spans = d.uncertain(threshold=0.5)
    assert spans == [tp.Span(1, 3, 3, 11), tp.Span(4, 5, 12, 15)]
    assert [d.text[s.char_start : s.char_end] for s in spans] == [" cat sat", " It"]


def test_uncertain_by_entropy_and_margin():
    """by="entropy" flags high entropy; by="margin" low margins; NaN never counts."""
    d = _d(
        [("a", -0.69, [("a", -0.69), ("b", -0.70)]), ("c", -0.01, [("c", -0.01)]), ("d", -0.1, [])]
    )
    assert d.uncertain(threshold=0.5, by="entropy") == [tp.Span(0, 1, 0, 1)]
    assert d.uncertain(threshold=0.1, by="margin") == [tp.Span(0, 1, 0, 1)]
    assert d.uncertain(threshold=0.0, by="prob") == []


def test_uncertain_threshold_takes_any_real_number_but_nan():
    """A numpy integer threshold was refused as 'not a number'; a NaN one flagged nothing."""
    d = _d([("a", -0.1, []), ("b", -2.0, [])])
    assert d.uncertain(threshold=np.int64(1)) == d.uncertain(threshold=1.0)
    assert d.uncertain(threshold=np.float32(0.5)) == [tp.Span(1, 2, 1, 2)]
    with pytest.raises(ValueError, match="got NaN"):
        d.uncertain(threshold=float("nan"))
    with pytest.raises(TypeError, match="takes a number, got a bool"):
        d.uncertain(threshold=True)


def test_margin_is_the_true_gap_or_nan_never_an_overstatement():
    """With top_logprobs=1 and the sampled token from outside it, margin read p1 - p(sampled).

    The full distribution is a .5, b .3, c .15, d .05: the true margin is 0.2, but a top-1 of
    "a" beside a sampled "c" gave 0.35, called exact. Only two alternatives name the top two.
    """
    full = {"a": 0.5, "b": 0.3, "c": 0.15, "d": 0.05}
    lp = {t: float(np.log(p)) for t, p in full.items()}
    d = _d(
        [
            ("c", lp["c"], [("a", lp["a"])]),
            ("a", lp["a"], [("a", lp["a"])]),
            ("c", lp["c"], [("a", lp["a"]), ("b", lp["b"])]),
            ("a", lp["a"], [("a", lp["a"]), ("b", lp["b"])]),
        ]
    )
    assert np.isnan(d.margin[:2]).all()
    np.testing.assert_allclose(d.margin[2:], [0.2, 0.2])


def test_alternatives_of_a_position_with_fewer_alternatives_than_another():
    """A position with none (`top_logprobs: []`) beside one with two was an IndexError."""
    d = _d([("a", -0.1, []), ("b", -0.3, [("b", -0.3), ("c", -2.0)])])
    assert d.alternatives(0) == pytest.approx({"a": np.exp(-0.1)})
    assert d.alternatives(1) == pytest.approx({"b": np.exp(-0.3), "c": np.exp(-2.0)})
