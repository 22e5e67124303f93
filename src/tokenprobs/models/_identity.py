"""Token identity: which returned entries are the same token, and which one was sampled.

Two entries are the same token when their strings are equal and so are their `token_key`s: their
bytes, or for `bytes: null` the UTF-8 of the string. A string can stand for several tokens (each
piece of a split character reads `\ufffd`) and only bytes tell those apart, so a null is taken
to be what its string spells, and never matches given bytes that differ from it (one rule for
duplicates and the sampled token, and the bytes `Candidates.row` keys them by).
`identify` decides it for a whole distribution in a few vectorised passes over integer ids of
the strings and byte strings; `sampled_index` and `duplicate_alternatives` are the rule written
out position by position (the reference the differential test compares with).
"""

from __future__ import annotations

from itertools import chain
from typing import TYPE_CHECKING, NamedTuple, Protocol, runtime_checkable

import numpy as np

from tokenprobs.models._bytes import derive_bytes

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

__all__ = [
    "KeyedByteRows",
    "NamedRows",
    "TokenNames",
    "duplicate_alternatives",
    "identify",
    "sampled_index",
    "token_key",
]


def token_key(token: str, raw: list[int] | None) -> bytes:
    """The identity of a token for deduplication: its bytes, derived when the API gave none."""
    return derive_bytes(token) if raw is None else bytes(raw)


def sampled_index(
    tokens: list[str],
    token_bytes: list[list[int] | None],
    top_tokens: list[list[str]],
    top_bytes: Sequence[list[list[int] | None]],
) -> NDArray[np.intp]:
    """Per position: the index of the sampled token among the alternatives, `-1` when absent.

    Tokens are the same when their strings match and their `token_key`s do too: two ids can
    share a string such as `\ufffd` while their bytes differ. The first match wins.
    """
    out = np.full(len(tokens), -1, dtype=np.intp)
    for i, (tok, tb, alts) in enumerate(zip(tokens, token_bytes, top_tokens, strict=True)):
        if tok in alts:
            own = token_key(tok, tb)
            for j, (t, b) in enumerate(zip(alts, top_bytes[i], strict=True)):
                if t == tok and token_key(t, b) == own:
                    out[i] = j
                    break
    return out


def duplicate_alternatives(
    top_tokens: list[list[str]],
    top_bytes: Sequence[list[list[int] | None]],
    shape: tuple[int, ...],
) -> NDArray[np.bool_]:
    r"""Mask `(T, K)`: True for an alternative that repeats an earlier one at its position.

    A repeat has the same string and the same bytes; two spellings of one byte string (`"é"` and
    `"\\xc3\\xa9"`) are no repeat, but two entries of one key, whose probabilities add.
    """
    dup = np.zeros(shape, dtype=bool)
    for i, alts in enumerate(top_tokens):
        if len(set(alts)) == len(alts):
            continue  # distinct strings: distinct entries
        seen: set[tuple[str, bytes]] = set()
        for j, (t, b) in enumerate(zip(alts, top_bytes[i], strict=True)):
            key = (t, token_key(t, b))
            if key in seen:
                dup[i, j] = True
            seen.add(key)
    return dup


@runtime_checkable
class KeyedByteRows(Protocol):
    """Rows of byte lists that can name every alternative's bytes without building the lists.

    The raw-JSON fast path keeps each list as its JSON text: equal text is an equal list, so only
    the distinct texts need decoding.
    """

    def distinct_keys(self) -> tuple[list[int | None], list[bytes]]:
        """Per alternative, an index into the distinct byte strings; and those strings.

        Alternatives are numbered position after position; the index is `None` for
        `bytes: null`, and two distinct texts may decode to equal byte strings.

        Raises:
            ValueError: A list is not one of byte values (the row-by-row rule then decides).
        """
        ...

    def spelled(self, tokens: list[str], spelled: dict[str, bytes]) -> bool:
        """Whether every alternative's list is given and is `spelled[tokens[i]]`, by its text.

        `tokens` are the alternatives' strings, position after position. False is always safe.
        """
        ...


class TokenNames(NamedTuple):
    """A distribution's distinct token strings, numbered, and each token's string number."""

    names: list[str]
    """The distinct strings in order of first appearance: the sampled tokens', then the
    alternatives' (position after position)."""
    number: dict[str, int]
    """Each string's number (its index in `names`)."""
    own: NDArray[np.intp]
    """Shape `(T,)`: each sampled token's string number."""
    flat: list[str]
    """The alternatives' strings, position after position."""
    alternatives: NDArray[np.intp]
    """Each alternative's string number, in the order of `flat`."""

    @classmethod
    def of(cls, tokens: list[str], top_tokens: list[list[str]]) -> TokenNames:
        """The numbering of `tokens` (the sampled ones) and the alternatives `top_tokens`."""
        flat = list(chain.from_iterable(top_tokens))
        names = list(dict.fromkeys(chain(tokens, flat)))
        number = dict(zip(names, range(len(names)), strict=True))
        own = np.fromiter(map(number.__getitem__, tokens), np.intp, count=len(tokens))
        alt = np.fromiter(map(number.__getitem__, flat), np.intp, count=len(flat))
        return cls(names, number, own, flat, alt)


class NamedRows(list[list[list[int] | None]]):
    """The alternatives' byte lists, remembering what reading them taught, for the next reader.

    A list like any other; the adapters hand their rows on in one so that the candidate set and
    distillation number the token strings once (`names`) and compare the lists with the bytes
    their strings spell once (`spelled`), each on first use. Only for the distribution's own
    token lists (an identity check); a slice, a copy or a pickle is a plain list.
    """

    __slots__ = ("_names", "_spelled", "_tokens", "_top_tokens")

    def __init__(
        self, rows: list[list[list[int] | None]], tokens: list[str], top_tokens: list[list[str]]
    ) -> None:
        """`rows`, the byte lists of the alternatives `top_tokens` of the sampled `tokens`."""
        super().__init__(rows)
        self._tokens, self._top_tokens = tokens, top_tokens
        self._names: TokenNames | None = None
        self._spelled: bool | None = None

    def names(self, tokens: list[str], top_tokens: list[list[str]]) -> TokenNames:
        """`TokenNames.of(tokens, top_tokens)`, worked out once for the rows' own lists."""
        if tokens is not self._tokens or top_tokens is not self._top_tokens:
            return TokenNames.of(tokens, top_tokens)
        if self._names is None:
            self._names = TokenNames.of(tokens, top_tokens)
        return self._names

    def spelled(self) -> bool:
        """Whether every list is given and is `derive_bytes` of its string (worked out once)."""
        if self._spelled is None:
            names = self.names(self._tokens, self._top_tokens)
            table = np.empty(len(names.names), dtype=object)
            for i, name in enumerate(names.names):
                table[i] = list(derive_bytes(name))
            flat = list(chain.from_iterable(self))
            self._spelled = flat == table[names.alternatives].tolist()  # one C-level comparison
        return self._spelled

    def __reduce__(self) -> tuple[type[list[list[list[int] | None]]], tuple[list[object]]]:
        """Pickled as the plain list it is equal to."""
        return list, (list(self),)


def identify(
    tokens: list[str],
    token_bytes: list[list[int] | None],
    top_tokens: list[list[str]],
    top_bytes: Sequence[list[list[int] | None]],
    shape: tuple[int, ...],
) -> tuple[NDArray[np.intp], NDArray[np.bool_]]:
    """`sampled_index` and `duplicate_alternatives` at once, for all positions in a few passes.

    The same rule, decided on integer ids: one per distinct token string, one per distinct
    `token_key`. Keys are looked at only where strings cannot settle the question (a string
    match, or a position whose strings repeat); a byte list equal to the bytes its string stands
    for takes that string's key, computed once per distinct string.
    """
    n = len(tokens)
    width = shape[1] if len(shape) == 2 and n else 0  # noqa: PLR2004 - (T, K)
    none = np.full(n, -1, dtype=np.intp)
    if not width:
        return none, np.zeros(shape, dtype=bool)
    named = (
        top_bytes.names(tokens, top_tokens)
        if isinstance(top_bytes, NamedRows)
        else TokenNames.of(tokens, top_tokens)
    )
    names, own_name, flat_tokens, flat_name = named.names, named.own, named.flat, named.alternatives
    counts = np.fromiter(map(len, top_tokens), dtype=np.intp, count=n)
    full = flat_name.size == n * width
    valid = np.arange(width) < counts[:, None]
    if full:
        alt_name = flat_name.reshape(n, width)
    else:
        alt_name = np.broadcast_to(-1 - np.arange(width, dtype=np.intp), valid.shape).copy()
        alt_name[valid] = flat_name  # padding: a distinct negative per column, never a match
    match = np.equal(alt_name, own_name[:, None])
    name_dup = _repeats(alt_name)
    repeated = np.logical_or.reduce(name_dup, axis=1)
    need = match | (repeated[:, None] & valid)
    if not need.any():
        return none, np.zeros(shape, dtype=bool)
    ids: dict[bytes, int] = {}
    spelled = {t: derive_bytes(t) for t in names}
    name_key = np.fromiter(
        (ids.setdefault(b, len(ids)) for b in spelled.values()), dtype=np.intp, count=len(names)
    )
    if len(ids) == len(names) and _spelled(tokens, token_bytes, flat_tokens, top_bytes, spelled):
        # every token's bytes are the ones its string stands for, and no two strings stand for
        # the same bytes: strings decide, as they do for almost every response
        return np.where(match.any(axis=1), match.argmax(axis=1), -1).astype(np.intp), name_dup
    which = np.flatnonzero(need[valid])  # the alternatives to key, numbered as in flat_tokens
    keyed = _alternative_keys(_Named(flat_tokens, flat_name, name_key), top_bytes, which, ids)
    if keyed is None:  # a byte list's text is not one: the rule, row by row, reads what it reads
        return (
            sampled_index(tokens, token_bytes, top_tokens, top_bytes),
            duplicate_alternatives(top_tokens, top_bytes, shape),
        )
    key = np.full((n, width), -1, dtype=np.intp)
    key[need] = keyed
    own_key = _key_ids(_Named(tokens, own_name, name_key), token_bytes, ids)
    same = match & (key == own_key[:, None])
    index = np.where(same.any(axis=1), same.argmax(axis=1), -1).astype(np.intp)
    dup = np.zeros(shape, dtype=bool)
    rows = np.flatnonzero(repeated)
    if rows.size:  # a repeat is one (string, bytes) pair again: one id per pair
        pair = alt_name[rows] * (len(ids) + 1) + key[rows]
        dup[rows] = _repeats(np.where(valid[rows], pair, -1 - np.arange(width)))
    return index, dup


def _spelled(
    tokens: list[str],
    token_bytes: list[list[int] | None],
    flat_tokens: list[str],
    top_bytes: Sequence[list[list[int] | None]],
    spelled: dict[str, bytes],
) -> bool:
    """Whether every token's and alternative's bytes are given and are `spelled[token]`."""
    as_list = {t: list(b) for t, b in spelled.items()}
    if token_bytes != list(map(as_list.__getitem__, tokens)):
        return False
    if isinstance(top_bytes, KeyedByteRows):
        return top_bytes.spelled(flat_tokens, spelled)
    if isinstance(top_bytes, NamedRows):
        return top_bytes.spelled()
    return list(chain.from_iterable(top_bytes)) == list(map(as_list.__getitem__, flat_tokens))


class _Named:
    """Token strings with their string ids and each string's key id (`name_key[id]`)."""

    __slots__ = ("name", "name_key", "tokens")

    def __init__(
        self, tokens: list[str], name: NDArray[np.intp], name_key: NDArray[np.intp]
    ) -> None:
        self.tokens, self.name, self.name_key = tokens, name, name_key

    def pick(self, which: NDArray[np.intp]) -> _Named:
        if which.size == len(self.tokens):
            return self
        return _Named(
            list(map(self.tokens.__getitem__, which.tolist())), self.name[which], self.name_key
        )


def _repeats(ids: NDArray[np.intp]) -> NDArray[np.bool_]:
    """Mask: True where a row's id equals one earlier in the row (a stable sort keeps the first)."""
    order = np.argsort(ids, axis=1, kind="stable")
    ranked = np.take_along_axis(ids, order, axis=1)
    seen = np.zeros(ids.shape, dtype=bool)
    seen[:, 1:] = ranked[:, 1:] == ranked[:, :-1]
    out = np.empty_like(seen)
    np.put_along_axis(out, order, seen, axis=1)
    return out


def _alternative_keys(
    named: _Named,
    top_bytes: Sequence[list[list[int] | None]],
    which: NDArray[np.intp],
    ids: dict[bytes, int],
) -> NDArray[np.intp] | None:
    """The key ids of the alternatives numbered `which` (a null's: its string's bytes).

    `None` when some byte list's JSON text is not a list of byte values.
    """
    picked = named.pick(which)
    if isinstance(top_bytes, KeyedByteRows):
        try:
            slots, distinct = top_bytes.distinct_keys()
        except ValueError:
            return None
        else:
            slot_key = np.fromiter(
                (ids.setdefault(k, len(ids)) for k in distinct), dtype=np.intp, count=len(distinct)
            )
            chosen = (
                slots if which.size == len(slots) else list(map(slots.__getitem__, which.tolist()))
            )
            if None not in chosen:
                return slot_key[np.array(chosen, dtype=np.intp)]
            null = np.array([s is None for s in chosen], dtype=bool)
            key = picked.name_key[picked.name]  # a null's key: its string's bytes
            key[~null] = slot_key[np.array([s for s in chosen if s is not None], dtype=np.intp)]
            return key
    flat = list(chain.from_iterable(top_bytes))
    raw = flat if which.size == len(flat) else list(map(flat.__getitem__, which.tolist()))
    return _key_ids(picked, raw, ids)


def _key_ids(named: _Named, raw: list[list[int] | None], ids: dict[bytes, int]) -> NDArray[np.intp]:
    """Each `token_key(token, raw)` as an id in `ids` (added there).

    A list equal to the bytes its token string stands for, and a null, have that string's key;
    only the others are turned into bytes one by one.
    """
    key = named.name_key[named.name]
    derived = {t: list(derive_bytes(t)) for t in dict.fromkeys(named.tokens)}
    if raw == list(map(derived.__getitem__, named.tokens)):  # the usual case: one C-level pass
        return key
    for i, (t, b) in enumerate(zip(named.tokens, raw, strict=True)):
        if b is not None and b != derived[t]:
            key[i] = ids.setdefault(bytes(b), len(ids))
    return key
