"""The dense small model `generate` verifies with (`Scorer`), and its `token_id` held to its word.

`generate` asks the expert for the id of every drafted token and of every proxy-tuned choice.
A scorer written by hand may answer wrongly (`None`, `-1`, an id past its vocabulary) or fail in
its own way for bytes it has no token for (`tuple.index`'s `ValueError`); either would surface far
from the cause, or not at all (a `-1` indexes the last token's bytes), so `token_of` refuses it
in words that state the contract.
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Protocol

from tokenprobs._said import a_value

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tokenprobs.proxy._dense import DenseLogprobs

__all__ = ["Scorer", "token_of"]


class Scorer(Protocol):
    """A dense small model: `LlamaCppScorer` or anything with the same three methods."""

    def score(self, prompt: Sequence[int], continuation: Sequence[int] = (), /) -> DenseLogprobs:
        """Full-vocabulary logprobs before each continuation token and after the last."""
        ...

    def token_id(self, key: bytes, /) -> int:
        """The id of the token with these bytes.

        Raises:
            KeyError: No token of the vocabulary has these bytes.
        """
        ...

    @property
    def vocab(self) -> tuple[bytes, ...]:
        """Each id's bytes."""
        ...


_CONTRACT = (
    "a Scorer's token_id(key) returns the id (0 <= id < len(vocab)) of the token whose bytes "
    "are key, and raises KeyError when no token has them"
)


def token_of(scorer: Scorer, key: bytes, /) -> int:
    """`scorer.token_id(key)` as an `int`, once it keeps the `Scorer` contract.

    Raises:
        KeyError: No token has these bytes (the scorer's own, passed on).
        TypeError: `token_id` returned no integer, or raised another error than `KeyError`
            (chained from it).
        ValueError: `token_id` returned an id outside the vocabulary.
    """
    try:
        got: object = scorer.token_id(key)
    except (ValueError, IndexError) as exc:  # a lookup's own way to say "not there"
        msg = f"the scorer's token_id({key!r}) raised {type(exc).__name__}: {_CONTRACT}"
        raise TypeError(msg) from exc
    if isinstance(got, bool) or not isinstance(got, numbers.Integral):
        msg = f"the scorer's token_id({key!r}) returned {a_value(got, width=40)}: {_CONTRACT}"
        raise TypeError(msg)
    size = len(scorer.vocab)
    if not 0 <= int(got) < size:
        msg = f"the scorer's token_id({key!r}) returned {got}, outside its {size} ids: {_CONTRACT}"
        raise ValueError(msg)
    return int(got)
