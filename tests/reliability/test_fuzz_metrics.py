"""Metrics on hostile arrays: NaN, ±inf, huge, positive, the sentinel, empty and odd shapes.

Every function returns numbers in its documented range (NaN only where an input is NaN or a
slice has no member) or raises a TypeError / ValueError naming the problem; never anything else.
"""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from tests.reliability._checks import COUNTS
from tests.reliability.conftest import SCALE
from tests.reliability.strategies import HOSTILE_FLOATS

from tokenprobs import metrics

ARRAYS = hnp.arrays(
    dtype=st.sampled_from([np.float64, np.float32, np.int64]),
    shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=6),
    elements={"allow_nan": True, "allow_infinity": True},
)
HOSTILE = hnp.arrays(
    dtype=np.float64,
    shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=6),
    elements=HOSTILE_FLOATS,
)
ODD = st.one_of(
    st.lists(st.one_of(st.none(), HOSTILE_FLOATS), max_size=6),
    st.just([]),
    st.just([[]]),
    st.just([[1.0], [1.0, 2.0]]),  # ragged
    st.just(["x", -0.5]),
    st.just(np.array(["a"])),
    st.just(np.array([1 + 2j])),
    st.just(-9999.0),
    st.just(np.float64("nan")),
)
_TYPED = (TypeError, ValueError)


def _in_unit(x: np.ndarray) -> bool:
    ok = ~np.isnan(x)
    return bool(((x[ok] >= 0) & (x[ok] <= 1)).all())


def _check(arr) -> None:  # noqa: C901, PLR0912
    COUNTS["metrics arrays"] += 1
    try:
        x = np.asarray(arr, dtype=np.float64) if np.asarray(arr).dtype.kind in "iufO" else None
    except (TypeError, ValueError):
        x = None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning (overflow, invalid) may escape
        for fn in (metrics.probs, metrics.surprisal):
            try:
                out = fn(arr)
            except _TYPED:
                continue
            if fn is metrics.probs:
                assert _in_unit(out)
                if x is not None:
                    assert np.array_equal(np.isnan(out), np.isnan(x))
            else:
                assert not (out < 0).any()
        for fn in (metrics.tail_mass, metrics.entropy, metrics.margin, metrics.renormalize):
            try:
                out = fn(arr)
            except _TYPED:
                continue
            if fn in (metrics.tail_mass, metrics.margin):
                assert _in_unit(out)
            elif fn is metrics.entropy:
                assert not (out < 0).any()
                if x is not None and x.ndim >= 1 and x.size:
                    has_member = (np.isfinite(np.minimum(x, 0)) & (x > -9999.0)).any(axis=-1)
                    clean = ~np.isnan(x).any(axis=-1)
                    assert not np.isnan(out[has_member & clean]).any()
            else:
                assert _in_unit(np.exp(out[~np.isnan(out)]))
        for fn in (metrics.perplexity, metrics.mean_logprob, metrics.sequence_logprob):
            try:
                out = np.asarray(fn(arr))
            except _TYPED:
                continue
            if fn is metrics.perplexity:
                assert not (out < 1).any()
            else:
                assert not (out > 0).any()
        try:
            bounds = metrics.entropy_bounds(arr, vocab_size=100)
        except _TYPED:
            pass
        else:
            ok = ~np.isnan(bounds).any(axis=-1)
            assert (bounds[ok][..., 0] <= bounds[ok][..., 1] + 1e-9).all()
            assert (bounds[ok] >= 0).all()
            assert (bounds[ok] <= np.log(100) + 1e-9).all()


@settings(max_examples=80 * SCALE)
@given(arr=st.one_of(HOSTILE, ODD))
def test_metrics_on_hostile_arrays(arr):
    """Hostile arrays: a number in range, NaN where documented, or a typed error."""
    _check(arr)


@settings(max_examples=40 * SCALE)
@given(arr=ARRAYS)
def test_metrics_on_any_numeric_array(arr):
    """Any numeric array, any dtype: never a crash or an out-of-range number."""
    _check(arr)


def test_perplexity_of_a_very_unlikely_sequence_is_inf_without_a_warning():
    """A mean logprob of -710: perplexity is inf, and no RuntimeWarning escapes."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert metrics.perplexity([-710.0]) == np.inf
