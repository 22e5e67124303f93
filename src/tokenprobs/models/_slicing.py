"""What a slice `d[a:b]` keeps of each field: per-position columns cut, the rest adjusted.

Every field of `TokenDistribution` is one of these kinds or per-output metadata (kept as is);
tests/test_slicing.py fails when a new field is none of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from tokenprobs.models._arrays import readonly

if TYPE_CHECKING:
    from tokenprobs.models._distribution import TokenDistribution

__all__ = [
    "ALTERNATIVE_COLUMNS",
    "LEADING_COUNTS",
    "PER_POSITION",
    "POSITION_LISTS",
    "WHOLE_ONLY",
    "sliced_fields",
]

PER_POSITION = (
    "tokens",
    "token_bytes",
    "logprobs",
    "top_tokens",
    "top_bytes",
    "top_logprobs",
    "token_ids",
    "top_token_ids",
    "ranks",
    "top_ranks",
    "requested_logprobs",
    "text_offset",
)
"""Fields with one entry per position (sliced with the positions)."""
POSITION_LISTS = ("top_null",)
"""Fields that list position numbers (shifted and filtered by a slice)."""
WHOLE_ONLY = ("content",)
"""Fields about the whole output, unknown for a part of it (`None` in a proper slice)."""
LEADING_COUNTS = ("prompt_length",)
"""Counts of leading positions (how many of the slice's own positions they cover)."""
ALTERNATIVE_COLUMNS = ("top_logprobs", "top_token_ids", "top_ranks")
"""Arrays `(T, K)` padded past each position's count (a slice keeps the width its rows need)."""


def sliced_fields(d: TokenDistribution, where: slice) -> dict[str, Any]:
    """The fields of `d[where]`, for `model_construct` (they are checked already).

    Raises:
        ValueError: For a step other than 1 (positions must be contiguous).
    """
    start, stop, step = where.indices(len(d))
    if step != 1:
        msg = f"a TokenDistribution slice must be contiguous (step 1), got step {step}"
        raise ValueError(msg)
    stop = max(start, stop)
    width = max(map(len, d.top_tokens[start:stop]), default=0)
    fields: dict[str, Any] = {}
    for name in type(d).model_fields:
        value = getattr(d, name)
        if name in ALTERNATIVE_COLUMNS:
            value = readonly(value[start:stop, :width])
        elif isinstance(value, np.ndarray):
            value = readonly(value[start:stop])
        elif name in PER_POSITION and value is not None:
            value = value[start:stop]
        elif name in POSITION_LISTS:
            value = [p - start for p in value if start <= p < stop]
        elif name in WHOLE_ONLY and (start, stop) != (0, len(d)):
            value = None
        elif name in LEADING_COUNTS and value is not None:
            value = min(max(value - start, 0), stop - start)
        fields[name] = value
    if stop < len(d):
        fields["finish_reason"] = None
    return fields
