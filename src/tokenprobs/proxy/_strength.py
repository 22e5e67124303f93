"""The two numbers every proxy-tuning entry point takes, checked once for all of them.

`alpha` scales the expert - anti-expert delta and `floor` is the lowest logprob assumed for a
token a sparse small model did not return; `combine` and `choose` refuse the same values with
the same words.
"""

from __future__ import annotations

import math
import numbers

__all__ = ["check_strength"]


def check_strength(alpha: object, floor: object) -> None:
    """Refuse an `alpha` that is no finite number and a `floor` that is no logprob or `None`.

    Raises:
        TypeError: `alpha` is not a real number (a str, a bool, `None`).
        ValueError: `alpha` is NaN or infinite, or `floor` is not `None` nor a finite
            number `<= 0` (a bool is refused: `False` would read as a floor of 0).
    """
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
        msg = f"alpha is a finite number (1.0 is the paper's setting), got {alpha!r}"
        raise TypeError(msg)
    if not math.isfinite(alpha):
        msg = f"alpha must be finite, got {alpha}"
        raise ValueError(msg)
    if floor is not None and not _logprob(floor):
        msg = f"floor is a logprob (finite and <= 0) or None, got {floor!r}"
        raise ValueError(msg)


def _logprob(value: object) -> bool:
    """A finite real number `<= 0` that is not a bool."""
    return (
        not isinstance(value, bool)
        and isinstance(value, numbers.Real)
        and -math.inf < float(value) <= 0.0
    )
