"""What the metrics refuse, and how: ragged rows, an axis that is no integer, a cap per key."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tokenprobs as tp
from tokenprobs import metrics
from tokenprobs.testing import chat_completion

REDUCTIONS = [
    pytest.param(metrics.entropy, id="entropy"),
    pytest.param(metrics.margin, id="margin"),
    pytest.param(metrics.tail_mass, id="tail_mass"),
    pytest.param(metrics.renormalize, id="renormalize"),
    pytest.param(metrics.perplexity, id="perplexity"),
    pytest.param(lambda x, **kw: metrics.entropy_bounds(x, vocab_size=10, **kw), id="bounds"),
]


@pytest.mark.parametrize("call", REDUCTIONS)
def test_ragged_rows_say_how_to_pad(call):
    """Rows of different lengths gave numpy's 'inhomogeneous shape' error."""
    with pytest.raises(ValueError, match=r"logprobs is ragged .* pad each row .* -inf"):
        call([[-0.1], [-0.2, -0.3]])


@pytest.mark.parametrize("call", REDUCTIONS)
@pytest.mark.parametrize("axis", [None, 0.0, True], ids=["none", "float", "bool"])
def test_axis_is_an_integer(call, axis):
    """axis=None gave "'<=' not supported", axis=0.0 "'float' object is not iterable"."""
    with pytest.raises(TypeError, match="axis must be an integer"):
        call([[-0.1, -0.2]], axis=axis)


def test_numpy_integer_axis_is_an_axis():
    """An axis read from an array (np.int64) is an integer like any other."""
    x = np.log([[0.5, 0.25], [0.25, 0.5]])
    np.testing.assert_array_equal(metrics.entropy(x, axis=np.int64(0)), metrics.entropy(x.T))


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(metrics.tv_bounds, id="tv"),
        pytest.param(metrics.js_bounds, id="js"),
        pytest.param(metrics.kl_bounds, id="kl"),
    ],
)
def test_a_cap_per_key_is_refused_not_broadcast(call):
    """cap_p of one value per key broadcast the result to (3, 2) instead of one interval."""
    nan = float("nan")
    p, q = np.log([0.6, 0.3, nan]), np.log([0.5, nan, 0.4])
    assert call(p, q, cap_p=math.log(0.3)).shape == (2,)
    with pytest.raises(ValueError, match=r"cap_p is one value per row .* got shape \(3,\)"):
        call(p, q, cap_p=np.log([0.6, 0.3, 0.3]))
    with pytest.raises(ValueError, match=r"cap_q is one value per row .* shape \(2,\)"):
        call(np.stack([p, p]), np.stack([q, q]), cap_q=[[-1.0, -1.0]])


def test_a_ceiling_per_key_is_refused():
    """ceiling_logprob of the wrong shape broadcast, or failed inside np.stack."""
    with pytest.raises(ValueError, match=r"ceiling_logprob is one value per row .* \(2,\)"):
        metrics.entropy_bounds([-0.5, -1.5], vocab_size=10, ceiling_logprob=[-1.5, -2.0])
    with pytest.raises(ValueError, match=r"ceiling_logprob .* shape \(2,\) or one that"):
        metrics.entropy_bounds([[-0.5], [-1.0]], vocab_size=10, ceiling_logprob=[-1.0] * 3)


def test_a_nan_ceiling_caps_nothing():
    """A NaN ceiling (Candidates.cap where there are no alternatives) gave a NaN lower bound."""
    x = [[-0.5, -1.5], [-0.1, -3.0]]
    nan_ceiling = metrics.entropy_bounds(x, vocab_size=10, ceiling_logprob=[np.nan, -3.0])
    no_cap = metrics.entropy_bounds(x, vocab_size=10, ceiling_logprob=[0.0, -3.0])
    np.testing.assert_array_equal(nan_ceiling, no_cap)
    d = tp.parse(chat_completion([("a", -0.5, []), ("b", -0.1, [("b", -0.1), ("c", -3.0)])]))
    assert np.isnan(d.candidates.cap[0])
    from_cap = metrics.entropy_bounds(
        d.support_logprobs, vocab_size=10, ceiling_logprob=d.candidates.cap
    )
    np.testing.assert_array_equal(from_cap, d.entropy_bounds(vocab_size=10))


@pytest.mark.parametrize(
    ("base", "error", "message"),
    [
        pytest.param("2", TypeError, "base must be a number", id="string"),
        pytest.param(True, TypeError, "base must be a number", id="bool"),
        pytest.param(np.array([2.0, 10.0]), TypeError, "base must be a number", id="array"),
        pytest.param(math.inf, ValueError, "base must be above 1", id="inf"),
    ],
)
def test_base_that_is_no_number_is_refused(base, error, message):
    """base="2" gave "'>' not supported", an array "truth value ... ambiguous", inf all zeros."""
    with pytest.raises(error, match=message):
        metrics.entropy([-0.5, -1.5], base=base)


@pytest.mark.parametrize("vocab_size", [200_019.0, "200019", None], ids=["float", "str", "none"])
def test_vocab_size_that_is_no_int_is_named(vocab_size):
    """vocab_size=2e5 said "'float' object cannot be interpreted as an integer", naming nothing."""
    with pytest.raises(TypeError, match=r"vocab_size is the model's vocabulary size \(an int\)"):
        metrics.entropy_bounds([-0.5], vocab_size=vocab_size)


@pytest.mark.parametrize(
    ("in_top", "error", "message"),
    [
        pytest.param(["False", "False"], TypeError, "in_top must be booleans", id="strings"),
        pytest.param([0.5, 0.0], TypeError, "in_top must be booleans", id="floats"),
        pytest.param([True, False, True], ValueError, r"shape \(2,\), got shape \(3,\)", id="long"),
    ],
)
def test_in_top_is_one_boolean_per_position(in_top, error, message):
    """in_top takes booleans (or 0 / 1), one per position.

    The string "False" was a true flag (the sampled token silently dropped from the support);
    three flags for two positions failed with numpy's "could not be broadcast" error.
    """
    assert metrics.support([-0.1, -2.0], [[-0.1], [-0.3]], in_top=[1, 0]).tolist() == [
        [-0.1, -np.inf],
        [-0.3, -2.0],
    ]
    with pytest.raises(error, match=message):
        metrics.support([-0.1, -2.0], [[-0.1], [-0.3]], in_top=in_top)


@pytest.mark.parametrize(
    "call",
    [
        *REDUCTIONS,
        pytest.param(metrics.probs, id="probs"),
        pytest.param(metrics.surprisal, id="surprisal"),
        pytest.param(lambda x, **kw: metrics.tv_bounds(x, np.full_like(x, -1.0), **kw), id="tv"),
    ],
)
def test_plus_infinity_is_no_logprob(call):
    """+inf was clipped to 0, so it read as a token of probability 1 (an entropy, a tail of 0).

    The error names where it is, in the caller's coordinates whatever the axis.
    """
    x = np.full((2, 3), -1.0)
    x[0, 2] = math.inf
    with pytest.raises(ValueError, match=r"holds \+inf at index \(0, 2\), which is no logprob"):
        call(x)
    with pytest.raises(ValueError, match=r"index \(0, 2\)"):
        metrics.entropy(x, axis=0)


@pytest.mark.parametrize("call", REDUCTIONS)
def test_none_is_no_array(call):
    """None (not an array, unlike a None inside one) blamed `axis` with a ValueError."""
    with pytest.raises(TypeError, match=r"logprobs must be an array-like .* got None"):
        call(None)


def test_none_inside_an_array_is_still_the_apis_null():
    """Only a bare None is refused: one inside an array is NaN, as the rules say."""
    assert math.isnan(float(metrics.entropy([[None, -0.1]])[0]))
