import dataclasses
import doctest
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import special, stats
from tests._recorded import RECORDED

import tokenprobs as tp
from tokenprobs import metrics
from tokenprobs.testing import chat_completion

FIXTURE = RECORDED / "chat_gpt-4o-mini_top2_openai_apiref_example.json"

# the values the rules name: sentinel, -inf, 0.0, tiny positives, ordinary logprobs
special_values = st.sampled_from([-9999.0, -math.inf, 0.0, 1e-9, 3e-7, -1e-12])
ordinary = st.floats(min_value=-60.0, max_value=0.0, allow_nan=False)
coarse = st.sampled_from([-0.25, -1.125, -19.625, -20.375])  # ties and coarse API values
logprob = st.one_of(ordinary, special_values, coarse)


def rows(min_k: int = 0, max_k: int = 8):
    """(T, K) arrays of logprobs drawn from every case the rules name."""
    return hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 6), st.integers(min_k, max_k)),
        elements=logprob,
    )


def members(row: np.ndarray) -> np.ndarray:
    """The members of one slice, cleaned as the rules say (the test-side oracle)."""
    row = np.minimum(row, 0.0)
    return row[(row > -9999.0) & np.isfinite(row)]


def test_doctests():
    """Every docstring example of the metrics (and the sequence aggregates) gives what it shows."""
    from tokenprobs.metrics import _calibration, _position, _sequence  # noqa: PLC0415

    modules = (metrics, _position, _sequence, _calibration)
    results = [doctest.testmod(m, raise_on_error=False) for m in modules]
    assert sum(r.attempted for r in results) >= 12
    assert sum(r.failed for r in results) == 0


# --- against scipy ----------------------------------------------------------------------------


@given(rows())
def test_renormalize_matches_scipy_softmax(x):
    """The softmax from renormalize equals scipy's softmax over the members; non-members get 0."""
    got = metrics.renormalize(x, log=False)
    for row, out in zip(x, got, strict=True):
        m = members(row)
        if m.size == 0:
            assert np.isnan(out).all()
            continue
        keep = (np.minimum(row, 0.0) > -9999.0) & np.isfinite(row)
        np.testing.assert_allclose(out[keep], special.softmax(m), rtol=1e-12, atol=1e-300)
        assert (out[~keep] == 0.0).all()
        assert abs(out.sum() - 1.0) <= 1e-12


@given(rows())
def test_renormalize_log_matches_scipy_log_softmax(x):
    """The log flag gives scipy's log_softmax over the members, -inf elsewhere."""
    got = metrics.renormalize(x)
    for row, out in zip(x, got, strict=True):
        m = members(row)
        if m.size:
            np.testing.assert_allclose(
                np.sort(out[np.isfinite(out)]), np.sort(special.log_softmax(m)), atol=1e-13
            )


@given(rows())
def test_tail_mass_matches_scipy_logsumexp(x):
    """tail_mass is 1 - exp(logsumexp(members)), clipped to [0, 1]."""
    got = metrics.tail_mass(x)
    want = [np.clip(1.0 - np.exp(special.logsumexp(members(r))), 0, 1) for r in x]
    np.testing.assert_allclose(got, want, atol=1e-14)
    assert ((got >= 0.0) & (got <= 1.0)).all()


@given(rows(), st.sampled_from([None, 2, 10]))
def test_entropy_matches_scipy_stats(x, base):
    """The entropy equals scipy.stats.entropy of the members (which renormalises too)."""
    got = metrics.entropy(x, base=base)
    for row, h in zip(x, got, strict=True):
        m = members(row)
        if m.size == 0:
            assert np.isnan(h)
        else:
            want = stats.entropy(np.exp(m - m.max()), base=base)
            assert h == pytest.approx(want, abs=1e-12)


# --- invariants -------------------------------------------------------------------------------


@given(rows())
def test_entropy_between_zero_and_log_k(x):
    """0 <= entropy <= log k for k members, exactly 0 with one member, NaN with none."""
    h = metrics.entropy(x)
    k = np.array([members(r).size for r in x])
    assert np.isnan(h[k == 0]).all()
    assert (h[k == 1] == 0.0).all()
    assert ((h[k > 0] >= 0.0) & (h[k > 0] <= np.log(k[k > 0]))).all()


@given(rows())
def test_margins_exact(x):
    """The margin and log_margin are the top-two gaps of raw values; NaN with fewer than two."""
    got, log_got = metrics.margin(x), metrics.log_margin(x)
    for row, g, lg in zip(x, got, log_got, strict=True):
        m = np.sort(members(row))[::-1]
        if m.size < 2:
            assert np.isnan(g)
            assert np.isnan(lg)
        else:
            assert g == np.exp(m[0]) - np.exp(m[1])
            assert lg == m[0] - m[1]


@given(rows(), st.randoms(use_true_random=False))
def test_margins_of_sorted_rows_are_the_margins_of_any_order(x, rnd):
    """Rows sorted from the largest down (as the API returns them) take a shortcut: same bits.

    The shortcut reads the first two columns; a shuffled copy of the same rows goes the
    general way (two argmax passes) and must give the same margins, bit for bit.
    """
    ordered = np.sort(x, axis=-1)[..., ::-1]
    shuffled = ordered.copy()
    for row in shuffled:
        rnd.shuffle(row)
    for fn in (metrics.margin, metrics.log_margin):
        np.testing.assert_array_equal(fn(ordered), fn(shuffled))
    s = metrics.summary(ordered)
    np.testing.assert_array_equal(s.margin, metrics.margin(shuffled))
    np.testing.assert_array_equal(s.log_margin, metrics.log_margin(shuffled))


def test_a_nan_in_sorted_rows_still_gives_nan():
    """A NaN fails the sortedness test, so it propagates as in the general way."""
    x = np.array([[-0.1, -0.5, -2.0], [-0.1, np.nan, -2.0]])
    assert np.isnan(metrics.margin(x)[1])
    assert np.isnan(metrics.log_margin(x)[1])
    assert metrics.log_margin(x)[0] == 0.4


@given(rows())
def test_no_nan_or_inf_outside_documented_cases(x):
    """Any mix of the rule's values gives finite results, except the documented NaNs."""
    k = np.array([members(r).size for r in x])
    assert np.isfinite(metrics.probs(x)).all()
    assert np.isfinite(metrics.tail_mass(x)).all()
    assert np.isfinite(metrics.entropy(x)[k > 0]).all()
    assert np.isfinite(metrics.margin(x)[k > 1]).all()
    assert np.isfinite(metrics.entropy_bounds(x, vocab_size=100_000)).all()
    assert np.isfinite(metrics.renormalize(x, log=False)[k > 0]).all()


# --- entropy bounds ---------------------------------------------------------------------------


@st.composite
def truncated(draw):
    """A full-vocabulary distribution, its true entropy, and its top-k logprobs."""
    vocab = draw(st.integers(2, 40))
    logits = draw(hnp.arrays(np.float64, vocab, elements=st.floats(-12, 12)))
    temperature = draw(st.sampled_from([0.05, 0.5, 1.0, 4.0]))
    logp = np.sort(special.log_softmax(logits / temperature))[::-1]
    k = draw(st.integers(0, min(vocab, 20)))
    return vocab, stats.entropy(np.exp(logp)), logp, k


@settings(max_examples=300)
@given(truncated(), st.sampled_from([None, 2]))
def test_true_entropy_within_bounds(case, base):
    """The true entropy of a full distribution lies within the bounds from its top-k."""
    vocab, true_h, logp, k = case
    lower, upper = metrics.entropy_bounds(logp[:k], vocab_size=vocab, base=base)
    scale = 1.0 if base is None else math.log(base)
    assert lower - 1e-9 <= true_h / scale <= upper + 1e-9
    assert 0.0 <= lower <= upper <= math.log(vocab) / scale + 1e-12


@settings(max_examples=300)
@given(truncated(), st.data())
def test_bounds_with_appended_sampled_token(case, data):
    """With the sampled token from outside the top-k, ceiling_logprob keeps the bounds true."""
    vocab, true_h, logp, k = case
    if k >= vocab:
        return
    sampled = data.draw(st.integers(k, vocab - 1))
    row = np.append(logp[:k], logp[sampled])
    ceiling = logp[k - 1] if k else 0.0
    lower, upper = metrics.entropy_bounds(row, vocab_size=vocab, ceiling_logprob=ceiling)
    assert lower - 1e-9 <= true_h <= upper + 1e-9


@pytest.mark.parametrize(
    ("head", "tail", "which"),
    [
        pytest.param([0.5, 0.25], [0.125, 0.125], 1, id="uniform-tail-attains-upper"),
        pytest.param([0.5, 0.25], [0.25, 0.0], 0, id="capped-tail-attains-lower"),
        pytest.param([0.4, 0.3], [0.3, 0.0, 0.0], 0, id="lower-with-zero-remainder"),
        pytest.param([0.4, 0.2], [0.2, 0.2, 0.0], 0, id="lower-two-at-the-cap"),
        pytest.param([0.4, 0.2], [0.4 / 3] * 3, 1, id="upper-three-unseen"),
    ],
)
def test_bounds_are_tight(head, tail, which):
    """Each bound is attained by a distribution consistent with the returned head."""
    full = np.array(head + tail)
    bounds = metrics.entropy_bounds(np.log(head), vocab_size=full.size)
    assert bounds[which] == pytest.approx(stats.entropy(full), abs=1e-12)


def test_bounds_without_members_are_zero_to_log_vocab():
    """Nothing returned: the entropy can be anything in [0, log V]."""
    got = metrics.entropy_bounds([[-np.inf, -9999.0]], vocab_size=8)
    np.testing.assert_allclose(got, [[0.0, math.log(8)]])


def test_bounds_when_head_is_whole_vocabulary():
    """With V members there is no tail: both bounds are the exact entropy."""
    p = np.array([0.7, 0.2, 0.1])
    np.testing.assert_allclose(
        metrics.entropy_bounds(np.log(p), vocab_size=3), [stats.entropy(p)] * 2
    )


def test_bounds_reject_bad_vocab_size():
    """vocab_size must be a positive integer."""
    with pytest.raises(ValueError, match="vocab_size"):
        metrics.entropy_bounds([-0.1], vocab_size=0)
    with pytest.raises(TypeError):
        metrics.entropy_bounds([-0.1], vocab_size=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="smaller than the 3 tokens returned"):
        metrics.entropy_bounds([-1.0, -2.0, -3.0], vocab_size=2)


def test_bounds_take_any_vocabulary_size():
    """A vocabulary larger than an int64 gives finite bounds, growing with its log."""
    small, huge = (metrics.entropy_bounds([-0.7, -1.4], vocab_size=v) for v in (100, 10**30))
    assert small[0] == huge[0]
    assert huge[1] > small[1]
    assert np.isfinite(huge).all()


def test_bounds_refuse_a_vocabulary_beyond_float64():
    """A size past float64's range is a typed error naming it, not a bare OverflowError."""
    with pytest.raises(ValueError, match="vocab_size has 401 digits"):
        metrics.entropy_bounds([-0.7, -1.4], vocab_size=10**400)
    d = tp.parse(chat_completion([("a", -0.7, [("a", -0.7), ("b", -1.4)])]))
    with pytest.raises(ValueError, match="vocab_size has 401 digits"):
        d.entropy_bounds(vocab_size=10**400)


# --- the rules, one row each ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "h", "m", "tail"),
    [
        pytest.param([-np.log(2), -np.log(2)], np.log(2), 0.0, 0.0, id="tie"),
        pytest.param([-np.log(2), -9999.0], 0.0, np.nan, 0.5, id="sentinel-is-not-a-member"),
        pytest.param([-np.log(2), -np.inf], 0.0, np.nan, 0.5, id="minus-inf-is-not-a-member"),
        pytest.param([0.0, -9999.0], 0.0, np.nan, 0.0, id="zero-logprob"),
        pytest.param([3e-7, -np.log(4)], None, 0.75, 0.0, id="tiny-positive-clipped"),
        pytest.param([-np.inf, -9999.0], np.nan, np.nan, 1.0, id="no-member"),
        pytest.param([], np.nan, np.nan, 1.0, id="k-zero"),
        pytest.param([-0.1], 0.0, np.nan, 1 - math.exp(-0.1), id="k-one"),
    ],
)
def test_rules(row, h, m, tail):
    """Each rule of the support gives the documented entropy, margin and tail mass."""
    if h is not None:
        np.testing.assert_allclose(metrics.entropy(row), h)
    np.testing.assert_allclose(metrics.margin(row), m)
    np.testing.assert_allclose(metrics.tail_mass(row), tail)


def test_support_counts_sampled_token_once():
    """The sampled token is appended only when it is not among the alternatives."""
    top = [[-0.1, -2.5], [-0.3, -9999.0]]
    got = metrics.support([-0.1, -4.0], top, in_top=[True, False])
    np.testing.assert_array_equal(got, [[-0.1, -2.5, -np.inf], [-0.3, -np.inf, -4.0]])
    assert metrics.tail_mass(got)[0] == pytest.approx(1 - math.exp(-0.1) - math.exp(-2.5))


def test_support_rejects_mismatched_shapes():
    """Alternatives must have one more axis than the sampled logprobs."""
    with pytest.raises(ValueError, match="shape"):
        metrics.support([-0.1, -0.2], [[-0.1]], in_top=[True, True])


def test_nan_propagates_per_position():
    """A NaN (the API's null) makes that position's results NaN, and only that position's."""
    x = np.array([[np.nan, -0.5], [-0.2, -1.7]])
    fused, separate = metrics.summary(x), individual(x)
    for name in ("renormalized", "entropy", "margin", "tail_mass", "log_margin"):
        for out in (getattr(fused, name), separate[name]):
            assert np.isnan(out[0]).all()
            assert np.isfinite(out[1]).all()
    assert np.isnan(fused.probs[0]).tolist() == [True, False]  # elementwise: only the NaN
    assert np.isnan(metrics.entropy_bounds(x, vocab_size=10)[0]).all()


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(["a", "b"], id="strings"),
        pytest.param([1 + 2j], id="complex"),
        pytest.param([True, False], id="booleans"),
        pytest.param([{"logprob": -1}], id="objects"),
    ],
)
def test_rejects_non_numeric_input(bad):
    """Non-numeric input raises TypeError naming the argument."""
    for fn in (metrics.probs, metrics.entropy, metrics.perplexity, metrics.summary):
        with pytest.raises(TypeError, match="logprobs"):
            fn(bad)


def test_none_is_a_null_logprob():
    """None (JSON null) in an object array is read as NaN."""
    assert np.isnan(metrics.probs([None, -1.0])[0])


def test_axis_keepdims_and_base():
    """The axis picks the support axis, keepdims keeps it, base=2 gives bits."""
    x = np.log([[0.5, 0.25], [0.5, 0.75]])
    np.testing.assert_allclose(metrics.entropy(x, axis=0), metrics.entropy(x.T))
    assert metrics.margin(x, axis=0, keepdims=True).shape == (1, 2)
    assert metrics.entropy_bounds(x, vocab_size=9, axis=0).shape == (2, 2)
    np.testing.assert_allclose(metrics.entropy(x, base=2), metrics.entropy(x) / math.log(2))
    np.testing.assert_allclose(metrics.renormalize(x, axis=0, log=False).sum(axis=0), 1.0)


# --- summary: the fused pass --------------------------------------------------------------------


def individual(x, axis=-1, *, base=None, keepdims=False):
    """What the separate public functions return, keyed like Summary's fields."""
    return {
        "probs": metrics.probs(x),
        "renormalized": metrics.renormalize(x, axis, log=False),
        "tail_mass": metrics.tail_mass(x, axis, keepdims=keepdims),
        "entropy": metrics.entropy(x, axis, base=base, keepdims=keepdims),
        "margin": metrics.margin(x, axis, keepdims=keepdims),
        "log_margin": metrics.log_margin(x, axis, keepdims=keepdims),
    }


# adds rows whose sum of exps underflows, so the max-shifted path runs too
deep = st.floats(min_value=-800.0, max_value=-600.0)
support_rows = hnp.arrays(
    np.float64,
    st.tuples(st.integers(1, 6), st.integers(0, 22)),
    elements=st.one_of(logprob, deep, st.just(math.nan)),
)


@given(support_rows, st.sampled_from([None, 2, 10]))
def test_summary_equals_the_individual_functions(x, base):
    """Every field of summary is bit-for-bit the function of that name, NaN where it is NaN."""
    got = metrics.summary(x, base=base)
    for name, want in individual(x, base=base).items():
        np.testing.assert_array_equal(getattr(got, name), want, err_msg=name, strict=True)


@given(
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=3, max_dims=3, max_side=5), elements=logprob),
    st.integers(-3, 2),
    st.booleans(),
)
def test_summary_axis_and_keepdims(x, axis, keepdims):
    """The fused pass takes axis and keepdims as the individual functions do, on any axis."""
    got = metrics.summary(x, axis, keepdims=keepdims)
    for name, want in individual(x, axis, keepdims=keepdims).items():
        np.testing.assert_array_equal(getattr(got, name), want, err_msg=name, strict=True)


@given(st.lists(st.one_of(logprob, st.just(math.nan)), min_size=0, max_size=6))
def test_summary_on_one_position(row):
    """A 1-D support (one position) gives 0-d reductions equal to the functions'."""
    got = metrics.summary(row)
    for name, want in individual(row).items():
        np.testing.assert_array_equal(getattr(got, name), want, err_msg=name, strict=True)


def test_summary_takes_one_exp(monkeypatch):
    """The fused pass exponentiates the support once (plus the two top values per position)."""
    x = np.log(np.random.default_rng(0).dirichlet(np.ones(20), size=64))
    sizes = []
    real_exp = np.exp

    def spy(a, *args, **kwargs):
        sizes.append(np.size(a))
        return real_exp(a, *args, **kwargs)

    monkeypatch.setattr(np, "exp", spy)
    metrics.summary(x)
    assert sorted(sizes) == [64, 64, x.size]


def test_summary_is_frozen():
    """The Summary cannot be rebound field by field."""
    s = metrics.summary([-0.1, -2.5])
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.entropy = np.array(0.0)  # type: ignore[misc]


# --- sequence aggregates ----------------------------------------------------------------------


@given(hnp.arrays(np.float64, st.integers(1, 50), elements=st.one_of(ordinary, st.just(np.nan))))
def test_sequence_aggregates_skip_nan(x):
    """Sum, mean and perplexity ignore NaN positions and agree with each other."""
    known = x[~np.isnan(x)]
    assert metrics.sequence_logprob(x) == pytest.approx(known.sum())
    if known.size:
        assert metrics.mean_logprob(x) == pytest.approx(known.mean())
        assert float(metrics.perplexity(x)) == pytest.approx(math.exp(-known.mean()))
        assert float(metrics.perplexity(x)) >= 1.0
    else:
        assert np.isnan(metrics.perplexity(x))


def test_surprisal_and_sentinel_sequence():
    """A sentinel sampled token has no mass: infinite surprisal and perplexity, said so."""
    np.testing.assert_array_equal(metrics.surprisal([-9999.0, 0.0, 1e-6]), [np.inf, 0.0, 0.0])
    assert metrics.sequence_logprob([-0.5, -9999.0]) == -np.inf
    assert metrics.perplexity([-0.5, -9999.0]) == np.inf
    assert metrics.sequence_logprob([[-0.5, -1.0]], keepdims=True).shape == (1, 1)


# --- the worked example in docs/metrics.md ----------------------------------------------------


def test_worked_example_from_recorded_fixture():
    """The numbers docs/metrics.md quotes for the recorded top-2 response."""
    content = json.loads(FIXTURE.read_text())["choices"][0]["logprobs"]["content"]
    sampled = np.array([t["logprob"] for t in content])
    top = np.array([[a["logprob"] for a in t["top_logprobs"]] for t in content])
    in_top = np.array([t["token"] == t["top_logprobs"][0]["token"] for t in content])
    s = metrics.support(sampled, top, in_top=in_top)
    assert s.shape == (9, 3)
    assert metrics.entropy(s)[0] == pytest.approx(0.5819, abs=1e-4)
    assert metrics.margin(s)[0] == pytest.approx(0.4608, abs=1e-4)
    assert metrics.tail_mass(s)[0] == pytest.approx(0.0045, abs=1e-4)
    np.testing.assert_allclose(
        metrics.entropy_bounds(s, vocab_size=200_019)[0], [0.6079, 0.6623], atol=1e-4
    )
    assert float(metrics.perplexity(sampled)) == pytest.approx(1.0463, abs=1e-4)


@pytest.mark.parametrize(
    "base", [1, 1.0, 0, -2, math.nan, 0.5], ids=["1", "1.0", "0", "-2", "nan", "half"]
)
@pytest.mark.parametrize("fn", ["entropy", "surprisal"])
def test_base_that_is_no_logarithm_base_is_refused(fn, base):
    """`base=1` (or <= 0, or NaN) is a ValueError, as in scipy, not a warning and `inf`.

    A base below 1 is refused too: every entropy would come out negative.
    """
    with pytest.raises(ValueError, match="base must be above 1"):
        getattr(metrics, fn)(np.log([0.5, 0.5]), base=base)


def test_entropy_bounds_in_a_base_below_1_are_refused_not_reversed():
    """`entropy_bounds(..., base=0.5)` gave `[-1.49, -2.81]`: a lower bound above the upper."""
    with pytest.raises(ValueError, match="base must be above 1"):
        metrics.entropy_bounds(np.log([0.5, 0.25]), vocab_size=10, base=0.5)
