"""Token-id fields of `TokenDistribution`: int64 arrays, `-1` where the server gave no id.

In JSON a column of ids is a list of integers, or `null` when no position has an id (a
distribution parsed from a server that sends none stays as small as before); the alternatives'
ids are ragged lists, one per position, like their logprobs.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
from pydantic import PlainSerializer, PlainValidator, ValidationInfo, WithJsonSchema

from tokenprobs.models._arrays import SENTINEL, readonly

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

__all__ = [
    "UNKNOWN_ID",
    "IdArray1D",
    "IdArray2D",
    "RequestedArray",
    "id_from_token",
    "ids_1d",
    "ids_2d",
    "no_ids",
    "ragged_ids",
]

UNKNOWN_ID = -1
"""The id of a position or alternative whose token id the server did not give."""

_TOKEN_ID = re.compile(r"token_id:(\d+)\Z")


def id_from_token(token: str) -> int:
    """The id in a vLLM `return_tokens_as_token_ids` token string (`"token_id:42"` → 42), else -1.

    Examples:
        >>> id_from_token("token_id:42"), id_from_token(" cat")
        (42, -1)
    """
    match = _TOKEN_ID.match(token)
    return int(match.group(1)) if match else UNKNOWN_ID


def ids_1d(values: Sequence[int] | NDArray[np.int64] | None, n: int) -> NDArray[np.int64]:
    """A read-only `(n,)` int64 column of ids; all `-1` for `None`."""
    if values is None:
        return readonly(np.full(n, UNKNOWN_ID, dtype=np.int64))
    arr = np.array(values, dtype=np.int64)
    if arr.shape != (n,):
        msg = f"an id column has {arr.size} entries for {n} positions"
        raise ValueError(msg)
    return readonly(arr)


def ids_2d(
    flat: Sequence[int] | NDArray[np.int64] | None, counts: NDArray[np.intp], width: int
) -> NDArray[np.int64]:
    """A read-only `(T, width)` int64 array: row `i` holds `counts[i]` ids, then `-1` padding."""
    out = np.full((counts.size, width), UNKNOWN_ID, dtype=np.int64)
    if flat is None:
        return readonly(out)
    values = np.asarray(flat, dtype=np.int64)
    if values.size != int(counts.sum()):
        total = int(counts.sum())
        msg = f"an alternatives' id column has {values.size} entries for {total} alternatives"
        raise ValueError(msg)
    if width:
        out[np.arange(width) < counts[:, None]] = values
    return readonly(out)


def no_ids(ndim: int = 1) -> NDArray[np.int64]:
    """An empty id column: the model fills in `-1` at each position once it knows how many."""
    return readonly(np.full((0,) * ndim, UNKNOWN_ID, dtype=np.int64))


def _validate_1d(value: object) -> NDArray[np.int64]:
    if value is None:  # no id known anywhere
        return no_ids()
    if isinstance(value, np.ndarray):
        arr = np.array(value, dtype=np.int64)
    elif isinstance(value, list) and all(type(v) is int for v in value):
        arr = np.array(value, dtype=np.int64).reshape(len(value))
    else:
        msg = "expected a list of integer token ids"
        raise ValueError(msg)  # pydantic turns a ValueError into a ValidationError
    if arr.ndim != 1:
        msg = f"expected a 1-d array of token ids, got {arr.ndim}-d"
        raise ValueError(msg)
    return readonly(arr)


def _validate_2d(value: object, info: ValidationInfo) -> NDArray[np.int64]:
    if value is None:
        return no_ids(2)
    if isinstance(value, np.ndarray):
        if value.ndim != 2:  # noqa: PLR2004
            msg = f"expected a 2-d array of token ids, got {value.ndim}-d"
            raise ValueError(msg)
        return readonly(np.array(value, dtype=np.int64))
    if not isinstance(value, list) or not all(
        isinstance(r, list) and all(type(v) is int for v in r) for r in value
    ):
        msg = "expected a list of lists of integer token ids"
        raise ValueError(msg)
    counts = np.array([len(r) for r in value], dtype=np.intp)
    top_tokens = info.data.get("top_tokens")
    if top_tokens is not None and counts.tolist() != [len(t) for t in top_tokens]:
        msg = "the alternatives' ids and top_tokens differ in shape"
        raise ValueError(msg)
    top = info.data.get("top_logprobs")
    width = top.shape[1] if isinstance(top, np.ndarray) and top.ndim == 2 else 0  # noqa: PLR2004
    return ids_2d([v for r in value for v in r], counts, max(width, int(counts.max(initial=0))))


def _dump_1d(arr: NDArray[np.int64]) -> list[int] | None:
    if not (arr != UNKNOWN_ID).any():
        return None
    out: list[int] = arr.tolist()
    return out


def ragged_ids(arr: NDArray[np.int64], counts: Sequence[int]) -> list[list[int]] | None:
    """The alternatives' ids as JSON rows (each cut to its count); `None` when none is known."""
    if not (arr != UNKNOWN_ID).any():
        return None
    rows: list[list[int]] = arr.tolist()
    return [row[:c] for row, c in zip(rows, counts, strict=True)]


def _validate_requested(value: object) -> NDArray[np.float64]:
    """Requested-token logprobs from JSON rows (`null` = not given) or an array."""
    if isinstance(value, np.ndarray):
        arr = np.array(value, dtype=np.float64)
    elif isinstance(value, list) and all(isinstance(r, list) for r in value):
        width = {len(r) for r in value}
        if len(width) > 1:
            msg = "rows of requested_logprobs differ in length"
            raise ValueError(msg)
        flat = [np.nan if v is None else v for r in value for v in r]
        if not all(type(v) in (int, float) for v in flat):
            msg = "expected numbers or null in requested_logprobs"
            raise ValueError(msg)
        arr = np.array(flat, dtype=np.float64).reshape(len(value), width.pop() if width else 0)
    else:
        msg = "expected a list of lists of numbers"
        raise ValueError(msg)
    if arr.ndim != 2:  # noqa: PLR2004
        msg = f"expected a 2-d array, got {arr.ndim}-d"
        raise ValueError(msg)
    arr[arr == SENTINEL] = -np.inf
    return readonly(arr)


def _dump_requested(arr: NDArray[np.float64]) -> list[list[float | None]]:
    out = np.where(np.isneginf(arr), SENTINEL, arr).astype(object)
    out[np.isnan(arr)] = None
    rows: list[list[float | None]] = out.tolist()
    return rows


RequestedArray = Annotated[
    np.ndarray,
    PlainValidator(_validate_requested),
    PlainSerializer(_dump_requested, return_type=list),
    WithJsonSchema(
        {"type": "array", "items": {"type": "array", "items": {"type": ["number", "null"]}}}
    ),
]
"""`(T, R)` float64: each requested token id's logprob at each position, NaN where not given."""


IdArray1D = Annotated[
    np.ndarray,
    PlainValidator(_validate_1d),
    PlainSerializer(_dump_1d, return_type=Any),
    WithJsonSchema({"type": ["array", "null"], "items": {"type": "integer"}}),
]
IdArray2D = Annotated[
    np.ndarray,
    PlainValidator(_validate_2d),
    WithJsonSchema(
        {"type": ["array", "null"], "items": {"type": "array", "items": {"type": "integer"}}}
    ),
]
