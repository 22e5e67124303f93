"""Per-position quantities over the top-k: probabilities, support, entropy, margin, tail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tokenprobs._said import check_flag
from tokenprobs.metrics._numeric import (
    as_float,
    clean,
    entropy_from,
    per_row_flag,
    reduce_shape,
    row_sum,
    softmax,
    tail_from_sums,
    to_base,
    to_last_axis,
    top_two,
)

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = [
    "Summary",
    "entropy",
    "log_margin",
    "margin",
    "probs",
    "renormalize",
    "summary",
    "support",
    "tail_mass",
]


def probs(logprobs: ArrayLike) -> NDArray[np.float64]:
    """Probabilities `p = exp(logprob)`, elementwise; exact.

    The sentinel `-9999.0` and `-inf` give 0, positive logprobs are clipped to 0 (p = 1), NaN
    stays NaN.

    Args:
        logprobs: Natural-log probabilities, any shape.

    Returns:
        `exp(min(logprobs, 0))` with the sentinel as 0, same shape.

    Raises:
        TypeError: If `logprobs` is not numeric.

    Examples:
        >>> probs([0.0, -0.6931471805599453, -9999.0, float("-inf"), 1e-7]).tolist()
        [1.0, 0.5, 0.0, 0.0, 1.0]
    """
    return np.exp(clean(as_float(logprobs, "logprobs")))


def support(
    logprobs: ArrayLike, top_logprobs: ArrayLike, *, in_top: ArrayLike
) -> NDArray[np.float64]:
    """The distinct returned tokens per position: alternatives plus the sampled token once.

    Appends the sampled logprob as a last column where the sampled token is *not* among the
    alternatives, and `-inf` where it is (so it is not counted twice).

    Args:
        logprobs: Sampled-token logprobs, shape `(...,)`.
        top_logprobs: Alternatives, shape `(..., K)`, duplicates and padding as `-inf`.
        in_top: Whether the sampled token is among the alternatives, broadcastable to `(...,)`.

    Returns:
        Cleaned logprobs of shape `(..., K + 1)`.

    Raises:
        TypeError: If an input is not numeric (`in_top`: booleans or integers).
        ValueError: If the shapes do not line up.

    Examples:
        >>> support([-0.1, -2.0], [[-0.1, -2.5], [-0.3, -1.5]], in_top=[True, False]).tolist()
        [[-0.1, -2.5, -inf], [-0.3, -1.5, -2.0]]
    """
    lp = as_float(logprobs, "logprobs")
    top = as_float(top_logprobs, "top_logprobs")
    if top.shape[:-1] != lp.shape or top.ndim != lp.ndim + 1:
        msg = f"top_logprobs must have shape logprobs.shape + (K,), got {top.shape} for {lp.shape}"
        raise ValueError(msg)
    sampled = np.where(per_row_flag(in_top, lp.shape, "in_top"), -np.inf, lp)
    return clean(np.concatenate([top, sampled[..., np.newaxis]], axis=-1))


def renormalize(logprobs: ArrayLike, axis: int = -1, *, log: bool = True) -> NDArray[np.float64]:
    r"""Renormalise over the returned support: a softmax of the logprobs (an estimate).

    $\log \hat p_i = \ell_i - \log \sum_j e^{\ell_j}$, computed with the max-shifted
    log-sum-exp (Blanchard, Higham & Higham, *IMA J. Numer. Anal.* 41, 2021). Non-members stay
    `-inf` (probability 0); a slice with no member is NaN throughout (no distribution to scale).

    Args:
        logprobs: Logprobs of the distinct returned tokens.
        axis: The axis holding one position's support.
        log: Return logprobs (default) or probabilities.

    Returns:
        Renormalised logprobs (or probabilities), same shape.

    Raises:
        TypeError: If `logprobs` is not numeric.

    Examples:
        >>> renormalize([-0.5, -1.2, -9999.0], log=False).round(4).tolist()
        [0.6682, 0.3318, 0.0]
    """
    check_flag(log, "log", "logprobs; False gives probabilities")
    x = to_last_axis(logprobs, axis)
    p = np.exp(x)
    q, lse = softmax(x, p, row_sum(p), out=p)
    if not log:
        return np.moveaxis(q, -1, axis)
    with np.errstate(invalid="ignore"):
        out = x - lse[..., np.newaxis]
    return np.moveaxis(out, -1, axis)


def tail_mass(
    logprobs: ArrayLike, axis: int = -1, *, keepdims: bool = False
) -> NDArray[np.float64]:
    r"""The mass outside the returned support, $1 - \sum_i p_i$, clipped to [0, 1]; exact.

    Absolute error about `k * 2**-53`. A sum above 1
    (coarse API values) gives 0; no member gives 1.

    Args:
        logprobs: Logprobs of the distinct returned tokens.
        axis: The axis holding one position's support.
        keepdims: Keep the reduced axis with length 1.

    Returns:
        The tail mass, shape of `logprobs` without `axis`.

    Raises:
        TypeError: If `logprobs` is not numeric.

    Examples:
        >>> round(float(tail_mass([-0.6931471805599453, -1.3862943611198906])), 12)
        0.25
    """
    tail = tail_from_sums(row_sum(np.exp(to_last_axis(logprobs, axis))))
    return reduce_shape(tail, axis, keepdims=keepdims)


def entropy(
    logprobs: ArrayLike, axis: int = -1, *, base: float | None = None, keepdims: bool = False
) -> NDArray[np.float64]:
    r"""Entropy of the renormalised top-k distribution: an **estimate**, not the true entropy.

    $\hat H = -\sum_i \hat p_i \log \hat p_i$ with $\hat p = \mathrm{softmax}(\ell)$ over the
    members (Shannon 1948; Cover & Thomas, *Elements of Information Theory*, 2nd ed., eq. 2.1).
    Clipped to $[0, \log k]$ for $k$ members; 0 for one member; NaN for none (undefined). The
    true entropy can lie on either side: see `entropy_bounds`.

    Args:
        logprobs: Logprobs of the distinct returned tokens.
        axis: The axis holding one position's support.
        base: Logarithm base: None for nats, 2 for bits.
        keepdims: Keep the reduced axis with length 1.

    Returns:
        The estimate, shape of `logprobs` without `axis`.

    Raises:
        TypeError: If `logprobs` is not numeric.

    Examples:
        >>> float(entropy([-0.6931471805599453, -0.6931471805599453, -9999.0], base=2))
        1.0
    """
    x = to_last_axis(logprobs, axis)
    p = np.exp(x)
    q, lse = softmax(x, p, row_sum(p), out=p)
    return reduce_shape(to_base(entropy_from(x, q, lse), base), axis, keepdims=keepdims)


def margin(logprobs: ArrayLike, axis: int = -1, *, keepdims: bool = False) -> NDArray[np.float64]:
    r"""$p_{(1)} - p_{(2)}$, the top two raw probabilities' gap; exact (needs no renormalising).

    A confidence measure from active learning (Scheffer, Decomain & Wrobel, *IDA* 2001). Ties
    give 0; fewer than two members give NaN.

    Args:
        logprobs: Logprobs of the distinct returned tokens.
        axis: The axis holding one position's support.
        keepdims: Keep the reduced axis with length 1.

    Returns:
        The margin in [0, 1], shape of `logprobs` without `axis`.

    Raises:
        TypeError: If `logprobs` is not numeric.

    Examples:
        >>> float(margin([-1.3862943611198906, -0.2876820724517809, -9999.0]))
        0.5
    """
    first, second = top_two(to_last_axis(logprobs, axis))
    return reduce_shape(np.exp(first) - np.exp(second), axis, keepdims=keepdims)


def log_margin(
    logprobs: ArrayLike, axis: int = -1, *, keepdims: bool = False
) -> NDArray[np.float64]:
    r"""$\ell_{(1)} - \ell_{(2)}$, the gap between the top two logprobs (nats); exact.

    Equals $\log(p_{(1)}/p_{(2)})$, which renormalising does not change. Fewer than two members
    give NaN.

    Args:
        logprobs: Logprobs of the distinct returned tokens.
        axis: The axis holding one position's support.
        keepdims: Keep the reduced axis with length 1.

    Returns:
        The gap, >= 0, shape of `logprobs` without `axis`.

    Raises:
        TypeError: If `logprobs` is not numeric.

    Examples:
        >>> float(log_margin([-0.5, -2.0, -1.25]))
        0.75
    """
    first, second = top_two(to_last_axis(logprobs, axis))
    return reduce_shape(first - second, axis, keepdims=keepdims)


@dataclass(frozen=True, slots=True, eq=False)
class Summary:
    """The per-position quantities of one support array, from `summary` (one `exp`)."""

    probs: NDArray[np.float64]
    """`probs(logprobs)`: raw probabilities, same shape as the input."""
    renormalized: NDArray[np.float64]
    """`renormalize(logprobs, axis, log=False)`: the softmax over the members, same shape."""
    tail_mass: NDArray[np.float64]
    """`tail_mass(logprobs, axis)`: the mass outside the support, in [0, 1]."""
    entropy: NDArray[np.float64]
    """`entropy(logprobs, axis, base=base)`: the renormalised-head estimate; NaN with no member."""
    margin: NDArray[np.float64]
    """`margin(logprobs, axis)`: $p_{(1)} - p_{(2)}$; NaN with fewer than two members."""
    log_margin: NDArray[np.float64]
    r"""`log_margin(logprobs, axis)`: $\ell_{(1)} - \ell_{(2)}$ in nats; NaN likewise."""


def summary(
    logprobs: ArrayLike, axis: int = -1, *, base: float | None = None, keepdims: bool = False
) -> Summary:
    r"""`probs`, `renormalize`, `tail_mass`, `entropy`, `margin` and `log_margin` in one pass.

    Each field equals, bit for bit, what the function of that name returns for the same
    arguments (same rules), but the input is cleaned once and `exp` runs once: its row sums
    serve the tail mass, the softmax and the entropy. Use it when you want more than one.

    Args:
        logprobs: Logprobs of the distinct returned tokens.
        axis: The axis holding one position's support.
        base: Logarithm base of `entropy`: None for nats, 2 for bits (`log_margin` stays nats).
        keepdims: Keep the reduced axis with length 1 in the reduced fields.

    Returns:
        A frozen `Summary`: `probs` and `renormalized` have the shape of `logprobs`; the others
        that shape without `axis`.

    Raises:
        TypeError: If `logprobs` is not numeric.

    Examples:
        >>> s = summary([[-0.6931471805599453, -1.3862943611198906, -9999.0]], base=2)
        >>> s.probs.round(4).tolist(), s.tail_mass.round(4).tolist()
        ([[0.5, 0.25, 0.0]], [0.25])
        >>> s.entropy.round(4).tolist(), s.margin.tolist(), s.log_margin.round(4).tolist()
        ([0.9183], [0.25], [0.6931])
    """
    x = to_last_axis(logprobs, axis)
    p = np.exp(x)
    s = row_sum(p)
    q, lse = softmax(x, p, s)
    first, second = top_two(x)
    return Summary(
        probs=np.moveaxis(p, -1, axis),
        renormalized=np.moveaxis(q, -1, axis),
        tail_mass=reduce_shape(tail_from_sums(s), axis, keepdims=keepdims),
        entropy=reduce_shape(to_base(entropy_from(x, q, lse), base), axis, keepdims=keepdims),
        margin=reduce_shape(np.exp(first) - np.exp(second), axis, keepdims=keepdims),
        log_margin=reduce_shape(first - second, axis, keepdims=keepdims),
    )
