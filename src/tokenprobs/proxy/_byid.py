"""What the dense scorers share: ids by bytes, `next`, and `score` around their forward pass."""

from __future__ import annotations

import numbers
from functools import cached_property
from typing import TYPE_CHECKING

from tokenprobs._said import check_flag
from tokenprobs.proxy._dense import DenseLogprobs

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np

__all__ = ["DenseScorer", "check_ids"]


class DenseScorer:
    """A full-vocabulary scorer: a subclass gives `vocab`, `n_ctx`, `tokenize` and `_logits`.

    Examples:
        ```python
        ids = expert.tokenize("The capital of France is")  # a LlamaCppScorer, say
        d = expert.score(ids, [expert.token_id(b" Paris")])  # 2 positions: before and after
        ```
    """

    n_ctx: int
    """The most tokens one `score` call takes."""

    @property
    def vocab(self) -> tuple[bytes, ...]:
        """Each token id's bytes: the scorer's."""
        raise NotImplementedError

    def tokenize(
        self, text: str | bytes, /, *, add_bos: bool = True, special: bool = True
    ) -> list[int]:
        """The model's token ids for `text`: the scorer's."""
        raise NotImplementedError

    def _logits(self, tokens: list[int], start: int, *, one_by_one: bool) -> np.ndarray:
        """Float64 logits after `tokens[start - 1:]`, one row each: the scorer's forward pass."""
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

    def next(self, text: str, /) -> DenseLogprobs:
        """The next-token distribution after `text` (one position): for `proxy.choose`."""
        return self.score(self.tokenize(text))

    def score(
        self,
        prompt: Sequence[int],
        continuation: Sequence[int] = (),
        /,
        *,
        one_by_one: bool = False,
    ) -> DenseLogprobs:
        """The next-token distribution before each continuation token and after the last.

        Position `j` is the distribution of `continuation[j]` given `prompt + continuation[:j]`;
        there are `len(continuation) + 1` positions.

        Args:
            prompt: The context's token ids (at least one).
            continuation: The tokens to score after it.
            one_by_one: Evaluate the continuation one token per forward pass (with the KV
                cache), as a generating server does. Batched float32 kernels differ from
                one-token ones by ~1e-6; llama.cpp's quantised ones by up to ~0.5 nats on
                unlikely tokens (SmolLM2's Q4_1), so this is how to reproduce a server's
                logprobs for its own output.

        Raises:
            ValueError: An empty prompt, more tokens than `n_ctx`, or an id outside the
                vocabulary (the model would fail inside its forward pass).
            TypeError: An id that is not an integer, or `one_by_one` no bool.
        """
        check_flag(one_by_one, "one_by_one", "one token per forward pass, as a server generates")
        tokens = [*prompt, *continuation]
        if not prompt:
            msg = "score() needs a prompt of at least one token"
            raise ValueError(msg)
        check_ids(tokens, len(prompt), len(self.vocab), where="score()")
        if len(tokens) > self.n_ctx:
            msg = f"{len(tokens)} tokens do not fit the context of {self.n_ctx}"
            raise ValueError(msg)
        logits = self._logits(tokens, len(prompt), one_by_one=one_by_one)
        return DenseLogprobs.from_logits(logits, self.vocab)


def check_ids(tokens: Sequence[object], prompt: int, size: int, /, *, where: str) -> None:
    """Raise unless every id is an integer in `[0, size)`, naming the first that is not.

    The first `prompt` ids are named `prompt[j]`, the others `continuation[j]`; `where` names
    the caller.
    """
    for j, token in enumerate(tokens):
        name = f"prompt[{j}]" if j < prompt else f"continuation[{j - prompt}]"
        if isinstance(token, bool) or not isinstance(token, numbers.Integral):
            msg = f"{where} takes token ids (ints), but {name} is {token!r:.40}"
            raise TypeError(msg)
        if not 0 <= int(token) < size:
            msg = (
                f"{where}: {name} is {token}, not a token id of this vocabulary "
                f"(0 <= id < {size}): ids from another tokenizer?"
            )
            raise ValueError(msg)
