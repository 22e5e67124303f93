"""The sequence aggregates of `tokenprobs.metrics`: surprisal, sequence logprob, perplexity.

Exact quantities over the sampled tokens; re-exported by `tokenprobs.metrics`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from tokenprobs.metrics._numeric import as_float, clean, reduce_shape, to_base, to_last_axis

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = ["mean_logprob", "perplexity", "sequence_logprob", "surprisal"]


def surprisal(logprobs: ArrayLike, *, base: float | None = None) -> NDArray[np.float64]:
    r"""Surprisal $-\log p$ of each sampled token, elementwise; exact.

    Shannon's self-information (Cover & Thomas, 2nd ed., §2.1). Positive logprobs clip to 0; the
    sentinel (no known mass) gives `inf`; NaN stays NaN.

    Args:
        logprobs: Sampled-token logprobs, any shape.
        base: Logarithm base: None for nats, 2 for bits.

    Returns:
        The surprisal, same shape.

    Raises:
        TypeError: If `logprobs` is not numeric.

    Examples:
        >>> surprisal([-0.6931471805599453, 0.0, 1e-9], base=2).tolist()
        [1.0, 0.0, 0.0]
    """
    return to_base(0.0 - clean(as_float(logprobs, "logprobs")), base)


def _nan_sum_count(logprobs: ArrayLike, axis: int) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """The sum of the non-NaN sampled logprobs along `axis`, and how many there are."""
    x = to_last_axis(logprobs, axis)
    known = ~np.isnan(x)
    return np.sum(np.where(known, x, 0.0), axis=-1), np.sum(known, axis=-1)


def sequence_logprob(
    logprobs: ArrayLike, axis: int = -1, *, keepdims: bool = False
) -> NDArray[np.float64]:
    r"""$\log p(\text{sequence}) = \sum_t \ell_t$ over the sampled tokens; exact.

    NaN positions (the API's `null`, e.g. an echoed prompt's first token) are skipped; a
    sentinel position makes the sum `-inf`. No known position gives 0 (the empty sum).

    Args:
        logprobs: Sampled-token logprobs, positions along `axis`.
        axis: The axis of positions.
        keepdims: Keep the reduced axis with length 1.

    Returns:
        The sum, shape of `logprobs` without `axis`.

    Raises:
        TypeError: If `logprobs` is not numeric.

    Examples:
        >>> float(sequence_logprob([-0.5, float("nan"), -1.0]))
        -1.5
    """
    total, _ = _nan_sum_count(logprobs, axis)
    return reduce_shape(total, axis, keepdims=keepdims)


def mean_logprob(
    logprobs: ArrayLike, axis: int = -1, *, keepdims: bool = False
) -> NDArray[np.float64]:
    r"""$\frac1n \sum_t \ell_t$ over the $n$ sampled tokens with a logprob; exact.

    NaN positions are skipped; none left gives NaN; a sentinel position gives `-inf`.

    Args:
        logprobs: Sampled-token logprobs, positions along `axis`.
        axis: The axis of positions.
        keepdims: Keep the reduced axis with length 1.

    Returns:
        The mean, shape of `logprobs` without `axis`.

    Raises:
        TypeError: If `logprobs` is not numeric.

    Examples:
        >>> float(mean_logprob([-0.5, float("nan"), -1.0]))
        -0.75
    """
    total, count = _nan_sum_count(logprobs, axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return reduce_shape(total / count, axis, keepdims=keepdims)


def perplexity(
    logprobs: ArrayLike, axis: int = -1, *, keepdims: bool = False
) -> NDArray[np.float64]:
    r"""Perplexity $\exp(-\frac1n \sum_t \ell_t)$ of the sampled tokens; exact, base-free.

    Jelinek, Mercer, Bahl & Baker, *JASA* 62, 1977. NaN positions are skipped; none left gives
    NaN; a sentinel position gives `inf`. A 1-D input gives a 0-d array (use `float()`).

    Args:
        logprobs: Sampled-token logprobs, positions along `axis`.
        axis: The axis of positions.
        keepdims: Keep the reduced axis with length 1.

    Returns:
        The perplexity, >= 1, shape of `logprobs` without `axis`.

    Raises:
        TypeError: If `logprobs` is not numeric.

    Examples:
        >>> float(perplexity([-0.6931471805599453, -0.6931471805599453]))
        2.0
    """
    with np.errstate(over="ignore"):  # a mean below about -709 gives inf, as it should
        return np.exp(-mean_logprob(logprobs, axis, keepdims=keepdims))
