"""Divergence intervals between truncated distributions contain the truth and are tight."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
from scipy import optimize

from tokenprobs import metrics
from tokenprobs.metrics import _divergence

WIDTH = 24  # keys per row: the union of two top-k (k <= 12), NaN-padded
TOL = 1e-12


def _dense(p, q):
    """TV, JS and KL(P||Q) of two full distributions (the truth)."""
    m = 0.5 * (p + q)
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_pm = np.where(p > 0, p * np.log(p / m), 0.0).sum()
        kl_qm = np.where(q > 0, q * np.log(q / m), 0.0).sum()
        kl = np.where(p > 0, p * np.log(p / q), 0.0).sum()
    return 0.5 * np.abs(p - q).sum(), 0.5 * (kl_pm + kl_qm), kl


def _truncate(p, k):
    """The indices of the top-k of `p` and the cap (its k-th logprob)."""
    top = np.argsort(-p, kind="stable")[:k]
    return top, math.log(p[top[-1]])


def _case(rng, *, full=False):
    """Two random full distributions, their top-k over the union of keys, caps and the truth."""
    v = int(rng.integers(2, 60))
    alpha = rng.choice([0.05, 0.3, 1.0, 5.0])
    p = rng.dirichlet(np.full(v, alpha))
    q = (
        rng.dirichlet(np.full(v, alpha))
        if rng.random() < 0.7
        else 0.5 * (p + rng.dirichlet(np.ones(v)))
    )
    p, q = np.maximum(p, 1e-300), np.maximum(q, 1e-300)
    p, q = p / p.sum(), q / q.sum()
    kp = v if full else int(rng.integers(1, min(v, 12) + 1))
    kq = v if full else int(rng.integers(1, min(v, 12) + 1))
    top_p, cap_p = _truncate(p, kp)
    top_q, cap_q = _truncate(q, kq)
    keys = list(dict.fromkeys([*top_p.tolist(), *top_q.tolist()]))
    width = len(keys) if full else WIDTH
    row_p, row_q = np.full(width, np.nan), np.full(width, np.nan)
    for j, t in enumerate(keys):
        if t in set(top_p.tolist()):
            row_p[j] = math.log(p[t])
        if t in set(top_q.tolist()):
            row_q[j] = math.log(q[t])
    unseen_q = np.setdiff1d(np.arange(v), top_q)
    # Q returned everything: any floor is vacuous here, but one above Q's tail would contradict
    # a large vocabulary (kl_bounds assumes one), so take one below its cap and tail slack
    fits = min(cap_q, math.log(_divergence.TAIL_SLACK)) - 1.0
    floor = float(np.log(q[unseen_q]).min()) if unseen_q.size else fits
    return row_p, row_q, cap_p, cap_q, floor, _dense(p, q)


@pytest.fixture(scope="module")
def cases():
    """1,000 random pairs, stacked into (N, WIDTH) rows."""
    rng = np.random.default_rng(18)
    rows = [_case(rng) for _ in range(1000)]
    p, q, cp, cq, floor, truth = zip(*rows, strict=True)
    return np.array(p), np.array(q), np.array(cp), np.array(cq), np.array(floor), np.array(truth)


def test_intervals_contain_the_truth(cases):
    """On 1,000 random truncated pairs TV, JS and KL (with the true floor) lie in the intervals."""
    p, q, cp, cq, floor, truth = cases
    tv = metrics.tv_bounds(p, q, cap_p=cp, cap_q=cq)
    js = metrics.js_bounds(p, q, cap_p=cp, cap_q=cq)
    kl = metrics.kl_bounds(p, q, cap_p=cp, cap_q=cq)
    assert tv.shape == js.shape == kl.shape == (1000, 2)
    for got, true in ((tv, truth[:, 0]), (js, truth[:, 1]), (kl, truth[:, 2])):
        assert np.all(got[:, 0] <= true + TOL)
        assert np.all(true <= got[:, 1] + TOL)
    kl_floor = np.array(
        [
            metrics.kl_bounds(a, b, cap_p=c, cap_q=d, floor=f)
            for a, b, c, d, f in zip(p, q, cp, cq, floor, strict=True)
        ]
    )
    assert np.all(kl_floor[:, 0] <= truth[:, 2] + TOL)
    assert np.all(truth[:, 2] <= kl_floor[:, 1] * (1 + 1e-12) + TOL)
    assert np.isfinite(kl_floor[:, 1]).all()
    assert np.isinf(kl[:, 1]).any()  # without a floor, KL has no upper bound


def test_default_cap_is_the_least_returned_logprob(cases):
    """Leaving the caps out takes each side's smallest known logprob (the top-k's k-th)."""
    p, q, cp, cq, _, _ = cases
    np.testing.assert_array_equal(
        metrics.tv_bounds(p, q), metrics.tv_bounds(p, q, cap_p=cp, cap_q=cq)
    )


def test_full_distributions_give_one_point():
    """With both tails 0 every bound collapses onto the exact value."""
    rng = np.random.default_rng(7)
    for _ in range(200):
        p, q, _, _, _, (tv, js, kl) = _case(rng, full=True)
        np.testing.assert_allclose(metrics.tv_bounds(p, q), [tv, tv], atol=1e-12)
        np.testing.assert_allclose(metrics.js_bounds(p, q), [js, js], atol=1e-12)
        np.testing.assert_allclose(metrics.kl_bounds(p, q), [kl, kl], rtol=1e-9, atol=1e-12)


def _known(row):
    return ~np.isnan(row)


def _lp_tv_infimum(p, q, cap_p, cap_q):
    """The least TV over all completions (spread over many fresh keys), by linear programming."""
    pp, qq = np.exp(np.nan_to_num(p, nan=-np.inf)), np.exp(np.nan_to_num(q, nan=-np.inf))
    r_p, r_q = max(0.0, 1 - pp.sum()), max(0.0, 1 - qq.sum())
    e_p, e_q = min(math.exp(cap_p), r_p), min(math.exp(cap_q), r_q)
    kp, kq = _known(p), _known(q)
    shared = np.abs(pp - qq)[kp & kq].sum()
    a, b = pp[kp & ~kq], qq[kq & ~kp]
    n_r = 400
    # variables: q on A, p on B, p on R, q on R, then one |.| slack per key of A, B, R
    n_x = len(a) + len(b) + 2 * n_r
    n_t = len(a) + len(b) + n_r
    c = np.r_[np.zeros(n_x), np.ones(n_t)]
    rows, rhs = [], []

    def slack(t, plus, minus, const):
        """|const + x[plus] - x[minus]| <= t, as two rows."""
        for sign in (1, -1):
            row = np.zeros(n_x + n_t)
            if plus is not None:
                row[plus] = sign
            if minus is not None:
                row[minus] = -sign
            row[n_x + t] = -1
            rows.append(row)
            rhs.append(-sign * const)

    for i, v in enumerate(a):  # |v - q_i|
        slack(i, None, i, v)
    for i, v in enumerate(b):  # |p_i - v|
        slack(len(a) + i, len(a) + i, None, -v)
    base_r = len(a) + len(b)
    for i in range(n_r):
        slack(len(a) + len(b) + i, base_r + i, base_r + n_r + i, 0.0)
    eq = np.zeros((2, n_x + n_t))
    eq[0, : len(a)] = 1
    eq[0, base_r + n_r : base_r + 2 * n_r] = 1
    eq[1, len(a) : base_r] = 1
    eq[1, base_r : base_r + n_r] = 1
    bounds = ([(0, e_q)] * len(a) + [(0, e_p)] * len(b) + [(0, e_p)] * n_r + [(0, e_q)] * n_r) + [
        (0, None)
    ] * n_t
    res = optimize.linprog(
        c, A_ub=np.array(rows), b_ub=rhs, A_eq=eq, b_eq=[r_q, r_p], bounds=bounds
    )
    assert res.status == 0, res.message
    return 0.5 * (shared + res.fun)


def test_tv_lower_bound_is_the_infimum():
    """The TV lower bound equals the least TV any completion reaches (a linear programme)."""
    rng = np.random.default_rng(3)
    checked = 0
    while checked < 60:
        p, q, cp, cq, _, _ = _case(rng)
        used = np.flatnonzero(_known(p) | _known(q)).max() + 1
        p, q = p[:used], q[:used]
        r_p = 1 - np.nansum(np.exp(p))
        if r_p / min(math.exp(cp), max(r_p, 1e-300)) > 300:  # too thin a tail to spread on 400 keys
            continue
        lo = metrics.tv_bounds(p, q, cap_p=cp, cap_q=cq)[0]
        assert lo == pytest.approx(_lp_tv_infimum(p, q, cp, cq), abs=1e-7)
        checked += 1


def test_upper_bounds_are_attained():
    """Each side's unknown mass on fresh keys the other lacks reaches the TV and JS upper bounds."""
    rng = np.random.default_rng(5)
    for _ in range(100):
        p, q, cp, cq, _, _ = _case(rng)
        pp, qq = np.exp(np.nan_to_num(p, nan=-np.inf)), np.exp(np.nan_to_num(q, nan=-np.inf))
        r_p, r_q = max(0.0, 1 - pp.sum()), max(0.0, 1 - qq.sum())
        # the completion: unknown keys get 0; each tail on its own fresh keys of the cap's size
        n_p = math.ceil(r_p / math.exp(cp)) if r_p > 0 else 0
        n_q = math.ceil(r_q / math.exp(cq)) if r_q > 0 else 0
        full_p = np.r_[pp, np.full(n_p, r_p / max(n_p, 1)), np.zeros(n_q)]
        full_q = np.r_[qq, np.zeros(n_p), np.full(n_q, r_q / max(n_q, 1))]
        tv, js, _ = _dense(full_p, full_q)
        assert metrics.tv_bounds(p, q, cap_p=cp, cap_q=cq)[1] == pytest.approx(tv, abs=1e-12)
        assert metrics.js_bounds(p, q, cap_p=cp, cap_q=cq)[1] == pytest.approx(js, abs=1e-12)


def test_js_upper_within_the_general_bounds(cases):
    """JS's upper end is at most ln 2 times TV's upper end, and at most ln 2."""
    p, q, cp, cq, _, _ = cases
    tv = metrics.tv_bounds(p, q, cap_p=cp, cap_q=cq)
    js = metrics.js_bounds(p, q, cap_p=cp, cap_q=cq)
    assert np.all(js[:, 1] <= math.log(2) * tv[:, 1] + TOL)
    assert np.all(js[:, 1] <= math.log(2) + TOL)
    np.testing.assert_allclose(
        metrics.js_bounds(p, q, cap_p=cp, cap_q=cq, base=2), js / math.log(2)
    )


def test_axis_and_shapes():
    """`axis` picks the key axis; leading axes are kept; shapes must match."""
    p = np.log([[0.6, 0.3, np.nan], [0.5, 0.5, np.nan]])
    q = np.log([[0.5, np.nan, 0.4], [0.5, 0.5, np.nan]])
    got = metrics.tv_bounds(p.T, q.T, axis=0)
    np.testing.assert_allclose(got, metrics.tv_bounds(p, q))
    np.testing.assert_allclose(got[1], [0.0, 0.0])  # identical full distributions
    with pytest.raises(ValueError, match="same keys"):
        metrics.tv_bounds(p, q[:, :2])
    with pytest.raises(ValueError, match="floor"):
        metrics.kl_bounds(p, q, floor=1.0)
    with pytest.raises(TypeError, match="p must be"):
        metrics.js_bounds(["a"], ["b"])


def test_no_cap_means_only_the_tail_bounds_an_unknown_key():
    """A NaN cap (no alternatives returned) lets an unknown key take up to the whole tail."""
    p = np.log([0.5, np.nan])
    q = np.log([np.nan, 0.5])
    tight = metrics.tv_bounds(p, q, cap_p=np.log(0.1), cap_q=np.log(0.1))
    loose = metrics.tv_bounds(p, q, cap_p=np.nan, cap_q=np.nan)
    assert loose[0] == pytest.approx(0.0)  # each may hide the other's key entirely
    assert tight[0] == pytest.approx(0.4)  # at most 0.1 of each can hide there


def test_doctests():
    """The divergences' docstring examples give what they show."""
    result = doctest.testmod(_divergence, raise_on_error=False)
    assert result.attempted >= 4
    assert result.failed == 0


@pytest.mark.parametrize("floor", [0.0, -0.01, -2.0])
def test_a_floor_above_what_q_returned_is_refused(floor):
    """No token Q left out can be above its cap or tail: such a floor would give a point KL."""
    p = np.log([0.6, 0.3, np.nan])  # "b" is a token Q did not return
    q = np.log([0.5, np.nan, 0.4])  # Q's tail is 0.1: an unseen token is at most log 0.1
    most = math.log(0.1 + _divergence.TAIL_SLACK)  # -2.30158..., shown rounded down
    with pytest.raises(ValueError, match=rf"floor={floor} is above .* at most -2\.3016 "):
        metrics.kl_bounds(p, q, floor=floor)
    lo, hi = metrics.kl_bounds(p, q, floor=-2.3016)  # the largest floor shown is accepted
    assert hi > lo
    lo, hi = metrics.kl_bounds(p, q, floor=most - 1e-9)
    assert hi > lo


def test_the_refused_floor_names_the_first_position_it_contradicts():
    """Rows where P has no mass Q left out do not use the floor, so they do not refuse it."""
    p = np.log([[0.5, 0.5, np.nan], [0.6, 0.3, np.nan], [0.6, 0.3, np.nan]])
    q = np.log([[0.4, 0.2, np.nan], [0.5, np.nan, 0.4], [0.5, np.nan, 0.01]])
    with pytest.raises(ValueError, match=r"at position 2: .* at most -4\.6052 "):
        metrics.kl_bounds(p, q, floor=-3.0)  # row 1 allows log 0.1, row 2 its cap log 0.01
    exact = metrics.kl_bounds(p[:1], q[:1], floor=0.0)  # P's mass is all on Q's tokens
    np.testing.assert_allclose(exact[0, 0], exact[0, 1])


@pytest.mark.parametrize("floor", [False, True, "-30", math.nan])
def test_floor_is_a_number_not_a_bool(floor):
    """floor=False would read as a floor of 0; a str or NaN is no logprob."""
    p, q = np.log([0.6, 0.3, np.nan]), np.log([0.5, np.nan, 0.4])
    with pytest.raises(ValueError, match="floor must be a finite logprob"):
        metrics.kl_bounds(p, q, floor=floor)


def test_kl_lower_bound_survives_the_rounding_of_a_tiny_tail():
    """A tail of ~1e-12 computed as 1 - sum(q) lost digits: KL's lower bound rose above truth.

    By 1.4e-6 nats here, where the coarse partition is exact (P's tail splits as Q's does).
    """
    nan = float("nan")
    p = np.array([0.3, 0.3, 0.2, 0.2])  # returns the first two; its tail splits as Q's does
    for tiny in (1e-12, 3e-12, 1e-11):
        for a in np.linspace(0.05, 0.95, 37):
            q = np.array([a, 1 - a - 2 * tiny, tiny, tiny])
            truth = float(np.sum(p * np.log(p / q)))
            lower, _ = metrics.kl_bounds(np.log([0.3, 0.3, nan, nan]), np.log([*q[:2], nan, nan]))
            assert lower <= truth * (1 + 1e-12), (tiny, a)
            assert lower == pytest.approx(truth, rel=1e-4)  # and still about as tight


def test_kl_of_a_subnormal_probability_is_finite_and_quiet():
    """A q of e^-745 (subnormal) overflowed p / q: a RuntimeWarning and an infinite KL.

    The term is taken from the logprobs, so it is the exact 745, not -log of the subnormal.
    """
    nan = float("nan")
    lower, upper = metrics.kl_bounds([0.0, nan], [-745.0, nan])
    assert lower == upper == pytest.approx(745.0, rel=1e-15)


def test_kl_floor_with_a_returned_probability_that_underflows():
    """A returned logprob of -800 (p = 0.0 in floats) gave 0 * -inf: a RuntimeWarning and NaN."""
    nan = float("nan")
    got = metrics.kl_bounds([-0.1, -800.0, nan], [-0.1, nan, -2.0], floor=-30.0)
    assert np.isfinite(got).all()
    assert got[0] <= got[1]


def test_tv_lower_never_above_upper():
    """Rounding put TV's lower bound one ulp above its upper on coarse rows summing past 1."""
    p, q = [-745.0, float("nan"), -1e-05], [-1e-05, -0.7, 1e-07]
    lower, upper = metrics.tv_bounds(p, q)
    assert lower <= upper


@pytest.mark.parametrize("bounds", [metrics.js_bounds, metrics.kl_bounds])
@pytest.mark.parametrize("base", [0.5, np.float64(0.1)])
def test_a_base_below_one_is_refused(bounds, base):
    """In base 0.5 KL came out [-0.26, -inf]: negative, and its lower end above its upper."""
    p, q = np.log([0.6, 0.3, np.nan]), np.log([0.5, np.nan, 0.4])
    with pytest.raises(ValueError, match="base must be above 1"):
        bounds(p, q, base=base)
    bits = bounds(p, q, base=2)
    assert bits.tolist() == (bounds(p, q) / math.log(2)).tolist()


@pytest.mark.parametrize(
    "shape", [(0,), (0, 0), (0, 3), (2, 0)], ids=["no-keys", "none", "no-positions", "rows"]
)
def test_a_floor_on_no_keys_or_no_positions_is_what_all_unknown_keys_give(shape):
    """With a floor, zero keys or positions raised numpy's 'zero-size array to reduction'."""
    empty = np.zeros(shape)
    got = metrics.kl_bounds(empty, empty, floor=-30.0)
    assert got.shape == (*shape[:-1], 2)
    assert got.shape == metrics.kl_bounds(empty, empty).shape  # as without the floor
    unknown = np.full((*shape[:-1], 1), np.nan)  # the same rows, every key unknown
    np.testing.assert_array_equal(got, metrics.kl_bounds(unknown, unknown, floor=-30.0))


def test_kl_of_no_keys_under_a_floor_is_the_floor():
    """Nothing returned: P's whole mass may sit where Q has e^floor, so KL is at most -floor."""
    assert metrics.kl_bounds([], [], floor=-30.0).tolist() == [0.0, 30.0]
    assert metrics.kl_bounds([], []).tolist() == [0.0, math.inf]


BOUNDS = [
    pytest.param(metrics.tv_bounds, id="tv"),
    pytest.param(metrics.js_bounds, id="js"),
    pytest.param(metrics.kl_bounds, id="kl"),
]
NAN = float("nan")
P_HEAD, Q_HEAD = np.log([0.6, 0.3, NAN]), np.log([0.5, NAN, 0.4])  # tails 0.1 each


@pytest.mark.parametrize("bounds", BOUNDS)
@pytest.mark.parametrize("side", ["cap_p", "cap_q"])
@pytest.mark.parametrize("cap", [0.5, 5.0, 1e-3], ids=["probability", "score", "small"])
def test_a_positive_cap_is_refused(bounds, side, cap):
    """cap_p=5.0 was clipped to 0 (no cap) and accepted: a probability passed as a logprob."""
    with pytest.raises(ValueError, match=rf"{side} is a logprob \(<= 0\).*got {cap:.4g}.*np\.log"):
        bounds(P_HEAD, Q_HEAD, **{side: cap})


@pytest.mark.parametrize("bounds", BOUNDS)
def test_a_positive_cap_of_rounding_size_is_zero(bounds):
    """A coarse server's 3e-7 is rounding: clipped to 0 (no cap), as a logprob of 3e-7 is."""
    np.testing.assert_array_equal(
        bounds(P_HEAD, Q_HEAD, cap_p=3e-7), bounds(P_HEAD, Q_HEAD, cap_p=0.0)
    )


@pytest.mark.parametrize("bounds", BOUNDS)
@pytest.mark.parametrize("side", ["cap_p", "cap_q"])
@pytest.mark.parametrize("cap", [-math.inf, -9999.0, -800.0], ids=["-inf", "sentinel", "under"])
def test_a_cap_with_no_mass_is_refused_where_a_tail_is_left(bounds, side, cap):
    """A cap of -inf says no key not returned has mass, yet the tail of 0.1 must go somewhere."""
    with pytest.raises(ValueError, match=rf"{side}=.* no mass .* leave 0\.1 to such tokens"):
        bounds(P_HEAD, Q_HEAD, **{side: cap})


@pytest.mark.parametrize("bounds", BOUNDS)
def test_a_cap_with_no_mass_names_the_first_position(bounds):
    """The second row's tail contradicts its cap: the message says which position."""
    p = np.stack([np.log([0.6, 0.4, NAN]), P_HEAD])  # tails 0 and 0.1
    q = np.stack([Q_HEAD, Q_HEAD])
    with pytest.raises(ValueError, match=r"cap_p=-inf at position 1 "):
        bounds(p, q, cap_p=-math.inf)


@pytest.mark.parametrize("bounds", BOUNDS)
def test_a_cap_with_no_mass_is_taken_where_there_is_no_tail(bounds):
    """With P's head summing to 1 (tail within rounding) a cap of -inf contradicts nothing."""
    p = np.log([0.6, 0.4, NAN])
    np.testing.assert_array_equal(
        bounds(p, Q_HEAD, cap_p=-math.inf), bounds(p, Q_HEAD, cap_p=math.log(1e-300))
    )


@pytest.mark.parametrize("bounds", BOUNDS)
@pytest.mark.parametrize("which", ["p", "q"])
def test_none_is_a_type_error_naming_the_argument(bounds, which):
    """tv_bounds(None, None) said 'axis=-1 is not an axis of p, a scalar' (a ValueError)."""
    args = {"p": P_HEAD, "q": Q_HEAD, which: None}
    with pytest.raises(TypeError, match=rf"^{which} must be an array-like of real .*got None"):
        bounds(args["p"], args["q"])


def test_a_floor_against_a_side_that_leaves_no_mass_is_refused_in_words():
    """Q certain (tail 0) with cap -inf: the floor message did math.floor(-inf) (OverflowError)."""
    with pytest.raises(ValueError, match=r"no floor fits; pass None"):
        metrics.kl_bounds([[-0.1, -3.0]], [[0.0, np.nan]], cap_q=[-np.inf], floor=-30.0)
