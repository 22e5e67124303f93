"""The raw-JSON fast path's byte lists: cut out of the body as text, built only when read."""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import chain
from typing import TYPE_CHECKING, Any, overload

from tokenprobs.exceptions import UnsupportedResponseError

if TYPE_CHECKING:
    from tokenprobs.adapters._columns import Columns

__all__ = ["BYTE_MAX", "FastPathMiss", "LazyByteRows", "RawTable", "byte_list", "indexed_bytes"]

BYTE_MAX = 255
# GPT-2 symbols for a space or newline (U+0120, U+010A ...) are UTF-8 0xC4 / 0xC5 = 196 / 197 as
# JSON byte values: where the table has them, the ordinary path checks and decodes the symbols.
_GPT2_TEXT_LEADS = re.compile(rb"(?<![0-9])19[67](?![0-9])")
_GPT2_TEXT_HINT = re.compile(rb"19[67]")  # a literal prefix: scanned 10x faster than the above


class FastPathMiss(UnsupportedResponseError):  # noqa: N818 - a signal, not an error users see
    """The raw-JSON fast path met something unexpected: parse the body the ordinary way.

    The fast path catches it; should it reach a caller (who gave the adapters' `table`
    argument, the fast path's own, by hand), it is an `UnsupportedResponseError` that says so.
    """

    def __init__(self) -> None:
        """The signal, worded for whoever passed `table`."""
        super().__init__(
            "the token entries are not what `table` (the raw-JSON fast path's table of byte "
            "lists, by index) describes: leave `table` out, or parse the body with tp.parse",
            field="table",
        )


class RawTable(list[bytes]):
    """The `table` of a body decoded by msgspec (`_fast_typed`): a marker, left empty.

    Its entries' `bytes` are the JSON text itself (`msgspec.Raw`), not indices into a table;
    each token list gets a table of its own.
    """

    __slots__ = ()


def indexed_bytes(cols: Columns, table: list[bytes]) -> bool:
    """Resolve `bytes` indices: the sampled tokens' now, the alternatives' lazily.

    Every index must be used exactly once: an integer `bytes` the server itself sent would
    break that, and the body is then parsed the ordinary way.
    """
    n = len(table)
    joined = b",".join(table)
    if _GPT2_TEXT_HINT.search(joined) and _GPT2_TEXT_LEADS.search(joined):
        return False  # possibly GPT-2 symbol bytes: the ordinary path checks and decodes them
    own: list[Any] = cols.token_bytes  # indices here, byte lists after this function
    alt: list[Any] = list(chain.from_iterable(cols.top_bytes))
    if not set(map(type, own)) | set(map(type, alt)) <= {int, type(None)}:
        return False
    used = (
        [k for k in chain(own, alt) if k is not None] if None in own or None in alt else own + alt
    )
    if len(used) != n or sorted(used) != list(range(n)):  # each index once (two sorted runs)
        return False
    try:  # each distinct text decoded once; every position gets its own list
        texts = [table[k] for k in own if k is not None]
        decoded = {t: byte_list(t) for t in dict.fromkeys(texts)}
    except ValueError:
        return False
    cols.token_bytes = [None if k is None else decoded[table[k]][:] for k in own]
    cols.top_bytes = LazyByteRows(cols.top_bytes, table)  # type: ignore[arg-type, assignment]
    return True


def byte_list(text: bytes) -> list[int]:
    """`b"32, 72"` → `[32, 72]` (the inside of a JSON list of byte values).

    Raises:
        ValueError: A value is not a byte (0 to 255).
    """
    values = [int(v) for v in text.split(b",")] if text.strip() else []
    if values and max(values) > BYTE_MAX:
        msg = f"byte values must be 0..255, got {max(values)}"
        raise ValueError(msg)
    return values


class LazyByteRows(Sequence[list[list[int] | None]]):
    """The alternatives' byte lists, built from their JSON text a row at a time on access."""

    __slots__ = ("_ends", "_ordered", "_rows", "_table")

    def __init__(self, rows: list[list[int | None]], table: list[bytes]) -> None:
        """Rows of indices into `table` (`None` where the API gave `bytes: null`)."""
        self._rows = rows
        self._table = table
        self._ends: list[int] = []
        self._ordered = False

    @classmethod
    def in_order(cls, table: list[bytes], ends: list[int]) -> LazyByteRows:
        """Rows that are `table` itself, in order: row `i` is `table[ends[i - 1]:ends[i]]`."""
        rows = cls([], table)
        rows._ends, rows._ordered = ends, True
        return rows

    def __len__(self) -> int:
        """The number of positions."""
        return len(self._ends) if self._ordered else len(self._rows)

    def _indices(self, i: int) -> Sequence[int | None]:
        if not self._ordered:
            return self._rows[i]
        at = range(len(self._ends))[i]  # IndexError as a list gives it
        return range(self._ends[at - 1] if at else 0, self._ends[at])

    @overload
    def __getitem__(self, i: int) -> list[list[int] | None]: ...
    @overload
    def __getitem__(self, i: slice) -> list[list[list[int] | None]]: ...
    def __getitem__(self, i: int | slice) -> list[list[int] | None] | list[list[list[int] | None]]:
        """Row `i`, built now."""
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        table = self._table
        try:
            return [None if k is None else byte_list(table[k]) for k in self._indices(i)]
        except ValueError as exc:
            raise UnsupportedResponseError(str(exc), field=f"top_logprobs[{i}].bytes") from exc

    def distinct_keys(self) -> tuple[list[int | None], list[bytes]]:
        """Per alternative (position after position) an index into the distinct lists' bytes.

        Equal text is an equal list, so each distinct text is decoded once (`KeyedByteRows`).

        Raises:
            ValueError: A list is not one of byte values.
        """
        table = self._table
        texts = dict.fromkeys(table)
        keys = [bytes(byte_list(t)) for t in texts]
        slot = dict(zip(texts, range(len(texts)), strict=True))
        of_index = list(map(slot.__getitem__, table))
        if self._ordered:
            return of_index, keys  # type: ignore[return-value]
        flat = list(chain.from_iterable(self._rows))
        if None in flat:
            return [None if k is None else of_index[k] for k in flat], keys
        return list(map(of_index.__getitem__, flat)), keys  # type: ignore[arg-type]

    def spelled(self, tokens: list[str], spelled: dict[str, bytes]) -> bool:
        """Whether each alternative's list is given and is `spelled[tokens[i]]` (`KeyedByteRows`).

        Decided on the JSON text, written the way this body writes its lists (`32, 72` or
        `32,72`): equal text is an equal list; any other spelling answers False.
        """
        if self._ordered:
            texts = self._table
        else:
            flat = list(chain.from_iterable(self._rows))
            if None in flat:
                return False
            texts = list(map(self._table.__getitem__, flat))  # type: ignore[arg-type]
        sample = next((t for t in texts if b"," in t), b"")
        sep = b", " if b", " in sample else b","
        text = {t: sep.join(b"%d" % v for v in b) for t, b in spelled.items()}
        return texts == list(map(text.__getitem__, tokens))

    def __eq__(self, other: object) -> bool:
        """Equal to any sequence of the same rows."""
        if not isinstance(other, Sequence) or len(other) != len(self):
            return False
        return all(self[i] == list(other[i]) for i in range(len(self)))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        """Like the list it stands for, abbreviated."""
        return f"LazyByteRows({len(self)} positions)"
