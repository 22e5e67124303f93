"""Several distributions' candidate sets laid over one another, position by position.

Keyed by token bytes: what divergences, distillation and proxy-tuning compare (the candidate set
itself is `models/_support.py`'s).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING

import numpy as np

from tokenprobs._said import a_type
from tokenprobs.models._arrays import readonly
from tokenprobs.models._support import Candidates

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["AlignedPosition", "align"]


@dataclass(frozen=True, eq=False)
class AlignedPosition:
    """Several distributions' candidates at one position, over the union of their tokens' bytes."""

    keys: tuple[bytes, ...]
    """The union of the candidates' bytes, in order of first appearance (the first input first)."""
    logprobs: NDArray[np.float64]
    """Shape `(M, U)`: each input's logprob of each key; NaN where that input did not return it
    (unknown, at most its `cap`), never a guessed value."""
    cap: NDArray[np.float64]
    """Shape `(M,)`: each input's cap at this position (NaN where it returned no alternatives)."""
    tail: NDArray[np.float64]
    """Shape `(M,)`: each input's tail mass at this position."""
    sampled: NDArray[np.intp]
    """Shape `(M,)`: the index into `keys` of each input's sampled token."""


def align(*candidates: Candidates) -> list[AlignedPosition]:
    """Lay candidate sets over one another position by position, keyed by token bytes.

    Args:
        candidates: Two or more `Candidates` (e.g. `d.candidates` of several distributions) with the
            same number of positions.

    Returns:
        One `AlignedPosition` per position.

    Raises:
        TypeError: An input is not a `Candidates` (a `TokenDistribution`: pass `d.candidates`).
        ValueError: With no input, or inputs of different lengths.

    Examples:
        >>> import tokenprobs as tp
        >>> from tokenprobs.testing import chat_completion
        >>> a = tp.parse(chat_completion([("Yes", -0.2, [("Yes", -0.2), ("No", -1.8)])]))
        >>> b = tp.parse(chat_completion([("No", -0.5, [("No", -0.5), ("Maybe", -1.5)])]))
        >>> p = tp.models.align(a.candidates, b.candidates)[0]
        >>> p.keys, p.logprobs.tolist(), p.sampled.tolist()
        ((b'Yes', b'No', b'Maybe'), [[-0.2, -1.8, nan], [nan, -0.5, -1.5]], [0, 1])
    """
    if not candidates:
        msg = "align() needs at least one Candidates"
        raise ValueError(msg)
    given: tuple[object, ...] = candidates  # typed Candidates, but a caller may pass anything
    for k, c in enumerate(given):
        if not isinstance(c, Candidates):
            fix = "pass its .candidates" if hasattr(c, "candidates") else "pass d.candidates"
            msg = f"align() takes Candidates: argument {k} is {a_type(c)}; {fix}"
            raise TypeError(msg)
    lengths = {len(c) for c in candidates}
    if len(lengths) != 1:
        got = [len(c) for c in candidates]
        msg = f"align() needs candidate sets of one length, got lengths {got}"
        raise ValueError(msg)
    n = lengths.pop()
    rows, sampled = zip(*(c._rows() for c in candidates), strict=True)  # noqa: SLF001
    caps = np.stack([c.cap for c in candidates], axis=-1)
    tails = np.stack([c.tail for c in candidates], axis=-1)
    out: list[AlignedPosition] = []
    for i in range(n):
        at, keys = [r[i] for r in rows], [s[i] for s in sampled]
        # a sampled token with no logprob (an echoed prompt's first) is a key too
        union = tuple(dict.fromkeys(chain(*at, keys)))
        table = np.array([[row.get(k, math.nan) for k in union] for row in at], dtype=np.float64)
        out.append(
            AlignedPosition(
                keys=union,
                logprobs=readonly(table),
                cap=readonly(caps[i].copy()),
                tail=readonly(tails[i].copy()),
                sampled=readonly(np.array(list(map(union.index, keys)), dtype=np.intp)),
            )
        )
    return out
