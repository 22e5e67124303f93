"""Token entries to parallel columns, checked strictly: the hot path of every adapter.

The hot path reads columns with C-level maps and checks their element types in bulk; only when
something is off does the slow path walk the entries to name the exact field.
"""

from __future__ import annotations

import math
import re
from itertools import accumulate, chain, pairwise
from operator import attrgetter, itemgetter, methodcaller
from typing import TYPE_CHECKING, Any, Unpack

import numpy as np

from tokenprobs.adapters._common import get, seen, seq
from tokenprobs.adapters._fast_typed import raw_bytes
from tokenprobs.adapters._ids import read_ids
from tokenprobs.adapters._lazy import BYTE_MAX, FastPathMiss, RawTable, indexed_bytes
from tokenprobs.exceptions import UnsupportedResponseError
from tokenprobs.models import DistributionMeta, TokenDistribution
from tokenprobs.models._bytes import derive_bytes, gpt2_decode
from tokenprobs.models._identity import NamedRows
from tokenprobs.models._ids import UNKNOWN_ID

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

__all__ = ["Columns", "columns_from_entries"]

_NUMBER = (int, float)
_MISSING = object()


class Columns:
    """Parallel columns read from token entries (`{token, bytes, logprob, top_logprobs}`)."""

    __slots__ = (
        "alternatives",
        "bytes_decoded",
        "flat",
        "logprobs",
        "ranks",
        "token_bytes",
        "token_ids",
        "tokens",
        "top_bytes",
        "top_ids",
        "top_ranks",
        "top_tokens",
    )

    def __init__(self) -> None:
        """Empty columns."""
        self.bytes_decoded: str | None = None
        self.tokens: list[str] = []
        self.token_bytes: list[list[int] | None] = []
        self.logprobs: list[float | None] = []
        self.top_tokens: list[list[str]] = []
        self.top_bytes: list[list[list[int] | None]] = []
        self.flat: list[float] = []
        self.token_ids: list[int] | None = None
        """The sampled tokens' ids (`-1` unknown), or `None` when no position has one."""
        self.top_ids: list[list[int]] | None = None
        """The alternatives' ids, row by row like `top_tokens`, or `None`."""
        self.ranks: list[int] | None = None
        self.top_ranks: list[list[int]] | None = None
        self.alternatives: tuple[list[Any], list[Any]] = ([], [])
        """The alternatives' tokens and `bytes`, flat (position after position), as read."""

    def extend(self, other: Columns) -> None:
        """Append another set of columns (a later stream chunk)."""
        if self.token_ids is not None or other.token_ids is not None:
            self.token_ids = _ids_or_unknown(self.token_ids, self.tokens) + _ids_or_unknown(
                other.token_ids, other.tokens
            )
        if self.top_ids is not None or other.top_ids is not None:
            self.top_ids = _rows_or_unknown(self.top_ids, self.top_tokens) + _rows_or_unknown(
                other.top_ids, other.top_tokens
            )
        self.tokens += other.tokens
        self.token_bytes += other.token_bytes
        self.logprobs += other.logprobs
        self.top_tokens += other.top_tokens
        self.top_bytes += other.top_bytes
        self.flat += other.flat
        self.bytes_decoded = self.bytes_decoded or other.bytes_decoded
        self.alternatives = ([], [])

    def __len__(self) -> int:
        """The number of positions."""
        return len(self.tokens)

    def snapshot(self) -> Columns:
        """A copy whose lists later `extend`s leave alone (a stream's columns keep growing)."""
        copy = Columns()
        for name in self.__slots__:
            value = getattr(self, name)
            setattr(copy, name, list(value) if type(value) is list else value)
        return copy

    def build(self, source: str, **meta: Unpack[DistributionMeta]) -> TokenDistribution:
        """The `TokenDistribution` of these columns, with the per-output fields `meta`."""
        if self.bytes_decoded:
            meta["bytes_decoded"] = self.bytes_decoded
        top_bytes = self.top_bytes
        if type(top_bytes) is list:  # the lazy rows of the raw-JSON path are left as they are
            top_bytes = NamedRows(top_bytes, self.tokens, self.top_tokens)
        return TokenDistribution.from_columns(
            source=source,
            tokens=self.tokens,
            token_bytes=self.token_bytes,
            logprobs=self.logprobs,
            top_tokens=self.top_tokens,
            top_bytes=top_bytes,
            top_logprobs_flat=self.flat,
            token_ids=self.token_ids,
            top_token_ids_flat=_flat(self.top_ids),
            ranks=self.ranks,
            top_ranks_flat=_flat(self.top_ranks),
            **meta,
        )


def _flat(rows: list[list[int]] | None) -> list[int] | None:
    return None if rows is None else list(chain.from_iterable(rows))


def _ids_or_unknown(ids: list[int] | None, tokens: list[str]) -> list[int]:
    return [UNKNOWN_ID] * len(tokens) if ids is None else ids


def _rows_or_unknown(rows: list[list[int]] | None, tokens: list[list[str]]) -> list[list[int]]:
    return [[UNKNOWN_ID] * len(t) for t in tokens] if rows is None else rows


def columns_from_entries(
    entries: Sequence[Any], path: str, *, table: list[bytes] | None = None
) -> Columns:
    """Read token entries (dicts or SDK objects) into columns, checking every element's type.

    With `table` (the raw-JSON fast path), each `bytes` field holds an index into `table`, the
    text of the byte list cut out of the JSON before parsing; the alternatives' byte lists are
    then built only when a position is read.

    Raises:
        FastPathMiss: With `table`, when anything is unexpected (the caller re-parses normally).
        UnsupportedResponseError: Naming the first malformed field.
    """
    cols = Columns()
    if not entries:
        return cols
    try:
        _extract(cols, entries)
        if isinstance(table, RawTable):  # decoded by msgspec: FastPathMiss when unexpected
            if _finite(cols):  # the types are the structs' (str, float): msgspec checked them
                raw_bytes(cols)
                read_ids(cols, entries, path)
                return cols
            raise FastPathMiss
        if table is not None:
            if _values_ok(cols) and indexed_bytes(cols, table):
                read_ids(cols, entries, path)
                return cols
            raise FastPathMiss
        if (
            _values_ok(cols)
            and (own := _bytes_ok(cols.token_bytes)) is not None
            and (alts := _bytes_ok(cols.alternatives[1])) is not None
        ):
            if _gpt2_leads(own) or _gpt2_leads(alts):
                _decode_gpt2_symbols(cols)
            read_ids(cols, entries, path)
            return cols
    # IndexError, ValueError: a numpy value where an entry or its list belongs (`np.float64`
    # indexed by a key, an array's truth value)
    except (KeyError, AttributeError, TypeError, IndexError, ValueError) as exc:
        if table is not None:
            raise FastPathMiss from exc
    _diagnose(entries, path)
    msg = "the token entries are malformed"  # _diagnose raises first; this is a safety net
    raise UnsupportedResponseError(msg, field=path)


def _extract(cols: Columns, entries: Sequence[Any]) -> None:
    """Fill the columns with C-level maps (a comprehension per field is 3-4x slower)."""
    token: Callable[[Any], Any]
    logprob: Callable[[Any], Any]
    raw: Callable[[Any], Any]
    alternatives: Callable[[Any], Any]
    if isinstance(entries[0], dict):
        token, logprob = itemgetter("token"), itemgetter("logprob")
        raw = _get_bytes if type(entries[0]) is dict else _BYTES_GET  # not a defaultdict
        alternatives = methodcaller("get", "top_logprobs")
    else:
        token, logprob, alternatives = (
            attrgetter("token"),
            attrgetter("logprob"),
            attrgetter("top_logprobs"),
        )
        raw = attrgetter("bytes")
        if not hasattr(entries[0], "bytes"):  # the SDK's Responses stream events carry none
            raw = _no_bytes
    cols.tokens = list(map(token, entries))
    cols.token_bytes = _map_bytes(raw, entries)
    cols.logprobs = list(map(logprob, entries))
    tops = [t or () for t in map(alternatives, entries)]
    counts = list(map(len, tops))
    flat = list(chain.from_iterable(tops))  # one pass per field over all alternatives, then rows
    try:
        flat_bytes = _map_bytes(raw, flat)
    except AttributeError:
        flat_bytes = list(map(_no_bytes, flat))
    flat_tokens = list(map(token, flat))
    cols.alternatives = (flat_tokens, flat_bytes)
    cols.top_tokens = _rows(flat_tokens, counts)
    cols.top_bytes = _rows(flat_bytes, counts)
    cols.flat = list(map(logprob, flat))


def _rows(flat: list[Any], counts: list[int]) -> list[list[Any]]:
    """`flat` cut into consecutive rows of `counts[i]` items."""
    if counts and counts.count(k := counts[0]) == len(counts):
        return [flat[i : i + k] for i in range(0, len(flat), k)] if k else [[] for _ in counts]
    return [flat[a:b] for a, b in pairwise(accumulate(counts, initial=0))]


_BYTES_ITEM = itemgetter("bytes")
_BYTES_GET = methodcaller("get", "bytes")


def _get_bytes(entry: dict[str, Any]) -> Any:  # noqa: ANN401 - a JSON value
    """`entry.get("bytes")` (the map callers try `itemgetter` first: twice as fast)."""
    return _BYTES_GET(entry)


def _map_bytes(raw: Callable[[Any], Any], entries: Iterable[Any]) -> list[Any]:
    """`list(map(raw, entries))`, by `itemgetter("bytes")` while every dict has the key."""
    if raw is _get_bytes:
        try:
            return list(map(_BYTES_ITEM, entries))
        except KeyError:
            pass
    return list(map(raw, entries))


def _no_bytes(entry: object) -> list[int] | None:
    bytes_: list[int] | None = getattr(entry, "bytes", None)
    return bytes_


_STR = {str}
_NUMBERS = {float, int}


def _values_ok(cols: Columns) -> bool:
    """Bulk checks: token strings, logprob numbers (not bool), none NaN or +inf."""
    if not set(map(type, cols.tokens)) <= _STR:
        return False
    if not set(map(type, cols.alternatives[0] or chain.from_iterable(cols.top_tokens))) <= _STR:
        return False
    types = set(map(type, cols.logprobs)) | set(map(type, cols.flat))
    if not types <= _NUMBERS:
        return False
    if int in types:  # integer logprobs (rare): each must be a float too, or it is no logprob
        try:
            numbers: chain[float] = chain(cols.flat, cols.logprobs)  # type: ignore[arg-type]
            list(map(float, numbers))
        except OverflowError:
            return False
    return _finite(cols)


def _finite(cols: Columns) -> bool:
    """No logprob (numbers, checked before) is NaN or +inf."""
    # -inf is the sentinel's meaning and allowed; NaN and +inf are not logprobs. A plain sum is
    # finite or -inf unless one of them (or an overflow) is there: only then look closer.
    columns: tuple[list[Any], ...] = (cols.logprobs, cols.flat)  # numbers only, checked above
    for values in columns:
        total = sum(values)
        if total != total or total == math.inf:  # noqa: PLR0124 - the NaN test
            arr = np.asarray(values, dtype=np.float64)
            if np.isnan(arr).any() or np.isposinf(arr).any():
                return False
    return True


def _bytes_ok(lists: Iterable[list[int] | None]) -> bytes | None:
    """All the byte values joined when they are byte lists or nulls of integers 0..255; else None.

    One C-level `bytes()` pass.
    """
    present = [b for b in lists if b is not None]
    if not set(map(type, present)) <= {list}:
        return None
    try:
        raw = bytes(chain.from_iterable(present))
    except (TypeError, ValueError):
        return None
    # bytes() takes True/False as 1/0: only where a 0 or a 1 came out can a bool have been
    if (b"\x00" in raw or b"\x01" in raw) and not set(map(type, chain.from_iterable(present))) <= {
        int
    }:
        return None
    return raw


# GPT-2's byte-to-unicode symbols for a space, a newline and other bytes outside printable
# ASCII are U+0100..U+0143, whose UTF-8 starts with 0xC4 or 0xC5: only then look closer.
_GPT2_LEADS = re.compile(b"[\xc4\xc5]")


def _gpt2_leads(raw: bytes) -> bool:
    """Whether `raw` holds a GPT-2 symbol's lead byte (two `memchr` scans, not a regex)."""
    return b"\xc4" in raw or b"\xc5" in raw


def _decode_gpt2_symbols(cols: Columns) -> None:
    """Decode `bytes` that are the UTF-8 of GPT-2 byte-level symbols (lmdeploy's `ĠHello`).

    Only when some entry proves it: its `bytes` decode, symbol by symbol, to its token's own
    bytes while differing from them. Then every entry whose `bytes` read as symbols is decoded.
    """
    entries = [
        *zip(cols.tokens, cols.token_bytes, strict=True),
        *zip(
            chain.from_iterable(cols.top_tokens), chain.from_iterable(cols.top_bytes), strict=True
        ),
    ]
    candidates = ((t, b) for t, b in entries if b is not None and _GPT2_LEADS.search(bytes(b)))
    if not any(_is_gpt2_symbol(t, b) for t, b in candidates):
        return
    cols.token_bytes = [_symbol_bytes(b) for b in cols.token_bytes]
    cols.top_bytes = [[_symbol_bytes(b) for b in row] for row in cols.top_bytes]
    cols.bytes_decoded = "gpt2"


def _is_gpt2_symbol(token: str, raw: list[int]) -> bool:
    given = bytes(raw)
    real = derive_bytes(token)
    if given == real:
        return False
    try:
        return gpt2_decode(given.decode("utf-8")) == real
    except UnicodeDecodeError:
        return False


def _symbol_bytes(raw: list[int] | None) -> list[int] | None:
    if raw is None:
        return None
    try:
        decoded = gpt2_decode(bytes(raw).decode("utf-8"))
    except UnicodeDecodeError:
        return raw
    return raw if decoded is None else list(decoded)


def _diagnose(entries: Sequence[Any], path: str) -> None:
    """Walk the entries and raise an error naming the first malformed field."""
    for i, entry in enumerate(entries):
        _check_entry(entry, f"{path}[{i}]", top=True)


def _check_entry(entry: Any, path: str, *, top: bool) -> None:  # noqa: ANN401
    if not isinstance(entry, dict) and not hasattr(entry, "token"):
        msg = f"expected a token entry with token/logprob, got {seen(entry)}"
        raise UnsupportedResponseError(msg, field=path)
    token = get(entry, "token", _MISSING)
    if not isinstance(token, str):
        what = "missing" if token is _MISSING else f"expected a string, got {seen(token)}"
        raise UnsupportedResponseError(what, field=f"{path}.token")
    logprob = get(entry, "logprob", _MISSING)
    if isinstance(logprob, bool) or not isinstance(logprob, _NUMBER):
        what = "missing" if logprob is _MISSING else f"expected a number, got {seen(logprob)}"
        raise UnsupportedResponseError(what, field=f"{path}.logprob")
    try:
        bad = math.isnan(logprob) or logprob == math.inf
    except OverflowError:  # an integer too large for a float
        bad = True
    if bad:
        msg = f"expected a logprob (a finite number <= 0, or -9999.0), got {seen(logprob)}"
        raise UnsupportedResponseError(msg, field=f"{path}.logprob")
    raw = get(entry, "bytes")
    if raw is not None and (
        not isinstance(raw, list) or not all(type(b) is int and 0 <= b <= BYTE_MAX for b in raw)
    ):
        msg = f"expected a list of byte values 0..255 or null, got {seen(raw)}"
        raise UnsupportedResponseError(msg, field=f"{path}.bytes")
    if top:
        alts = get(entry, "top_logprobs")
        alts = seq(alts, f"{path}.top_logprobs") or []
        for j, alt in enumerate(alts):
            _check_entry(alt, f"{path}.top_logprobs[{j}]", top=False)
