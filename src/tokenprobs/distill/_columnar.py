r"""A distribution's candidate sets as a record's flat columns, in a few passes over all positions.

The columns of `TokenDistribution.candidates` are laid out row after row: the finite ones (and a
sampled token without a logprob or with the `-9999` sentinel, as NaN), in column order. Each
candidate's bytes are an integer key into a table of the distinct byte strings, so no position
is visited in Python; only a position whose candidates repeat bytes or are out of order (rare: a
server's `\xNN` spelling beside the text, a NaN) is merged on its own, by the rule `merge`
writes out.
"""

from __future__ import annotations

import math
import re
from itertools import chain
from typing import TYPE_CHECKING, NamedTuple, TypeVar

import numpy as np

from tokenprobs.models._bytes import derive_bytes
from tokenprobs.models._identity import KeyedByteRows, NamedRows, TokenNames, token_key

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from numpy.typing import NDArray

    from tokenprobs.models import TokenDistribution

__all__ = ["FlatCandidates", "flat_candidates", "merge", "token_id"]

_ID_PREFIX = "token_id:"
_TOKEN_ID = re.compile(r"token_id:(\d+)")
K = TypeVar("K")


class FlatCandidates(NamedTuple):
    """A record's candidate columns (see `KDRecord`)."""

    offsets: NDArray[np.int64]
    cand_bytes: list[bytes]
    cand_ids: NDArray[np.int64]
    cand_logprobs: NDArray[np.float64]
    sampled_index: NDArray[np.int64]


class _Sources(NamedTuple):
    """Where each flat candidate comes from: an alternative, or a sampled token of its own."""

    alt: NDArray[np.bool_]
    """True for an alternative, False for a sampled token that is not among them."""
    alt_at: NDArray[np.intp]
    """The alternatives' numbers among all alternatives (position after position)."""
    own_rows: NDArray[np.intp]
    """The positions of the others (the sampled tokens)."""

    def gather(
        self, of_alternatives: NDArray[np.int64 | np.intp], of_sampled: Callable[[int], int], /
    ) -> NDArray[np.int64]:
        """Each candidate's value: `of_alternatives[n]` for alternative `n`, else `of_sampled(t)`.

        `of_sampled` is called position after position, after `of_alternatives` is read.
        """
        out = np.empty(len(self.alt), dtype=np.int64)
        out[self.alt] = of_alternatives[self.alt_at]
        if self.own_rows.size:
            out[~self.alt] = [of_sampled(t) for t in self.own_rows.tolist()]
        return out


def token_id(name: str) -> int:
    """The N of a `token_id:N` token (vLLM's `return_tokens_as_token_ids`), else -1."""
    if name.startswith(_ID_PREFIX):
        match = _TOKEN_ID.fullmatch(name)
        if match:
            return int(match.group(1))
    return -1


def merge(
    keys: list[K],
    ids: list[int],
    values: list[float],
    sampled_at: int,
    /,
    *,
    out: tuple[list[K], list[int], list[float]],
) -> int:
    """Append one position's candidates merged by key and sorted; the sampled one's index."""
    merged: dict[K, tuple[float, int, bool]] = {}
    for j, (key, tid, lp) in enumerate(zip(keys, ids, values, strict=True)):
        if key in merged:
            was_lp, was_id, was_sampled = merged[key]
            merged[key] = (float(np.logaddexp(was_lp, lp)), was_id, was_sampled or j == sampled_at)
        else:
            merged[key] = (lp, tid, j == sampled_at)
    order = sorted(merged.items(), key=lambda kv: math.inf if math.isnan(kv[1][0]) else -kv[1][0])
    index = -1
    out_keys, out_ids, out_lp = out
    for n, (key, (lp, tid, is_sampled)) in enumerate(order):
        out_keys.append(key)
        out_ids.append(tid)
        out_lp.append(lp)
        if is_sampled:
            index = n
    return index


def flat_candidates(d: TokenDistribution, /) -> FlatCandidates:
    """The flat candidate columns of `d` (`KDRecord`'s), all positions at once.

    Per position: the distinct returned tokens by bytes, most likely first, the sampled one
    included once; a `token_id:N` string gives the id.
    """
    c = d.candidates
    n = len(c)
    if not n:
        empty = np.zeros(0, dtype=np.int64)
        return FlatCandidates(np.zeros(1, dtype=np.int64), [], empty, np.zeros(0), empty)
    lp = c.logprobs
    width = lp.shape[1]
    rows = np.arange(n)
    sampled = c.sampled.astype(np.intp)
    member = lp > -np.inf
    # a sampled token with no logprob (NaN) or the -9999 sentinel (-inf) is a candidate, NaN
    no_logprob = ~(lp[rows, sampled] > -np.inf)
    member[rows[no_logprob], sampled[no_logprob]] = True
    before: NDArray[np.intp] = np.cumsum(member, axis=1) - member  # candidates to the left
    at: NDArray[np.int64] = before[rows, sampled].astype(np.int64)
    row, col = np.nonzero(member)
    values = lp[row, col]  # -inf: the sampled sentinel, no mass where it merges, then NaN
    counts = np.fromiter(map(len, d.top_tokens), dtype=np.intp, count=n)
    start = np.zeros(n, dtype=np.intp)
    np.cumsum(counts[:-1], out=start[1:])
    alt = col < width - 1
    alt_at = start[row[alt]] + col[alt]  # the alternatives' numbers in `flat_tokens`
    strings = _names(d)
    sources = _Sources(alt, alt_at, row[~alt])
    keys, table = _keys(d, strings, sources)
    ids = _ids(d, strings, sources)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(member.sum(axis=1), out=offsets[1:])
    bad = _unusual(row, values, keys, n)
    if bad.size:
        flat = _merged(FlatCandidates(offsets, table, ids, values, at), keys, bad)
    else:
        flat = FlatCandidates(offsets, _lookup(table, keys), ids, values, at)
    flat.cand_logprobs[flat.cand_logprobs == -np.inf] = np.nan  # "very unlikely": not known
    return flat


def _names(d: TokenDistribution) -> TokenNames:
    """The distribution's token strings numbered (by the candidate set already, usually)."""
    rows = d.top_bytes
    if isinstance(rows, NamedRows):
        return rows.names(d.tokens, d.top_tokens)
    return TokenNames.of(d.tokens, d.top_tokens)


def _objects(items: Sequence[object]) -> NDArray[np.object_]:
    """A 1-d object array of `items` (lists stay elements, not rows)."""
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        out[i] = item
    return out


def _lookup(table: list[bytes], keys: NDArray[np.intp]) -> list[bytes]:
    column = np.empty(len(table), dtype=object)
    column[:] = table
    out: list[bytes] = column[keys].tolist()
    return out


def _keys(
    d: TokenDistribution, strings: TokenNames, sources: _Sources
) -> tuple[NDArray[np.int64], list[bytes]]:
    """Each candidate's key into a table of distinct byte strings; the table."""
    index: dict[bytes, int] = {}
    key = sources.gather(
        _alternative_keys(d, strings, index),
        lambda t: index.setdefault(token_key(d.tokens[t], d.token_bytes[t]), len(index)),
    )
    return key, list(index)


def _alternative_keys(
    d: TokenDistribution, strings: TokenNames, index: dict[bytes, int]
) -> NDArray[np.intp]:
    """Each returned alternative's key (position after position), added to `index`."""
    top_bytes: Sequence[list[list[int] | None]] = d.top_bytes
    flat_tokens = strings.flat
    count = len(flat_tokens)
    if isinstance(top_bytes, KeyedByteRows):
        try:
            slots, distinct = top_bytes.distinct_keys()
        except ValueError:
            pass  # a list that is not one of bytes: the ordinary rows say which
        else:
            slot_key = _add(index, distinct)
            if None not in slots:
                return slot_key[np.array(slots, dtype=np.intp)]
            return np.fromiter(
                (
                    index.setdefault(token_key(t, None), len(index)) if s is None else slot_key[s]
                    for t, s in zip(flat_tokens, slots, strict=True)
                ),
                dtype=np.intp,
                count=count,
            )
    spelled = [derive_bytes(name) for name in strings.names]
    flat = list(chain.from_iterable(top_bytes))
    if (  # the usual case: strings decide (the candidate set has found it out already)
        top_bytes.spelled()
        if isinstance(top_bytes, NamedRows)
        else flat == _objects(list(map(list, spelled)))[strings.alternatives].tolist()
    ):
        return _add(index, spelled)[strings.alternatives]
    raw = list(map(token_key, flat_tokens, flat))
    distinct = list(dict.fromkeys(raw))
    of_bytes = dict(zip(distinct, _add(index, distinct).tolist(), strict=True))
    return np.fromiter(map(of_bytes.__getitem__, raw), dtype=np.intp, count=count)


def _add(index: dict[bytes, int], keys: list[bytes]) -> NDArray[np.intp]:
    """The keys' numbers in `index`, the new ones added."""
    return np.fromiter(
        (index.setdefault(k, len(index)) for k in keys), dtype=np.intp, count=len(keys)
    )


def _ids(d: TokenDistribution, strings: TokenNames, sources: _Sources) -> NDArray[np.int64]:
    """The candidates' ids from their `token_id:N` strings (`-1` elsewhere)."""
    if not any(name.startswith(_ID_PREFIX) for name in strings.names):
        return np.full(len(sources.alt), -1, dtype=np.int64)
    of = np.array([token_id(name) for name in strings.names], dtype=np.int64)
    return sources.gather(of[strings.alternatives], lambda t: int(of[strings.number[d.tokens[t]]]))


def _unusual(
    row: NDArray[np.intp], values: NDArray[np.float64], keys: NDArray[np.intp], n: int
) -> NDArray[np.intp]:
    """The positions whose candidates are out of order (NaN included) or repeat a key."""
    with np.errstate(invalid="ignore"):
        unordered = (row[1:] == row[:-1]) & ~(values[:-1] >= values[1:])
    pairs = np.sort(row.astype(np.int64) * (int(keys.max(initial=0)) + 1) + keys)
    repeated = pairs[1:][pairs[1:] == pairs[:-1]] // (int(keys.max(initial=0)) + 1)
    bad = np.zeros(n, dtype=bool)
    bad[row[1:][unordered]] = True
    bad[repeated] = True
    return np.flatnonzero(bad)


def _merged(flat: FlatCandidates, keys: NDArray[np.intp], bad: NDArray[np.intp]) -> FlatCandidates:
    """`flat` with the positions `bad` merged by key and sorted (`merge`), the others as is."""
    offsets, ids, values = flat.offsets, flat.cand_ids, flat.cand_logprobs
    at = flat.sampled_index.copy()
    counts = np.diff(offsets)
    out_keys: list[int] = []
    out_ids: list[int] = []
    out_lp: list[float] = []
    done = 0
    for t in bad.tolist():
        lo, hi = int(offsets[t]), int(offsets[t + 1])
        out_keys += keys[done:lo].tolist()
        out_ids += ids[done:lo].tolist()
        out_lp += values[done:lo].tolist()
        size = len(out_keys)
        at[t] = merge(
            keys[lo:hi].tolist(),
            ids[lo:hi].tolist(),
            values[lo:hi].tolist(),
            int(at[t]),
            out=(out_keys, out_ids, out_lp),
        )
        counts[t] = len(out_keys) - size
        done = hi
    out_keys += keys[done:].tolist()
    out_ids += ids[done:].tolist()
    out_lp += values[done:].tolist()
    new_offsets = np.zeros(len(offsets), dtype=np.int64)
    np.cumsum(counts, out=new_offsets[1:])
    return FlatCandidates(
        new_offsets,
        _lookup(flat.cand_bytes, np.array(out_keys, dtype=np.intp)),
        np.array(out_ids, dtype=np.int64),
        np.array(out_lp, dtype=np.float64),
        at,
    )
