"""KL bounds at the edges of float64: underflowing logprobs, tails of rounding size, huge floors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tokenprobs import metrics
from tokenprobs.metrics import _divergence


def _kl(log_p, log_q):
    """KL(P||Q) from the definition, in log space: sum of e^lp (lp - lq), 0 where e^lp is 0."""
    return math.fsum(
        math.exp(a) * (a - b) for a, b in zip(log_p, log_q, strict=True) if a > -math.inf
    )


def test_a_returned_logprob_below_the_underflow_of_exp_gives_a_finite_kl():
    """Q's logprob of -800 underflowed to q = 0: both ends of the interval were inf."""
    log_p, log_q = [math.log(0.5)] * 2, [-800.0, 0.0]
    truth = 0.5 * (math.log(0.5) + 800.0) + 0.5 * (math.log(0.5) - 0.0)  # 399.3068...
    for floor in (None, -30.0):
        lower, upper = metrics.kl_bounds(np.array(log_p), np.array(log_q), floor=floor)
        assert lower == pytest.approx(truth, rel=1e-12)
        assert upper == pytest.approx(truth, rel=1e-12)  # both returned every key: one point


def test_a_key_only_q_returned_below_the_underflow_still_bounds_p_tail():
    """Under a floor P's tail may sit on Q's -800 key: log(e^-800) was -inf, so upper was inf."""
    nan = math.nan
    log_p = np.array([math.log(0.9), nan])  # tail 0.1
    log_q = np.array([math.log(0.9), -800.0])  # Q's 0.1 tail is elsewhere, its key at -800
    lower, upper = metrics.kl_bounds(log_p, log_q, cap_p=math.log(0.1), cap_q=nan, floor=-30.0)
    # the worst completion: P's whole tail on Q's -800 key (above the floor of -30)
    worst = _kl([math.log(0.9), math.log(0.1)], [math.log(0.9), -800.0])
    assert math.isfinite(upper)
    assert lower <= worst <= upper * (1 + 1e-12)


def test_a_tail_below_two_to_the_minus_40_is_real_mass():
    """P's tail of 5e-13 was taken as 0 (below 2^-40): [9.5e-12, 9.5e-12] excluded the truth."""
    lp, lq = math.log1p(-5e-13), math.log1p(-1e-11)
    # a completion: each tail on one extra key, the same one (the coarse partition is then exact)
    rest_p, rest_q = -math.expm1(lp), -math.expm1(lq)
    truth = math.fsum([math.exp(lp) * (lp - lq), rest_p * math.log(rest_p / rest_q)])
    assert truth == pytest.approx(8.0e-12, rel=1e-2)
    lower, upper = metrics.kl_bounds(np.array([lp]), np.array([lq]))
    assert lower <= truth <= upper
    assert lower == pytest.approx(truth, rel=1e-3)  # and as tight as the data allow
    assert upper == math.inf  # no floor: P's real tail may sit where Q has nothing
    lower, upper = metrics.kl_bounds(np.array([lp]), np.array([lq]), floor=-40.0)
    assert lower <= truth <= upper
    assert math.isfinite(upper)


def test_a_tail_within_rounding_of_the_sum_is_zero():
    """A head summing to 1 up to float64 rounding has no tail: the upper end stays finite."""
    p = np.log([0.1] * 10)  # sums to 0.9999999999999999
    q = np.log([0.05] * 10 + [0.5])
    lower, upper = metrics.kl_bounds(np.r_[p, np.nan], q)
    truth = _kl(list(p), list(q[:10]))
    assert lower == pytest.approx(truth, rel=1e-12)
    assert upper == pytest.approx(truth, rel=1e-12)


def _row(rng, v):
    """A random full distribution over `v` keys, in log space, some logprobs below -745."""
    logits = rng.normal(0.0, rng.choice([0.5, 3.0, 10.0]), v)
    logits[rng.random(v) < 0.25] -= rng.choice([28.0, 800.0, 2000.0])
    top = int(np.argmax(logits))
    lse = logits[top] + math.log(math.fsum(math.exp(x - logits[top]) for x in logits))
    out = logits - lse
    # the most likely key from the others, so the probabilities sum to 1 as closely as floats can
    # (its logprob near 0, computed as a difference, lost the digits of its tail)
    out[top] = math.log1p(-math.fsum(math.exp(x) for i, x in enumerate(out) if i != top))
    return out


def _top(log_p, k):
    out = np.full(log_p.shape, np.nan)
    top = np.argsort(-log_p, kind="stable")[:k]
    out[top] = log_p[top]
    return out


def test_random_truncations_with_underflowing_logprobs_contain_the_truth():
    """Top-k of full distributions with logprobs below -745: KL lies in [lower, upper]."""
    rng = np.random.default_rng(2024)
    inside = 0
    for _ in range(600):
        v = int(rng.integers(2, 10))
        log_p, log_q = _row(rng, v), _row(rng, v)
        truth = _kl(log_p.tolist(), log_q.tolist())
        size = math.fsum(abs(math.exp(a) * (a - b)) for a, b in zip(log_p, log_q, strict=True))
        tol = 1e-13 * size + 1e-300
        kp, kq = int(rng.integers(1, v + 1)), int(rng.integers(1, v + 1))
        p, q = _top(log_p, kp), _top(log_q, kq)
        # a tail of P within float64 rounding of its sum is documented to be taken as 0: the
        # terms of its keys may then be missing from the upper end
        unseen = [(a, b) for a, b, got in zip(log_p, log_q, p, strict=True) if math.isnan(got)]
        hidden = 0.0
        if math.fsum(math.exp(a) for a, _ in unseen) <= (kp + 2) * 2.0**-52:
            hidden = math.fsum(abs(math.exp(a) * (a - b)) for a, b in unseen)
        least = float(log_q.min())
        if not np.isnan(q).any():  # Q returned every key: a floor above its tail slack is refused
            least = min(least, math.log(_divergence.TAIL_SLACK) - 1.0)  # (a large vocabulary)
        for floor in (None, least, least - 5.0):
            lower, upper = metrics.kl_bounds(p, q, floor=floor)
            assert lower <= truth + tol, (log_p, log_q, p, q, floor)
            assert truth <= upper + tol + hidden, (log_p, log_q, p, q, floor)
            inside += math.isfinite(upper)
    assert inside > 600  # the floor gave finite upper ends (and full rows without one)


@pytest.mark.parametrize("floor", [-(10**400), 10**400], ids=["-10**400", "10**400"])
def test_a_floor_too_large_for_a_float_is_a_value_error(floor):
    """float(-10**400) raised OverflowError, not the ValueError any other bad floor gives."""
    with pytest.raises(ValueError, match="floor must be a finite logprob"):
        metrics.kl_bounds(np.log([0.6, 0.3, np.nan]), np.log([0.5, np.nan, 0.4]), floor=floor)
