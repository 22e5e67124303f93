"""Token ids in token entries: llama.cpp's `id` fields, vLLM's `"token_id:N"` token strings."""

from __future__ import annotations

from operator import methodcaller
from typing import TYPE_CHECKING, Any

from tokenprobs.adapters._common import seen
from tokenprobs.adapters._lazy import FastPathMiss
from tokenprobs.exceptions import UnsupportedResponseError
from tokenprobs.models._ids import UNKNOWN_ID, id_from_token

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from tokenprobs.adapters._columns import Columns

__all__ = ["ID_MAX", "checked_id", "ids_of_tokens", "read_ids"]

ID_MAX = 2**63 - 1
"""The largest token id an int64 column holds (a larger one is no token id)."""


def read_ids(cols: Columns, entries: Sequence[Any], path: str) -> None:
    """The entries' token ids: llama.cpp's `id` fields, else vLLM's `"token_id:N"` tokens.

    Raises:
        UnsupportedResponseError: Naming an `id` that is not a non-negative integer.
        FastPathMiss: `"token_id:N"` tokens with the raw-JSON fast path's lazy alternatives.
    """
    first = entries[0]
    ident: Callable[[Any], Any]
    if isinstance(first, dict):
        has_id, ident = "id" in first, methodcaller("get", "id")
        alternatives: Callable[[Any], Any] = methodcaller("get", "top_logprobs")
    else:
        has_id, ident = hasattr(first, "id"), _attr_id  # as a dict's key: null ids too
        alternatives = _attr_alternatives
    if has_id:
        cols.token_ids = [
            checked_id(v, f"{path}[{i}].id") for i, v in enumerate(map(ident, entries))
        ]
        cols.top_ids = [
            [
                checked_id(v, f"{path}[{i}].top_logprobs[{j}].id")
                for j, v in enumerate(map(ident, alts or ()))
            ]
            for i, alts in enumerate(map(alternatives, entries))
        ]
    elif cols.tokens and cols.tokens[0].startswith("token_id:"):
        if not isinstance(cols.top_bytes, list):  # the fast path's lazy rows: not writable
            raise FastPathMiss
        cols.token_ids = ids_of_tokens(cols.tokens, f"{path}[{{}}].token")
        cols.top_ids = [
            ids_of_tokens(row, f"{path}[{i}].top_logprobs[{{}}].token")
            for i, row in enumerate(cols.top_tokens)
        ]
        # vLLM encodes an alternative's bytes from its "token_id:N" string, the sampled token's
        # from its text: the alternative that is the sampled token takes the sampled bytes
        for own, tid, ids, row in zip(
            cols.token_bytes, cols.token_ids, cols.top_ids, cols.top_bytes, strict=True
        ):
            for j, alt in enumerate(ids):
                if alt == tid >= 0:
                    row[j] = own


def _attr_id(entry: object) -> object:
    return getattr(entry, "id", None)


def _attr_alternatives(entry: object) -> object:
    return getattr(entry, "top_logprobs", None)


def checked_id(value: object, path: str) -> int:
    """A token id as given (`None` → -1); anything but a non-negative integer is an error."""
    if value is None:
        return UNKNOWN_ID
    if type(value) is not int or not 0 <= value <= ID_MAX:
        msg = f"expected a token id (an integer from 0 to 2**63 - 1) or null, got {seen(value)}"
        raise UnsupportedResponseError(msg, field=path)
    return value


def ids_of_tokens(tokens: list[str], where: str) -> list[int]:
    """The ids of vLLM's `"token_id:N"` token strings (-1 for any other token).

    Raises:
        UnsupportedResponseError: An id too large for a token id; `where` (with `{}` for the
            position) names the field.
    """
    ids = list(map(id_from_token, tokens))
    if ids and max(ids) > ID_MAX:
        at = next(k for k, v in enumerate(ids) if v > ID_MAX)
        msg = f"expected a token id from 0 to 2**63 - 1, got {seen(tokens[at])}"
        raise UnsupportedResponseError(msg, field=where.format(at))
    return ids
