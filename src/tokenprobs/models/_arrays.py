"""Array fields of `TokenDistribution`: JSON lists with the sentinel and nulls <-> float arrays."""

from __future__ import annotations

from collections.abc import Sequence, Sized
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
from pydantic import PlainSerializer, PlainValidator, ValidationInfo, WithJsonSchema

from tokenprobs._said import a_type, a_value

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["SENTINEL", "Array1D", "Array2D", "check_columns", "pad_rows", "readonly", "row_counts"]

SENTINEL = -9999.0
"""The API's logprob for "outside the top 20": not a probability. Arrays hold `-inf` for it."""


_NONE = object()


def _number(v: object) -> bool:
    """Whether `v` is a number (a bool, an int to Python, is not; numpy's scalars are)."""
    return isinstance(v, int | float | np.number) and not isinstance(v, bool)


def _array_from_json(value: object, ndim: int) -> NDArray[np.float64]:
    if isinstance(value, np.ndarray):
        arr = np.array(value, dtype=np.float64)
    else:
        if not isinstance(value, list):
            msg = f"expected a list of numbers, got {a_type(value)}"
            raise ValueError(msg)  # noqa: TRY004 - pydantic turns ValueError into a ValidationError
        rows = value if ndim == 1 else [r for r in value if isinstance(r, list)]
        if ndim == 2 and len(rows) != len(value):  # noqa: PLR2004
            msg = "expected a list of lists of numbers"
            raise ValueError(msg)
        width = max((len(r) for r in rows), default=0) if ndim == 2 else 0  # noqa: PLR2004
        if ndim == 2 and any(len(r) != width for r in rows):  # noqa: PLR2004
            msg = "rows of top_logprobs differ in length"
            raise ValueError(msg)
        flat = [v for r in rows for v in r] if ndim == 2 else rows  # noqa: PLR2004
        wrong = next((v for v in flat if v is not None and not _number(v)), _NONE)
        if wrong is not _NONE:  # numpy would read "0.5", "nan" and True as numbers
            msg = f"expected numbers (null for none), got {a_value(wrong, width=40)}"
            raise ValueError(msg)
        arr = np.array([np.nan if v is None else v for v in flat], dtype=np.float64)
        if ndim == 2:  # noqa: PLR2004
            arr = arr.reshape(len(rows), width)
    if arr.ndim != ndim:
        msg = f"expected a {ndim}-d array, got {arr.ndim}-d"
        raise ValueError(msg)
    arr[arr == SENTINEL] = -np.inf
    arr.flags.writeable = False
    return arr


def _array_to_json(arr: NDArray[np.float64]) -> list[Any]:
    out = np.where(np.isneginf(arr), SENTINEL, arr).astype(object)
    out[np.isnan(arr)] = None
    result: list[Any] = out.tolist()
    return result


Array1D = Annotated[
    np.ndarray,
    PlainValidator(lambda v: _array_from_json(v, 1)),
    PlainSerializer(_array_to_json, return_type=list),
    WithJsonSchema({"type": "array", "items": {"type": ["number", "null"]}}),
]


def _ragged_from_json(value: object, info: ValidationInfo) -> NDArray[np.float64]:
    """Alternatives' logprobs as JSON lists (one per position, ragged) → a `-inf`-padded array."""
    if isinstance(value, np.ndarray):
        return _numbered(_array_from_json(value, 2))
    if not isinstance(value, list) or not all(isinstance(r, list) for r in value):
        msg = "expected a list of lists of numbers"
        raise ValueError(msg)
    counts = [len(r) for r in value]
    top_tokens = info.data.get("top_tokens")
    if top_tokens is not None and counts != [len(t) for t in top_tokens]:
        msg = "top_logprobs and top_tokens differ in shape"
        raise ValueError(msg)
    flat = _numbered(_array_from_json([v for r in value for v in r], 1))
    return readonly(pad_rows(flat, np.array(counts, dtype=np.intp)))


def _numbered(arr: NDArray[np.float64]) -> NDArray[np.float64]:
    """`arr`, unless an alternative's logprob is NaN (`null`): every returned one has a number."""
    if np.isnan(arr).any():
        msg = (
            "an alternative's logprob is null (NaN): every returned alternative has a number "
            "(-inf pads rows; -9999 is the API's sentinel for it)"
        )
        raise ValueError(msg)
    return arr


Array2D = Annotated[
    np.ndarray,
    PlainValidator(_ragged_from_json),
    WithJsonSchema(
        {"type": "array", "items": {"type": "array", "items": {"type": ["number", "null"]}}}
    ),
]


def readonly(arr: NDArray[Any]) -> NDArray[Any]:
    """Mark an array read-only (the models are frozen) and return it."""
    arr.flags.writeable = False
    return arr


def pad_rows(flat: NDArray[np.float64], counts: NDArray[np.intp]) -> NDArray[np.float64]:
    """Ragged rows, given flat with `counts[i]` values for row `i`, as a `-inf`-padded 2-d array."""
    width = int(counts.max()) if counts.size else 0
    out = np.full((counts.size, width), -np.inf)
    if width:
        out[np.arange(width) < counts[:, None]] = flat
    return out


def check_columns(  # noqa: PLR0917 - the columns `TokenDistribution.from_columns` reads first
    source: object,
    tokens: object,
    token_bytes: object,
    logprobs: object,
    top_tokens: object,
    top_bytes: object,
) -> None:
    """A `TypeError` unless `source` is a str and the list columns are lists.

    `from_columns` checks no position (the adapters' fast path): only what is cheap to check.
    """
    if not isinstance(source, str):
        msg = (
            f"from_columns: source is the response's kind ('chat' ...), a str, got {a_type(source)}"
        )
        raise TypeError(msg)
    columns = {
        "tokens": tokens,
        "token_bytes": token_bytes,
        "logprobs": logprobs,
        "top_tokens": top_tokens,
        "top_bytes": top_bytes,
    }
    for name, column in columns.items():
        listed = isinstance(column, Sequence | np.ndarray) and not isinstance(column, str | bytes)
        if not listed:
            msg = f"from_columns: {name} is a list with one entry per token, got {a_type(column)}"
            raise TypeError(msg)


def row_counts(top_tokens: Sequence[Sized], n: int) -> NDArray[np.intp]:
    """Each of the `n` rows' count of alternatives (a `TypeError` names a row that is no list)."""
    try:
        return np.fromiter(map(len, top_tokens), dtype=np.intp, count=n)
    except TypeError:
        rows: Sequence[object] = top_tokens
        i, row = next((i, r) for i, r in enumerate(rows) if not isinstance(r, Sized))
        msg = (
            f"from_columns: top_tokens[{i}] is the list of position {i}'s alternatives, "
            f"got {a_value(row, width=40)}"
        )
        raise TypeError(msg) from None
