"""The raw-JSON fast path's accelerator: msgspec's typed decoding of a chat completion body.

With msgspec installed (the `fast` extra), a large chat body is decoded in one pass into
structs whose fields are the ones a chat completion has: the alternatives' `bytes` stay JSON
text (`msgspec.Raw`), never lists, and become the same lazy rows as the regex path's table.
Any key, type or value it does not expect gives `None`, and the caller takes the regex path.
"""

from __future__ import annotations

import re
from itertools import accumulate, chain
from typing import TYPE_CHECKING, Any

from tokenprobs.adapters._lazy import FastPathMiss, LazyByteRows

if TYPE_CHECKING:
    from collections.abc import Callable

    from tokenprobs.adapters._columns import Columns

__all__ = ["DECODE", "decode_chat", "raw_bytes"]

_GPT2_LEADS = re.compile(b"[\xc4\xc5]")  # GPT-2 symbols' UTF-8 leads: the ordinary path checks
_LIST_CHARS = b"0123456789,[]| \t\n\r"  # what lists of unsigned integers are written with

DECODE: Callable[[bytes], dict[str, Any] | None] | None
"""msgspec's typed decoding of a chat body (`_fast_structs.decode`), `None` without msgspec."""
try:
    from tokenprobs.adapters._fast_structs import decode as DECODE  # noqa: N812
except ImportError:  # pragma: no cover - the `fast` extra is not installed
    DECODE = None


def decode_chat(data: bytes) -> dict[str, Any] | None:
    """The chat completion `data` as the regex path's dict (token entries as structs), or None.

    `None` without msgspec, or for any body it does not decode exactly: another shape, a key
    a chat completion does not have, a type or value out of place, invalid JSON.
    """
    return None if DECODE is None else DECODE(data)


def raw_bytes(cols: Columns) -> None:
    """The alternatives' `bytes` JSON text (`msgspec.Raw`) as lazy rows of a table of their own.

    The sampled tokens' lists are already built (and range-checked) by the decoder.

    Raises:
        FastPathMiss: A `bytes` value is not a list of unsigned integers or null, or a list
            holds a GPT-2 symbol lead byte (the ordinary path checks and decodes those).
    """
    rows: list[list[Any]] = cols.top_bytes
    raws = list(chain.from_iterable(rows))
    joined = b"|".join(raws)
    # Each Raw is one valid JSON value: made of digits, commas, blanks, brackets and `null`s
    # alone, starting with `[` and holding no other `[` is a flat list of unsigned integers.
    rest = joined.translate(None, _LIST_CHARS)
    nulls = len(rest) // 4
    opens = joined.count(b"[")
    starts = joined.count(b"|[") + joined.startswith(b"[")
    if rest != b"null" * nulls or opens != starts or starts + nulls != len(raws):
        raise FastPathMiss
    own = bytes(chain.from_iterable(b for b in cols.token_bytes if b is not None))
    if _GPT2_LEADS.search(own) or b"196" in joined or b"197" in joined:
        raise FastPathMiss  # possibly GPT-2 symbol bytes (a cheap superset of the regex path's)
    if not nulls:  # the usual case: one split, the rows are the table in order
        table = joined[1:-1].split(b"]|[") if raws else []
        index: list[int | None] = list(range(len(table)))
    else:
        table, index = [], []
        for raw in raws:
            text = bytes(raw)
            if text == b"null":
                index.append(None)
            else:
                index.append(len(table))
                table.append(text[1:-1])
    if len(index) != len(raws):  # pragma: no cover - a safety net: the counts above agree
        raise FastPathMiss
    ends = list(accumulate(map(len, rows)))
    cols.top_bytes = LazyByteRows(  # type: ignore[assignment]
        [index[a:b] for a, b in zip([0, *ends], ends, strict=False)], table, ordered=not nulls
    )
