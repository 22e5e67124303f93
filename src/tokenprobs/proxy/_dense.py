"""A dense scorer's answer: every token's logprob at every position, keyed by the tokens' bytes.

The small models of proxy-tuning run in-process, so they give the whole vocabulary, not a top-k.
`DenseLogprobs` holds that `(T, V)` table with the bytes of each column, so that `combine` can
look up any candidate the base returned, and bound every token it did not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, cast

import numpy as np

from tokenprobs._counts import at_least
from tokenprobs._said import a_type
from tokenprobs.metrics._numeric import as_float
from tokenprobs.models import TokenDistribution
from tokenprobs.models._arrays import readonly
from tokenprobs.models._support import position

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = ["DenseLogprobs"]


@lru_cache(maxsize=8)
def _layout(
    vocab: tuple[bytes, ...],
) -> tuple[tuple[bytes, ...], NDArray[np.intp], NDArray[np.intp]]:
    """The distinct keys, each id's column, and the ids that repeat an earlier id's bytes.

    Cached: a scorer turns every evaluation of one vocabulary into a table (so the entries'
    types are checked once per vocabulary).
    """
    if reason := _bad_entry(vocab):
        raise TypeError(reason)
    first: dict[bytes, int] = {}
    column = np.fromiter(
        (first.setdefault(k, len(first)) for k in vocab), dtype=np.intp, count=len(vocab)
    )
    lead = np.zeros(len(vocab), dtype=np.bool_)
    lead[np.unique(column, return_index=True)[1]] = True
    return tuple(first), readonly(column), readonly(np.flatnonzero(~lead))


def _bad_entry(vocab: Sequence[object], name: str = "vocab", how: str = "") -> str:
    """Why an entry of `name` is refused (the first that is not bytes), or "" when all are bytes.

    `how` is added to the remedy (another way to build the table, for a table built by hand).
    """
    for j, key in enumerate(vocab):
        if not isinstance(key, bytes):
            return (
                f"{name}[{j}] is {key!r} (a {type(key).__name__}): the vocabulary is each token "
                "id's bytes (b'a'), as the base's tokens are matched by bytes; take them from "
                "the tokenizer's byte decoding, or .encode() a vocabulary of plain-text tokens"
                f"{how}"
            )
    return ""


def _checked_vocab(
    keys: tuple[object, ...], name: str, how: str = ""
) -> tuple[tuple[bytes, ...], NDArray[np.intp], NDArray[np.intp]]:
    """`_layout` of `keys`, refused in words: an entry that is no bytes, or no entry at all.

    One check for `from_logits` (`name` "vocab") and a table built by hand ("DenseLogprobs.keys").

    Raises:
        TypeError: An entry is not bytes (a str, or unhashable such as a bytearray).
        ValueError: `keys` is empty.
    """
    try:
        layout = _layout(cast("tuple[bytes, ...]", keys))  # checked there, once per vocabulary
    except TypeError:  # an entry that is no bytes: refused by _layout, or unhashable before it
        raise TypeError(_bad_entry(keys, name, how) or f"{name} entries are token bytes") from None
    if not keys:
        msg = f"{name} is empty: a model's vocabulary has at least one token"
        raise ValueError(msg)
    return layout


def _check_rows(table: NDArray[np.float64], name: str) -> None:
    """Refuse a `(T, V)` table with NaN or `+inf`, or a row with no finite value, naming the row.

    One check for `from_logits` (`name` "logits") and a table built by hand.

    Raises:
        ValueError: The first position holding NaN or `+inf`, or whose every value is `-inf`.
    """
    bad = np.asarray((np.isnan(table) | np.isposinf(table)).any(axis=1), dtype=np.bool_)
    empty = ~np.asarray(np.isfinite(table).any(axis=1), dtype=np.bool_)
    if not (bad.any() or empty.any()):
        return
    t = int(np.flatnonzero(bad | empty)[0])
    if bad[t]:
        msg = (
            f"{name} at position {t} hold NaN or +inf: a model's logits and logprobs are finite "
            "numbers (-inf only masks a token)"
        )
    else:
        msg = (
            f"{name} at position {t} have no finite value: -inf masks a token, and a position "
            "needs one token left (a model's logits and logprobs are finite numbers)"
        )
    raise ValueError(msg)


def _vocab_layout(
    vocab: Sequence[bytes],
) -> tuple[tuple[bytes, ...], NDArray[np.intp], NDArray[np.intp]]:
    """`_layout` of a vocabulary that must be a non-empty sequence of bytes, refused in words."""
    given: object = vocab  # checked as a caller may pass anything
    if isinstance(given, str | bytes | bytearray) or not isinstance(given, Sequence):
        msg = (
            "vocab is a sequence of each token id's bytes ([b'a', b'b', ...]), got a "
            f"{type(given).__name__}"
        )
        raise TypeError(msg)
    return _checked_vocab(tuple(vocab), "vocab")


_BY_LOGITS = "; DenseLogprobs.from_logits(logits, vocab) builds one from a tokenizer's vocabulary"


@lru_cache(maxsize=8)
def _index(keys: tuple[bytes, ...]) -> dict[bytes, int]:
    return {k: j for j, k in enumerate(keys)}


@dataclass(frozen=True, eq=False)
class DenseLogprobs:
    """Full-vocabulary logprobs of one model at `T` positions, one column per distinct token bytes.

    Build it with `from_logits` (raw logits, normalised here in float64) or from a scorer such
    as `LlamaCppScorer.score`. Two token ids with the same bytes are one column (their
    probabilities add up), as they are one candidate when a server returns both.

    Examples:
        >>> import numpy as np
        >>> d = DenseLogprobs.from_logits([[2.0, 1.0, 1.0]], [b"a", b"b", b"b"])
        >>> d.keys, np.exp(d.logprobs).round(3).tolist()
        ((b'a', b'b'), [[0.576, 0.424]])
    """

    logprobs: NDArray[np.float64]
    """Shape `(T, U)`: log-softmax over the whole vocabulary, one column per key."""
    keys: tuple[bytes, ...]
    """The `U` distinct token bytes, in the order of the model's first id of each."""

    def __post_init__(self) -> None:
        """Refuse a table built by hand that `from_logits` would refuse, or that misfits its keys.

        The keys and the rows are checked by the functions `from_logits` checks with.

        Raises:
            TypeError: `logprobs` is not an array of real numbers, `keys` not a tuple, or an
                entry of `keys` not bytes.
            ValueError: `keys` is empty or repeats one token's bytes, `logprobs` is not
                `(T, len(keys))`, holds NaN or `+inf`, or a row has no finite value.
        """
        given: object = self.keys  # checked as a caller may pass anything
        if not isinstance(given, tuple):
            msg = f"DenseLogprobs.keys is a tuple of token bytes, got {a_type(given)}"
            raise TypeError(msg)
        distinct, _, _ = _checked_vocab(given, "DenseLogprobs.keys", _BY_LOGITS)
        lp = as_float(self.logprobs, "logprobs", what="a (T, U) table of logprobs")
        if lp.ndim != 2 or lp.shape[1] != len(self.keys):  # noqa: PLR2004
            msg = (
                f"DenseLogprobs.logprobs must have shape (T, {len(self.keys)}), one column per "
                f"key, got {lp.shape}{_BY_LOGITS}"
            )
            raise ValueError(msg)
        _check_rows(lp, "DenseLogprobs.logprobs")
        if len(distinct) != len(self.keys):
            msg = "DenseLogprobs.keys repeats a token's bytes: one column per distinct bytes"
            raise ValueError(msg)
        if lp is not self.logprobs:
            object.__setattr__(self, "logprobs", readonly(lp))

    def __setstate__(self, state: dict[str, object]) -> None:
        """Unpickled as built: its table read-only (pickle gives back a fresh, writable array)."""
        self.__dict__.update(state)
        if isinstance(table := state.get("logprobs"), np.ndarray):
            readonly(table)

    @classmethod
    def from_logits(cls, logits: ArrayLike, vocab: Sequence[bytes], /) -> DenseLogprobs:
        """Normalise `(T, V)` logits (or logprobs) over the vocabulary whose bytes are `vocab`.

        Raises:
            TypeError: When `vocab` is not a sequence of bytes (a str entry, one bytes object),
                or `logits` is not numbers.
            ValueError: When `vocab` is empty, `logits` is not `(T, len(vocab))`, or holds NaN
                or `+inf`, or a row has no finite value (`-inf` masks a token; a row needs one
                token left).
        """
        keys, column, later = _vocab_layout(vocab)
        raw = as_float(logits, "logits", what="a (T, V) table of logits or logprobs")
        if raw.ndim != 2 or raw.shape[1] != len(vocab):  # noqa: PLR2004
            msg = f"logits must have shape (T, {len(vocab)}) for this vocabulary, got {raw.shape}"
            raise ValueError(msg)
        _check_rows(raw, "logits")
        peak = raw.max(axis=1, keepdims=True)
        lp = raw - peak - np.log(np.exp(raw - peak).sum(axis=1, keepdims=True))
        if later.size:  # ids sharing bytes: add their probabilities
            merged = np.empty((raw.shape[0], len(keys)))
            lead = np.ones(len(vocab), dtype=np.bool_)
            lead[later] = False
            merged[:, column[lead]] = lp[:, lead]
            for j in later:  # the few later ids of a shared key
                merged[:, column[j]] = np.logaddexp(merged[:, column[j]], lp[:, j])
            lp = merged
        return cls(logprobs=readonly(lp), keys=keys)

    def __len__(self) -> int:
        """The number of positions."""
        return int(self.logprobs.shape[0])

    def __getitem__(self, where: slice) -> DenseLogprobs:
        """Positions `where` (a slice), same vocabulary.

        Raises:
            TypeError: For an int (`d[i:i + 1]` is position `i` as a table of one position).
        """
        given: object = where  # checked as a caller may pass anything
        if not isinstance(given, slice):
            msg = (
                f"DenseLogprobs[...] takes a slice of positions, got {where!r}; "
                "d[i:i + 1] is position i"
            )
            raise TypeError(msg)
        return DenseLogprobs(logprobs=readonly(self.logprobs[where]), keys=self.keys)

    @cached_property
    def index(self) -> dict[bytes, int]:
        """Key → column (shared by every table of one vocabulary)."""
        return _index(self.keys)

    def top(self, i: int, k: int, /) -> list[bytes]:
        """The `k` most likely keys at position `i`, most likely first (ties: lower column).

        `k` is at least 0 (`0`: none); more than the vocabulary gives every key.

        Raises:
            TypeError: `i` or `k` is not an int.
            IndexError: `i` is past the positions (negative `i` counts from the end).
            ValueError: `k` is negative.
        """
        row = self.logprobs[position(i, len(self))]
        k = min(at_least(k, "top()'s k", 0), row.shape[0])
        part = np.argpartition(-row, k - 1)[:k] if k else np.array([], dtype=np.intp)
        order = part[np.lexsort((part, -row[part]))]
        return [self.keys[j] for j in order]

    def _unmasked(self, i: int, keys: list[bytes]) -> list[bytes]:
        """`keys` without those masked (`-inf`) at position `i`; the first (the argmax) kept."""
        row = self.logprobs[i]
        return keys[:1] + [key for key in keys[1:] if np.isfinite(row[self.index[key]])]

    def top_k(self, k: int, /) -> TokenDistribution:
        """What a server returning the top `k` would say: the argmax sampled, `k` alternatives.

        Token strings are the bytes decoded as UTF-8 (U+FFFD for a partial character); the
        bytes are exact. Useful to compare the sparse and the dense treatment of the same model.
        `k` is at least 1 (the sampled token is the first alternative); more than the
        vocabulary gives every token the model can emit. A masked token (`-inf`: probability
        0) is never listed, as no server's top-k lists one, so a position has fewer than `k`
        alternatives when fewer than `k` tokens are unmasked.

        Raises:
            TypeError: `k` is not an int.
            ValueError: `k` is below 1.
        """
        k = at_least(k, "top_k()'s k", 1)
        rows = [self._unmasked(i, self.top(i, k)) for i in range(len(self))]
        values = [
            [float(self.logprobs[i, self.index[key]]) for key in row] for i, row in enumerate(rows)
        ]
        strings = [[key.decode("utf-8", errors="replace") for key in row] for row in rows]
        return TokenDistribution.from_columns(
            source="dense.top_k",
            tokens=[row[0] for row in strings],
            token_bytes=[list(row[0]) for row in rows],
            logprobs=[row[0] for row in values],
            top_tokens=strings,
            top_bytes=[[list(key) for key in row] for row in rows],
            top_logprobs_flat=[v for row in values for v in row],
        )
