"""Synthetic logprobs that are a distribution: the returned tokens hold at most `mass` (< 1).

`tp.parse` warns about values that are no distribution (alternatives summing above 1), so the
benchmarks' bodies must be real ones, or they would time the warning.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import random

__all__ = ["top_logprobs"]


def top_logprobs(rng: random.Random, k: int, *, mass: float = 0.98) -> list[float]:
    """`k` logprobs, most likely first, whose probabilities sum to between `mass / 2` and `mass`."""
    weights = sorted((rng.expovariate(1.0) ** 3 for _ in range(k)), reverse=True)
    scale = mass * rng.uniform(0.5, 1.0) / sum(weights)
    return [math.log(w * scale) for w in weights]
