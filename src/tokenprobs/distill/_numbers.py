"""Numbers as the records hold them: Python ints and floats, within what their arrays hold."""

from __future__ import annotations

import numpy as np

from tokenprobs._said import a_value
from tokenprobs.distill._errors import DistillError

__all__ = ["INT32_MAX", "INT64_MAX", "integer", "number", "said_int", "shown"]

INT32_MAX = 2**31 - 1
"""The largest id a Parquet shard's `cand_id` column (int32) holds."""
INT64_MAX = 2**63 - 1
"""The largest integer the records' int64 arrays (ids, student ids, seeds) hold."""


def said_int(value: int) -> str:
    """`value` as a message says it: an int too long to print by its size (`repr` refuses)."""
    bits = value.bit_length()
    return repr(value) if bits <= 128 else f"an int of {bits} bits"  # noqa: PLR2004 - long


def shown(value: object) -> str:
    """`a_value(value, width=40)`, an int too long to print said by its size (`said_int`)."""
    if isinstance(value, int) and value.bit_length() > 128:  # noqa: PLR2004 - long
        return said_int(value)
    return a_value(value, width=40)


def integer(value: object, name: str, what: str, /) -> int:
    """`value` as an int, or a TypeError naming `name` and `what` it is (a bool is no int)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        msg = f"{name} must be an int ({what}) or None, got {a_value(value)}"
        raise TypeError(msg)
    return int(value)


def number(value: object, name: str, /) -> float:
    """`value` as a float, or a TypeError naming `name` (a bool or a string is not a number).

    Raises:
        TypeError: `value` is not a number.
        DistillError: `value` is an int past a float's range (`10**400`).
    """
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        msg = f"{name} must be a number, got {a_value(value)}"
        raise TypeError(msg)
    try:
        return float(value)
    except OverflowError:  # only a Python int is past a float's range
        msg = f"{name} must be a finite number, got {said_int(int(value))}, past a float's range"
        raise DistillError(msg) from None
