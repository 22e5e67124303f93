r"""One truncated distribution as the bounds see it: its known probabilities, tail and cap.

A side of `tv_bounds`, `js_bounds` and `kl_bounds` (and the checks `entropy_bounds` shares): a
key it did not return has a probability in $[0, e]$, $e = \min(e^{c}, r)$, at most its cap $c$
and its tail $r = 1 - \sum p$ (docs/compare.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from tokenprobs.metrics._numeric import as_float, per_row, to_last_axis

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = ["TAIL_SLACK", "Side", "first_true", "pair", "per_row_cap", "position"]

_EPS = float(np.finfo(np.float64).eps)


TAIL_SLACK = 1e-4
"""What a tail computed from returned values may be off by, either way: returned logprobs are
rounded (float32 on llama.cpp, coarser on some APIs), so their sum can miss 1 - tail a little."""


def first_true(mask: NDArray[np.bool_]) -> tuple[int, ...]:
    """The index of `mask`'s first True (C order), as a tuple of ints."""
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(mask)), mask.shape))


def position(at: tuple[int, ...]) -> str:
    """`at` (an index into the rows) as words: "position 3", "position (0, 2)" or "this row"."""
    return f"position {at[0] if len(at) == 1 else at}" if at else "this row"


def per_row_cap(
    value: ArrayLike, tail: NDArray[np.float64], name: str, role: str
) -> NDArray[np.float64]:
    """A per-row cap given as a logprob (cleaned, broadcast to `tail`'s shape), checked.

    `role` says what the cap bounds ("a token not returned"). A NaN caps nothing.

    Raises:
        TypeError: If `value` is not numeric.
        ValueError: If `value` is not one value per row, is a positive logprob beyond rounding
            (a probability, or a score, passed for a logprob), or gives no mass at all (`-inf`,
            the sentinel, or a logprob whose probability underflows to 0) where the tail holds
            more than `TAIL_SLACK`: that tail would have no token to go to, and the bound built on
            it collapses to a point that reads as exact.
    """
    capped = per_row(value, tail.shape, name)  # refuses +inf and a value per key
    raw = np.broadcast_to(as_float(value, name), tail.shape)
    high = raw > TAIL_SLACK  # NaN compares False
    if high.any():
        at = first_true(high)
        msg = (
            f"{name} is a logprob (<= 0): the largest logprob {role} may have, got "
            f"{float(raw[at]):.4g} at {position(at)}; pass np.log of a probability (the least "
            "likely returned alternative's logprob), or NaN for no cap"
        )
        raise ValueError(msg)
    empty = (np.exp(capped) == 0.0) & (tail > TAIL_SLACK)  # NaN: no cap, never empty
    if empty.any():
        at = first_true(empty)
        msg = (
            f"{name}={float(raw[at])} at {position(at)} gives {role} no mass (probability 0), "
            f"yet the returned probabilities leave {float(tail[at]):.4g} to such tokens: pass "
            "the least likely returned alternative's logprob, or NaN where nothing caps them"
        )
        raise ValueError(msg)
    return capped


class Side:
    """One distribution's known probabilities, its tail and the bound `e` on an unknown key."""

    def __init__(self, logprobs: NDArray[np.float64], cap: ArrayLike | None, name: str) -> None:
        known = logprobs > -np.inf  # NaN compares False: unknown
        # KL works from these: below about -745 e^lp underflows to 0, lp - lq does not
        self.logprobs: NDArray[np.float64] = np.where(known, logprobs, -np.inf)
        p = np.exp(self.logprobs)
        self.tail: NDArray[np.float64] = np.clip(1.0 - p.sum(axis=-1), 0.0, 1.0)
        # what 1 - sum(p) is off by, about (k + 2) ulps of 1: a tail no larger may be 0
        self.error: NDArray[np.float64] = (known.sum(axis=-1) + 2) * _EPS
        if cap is None:
            log_c = np.min(np.where(known, logprobs, 0.0), axis=-1, initial=0.0)
            log_c = np.where(known.any(axis=-1), log_c, 0.0)
        else:
            capped = per_row_cap(cap, self.tail, name, "a token not returned")
            log_c = np.where(np.isnan(capped), 0.0, capped)
        self.log_cap: NDArray[np.float64] = log_c
        self.bound: NDArray[np.float64] = np.minimum(np.exp(log_c), self.tail)
        self.returned: NDArray[np.bool_] = known
        # with nothing left in the tail an unknown key is a known zero (for TV and JS, which a
        # rounding error in the tail moves by as much; KL, which it could move to inf, keeps
        # `returned`)
        self.known: NDArray[np.bool_] = known | (self.bound == 0.0)[..., np.newaxis]
        self.p: NDArray[np.float64] = p


def pair(
    p: ArrayLike, q: ArrayLike, cap_p: ArrayLike | None, cap_q: ArrayLike | None, axis: int
) -> tuple[Side, Side]:
    x, y = to_last_axis(p, axis, "p"), to_last_axis(q, axis, "q")
    if x.shape != y.shape:
        msg = f"p and q must be laid over the same keys (one shape), got {x.shape} and {y.shape}"
        raise ValueError(msg)
    return Side(x, cap_p, "cap_p"), Side(y, cap_q, "cap_q")
