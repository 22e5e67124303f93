"""Calibration: the maths in `tokenprobs.metrics` and the calibrators in `tokenprobs.labels`."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest

import tokenprobs as tp
from tokenprobs import metrics
from tokenprobs.labels import (
    BatchCalibration,
    CalibrationWarning,
    ContextualCalibration,
    Labels,
    PlattScaling,
    TemperatureScaling,
    VectorScaling,
    calibrate,
)
from tokenprobs.testing import chat_completion

NAMES = ["a", "b", "c"]


def results_from(rows, names=NAMES):
    """Label results whose normalised probabilities are the rows of `P` (no tail)."""
    ds = []
    for row in rows:
        alts = [(k, math.log(max(p, 1e-300))) for k, p in zip(names, row, strict=True)]
        top = max(alts, key=lambda a: a[1])
        ds.append(tp.parse(chat_completion([(top[0], top[1], alts)], finish_reason="length")))
    return Labels(names).probs_many(ds)


def softmax(z):
    """Row-wise softmax."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def synthetic(n, *, temperature=1.0, shift=0.0, seed=0, classes=3):
    """True logits, labels drawn from them, and a model's (mis)calibrated probabilities."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 1.5, size=(n, classes))
    y = np.array([rng.choice(classes, p=p) for p in softmax(z)])
    offset = np.zeros(classes)
    offset[0] = shift
    return softmax(z * temperature + offset), y


# --- the maths ----------------------------------------------------------------------------------


def ece_loop(p, y, bins, binning):
    """A plain-Python ECE, the reference."""
    conf = p.max(axis=1)
    correct = p.argmax(axis=1) == y
    n = len(y)
    if binning == "width":
        edges = np.linspace(0.0, 1.0, bins + 1)  # [lo, hi), the last closed
        which = [min(sum(c >= e for e in edges[1:-1]), bins - 1) for c in conf]
    else:
        ranked = sorted(conf)
        last = {c: r for r, c in enumerate(ranked)}  # equal confidences: the last one's bin
        which = [last[c] * bins // n for c in conf]
    total = 0.0
    for b in range(bins):
        members = [i for i in range(n) if which[i] == b]
        if members:
            gap = sum(conf[i] - correct[i] for i in members)
            total += abs(gap)
    return total / n


@pytest.mark.parametrize("binning", ["width", "mass"])
@pytest.mark.parametrize("bins", [1, 5, 15])
def test_ece_matches_the_reference(binning, bins):
    """ECE (equal-width and equal-mass bins) equals a plain loop over the bins."""
    p, y = synthetic(200, temperature=2.0)
    assert metrics.ece(p, y, bins=bins, binning=binning) == pytest.approx(
        ece_loop(p, y, bins, binning)
    )


@pytest.mark.parametrize("call", [metrics.ece, metrics.ece_interval, metrics.reliability])
def test_equal_mass_bins_keep_equal_confidences_together(call):
    """Equal confidences were split over two bins by their order: the ECE depended on it.

    Four answers at 0.9, two right: ordered right, right, wrong, wrong the two bins read 100 %
    and 0 % accurate at one confidence, and the ECE was 0.5 instead of 0.4.
    """
    p = [[0.9, 0.1]] * 4
    kwargs = {"seed": 0} if call is metrics.ece_interval else {}
    ordered = call(p, [0, 0, 1, 1], bins=2, binning="mass", **kwargs)
    shuffled = call(p, [0, 1, 1, 0], bins=2, binning="mass", **kwargs)
    if call is metrics.reliability:
        assert ordered.counts.tolist() == shuffled.counts.tolist() == [0, 4]
        assert ordered.accuracy[1] == shuffled.accuracy[1] == 0.5
    else:
        estimate = ordered if call is metrics.ece else ordered.estimate
        assert estimate == pytest.approx(0.4)
        assert ordered == shuffled


def test_tied_confidences_go_to_the_bin_their_edges_give():
    """A run of ties at a boundary is in the upper bin, where `reliability`'s edges put it."""
    p = [[0.5, 0.5], [0.9, 0.1], [0.9, 0.1], [0.9, 0.1]]
    r = metrics.reliability(p, [0, 0, 0, 1], bins=2, binning="mass")
    assert r.edges.tolist() == [0.5, 0.9, 0.9]
    assert r.counts.tolist() == [1, 3]  # [0.5, 0.9) holds 0.5; [0.9, 0.9] the three at 0.9


@pytest.mark.parametrize("bins", [10, 15, 100])
def test_equal_width_bins_hold_what_their_edges_say(bins):
    """0.58 * 100 is 57.99999999999999: a confidence of 0.58 went to [0.57, 0.58), outside it."""
    conf = np.round(np.linspace(0.5, 1.0, 51), 2)
    for c in conf:
        r = metrics.reliability([[c, 1 - c]], [0], bins=bins)
        (b,) = np.flatnonzero(r.counts)
        assert r.edges[b] <= c, (c, r.edges[b])
        assert c < r.edges[b + 1] or b == bins - 1, (c, r.edges[b + 1])


def test_equal_mass_edges_hold_their_bins():
    """The quantile edges [0.5, 0.7, 0.9] put 0.7 in the second bin, which the first holds."""
    p = [[0.5, 0.5], [0.7, 0.3], [0.9, 0.1]]
    r = metrics.reliability(p, [0, 0, 0], bins=2, binning="mass")
    assert r.counts.tolist() == [2, 1]
    assert r.edges.tolist() == [0.5, 0.9, 0.9]  # [0.5, 0.9) holds 0.5 and 0.7; [0.9, 0.9] 0.9
    assert r.confidence.tolist() == pytest.approx([0.6, 0.9])


def test_ece_with_ties_matches_the_reference():
    """Tied confidences (a model saturating at 1.0, rounded values) against the plain loop."""
    rng = np.random.default_rng(5)
    p1 = rng.choice([0.5, 0.7, 0.9, 1.0], size=60)
    p, y = np.stack([p1, 1 - p1], axis=1), (rng.random(60) < 0.7).astype(int)
    for bins in (2, 3, 7):
        assert metrics.ece(p, y, bins=bins, binning="mass") == pytest.approx(
            ece_loop(p, y, bins, "mass")
        )


def test_ece_zero_when_calibrated_per_bin():
    """Confidence 0.75 with three of four right is calibrated: ECE 0."""
    p = [[0.75, 0.25]] * 4
    assert metrics.ece(p, [0, 0, 0, 1]) == pytest.approx(0.0)


def test_ece_class_axis():
    """`axis` names the class axis."""
    p, y = synthetic(50)
    assert metrics.ece(p.T, y, axis=0) == pytest.approx(metrics.ece(p, y))


def test_ece_interval_contains_the_estimate_and_shrinks_with_n():
    """The bootstrap interval holds the estimate, is reproducible, and narrows with more data."""
    p, y = synthetic(2000, temperature=2.0)
    small = metrics.ece_interval(p[:100], y[:100], seed=1)
    large = metrics.ece_interval(p, y, seed=1)
    assert small == metrics.ece_interval(p[:100], y[:100], seed=1)
    assert large.low <= large.estimate <= large.high
    assert large.high - large.low < small.high - small.low


def test_brier_score_value():
    """Brier: mean squared distance to the one-hot truth, summed over classes."""
    assert metrics.brier_score([[0.9, 0.1], [0.2, 0.8]], [0, 0]) == pytest.approx(
        (0.01 + 0.01 + 0.64 + 0.64) / 2
    )


def test_brier_decomposition_identity_on_binned_forecasts():
    """REL - RES + UNC equals the Brier score when forecasts take one value per bin."""
    rng = np.random.default_rng(3)
    p1 = rng.choice([0.05, 0.35, 0.65, 0.95], size=500)
    y = (rng.random(500) < p1).astype(int)
    p = np.stack([1 - p1, p1], axis=1)
    d = metrics.brier_decomposition(p, y, bins=10)
    assert d.brier == pytest.approx(metrics.brier_score(p, y))
    assert d.reliability - d.resolution + d.uncertainty == pytest.approx(d.brier)


def test_nll_value_and_clipping():
    """NLL is the mean -log p of the truth; a probability of 0 costs -log(1e-15), not inf."""
    assert metrics.nll([[0.5, 0.5], [0.9, 0.1]], [0, 0]) == pytest.approx(
        -(math.log(0.5) + math.log(0.9)) / 2
    )
    assert metrics.nll([[1.0, 0.0]], [1]) == pytest.approx(-math.log(1e-15))


def test_reliability_table():
    """The reliability table: counts, mean confidence and accuracy per bin."""
    r = metrics.reliability([[0.95, 0.05], [0.85, 0.15], [0.55, 0.45]], [0, 1, 0], bins=2)
    assert r.counts.tolist() == [0, 3]
    assert r.confidence[1] == pytest.approx((0.95 + 0.85 + 0.55) / 3)
    assert r.accuracy[1] == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("probs", "labels", "kwargs", "message"),
    [
        pytest.param([0.5, 0.5], [0], {}, "2-D", id="one-dimensional"),
        pytest.param([[0.5, 0.5]], [2], {}, "class indices", id="label-out-of-range"),
        pytest.param([[0.5, 0.5]], [0.0], {}, "integer", id="float-labels"),
        pytest.param([[np.nan, 0.5]], [0], {}, "finite", id="nan-probs"),
        pytest.param([[0.5, 0.5]], [0], {"binning": "equal"}, "binning", id="unknown-binning"),
        pytest.param([[0.5, 0.5]], [0], {"bins": 0}, "bins", id="no-bins"),
    ],
)
def test_ece_input_errors(probs, labels, kwargs, message):
    """Inputs that do not fit are refused, saying which."""
    with pytest.raises(ValueError, match=message):
        metrics.ece(probs, labels, **kwargs)


@pytest.mark.parametrize(
    ("probs", "labels", "message"),
    [
        pytest.param([[0.9, 0.1]], [0, 1], r"1 integer class index \(one per", id="one"),
        pytest.param([[0.9, 0.1]] * 2, [0], r"2 integer class indices \(one per", id="two"),
    ],
)
def test_the_label_count_reads_right_for_one_example(probs, labels, message):
    """One example was asked for as "1 integer class indices"."""
    with pytest.raises(ValueError, match=message):
        metrics.ece(probs, labels)


CALIBRATION_METRICS = [
    pytest.param(metrics.ece, id="ece"),
    pytest.param(metrics.ece_interval, id="ece_interval"),
    pytest.param(metrics.reliability, id="reliability"),
    pytest.param(metrics.brier_score, id="brier_score"),
    pytest.param(metrics.brier_decomposition, id="brier_decomposition"),
    pytest.param(metrics.nll, id="nll"),
]
"""Every function of `tokenprobs.metrics` that takes `(probs, labels)`."""


@pytest.mark.parametrize("call", CALIBRATION_METRICS)
@pytest.mark.parametrize(
    "probs",
    [
        pytest.param([[-0.1, -0.2]], id="negative"),  # ece: a bincount error from deep inside
        pytest.param([[2.0, -1.0]], id="above-one"),  # nll: -0.69, a negative log-likelihood
        pytest.param([[-0.1, -2.3]], id="logprobs"),
    ],
)
def test_probabilities_outside_zero_one_are_refused(call, probs):
    """Values outside [0, 1] gave a numpy error or a wrong number (a negative NLL)."""
    with pytest.raises(ValueError, match=r"probs must be probabilities in \[0, 1\]"):
        call(probs, [0])


@pytest.mark.parametrize("call", CALIBRATION_METRICS)
@pytest.mark.parametrize(
    ("probs", "kwargs", "error", "message"),
    [
        pytest.param([[0.9, 0.1], [1.0]], {}, ValueError, "probs is ragged", id="ragged"),
        pytest.param([["a", "b"]], {}, TypeError, "real numbers", id="strings"),
        pytest.param([[0.9, 0.1]], {"axis": 5}, ValueError, "axis=5 is not an axis", id="axis"),
        pytest.param([[0.9, 0.1]], {"axis": True}, TypeError, "axis must be an integer", id="bool"),
    ],
)
def test_calibration_inputs_are_named(call, probs, kwargs, error, message):
    """Ragged probs, strings and a bad axis are refused naming them.

    They gave numpy's own errors ("setting an array element with a sequence", "source: axis 5
    is out of bounds"), and axis=True was read as axis 1.
    """
    with pytest.raises(error, match=message):
        call(probs, [0] * len(probs), **kwargs)


def test_rounding_past_one_is_not_a_probability_error():
    """A softmax's 1.0000000000000002 is clipped, not refused."""
    assert metrics.nll([[1.0 + 2e-16, 0.0]], [0]) == 0.0


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        pytest.param({"n_resamples": 0}, ValueError, "n_resamples must be at least 1", id="zero"),
        pytest.param({"n_resamples": -1}, ValueError, "at least 1", id="negative"),
        pytest.param({"n_resamples": 2.5}, TypeError, "n_resamples must be an integer", id="float"),
        pytest.param({"bins": 2.5}, TypeError, "bins must be an integer", id="float-bins"),
        pytest.param({"bins": True}, TypeError, "bins must be an integer", id="bool-bins"),
        pytest.param({"confidence_level": "0.9"}, TypeError, "confidence_level", id="str-level"),
        pytest.param({"confidence_level": True}, TypeError, "a number such as", id="bool-level"),
        pytest.param({"confidence_level": 1.5}, ValueError, r"in \(0, 1\)", id="level-1.5"),
    ],
)
def test_ece_interval_counts_are_checked(kwargs, error, message):
    """n_resamples=0 raised an IndexError from np.quantile; a float bins a numpy cast error."""
    with pytest.raises(error, match=message):
        metrics.ece_interval([[0.9, 0.1], [0.2, 0.8]], [0, 1], seed=0, **kwargs)


@pytest.mark.parametrize(
    "call", [metrics.ece, metrics.reliability, metrics.brier_decomposition, metrics.ece_interval]
)
def test_bins_no_table_can_hold_are_refused(call):
    """bins=10**9 allocated 7.45 GiB of edges (a MemoryError); the limit is said instead."""
    with pytest.raises(ValueError, match=r"bins must be at most 100,000, got 1,000,000,000"):
        call([[0.9, 0.1], [0.2, 0.8]], [0, 1], bins=10**9)


def test_resamples_no_interval_needs_are_refused():
    """n_resamples=10**9 drew a (10**9, N) index array at once (a MemoryError)."""
    with pytest.raises(ValueError, match=r"n_resamples must be at most 1,000,000, got 1,000,0"):
        metrics.ece_interval([[0.9, 0.1], [0.2, 0.8]], [0, 1], n_resamples=10**9)


def test_ece_interval_draws_its_resamples_a_block_at_a_time():
    """1000 resamples of N examples held several (1000, N) arrays: 200 MB at N = 5000.

    Drawn a block at a time, the resamples are the very ones one draw gives (same interval).
    """
    p, y = synthetic(5000, temperature=2.0)
    tracemalloc.start()
    try:
        got = metrics.ece_interval(p, y, seed=3)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 80e6
    idx = np.random.default_rng(3).integers(0, len(y), size=(1000, len(y)))
    samples = [metrics.ece(p[i], y[i]) for i in idx]
    assert got == pytest.approx((metrics.ece(p, y), *np.quantile(samples, [0.025, 0.975])))


def test_no_examples_give_nan_without_a_warning():
    """ece_interval and brier_decomposition of no examples emitted RuntimeWarnings; ece gave NaN."""
    empty, none = np.zeros((0, 2)), np.zeros(0, dtype=int)
    assert math.isnan(metrics.ece(empty, none))
    assert all(math.isnan(v) for v in metrics.ece_interval(empty, none, seed=0))
    assert all(math.isnan(v) for v in metrics.brier_decomposition(empty, none))
    with pytest.raises(ValueError, match="bins must be at least 1"):
        metrics.ece_interval(empty, none, bins=0)


@pytest.mark.parametrize("call", CALIBRATION_METRICS)
@pytest.mark.parametrize("none", [pytest.param([], id="list"), pytest.param((), id="tuple")])
def test_an_empty_list_of_labels_is_no_examples(call, none):
    """`[]` is float64 to numpy and was refused as "got float64"; it is no labels, as ints are."""
    empty = np.zeros((0, 2))
    got, want = call(empty, none), call(empty, np.zeros(0, dtype=int))
    np.testing.assert_array_equal(flat(got), flat(want))
    if not isinstance(got, metrics.Reliability):  # its edges and zero counts are no scores
        assert np.isnan(flat(got)).all()


def flat(value):
    """A metric's value (a float or a tuple of arrays) as one float array."""
    parts = value if isinstance(value, tuple) else (value,)
    return np.concatenate([np.ravel(np.asarray(v, dtype=float)) for v in parts])


def test_an_empty_list_of_labels_for_some_examples_is_still_refused():
    """`[]` for two examples is too few labels, said as it was given."""
    with pytest.raises(ValueError, match=r"2 integer class indices .* got float64 of shape \(0,\)"):
        metrics.ece(np.full((2, 2), 0.5), [])


# --- the calibrators ----------------------------------------------------------------------------


def test_temperature_scaling_recovers_the_temperature():
    """A model 3x too confident is fit with T close to 3, keeping every argmax."""
    p, y = synthetic(1500, temperature=3.0)
    res = results_from(p)
    cal = TemperatureScaling().fit(res, y)
    assert cal.temperature == pytest.approx(3.0, rel=0.15)
    out = cal.transform(res)
    assert [r.label for r in out] == [r.label for r in res]


def test_temperature_scaling_improves_held_out_calibration():
    """Fit on one half, the other half's ECE and NLL drop."""
    p, y = synthetic(1200, temperature=2.5, seed=5)
    res = results_from(p)
    fit, held = res[:600], results_from(p[600:])
    cal = calibrate(fit, y[:600])
    before, after = held.matrix(), cal.transform(held).matrix()
    assert metrics.ece(after, y[600:]) < metrics.ece(before, y[600:]) / 2
    assert metrics.nll(after, y[600:]) < metrics.nll(before, y[600:])


def test_vector_scaling_removes_a_class_bias():
    """A model biased towards one class: vector scaling's NLL beats temperature scaling's."""
    p, y = synthetic(1500, shift=2.0, seed=7)
    res = results_from(p)
    vec = VectorScaling().fit(res, y).transform(res).matrix()
    temp = TemperatureScaling().fit(res, y).transform(res).matrix()
    assert metrics.nll(vec, y) < metrics.nll(temp, y) - 0.05
    assert VectorScaling().fit(res, y).bias[0] < -1.0


def test_platt_scaling_binary():
    """Platt scaling fits a binary problem and refuses three labels."""
    p, y = synthetic(800, temperature=3.0, classes=2, seed=2)
    res = results_from(p, names=["a", "b"])
    cal = PlattScaling().fit(res, y)
    assert cal.a == pytest.approx(1 / 3, rel=0.25)
    with pytest.raises(ValueError, match="two labels"):
        PlattScaling().fit(results_from(synthetic(400)[0]), synthetic(400)[1])


def test_contextual_calibration_divides_by_the_content_free_prior():
    """A content-free prior of [0.8, 0.2] turns an even [0.5, 0.5] into [0.2, 0.8]."""
    cf = results_from([[0.8, 0.2]], names=["a", "b"])
    cal = ContextualCalibration().fit(cf)
    out = cal.transform(results_from([[0.5, 0.5]], names=["a", "b"]))
    assert out[0].probs == pytest.approx({"a": 0.2, "b": 0.8})
    assert out[0].label == "b"


def test_batch_calibration_uses_the_batch_mean():
    """Batch calibration divides by the batch's mean probabilities (no labels needed)."""
    res = results_from([[0.9, 0.1], [0.7, 0.3]], names=["a", "b"])
    out = BatchCalibration().fit_transform(res)
    prior = np.array([0.8, 0.2])
    expected = np.array([0.9, 0.1]) / prior
    assert out[0].probs["a"] == pytest.approx(expected[0] / expected.sum())


def test_transform_keeps_what_the_model_said():
    """Calibration changes probs, label and margin; raw, bounds and tail are untouched."""
    p, y = synthetic(400, temperature=3.0)
    res = results_from(p)
    out = TemperatureScaling().fit(res, y).transform(res)
    assert out[0].raw == res[0].raw
    assert out[0].bounds == res[0].bounds
    assert out[0].probs != res[0].probs


def test_failed_items_stay_in_place():
    """A failed item (an exception) passes through fit and transform in place."""
    p, y = synthetic(400, temperature=3.0)
    res = results_from(p)
    res[3] = RuntimeError("request failed")
    out = TemperatureScaling().fit(res, y).transform(res)
    assert isinstance(out[3], RuntimeError)


def test_few_examples_warn():
    """Fitting on fewer than a few hundred examples warns."""
    p, y = synthetic(40)
    with pytest.warns(CalibrationWarning, match="40 examples"):
        TemperatureScaling().fit(results_from(p), y)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        pytest.param(
            lambda r, _y: calibrate(r, _y, method="isotonic"),
            ValueError,
            "unknown method",
            id="method",
        ),
        pytest.param(
            lambda r, _y: TemperatureScaling().fit(r), TypeError, "true labels", id="no-y"
        ),
        pytest.param(
            lambda r, _y: TemperatureScaling().fit(r, ["a", "zzz"] * 200),
            ValueError,
            "'zzz' is not one of",
            id="unknown-label",
        ),
        pytest.param(
            lambda r, y: (
                TemperatureScaling().fit(r, y).transform(results_from([[0.5, 0.5]], ["x", "y"]))
            ),
            ValueError,
            "fit on labels",
            id="other-labels",
        ),
    ],
)
def test_calibrator_errors(call, error, message):
    """Misuse is refused, saying what to do."""
    p, y = synthetic(400)
    with pytest.raises(error, match=message):
        call(results_from(p), y)


@pytest.mark.extras
def test_reliability_diagram_draws_the_bins():
    """The diagram draws one bar per non-empty bin and labels the ECE."""
    import matplotlib as mpl  # noqa: PLC0415

    mpl.use("Agg")
    p, y = synthetic(300, temperature=2.0)
    res = results_from(p)
    ax = tp.labels.reliability_diagram(res, y, bins=10)
    filled = int((metrics.reliability(p, y, bins=10).counts > 0).sum())
    assert len(ax.patches) == filled
    assert ax.get_legend().get_texts()[0].get_text().startswith("ECE = ")


@pytest.mark.extras
@pytest.mark.parametrize("n_labels", [39, 41])
def test_reliability_diagram_needs_one_true_label_per_result(n_labels):
    """Too few or too many true labels: the ValueError `fit` gives, not numpy's IndexError."""
    import matplotlib as mpl  # noqa: PLC0415

    mpl.use("Agg")
    p, y = synthetic(40)
    with pytest.raises(ValueError, match=rf"40 results but {n_labels} true labels"):
        tp.labels.reliability_diagram(results_from(p), np.resize(y, n_labels))


@pytest.mark.parametrize("n_labels", [39, 41])
def test_fit_needs_one_true_label_per_result(n_labels):
    """The same count check, the same words, in `fit`."""
    p, y = synthetic(40)
    with pytest.raises(ValueError, match=rf"40 results but {n_labels} true labels"):
        tp.labels.calibrate(results_from(p), np.resize(y, n_labels))


@pytest.mark.parametrize("calibrator", [TemperatureScaling, VectorScaling, PlattScaling])
def test_a_failed_fit_leaves_the_calibrator_unfitted(calibrator):
    """A fit refused (a true label not of the set) is no fit: transform still says to fit first.

    It used to keep the labels of the failed fit, so `transform` ran with the unfitted
    parameters: the identity for temperature and Platt scaling, numpy's broadcasting error for
    vector scaling.
    """
    p, _ = synthetic(40, classes=2)
    res = results_from(p, names=["a", "b"])
    cal = calibrator()
    with pytest.raises(ValueError, match="'zzz' is not one of"):
        cal.fit(res, ["zzz"] * 40)
    with pytest.raises(ValueError, match="is not fitted: call fit"):
        cal.transform(res)


def test_true_labels_in_rows_are_refused():
    """A 2-D array of true labels (one-hot rows) is not one label per result: refused, not fit."""
    res = results_from([[0.9, 0.1], [0.2, 0.8]], names=["a", "b"])
    with pytest.raises(ValueError, match=r"array of shape \(2, 2\): give one true label"):
        TemperatureScaling().fit(res, np.array([[1, 0], [0, 1]]))


ONE = r"for one result pass \[result\]"


@pytest.mark.parametrize(
    ("given", "what", "fix"),
    [
        pytest.param(lambda res: res[0], "one LabelResult", ONE, id="one-result"),
        pytest.param(lambda _res: None, "None", ONE, id="none"),
        pytest.param(lambda _res: 3, "an int", ONE, id="number"),
        pytest.param(lambda _res: "ab", "a str", ONE, id="str"),
        pytest.param(lambda _res: b"ab", "a bytes", ONE, id="bytes"),
        pytest.param(
            lambda res: {"q1": res[0]}, "a dict", r"pass list\(results.values\(\)\)", id="dict"
        ),
    ],
)
def test_results_that_are_no_list_are_refused_by_name(given, what, fix):
    """`fit(r)` / `transform(r)` with one result says to pass `[r]`, not "not iterable".

    A str, bytes or a dict was refused item by item ("item 0 is an int"), naming no argument.
    """
    res = results_from([[0.9, 0.1], [0.2, 0.8]], names=["a", "b"])
    fitted = BatchCalibration().fit(res)
    message = rf"results must be an iterable of label results .* got {what}: {fix}"
    for call in (lambda r: BatchCalibration().fit(r), fitted.transform):
        with pytest.raises(TypeError, match=message):
            call(given(res))


@pytest.mark.parametrize(
    "as_given",
    [
        pytest.param(tuple, id="tuple"),
        pytest.param(iter, id="generator"),
        pytest.param(list, id="list"),
    ],
)
def test_results_may_be_any_iterable(as_given):
    """A tuple or a generator of results fits as the list `probs_many` returns does."""
    p, y = synthetic(40, temperature=3.0)
    res = results_from(p)
    with pytest.warns(CalibrationWarning):
        want = TemperatureScaling().fit(res, y).temperature
    with pytest.warns(CalibrationWarning):
        got = TemperatureScaling().fit(as_given(res), y).temperature
    assert got == want


@pytest.mark.parametrize(
    ("options", "match"),
    [
        pytest.param({"ax": 3}, r"ax is the matplotlib Axes .*got an int", id="ax-int"),
        pytest.param({"ax": "left"}, r"ax is the matplotlib Axes .*got a str", id="ax-str"),
        pytest.param({"label": 5}, "label is the legend's text", id="label-int"),
    ],
)
def test_reliability_diagram_names_an_ax_or_label_of_the_wrong_type(options, match):
    """`ax=3` was "'int' object has no attribute 'bar'", after the bins were computed."""
    p, y = synthetic(40)
    with pytest.raises(TypeError, match=match):
        tp.labels.reliability_diagram(results_from(p), y, **options)


# --- rows that are no distribution, and the unsupervised calibrators' y ------------------------


@pytest.mark.parametrize("call", CALIBRATION_METRICS)
@pytest.mark.parametrize(
    ("rows", "total"),
    [([[1.0, 1.0]], "2"), ([[0.0, 0.0]], "0"), ([[0.6, 0.3]], "0.9")],
    ids=["over", "empty", "short"],
)
def test_a_row_that_does_not_sum_to_one_is_refused(call, rows, total):
    """nll([[1, 1]], [0]) and ece were 0 ("perfect"), nll([[0, 0]], [0]) 34.5."""
    with pytest.raises(ValueError, match=rf"probs must hold one distribution .* row 0 .* {total}:"):
        call(rows, [0])


def test_the_refused_row_is_the_first_that_misses_one():
    """The message names the first bad row and how many there are."""
    p = [[0.5, 0.5], [0.3, 0.3], [0.2, 0.2]]
    with pytest.raises(ValueError, match=r"row 1 \(example 1\) sums to 0\.6 \(2 rows do\)"):
        metrics.nll(p, [0, 0, 0])


def test_a_row_within_the_tolerance_is_used_as_given():
    """Three probabilities rounded to 3 decimals sum to 0.999: rounding, not refused."""
    assert metrics.nll([[0.333, 0.333, 0.333]], [0]) == pytest.approx(-math.log(0.333))
    assert metrics.nll([[0.5005, 0.5005]], [0]) == pytest.approx(-math.log(0.5005))
    with pytest.raises(ValueError, match="row 0"):
        metrics.nll([[0.5006, 0.5006]], [0])  # 1.0012: past 1e-3


def test_the_row_sum_is_along_the_class_axis():
    """With axis=0 the classes are the rows of the input; each example is a column."""
    assert metrics.nll([[0.5, 0.3], [0.5, 0.7]], [0, 1], axis=0) == pytest.approx(
        metrics.nll([[0.5, 0.5], [0.3, 0.7]], [0, 1])
    )
    with pytest.raises(ValueError, match=r"row 1 \(example 1\) sums to 0\.6"):
        metrics.nll([[0.5, 0.3], [0.5, 0.3]], [0, 1], axis=0)


def test_none_probs_is_a_type_error():
    """nll(None, ...) blamed the axis ('not an axis of probs, a scalar')."""
    with pytest.raises(TypeError, match=r"probs must be an array-like .* got None"):
        metrics.nll(None, [0])


@pytest.mark.parametrize("calibrator", [ContextualCalibration, BatchCalibration])
@pytest.mark.parametrize("y", [["a"], ["a", "b", "c", "a"]], ids=["too-few", "too-many"])
def test_an_unsupervised_fit_checks_a_y_it_is_given(calibrator, y):
    """ContextualCalibration().fit(results, ["garbage"]) ignored a y of the wrong length."""
    res = results_from([[0.5, 0.3, 0.2], [0.2, 0.5, 0.3], [0.3, 0.3, 0.4]])
    with pytest.raises(ValueError, match=rf"3 results but {len(y)} true labels"):
        calibrator().fit(res, y)
    with pytest.raises(ValueError, match=rf"3 results but {len(y)} true labels"):
        calibrate(res, y, method="contextual" if calibrator is ContextualCalibration else "batch")


@pytest.mark.parametrize("calibrator", [ContextualCalibration, BatchCalibration])
def test_an_unsupervised_fit_refuses_a_y_naming_no_label(calibrator):
    """A y given is checked as the supervised fits check it, names included."""
    res = results_from([[0.5, 0.3, 0.2], [0.2, 0.5, 0.3]])
    with pytest.raises(ValueError, match="'garbage' is not one of"):
        calibrator().fit(res, ["a", "garbage"])


@pytest.mark.parametrize("calibrator", [ContextualCalibration, BatchCalibration])
def test_an_unsupervised_fit_does_not_use_a_right_y(calibrator):
    """A y of one label per result is accepted and changes nothing."""
    res = results_from([[0.5, 0.3, 0.2], [0.2, 0.5, 0.3]])
    with_y = calibrator().fit(res, ["a", "c"])
    np.testing.assert_array_equal(with_y.prior, calibrator().fit(res).prior)
