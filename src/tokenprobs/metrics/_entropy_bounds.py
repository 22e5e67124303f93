"""The tightest bounds on a position's true entropy, from the returned head and the vocabulary.

`entropy` estimates over the renormalised top-k; `entropy_bounds` instead brackets the entropy
of the whole next-token distribution, given how many tokens the model's vocabulary has.
"""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING

import numpy as np

from tokenprobs.metrics._numeric import to_base, to_last_axis
from tokenprobs.metrics._sides import TAIL_SLACK, first_true, per_row_cap

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = ["entropy_bounds"]

_LARGEST_FLOAT = float(np.finfo(np.float64).max)


def _check_room(vocab: int, unseen: NDArray[np.float64], tail: NDArray[np.float64]) -> None:
    """Refuse a vocabulary the returned tokens fill while their probabilities leave a tail."""
    stuck = (unseen == 0) & (tail > TAIL_SLACK)
    if not stuck.any():
        return
    at = first_true(stuck)
    where = f" at position {at[0] if len(at) == 1 else at}" if at else ""
    msg = (
        f"vocab_size={vocab} contradicts the tail mass{where}: the tokens returned there are "
        f"the whole vocabulary, yet their probabilities leave {float(tail[at]):.4g} to tokens "
        "not returned; pass the model's real vocabulary size (e.g. len(tokenizer))"
    )
    raise ValueError(msg)


def entropy_bounds(
    logprobs: ArrayLike,
    *,
    vocab_size: int,
    axis: int = -1,
    base: float | None = None,
    ceiling_logprob: ArrayLike | None = None,
) -> NDArray[np.float64]:
    r"""The tightest `[lower, upper]` on the true next-token entropy given the returned head.

    $H = H_{\text{seen}} + H_{\text{tail}}$: the $k$ members' part is known (scaled down if their
    sum exceeds 1); the tail $t = 1 - \sum p_i$ is spread over $m = V - k$ unseen tokens, each at
    most $c$ (the least likely member's probability). $H_{\text{tail}}$ is concave on that capped
    simplex, so its maximum is the uniform point, $-t \log(t/m)$, and its minimum a vertex:
    $\lfloor t/c \rfloor$ tokens at $c$ and one at the remainder (Rockafellar, *Convex
    Analysis*, Cor. 32.3.2). Both are attained: the bounds are tight. The derivation and edge
    cases are in docs/metrics.md. No member gives $[0, \log V]$; NaN in a slice gives NaN.

    Args:
        logprobs: Logprobs of the distinct returned tokens.
        vocab_size: The model's vocabulary size $V$.
        axis: The axis holding one position's support.
        base: Logarithm base: None for nats, 2 for bits.
        ceiling_logprob: The largest logprob an unseen token may have, broadcastable to the
            result without its last axis; NaN (or 0.0) where nothing caps it. Default: the
            smallest member. Pass the smallest *alternative* when the sampled token was
            appended from outside the top-k (`Candidates.cap`, NaN where there was none). A
            logprob, so `<= 0`: a positive one (beyond 1e-4 of rounding) is refused, as is
            `-inf` (no unseen token has mass) where the tail is above 1e-4.

    Returns:
        Shape of `logprobs` without `axis`, plus a last axis `[lower, upper]`.

    Raises:
        TypeError: If an input is not numeric, or `vocab_size` is not an int (a bool is refused).
        ValueError: If `ceiling_logprob` is not one value per row, is a positive logprob, or
            is `-inf` (or underflows to probability 0) where the tail is above 1e-4; or if
            `vocab_size` is not a positive integer below 1.8e308, fewer than the tokens
            returned at a position, or exactly as many while their probabilities leave a tail
            (above 1e-4, more than rounding). Either way that tail would have no token to go to.

    Examples:
        >>> entropy_bounds([-0.6931471805599453, -1.3862943611198906], vocab_size=4, base=2)
        array([1.5 , 1.75])
    """
    if isinstance(vocab_size, bool | np.bool_) or not isinstance(vocab_size, int | np.integer):
        msg = f"vocab_size is the model's vocabulary size (an int), got {vocab_size!r}"
        raise TypeError(msg)
    vocab = operator.index(vocab_size)
    if vocab < 1:
        msg = f"vocab_size must be a positive integer, got {vocab}"
        raise ValueError(msg)
    if vocab > _LARGEST_FLOAT:  # the bounds are float64
        msg = f"vocab_size has {len(str(vocab))} digits: no vocabulary is that large"
        raise ValueError(msg)
    x = to_last_axis(logprobs, axis)
    member = x > -np.inf
    k = np.sum(member, axis=-1)
    p = np.exp(x)
    total = np.sum(p, axis=-1)
    if np.any(k > vocab):
        msg = (
            f"vocab_size={vocab} is smaller than the {int(np.max(k))} tokens returned at a position"
        )
        raise ValueError(msg)
    unseen = float(vocab) - k  # a float: any vocabulary size, however large, and no overflow
    _check_room(vocab, unseen, 1.0 - total)
    if ceiling_logprob is None:
        lowest = np.min(np.where(member, x, 0.0), axis=-1, initial=0.0)
        c = np.where(k > 0, np.exp(lowest), 1.0)
    else:
        # a ceiling with no mass would put the tail on no token, and the cap raised to t / m
        # below would give a point interval that reads as exact: refused where a tail is left
        left = np.where(unseen > 0, 1.0 - total, 0.0)
        ceiling = per_row_cap(ceiling_logprob, left, "ceiling_logprob", "an unseen token")
        c = np.exp(np.where(np.isnan(ceiling), 0.0, ceiling))  # NaN: nothing caps an unseen token
    with np.errstate(divide="ignore", invalid="ignore"):
        log_scale = np.log(np.maximum(total, 1.0))
        seen = -np.sum(np.where(member, p * (x - log_scale[..., None]), 0.0), axis=-1)
        seen /= np.maximum(total, 1.0)
        t = np.clip(1.0 - total, 0.0, 1.0)
        c = np.maximum(c, t / np.maximum(unseen, 1))
        upper = np.where(t > 0, t * (np.log(unseen) - np.log(t)), 0.0)
        full = np.floor(t / c)
        r = np.maximum(t - full * c, 0.0)
        lower = np.where(t > 0, -full * c * np.log(c), 0.0) - np.where(r > 0, r * np.log(r), 0.0)
    lower = np.where(unseen == 0, 0.0, lower)
    upper = np.where(unseen == 0, 0.0, upper)
    bounds = np.stack([seen + np.minimum(lower, upper), seen + upper], axis=-1)
    return to_base(np.where(np.isnan(total)[..., None], np.nan, bounds), base)
