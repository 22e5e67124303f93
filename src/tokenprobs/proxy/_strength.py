"""The settings every proxy-tuning entry point takes, checked once for all of them.

`alpha` scales the expert - anti-expert delta, `floor` is the lowest logprob assumed for a
token a sparse small model did not return and `support` the candidate-set rule; `combine`,
`choose` and `generate` refuse the same values with the same words.
"""

from __future__ import annotations

import math
import numbers
from typing import Literal, get_args

from tokenprobs._said import among

__all__ = ["Support", "check_strength", "check_support"]

Support = Literal["base", "union", "intersection"]
"""Which tokens the combined distribution is over: the base's returned tokens (`"base"`, the
paper's §7), those and the expert's (`"union"`, the default), or only the tokens all three
returned (`"intersection"`: the nudging repository's baseline, biased; see docs/proxy.md)."""


def check_support(support: object) -> None:
    """Refuse a `support` that is not one of `Support`'s rules.

    Raises:
        ValueError: An unknown rule.
    """
    if not among(support, get_args(Support)):
        msg = f"support must be one of {get_args(Support)}, got {support!r}"
        raise ValueError(msg)


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
