"""What the dense scorers share: a token's id looked up by its bytes, and the length check."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["ByBytes", "fitted"]


class ByBytes:
    """`token_id(key)` over a scorer's `vocab` (each id's bytes): the first id of those bytes."""

    @property
    def vocab(self) -> tuple[bytes, ...]:
        """Each token id's bytes: the scorer's."""
        raise NotImplementedError

    @cached_property
    def _ids(self) -> dict[bytes, int]:
        out: dict[bytes, int] = {}
        for i, key in enumerate(self.vocab):
            out.setdefault(key, i)
        return out

    def token_id(self, key: bytes, /) -> int:
        """The id of the token whose bytes are `key` (the first, if several share them).

        Raises:
            KeyError: No token of this vocabulary has these bytes.
        """
        return self._ids[key]


def fitted(prompt: Sequence[int], continuation: Sequence[int], n_ctx: int) -> list[int]:
    """`prompt + continuation`, checked: a prompt of at least one token, within the context.

    Raises:
        ValueError: An empty prompt, or more tokens than `n_ctx`.
    """
    tokens = [*prompt, *continuation]
    if not prompt:
        msg = "score() needs a prompt of at least one token"
        raise ValueError(msg)
    if len(tokens) > n_ctx:
        msg = f"{len(tokens)} tokens do not fit the context of {n_ctx}"
        raise ValueError(msg)
    return tokens
