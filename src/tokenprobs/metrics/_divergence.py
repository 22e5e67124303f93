r"""Divergences between two truncated distributions, as intervals that contain the truth.

Both inputs are logprobs over one shared axis of keys (the union of the two candidate sets, as
`tokenprobs.models.align` lays them out): a number where that distribution returned the key, NaN
(or `-inf`, or the `-9999` sentinel) where it did not. A key one side did not return has, on that
side, a probability in $[0, e]$ with $e = \min(e^{c}, r)$: at most the side's *cap* $c$ (its least
likely returned alternative) and at most its tail $r = 1 - \sum p$. Every bound below holds for
every pair of full distributions that agrees with what was returned and respects the caps; the
vocabulary is taken to be large enough to spread a tail thinly (a finite one only narrows the set
of completions, so the intervals still contain the truth). The derivations are in docs/compare.md.
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING

import numpy as np

from tokenprobs.metrics._numeric import to_base
from tokenprobs.metrics._sides import TAIL_SLACK, Side, first_true, pair, position

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = ["js_bounds", "kl_bounds", "tv_bounds"]

_LN2 = float(np.log(2.0))
_EPS = float(np.finfo(np.float64).eps)


def _tv_lower(a: Side, b: Side) -> NDArray[np.float64]:
    """The infimum of TV over all completions: a two-variable linear programme, at its vertices.

    `u` is Q's mass on the keys only P returned, `v` P's mass on the keys only Q returned.
    """
    both = a.known & b.known
    only_a, only_b = a.known & ~b.known, b.known & ~a.known
    shared = np.where(both, np.abs(a.p - b.p), 0.0).sum(axis=-1)
    sum_a = np.where(only_a, a.p, 0.0).sum(axis=-1)
    sum_b = np.where(only_b, b.p, 0.0).sum(axis=-1)
    fit_a = np.where(only_a, np.minimum(a.p, b.bound[..., None]), 0.0).sum(axis=-1)
    fit_b = np.where(only_b, np.minimum(b.p, a.bound[..., None]), 0.0).sum(axis=-1)
    u_max = np.minimum(b.tail, only_a.sum(axis=-1) * b.bound)
    v_max = np.minimum(a.tail, only_b.sum(axis=-1) * a.bound)
    us = [np.zeros_like(u_max), np.minimum(fit_a, u_max), u_max]
    vs = [np.zeros_like(v_max), np.minimum(fit_b, v_max), v_max]
    points = [(u, v) for u in us for v in vs]
    points += [(u, np.clip(u + a.tail - b.tail, 0.0, v_max)) for u in us]
    points += [(np.clip(v - a.tail + b.tail, 0.0, u_max), v) for v in vs]

    def cost(u: NDArray[np.float64], v: NDArray[np.float64]) -> NDArray[np.float64]:
        on_a = sum_a - u + 2.0 * np.maximum(u - fit_a, 0.0)
        on_b = sum_b - v + 2.0 * np.maximum(v - fit_b, 0.0)
        out: NDArray[np.float64] = on_a + on_b + np.abs((a.tail - v) - (b.tail - u))
        return out

    best = np.min(np.stack([cost(u, v) for u, v in points]), axis=0)
    lower: NDArray[np.float64] = np.clip(0.5 * (shared + best), 0.0, 1.0)
    return lower


def _tv_upper(a: Side, b: Side) -> NDArray[np.float64]:
    both = a.known & b.known
    shared = np.where(both, np.abs(a.p - b.p), 0.0).sum(axis=-1)
    alone = np.where(both, 0.0, a.p + b.p).sum(axis=-1)
    upper: NDArray[np.float64] = np.clip(0.5 * (shared + alone + a.tail + b.tail), 0.0, 1.0)
    return upper


def _xlogy(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    """`x * log(y)` with `0 * log(anything) = 0`."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out: NDArray[np.float64] = np.where(x > 0, x * np.log(np.where(x > 0, y, 1.0)), 0.0)
    return out


def _js_terms(p: NDArray[np.float64], q: NDArray[np.float64]) -> NDArray[np.float64]:
    m = 0.5 * (p + q)
    with np.errstate(divide="ignore", invalid="ignore"):
        out: NDArray[np.float64] = 0.5 * (_xlogy(p, p / m) + _xlogy(q, q / m))
    return out


def _kl_terms(log_p: NDArray[np.float64], log_q: NDArray[np.float64]) -> NDArray[np.float64]:
    """`p log(p / q)` from the logprobs: `p` or `q` underflows to 0 where `log_q` is finite.

    A term whose `p` is 0 (or underflows to it) is 0; one with `log_q = -inf` and `p > 0` is inf.
    """
    p = np.exp(log_p)
    with np.errstate(invalid="ignore"):  # -inf - -inf, 0 * inf: both masked out
        terms = np.where(p > 0, p * (log_p - log_q), 0.0)
    out: NDArray[np.float64] = np.where((log_q == -np.inf) & (log_p > -np.inf), np.inf, terms)
    return out


def _check_floor(floor: object) -> float | None:
    """`floor` as a float: `None`, or a finite number <= 0 that is not a bool."""
    if floor is None:
        return None
    try:
        value = (
            math.nan
            if isinstance(floor, bool) or not isinstance(floor, numbers.Real)
            else float(floor)
        )
    except OverflowError:  # an int beyond float64 (-10**400) is no finite logprob either
        value = math.nan
    if not (math.isfinite(value) and value <= 0):
        msg = f"floor must be a finite logprob <= 0 (e.g. -30.0) or None, got {floor!r}"
        raise ValueError(msg)
    return value


def _check_floor_fits(floor: float, q: Side, used: NDArray[np.bool_]) -> None:
    """Refuse a floor above what Q's returned values allow wherever the upper bound uses it.

    A token Q did not return has probability at most `min(cap_q, tail_q)` (its least likely
    returned one, and all the unseen together); assuming it has at least `e^floor` above that
    is a contradiction, and the bound built on it can collapse to a point that reads as exact.
    """
    with np.errstate(divide="ignore"):
        allowed = np.minimum(q.log_cap, np.log(q.tail + TAIL_SLACK))
    bad = used & (floor > allowed)
    if not bad.any():
        return
    at = first_true(bad)
    where = position(at)
    limit = float(allowed[at])
    if not math.isfinite(limit):  # a cap or a tail of probability 0: no floor fits
        msg = (
            f"floor={floor} is above what Q's returned values allow at {where}: Q's cap and "
            "tail there leave a token Q did not return no mass (probability 0 in floating "
            "point), so no floor fits; pass None"
        )
        raise ValueError(msg)
    most = math.floor(limit * 1e4) / 1e4  # shown rounded down: passing it works
    msg = (
        f"floor={floor} is above what Q's returned values allow at {where}: a token Q did not "
        f"return there has logprob at most {most:.4f} (Q's cap and tail), the largest floor the "
        "data allow; pass that or lower (e.g. -30.0), or None"
    )
    raise ValueError(msg)


def _coarse_sum(a: Side, b: Side, kind: str) -> NDArray[np.float64]:
    """The divergence on the partition {each key both returned} + {everything else}."""
    both = a.known & b.known if kind == "js" else a.returned & b.returned
    pi, qi = np.where(both, a.p, 0.0), np.where(both, b.p, 0.0)
    rest_p = np.clip(1.0 - pi.sum(axis=-1), 0.0, 1.0)
    rest_q = np.clip(1.0 - qi.sum(axis=-1), 0.0, 1.0)
    if kind == "js":
        inner = np.where(both, _js_terms(pi, qi), 0.0).sum(axis=-1)
        return np.asarray(inner + _js_terms(rest_p, rest_q))
    # each rest is off by up to (k + 2) ulps of 1, a large relative error where it is tiny, which
    # f(x, y) = x log(x / y) magnifies: take the least f the data allow (the bound stays below
    # the truth): y at the top of its error (f falls as y grows), x the nearest to y / e
    error = (both.sum(axis=-1) + 2) * _EPS
    rest_q = rest_q + error
    rest_p = np.clip(rest_q / math.e, np.maximum(rest_p - error, 0.0), rest_p + error)
    inner = np.where(both, _kl_terms(a.logprobs, b.logprobs), 0.0).sum(axis=-1)
    with np.errstate(divide="ignore"):  # a rest of 0: a term of 0
        return np.asarray(inner + _kl_terms(np.log(rest_p), np.log(rest_q)))


def tv_bounds(
    p: ArrayLike,
    q: ArrayLike,
    /,
    *,
    cap_p: ArrayLike | None = None,
    cap_q: ArrayLike | None = None,
    axis: int = -1,
) -> NDArray[np.float64]:
    r"""The total variation distance $\frac12\sum_t |P(t) - Q(t)|$, as `[lower, upper]`.

    Over the keys both returned ($I$) the terms are exact. The **upper** bound puts each side's
    unknown mass where the other has none: $\frac12[\sum_I |p-q| + \sum_{A} p + \sum_{B} q
    + r_P + r_Q]$ ($A$: keys only P returned, $B$: only Q). The **lower** bound is the least TV
    over all completions: with $u$ the mass Q puts on $A$ (each key at most $e_Q$) and $v$ the mass
    P puts on $B$, the rest overlapping where both are unknown, TV is piecewise linear and convex
    in $(u, v)$, so its minimum is at one of fifteen vertices. Both bounds are attained (for a
    vocabulary large enough), so the interval is the tightest the returned heads allow; with
    both tails 0 it is one point, the exact value (Cover & Thomas, *Elements of Information
    Theory*, 2nd ed., §11.6; the bounds are derived in docs/compare.md).

    Args:
        p: Logprobs of the first distribution over the shared keys, NaN (or `-inf`) where it
            did not return a key.
        q: The second distribution, same shape.
        cap_p: P's cap per position (the least likely returned alternative's logprob), shape
            of `p` without `axis`. Default: P's smallest known logprob. NaN: no cap (only the
            tail bounds an unknown key). A logprob, so `<= 0`: a positive one (beyond 1e-4 of
            rounding) is refused, as is `-inf` (no mass for a key not returned) where P's tail
            is above 1e-4.
        cap_q: Q's cap, likewise.
        axis: The axis holding the keys.

    Returns:
        Shape of `p` without `axis`, plus a last axis `[lower, upper]`, in $[0, 1]$.

    Raises:
        TypeError: If an input is not numeric (`None` included).
        ValueError: If `p` and `q` differ in shape, or a cap is not one value per row, is a
            positive logprob, or is `-inf` (or underflows to probability 0) where its side's
            tail is above 1e-4.

    Examples:
        >>> nan = float("nan")
        >>> p = np.log([0.6, 0.3, nan])  # returned "a", "b"; tail 0.1
        >>> q = np.log([0.5, nan, 0.4])  # returned "a", "c"; tail 0.1
        >>> tv_bounds(p, q).round(4).tolist()
        [0.3, 0.5]
    """
    a, b = pair(p, q, cap_p, cap_q, axis)
    upper = _tv_upper(a, b)
    return np.stack([np.minimum(_tv_lower(a, b), upper), upper], axis=-1)  # rounding: lo <= hi


def js_bounds(
    p: ArrayLike,
    q: ArrayLike,
    /,
    *,
    cap_p: ArrayLike | None = None,
    cap_q: ArrayLike | None = None,
    axis: int = -1,
    base: float | None = None,
) -> NDArray[np.float64]:
    r"""The Jensen-Shannon divergence $\frac12 KL(P\|M) + \frac12 KL(Q\|M)$, $M = \frac{P+Q}2$.

    The **upper** bound is the supremum, attained when each side's unknown mass lies where the
    other has none: $\sum_I \mathrm{js}(p, q) + \frac{\ln 2}{2}[\sum_A p + \sum_B q + r_P + r_Q]$
    (a term with one side 0 is $\frac{\ln 2}{2}$ times the other; it is at most $\ln 2 \cdot$ the
    TV upper bound, and at most $\ln 2$). The **lower** bound is the larger of two valid ones: JS
    on the partition {each key both returned} + {the rest}, where both distributions are known
    (the data-processing inequality: merging outcomes never increases an f-divergence), and
    $\mathrm{TV}_{lo}^2/2$ (Pinsker's inequality for each half against $M$, with
    $\mathrm{TV}(P, M) = \mathrm{TV}(P, Q)/2$). It is not always the infimum. Lin, *IEEE Trans.
    Inf. Theory* 37 (1991); derivations in docs/compare.md.

    Args:
        p: Logprobs of the first distribution over the shared keys, NaN where not returned.
        q: The second distribution, same shape.
        cap_p: P's cap per position (see `tv_bounds`).
        cap_q: Q's cap, likewise.
        axis: The axis holding the keys.
        base: Logarithm base, above 1: None for nats, 2 for bits (then JS is at most 1).

    Returns:
        Shape of `p` without `axis`, plus a last axis `[lower, upper]`.

    Raises:
        TypeError: If an input is not numeric (`None` included).
        ValueError: If `p` and `q` differ in shape, a cap is refused (see `tv_bounds`), or
            `base` is not a logarithm's base above 1.

    Examples:
        >>> nan = float("nan")
        >>> p, q = np.log([0.6, 0.3, nan]), np.log([0.5, nan, 0.4])
        >>> js_bounds(p, q, base=2).round(4).tolist()
        [0.0649, 0.4533]
    """
    a, b = pair(p, q, cap_p, cap_q, axis)
    both = a.known & b.known
    shared = np.where(both, _js_terms(a.p, b.p), 0.0).sum(axis=-1)
    alone = np.where(both, 0.0, a.p + b.p).sum(axis=-1)
    upper = np.minimum(shared + 0.5 * _LN2 * (alone + a.tail + b.tail), _LN2)
    lower = np.maximum(_coarse_sum(a, b, "js"), 0.5 * _tv_lower(a, b) ** 2)
    return to_base(np.stack([np.minimum(lower, upper), upper], axis=-1), base)


def kl_bounds(
    p: ArrayLike,
    q: ArrayLike,
    /,
    *,
    cap_p: ArrayLike | None = None,
    cap_q: ArrayLike | None = None,
    floor: float | None = None,
    axis: int = -1,
    base: float | None = None,
) -> NDArray[np.float64]:
    r"""The Kullback-Leibler divergence $KL(P\|Q) = \sum_t P(t) \log \frac{P(t)}{Q(t)}$.

    **Without a floor there is no finite upper bound**: a key only P returned may have any
    probability under Q down to 0, so the upper end is `inf` wherever P has mass Q did not
    return (a key only P returned, or P's own tail). `floor` is an explicit assumption: every
    key Q did not return has logprob at least `floor` under Q. Then the upper bound is
    $\sum_I p \log\frac pq + \sum_A p\,(\log p - f) + r_P(\log e_P - f')$, $f' = \min(f,
    \log q)$ over the keys only Q returned; valid only if the assumption is. The **lower** bound
    needs no assumption: the larger of KL on the partition {each key both returned} + {the rest}
    (data processing) and $2\,\mathrm{TV}_{lo}^2$ (Pinsker). Kullback & Leibler, *Ann. Math.
    Statist.* 22 (1951); derivations in docs/compare.md.

    The terms are computed from the logprobs, so one below exp's underflow (about -745) still
    counts. A tail within float64 rounding of the returned sum, about $(k + 2) \cdot 2^{-52}$
    for $k$ returned keys, cannot be told from 0 and is taken as 0; any larger tail is mass.

    Args:
        p: Logprobs of the first distribution over the shared keys, NaN where not returned.
        q: The second distribution, same shape.
        cap_p: P's cap per position (see `tv_bounds`).
        cap_q: Q's cap, likewise.
        floor: The least logprob Q may give a key it did not return (e.g. `-30.0`), or None (no
            assumption: the upper bound is `inf` wherever it is not exact).
        axis: The axis holding the keys.
        base: Logarithm base, above 1: None for nats, 2 for bits.

    Returns:
        Shape of `p` without `axis`, plus a last axis `[lower, upper]`; `upper` may be `inf`.

    Raises:
        TypeError: If an input is not numeric (`None` included).
        ValueError: If `p` and `q` differ in shape, a cap is refused (see `tv_bounds`), `floor` is
            not a finite logprob (<= 0; a bool is refused), `floor` is above what Q's returned
            values allow (`log min(cap_q, tail_q)`) at a position where P has mass Q did not
            return, or `base` is not a logarithm's base above 1.

    Examples:
        >>> nan = float("nan")
        >>> p, q = np.log([0.6, 0.3, nan]), np.log([0.5, nan, 0.4])
        >>> kl_bounds(p, q).round(4).tolist()
        [0.18, inf]
        >>> kl_bounds(p, q, floor=-20.0).round(4).tolist()
        [0.18, 7.5179]
    """
    floor = _check_floor(floor)
    a, b = pair(p, q, cap_p, cap_q, axis)
    both = a.returned & b.returned
    only_a, only_b = a.returned & ~b.returned, b.returned & ~a.returned
    shared = np.where(both, _kl_terms(a.logprobs, b.logprobs), 0.0).sum(axis=-1)
    tail = np.where(a.tail > a.error, a.tail, 0.0)  # within rounding of the sum: no tail
    # a key only P returned has mass (however far its logprob is below -745): Q may give it none
    is_open = only_a.any(axis=-1) | (tail > 0)
    if floor is None:
        upper = np.where(is_open, np.inf, shared)
    else:
        _check_floor_fits(floor, b, is_open)
        log_p = np.where(only_a, a.logprobs, 0.0)  # a p that underflows to 0 adds 0
        on_a = np.where(only_a, a.p * (log_p - floor), 0.0).sum(axis=-1)
        # initial: a row of no keys has no least q (as one of NaN keys)
        least_q = np.min(np.where(only_b, b.logprobs, 0.0), axis=-1, initial=0.0)
        # a real tail at the top of its error: the bound grows with it, so it stays above the truth
        tail = np.where(tail > 0, np.minimum(tail + a.error, 1.0), 0.0)
        log_e = np.minimum(a.log_cap, np.log(np.where(tail > 0, tail, 1.0)))  # log e_P
        on_tail = np.where(tail > 0, tail * (log_e - np.minimum(floor, least_q)), 0.0)
        upper = shared + on_a + np.maximum(on_tail, 0.0)
    lower = np.maximum(_coarse_sum(a, b, "kl"), 2.0 * _tv_lower(a, b) ** 2)
    return to_base(np.stack([lower, np.maximum(upper, lower)], axis=-1), base)
