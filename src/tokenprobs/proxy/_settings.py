"""What `generate` checks before the base is first called: its parts, the stops and sampling.

A base call is paid for; a typo found after it costs one, and one found deep inside the loop
fails far from the argument that caused it. So every setting is refused here, by name.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import numpy as np

from tokenprobs._counts import at_least
from tokenprobs._said import a_type, a_value, check_flag
from tokenprobs.proxy._bytes import BytePrefix

__all__ = ["check_parts", "check_sampling", "checked_stop"]


def check_parts(base: object, expert: object, anti: object) -> None:
    """Refuse a base that cannot draft, or a scorer that is no `Scorer` and no `BytePrefix`.

    Raises:
        TypeError: naming the part, what it must be, and what was given.
    """
    if not callable(getattr(base, "draft", None)):
        msg = (
            "generate()'s base drafts the continuation (a CompletionsDrafter, or anything with "
            f".draft(prompt, n)), got {a_type(base)}"
        )
        raise TypeError(msg)
    if isinstance(expert, BytePrefix) or isinstance(anti, BytePrefix):
        return  # both are, or generate says they must both be
    for name, scorer in (("expert", expert), ("anti", anti)):
        missing = [m for m in ("score", "token_id", "vocab") if not _has(scorer, m)]
        if missing:
            msg = (
                f"generate()'s {name} is a small model (a LlamaCppScorer, a BytePrefix, or "
                f"anything with .score, .token_id and .vocab), got {a_type(scorer)} without "
                f".{missing[0]}"
            )
            raise TypeError(msg)


def _has(obj: object, name: str) -> bool:
    """Whether `obj` has `name`, looked up on its type first (a property is not run)."""
    return hasattr(type(obj), name) or hasattr(obj, name)


def check_sampling(base: object, *, sample: object, seed: object) -> np.random.Generator | None:
    """The generator of the sampling draws (`None`: greedy), once `sample` and `seed` are checked.

    Raises:
        TypeError: `sample` is no bool (`"no"` would turn sampling on), or `seed` is no integer,
            no numpy `Generator` and not `None`.
        ValueError: `seed` is negative, or `sample=True` with a drafter whose `temperature`
            is not 1.
    """
    check_flag(sample, "sample", "sample from the proxy-tuned distribution, or take its argmax")
    checked = (
        seed
        if seed is None or isinstance(seed, np.random.Generator)
        else at_least(seed, "seed", 0, " >= 0 (the seed of the draws), a numpy Generator or None")
    )
    if sample and (temperature := getattr(base, "temperature", 1.0)) != 1:
        msg = (
            f"generate(sample=True) needs a base that drafts by sampling at temperature 1, but "
            f"the drafter's temperature is {temperature!r}: its drafts are no draws from p_B, so "
            "the output would not be samples of q; use CompletionsDrafter(..., temperature=1)"
        )
        raise ValueError(msg)
    return np.random.default_rng(checked) if sample else None


def checked_stop(stop: object, *, in_bytes: bool) -> list[int] | list[bytes]:
    """The stops as a list, once checked: ids with a shared tokenizer, bytes with `BytePrefix`.

    Raises:
        TypeError: `stop` is one str or bytes, not a collection, or holds another kind.
    """
    kind, example = (
        ("bytes", "[b'\\n']") if in_bytes else ("token ids", "[expert.token_id(b'\\n')]")
    )
    if isinstance(stop, str | bytes) or not isinstance(stop, Iterable):
        msg = f"stop is a collection of {kind} ({example}), got {a_value(stop, width=40)}"
        raise TypeError(msg)
    stops = list(stop)  # a generator is read once
    for s in stops:
        ok = (
            isinstance(s, bytes)
            if in_bytes
            else isinstance(s, numbers.Integral) and not isinstance(s, bool)
        )
        if not ok:
            hint = " (.encode() it)" if in_bytes and isinstance(s, str) else ""
            msg = (
                f"stop holds {s!r:.40}, but with {'BytePrefix' if in_bytes else 'dense'} scorers "
                f"the stops are {kind} ({example}){hint}; no stop of another kind would ever match"
            )
            raise TypeError(msg)
    return stops  # checked above: all ids or all bytes
