"""The raw-JSON fast path's accelerator: msgspec's typed decoding of a chat completion body.

With msgspec installed (the `fast` extra), a large chat body is decoded in one pass into
structs whose fields are the ones a chat completion has: the alternatives' `bytes` stay JSON
text (`msgspec.Raw`), never lists, and become the same lazy rows as the regex path's table.
Any key, type or value it does not expect gives `None`, and the caller takes the regex path.
"""

from __future__ import annotations

from itertools import accumulate, chain
from typing import TYPE_CHECKING, Any

from tokenprobs.adapters._lazy import FastPathMiss, LazyByteRows

if TYPE_CHECKING:
    from collections.abc import Callable

    from tokenprobs.adapters._columns import Columns

__all__ = ["DECODE", "decode_chat", "raw_bytes"]

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
    # alone, starting with `[` and holding no other `[`, it is a flat list of unsigned integers.
    rest = joined.translate(None, _LIST_CHARS)
    if rest:
        _check_nulls(joined, rest, len(raws))
    own = bytes(chain.from_iterable(b for b in cols.token_bytes if b is not None))
    # GPT-2 symbols' UTF-8 leads (0xC4, 0xC5) in the sampled tokens' bytes or the text of the
    # alternatives' lists: the ordinary path checks and decodes them
    if b"\xc4" in own or b"\xc5" in own or b"196" in joined or b"197" in joined:
        raise FastPathMiss  # possibly GPT-2 symbol bytes (a cheap superset of the regex path's)
    ends = list(accumulate(map(len, rows)))
    table: list[bytes]
    if not rest:  # the usual case: one split, the rows are the table in order
        table = joined[1:-1].split(b"]|[") if raws else []
        # every Raw starts with `[` and ends with `]` (the split found them all), and there
        # are no more `[` than Raws: each is one flat list
        if raws and (len(table) != len(raws) or joined.count(b"[") != len(raws)):
            raise FastPathMiss
        if raws and (joined[:1] != b"[" or joined[-1:] != b"]"):
            raise FastPathMiss
        cols.top_bytes = LazyByteRows.in_order(table, ends)  # type: ignore[assignment]
        return
    table = []
    index: list[int | None] = []
    for raw in raws:
        text = bytes(raw)
        if text == b"null":
            index.append(None)
        else:
            index.append(len(table))
            table.append(text[1:-1])
    cols.top_bytes = LazyByteRows(  # type: ignore[assignment]
        [index[a:b] for a, b in zip([0, *ends], ends, strict=False)], table
    )


def _check_nulls(joined: bytes, rest: bytes, n: int) -> None:
    """With nulls among the Raws: each one a null or a flat list of unsigned integers.

    Raises:
        FastPathMiss: Another value is there.
    """
    nulls = len(rest) // 4
    opens = joined.count(b"[")
    starts = joined.count(b"|[") + joined.startswith(b"[")
    if rest != b"null" * nulls or opens != starts or starts + nulls != n:
        raise FastPathMiss
