"""The candidate set at each position: what every tool built on top-k reads.

An API returns, per position, the sampled token and up to k alternatives. The *candidates* are the
distinct tokens among them: the alternatives as returned, an alternative that repeats an earlier
one dropped, the sampled token merged in once (its own column only when it is not among the
alternatives), the `-9999` sentinel (and anything below it) left out. Each candidate is known by
its bytes. The *cap* is the least likely alternative's logprob among the candidates: a token that
was not returned can be no more likely than that. The *tail* is the mass no candidate holds.

`align` (`models/_align.py`) lays several distributions' candidate sets over one another.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from tokenprobs import metrics
from tokenprobs._said import a_type, a_value
from tokenprobs.metrics._numeric import as_float
from tokenprobs.models._arrays import readonly
from tokenprobs.models._identity import identify, token_key

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = ["Candidates", "candidate_set", "position"]


def position(i: int, n: int) -> int:
    """Position `i` (negative counts from the end) of `n`, or an `IndexError` that says so.

    A `TypeError` for what is not an integer (`1.0`, `"a"`), as a list says.
    """
    if isinstance(i, bool) or not isinstance(i, int | np.integer):
        msg = f"a position is an integer or a slice, not {a_value(i)}"
        raise TypeError(msg)
    if not -n <= i < n:
        msg = f"position {i} out of range for {n} tokens"
        raise IndexError(msg)
    return i % n


@dataclass(frozen=True, eq=False)
class Candidates:
    """Per position, the distinct returned tokens with their logprobs, the sampled one marked.

    Column `j < K` of a row is the `j`-th alternative as returned (`-inf` where it repeats an
    earlier one, or past the position's count); column `K` holds the sampled token when it is not
    among the alternatives (`-inf` when it is). Build it with `TokenDistribution.candidates`.

    Examples:
        >>> import tokenprobs as tp
        >>> from tokenprobs.testing import chat_completion
        >>> d = tp.parse(chat_completion([("Yes", -0.2, [("Yes", -0.2), ("No", -1.8)])]))
        >>> c = d.candidates
        >>> c.sampled.tolist(), c.keys(0), c.cap.tolist()
        ([0], [b'Yes', b'No'], [-1.8])
    """

    logprobs: NDArray[np.float64]
    """Shape `(T, K+1)`: each candidate's logprob, `-inf` for no candidate (padding, duplicate)."""
    sampled: NDArray[np.intp]
    """Shape `(T,)`: the column of the sampled token in `logprobs`."""
    in_top: NDArray[np.bool_]
    """Shape `(T,)`: whether the sampled token is among the returned alternatives."""
    cap: NDArray[np.float64]
    """Shape `(T,)`: the least likely returned alternative's logprob, the sampled token's aside
    (a server may append it from beyond the top k), an upper bound on any token that was not
    returned; only candidates count (not a repeat, the sentinel or below, NaN: the next one up
    bounds then). NaN where the position has no alternative among them (nothing bounds it)."""
    _tokens: list[str] = field(repr=False)
    _token_bytes: list[list[int] | None] = field(repr=False)
    _top_tokens: list[list[str]] = field(repr=False)
    _top_bytes: Sequence[list[list[int] | None]] = field(repr=False)

    @classmethod
    def of(
        cls,
        *,
        tokens: list[str],
        token_bytes: list[list[int] | None],
        logprobs: NDArray[np.float64],
        top_tokens: list[list[str]],
        top_bytes: Sequence[list[list[int] | None]],
        top_logprobs: NDArray[np.float64],
    ) -> Candidates:
        """The candidate sets of a distribution's columns (see `TokenDistribution`).

        Raises:
            TypeError: A column is not of the type `TokenDistribution` holds it in (named).
            ValueError: The columns' lengths or shapes do not line up (the column named).
        """
        lp, top = _checked(tokens, token_bytes, logprobs, top_tokens, top_bytes, top_logprobs)
        return candidate_set(tokens, token_bytes, lp, top_tokens, top_bytes, top)

    def __len__(self) -> int:
        """The number of positions."""
        return len(self._tokens)

    @cached_property
    def tail(self) -> NDArray[np.float64]:
        """Shape `(T,)`: `1 - Σp` over the candidates, clipped to `[0, 1]` (what top-k missed)."""
        return readonly(metrics.tail_mass(self.logprobs))

    @cached_property
    def counts(self) -> NDArray[np.intp]:
        """Shape `(T,)`: how many distinct candidates each position has."""
        return readonly(np.isfinite(self.logprobs).sum(axis=-1).astype(np.intp))

    def keys(self, i: int, /) -> list[bytes]:
        r"""The candidates' bytes at position `i`, in column order (only the columns that hold one).

        Bytes the API did not give are derived from the token string (`bytes:\xe2\x80` forms
        included), as everywhere in tokenprobs.
        """
        i = position(i, len(self))
        row = self.logprobs[i]
        names = self._column_keys(i)
        return [names[j] for j in range(len(names)) if row[j] > -math.inf]

    def tokens(self, i: int, /) -> list[str]:
        """The candidates' token strings at position `i`, in the order of `keys(i)`."""
        i = position(i, len(self))
        row = self.logprobs[i]
        alts = self._top_tokens[i]
        names = [*alts, *[""] * (row.size - 1 - len(alts)), self._tokens[i]]  # padded as the row
        return [names[j] for j in range(len(names)) if row[j] > -math.inf]

    def row(self, i: int, /) -> dict[bytes, float]:
        r"""Position `i`'s candidates: bytes → logprob, most likely first (raw, not renormalised).

        Two candidates with the same bytes but different strings (a server's `\xNN` spelling of
        a token beside its text) are one key: their probabilities add up.
        """
        i = position(i, len(self))
        row = self.logprobs[i]
        order = np.argsort(-row, kind="stable")[: np.count_nonzero(row > -math.inf)]
        names = self._column_keys(i)
        return _ranked([names[j] for j in order.tolist()], row[order].tolist())

    def sampled_key(self, i: int, /) -> bytes:
        """The sampled token's bytes at position `i` (derived from its string where not given)."""
        i = position(i, len(self))
        return self._column_keys(i)[int(self.sampled[i])]

    def _column_keys(self, i: int, spelled: _Spelled | None = None) -> list[bytes]:
        """Each column's `token_key` at position `i` (`b""` for padding), `spelled` memoising."""
        spelled = _Spelled() if spelled is None else spelled
        alts = [
            spelled[t] if b is None else bytes(b)
            for t, b in zip(self._top_tokens[i], self._top_bytes[i], strict=True)
        ]
        own = self._token_bytes[i]
        width = self.logprobs.shape[1] - 1
        return [
            *alts,
            *[b""] * (width - len(alts)),
            spelled[self._tokens[i]] if own is None else bytes(own),
        ]

    def _rows(self) -> tuple[list[dict[bytes, float]], list[bytes]]:
        """Every position's `row` and `sampled_key`, its keys worked out once (for `align`)."""
        spelled = _Spelled()
        order = np.argsort(-self.logprobs, axis=-1, kind="stable")  # -inf, then NaN, last
        ranked = np.take_along_axis(self.logprobs, order, axis=-1)
        counts = np.count_nonzero(ranked > -math.inf, axis=-1).tolist()
        width = self.logprobs.shape[1]
        at, values = order.ravel().tolist(), ranked.ravel().tolist()  # flat: no list per row
        rows: list[dict[bytes, float]] = []
        sampled: list[bytes] = []
        for i, column in enumerate(self.sampled.tolist()):
            names = self._column_keys(i, spelled)
            start, stop = i * width, i * width + counts[i]
            rows.append(_ranked([names[j] for j in at[start:stop]], values[start:stop]))
            sampled.append(names[column])
        return rows, sampled


class _Spelled(dict[str, bytes]):
    """`token_key(token, None)` by token string, each derived on first use."""

    def __missing__(self, token: str) -> bytes:
        key = self[token] = token_key(token, None)
        return key


def _ranked(keys: list[bytes], values: list[float]) -> dict[bytes, float]:
    """The candidates' keys → logprobs, most likely first: a repeated key's probabilities add up."""
    out = dict(zip(keys, values, strict=True))
    if len(out) == len(keys):
        return out
    out = {}
    for key, lp in zip(keys, values, strict=True):
        out[key] = float(np.logaddexp(out[key], lp)) if key in out else lp
    return out


def candidate_set(  # noqa: PLR0917 - the six columns of a distribution
    tokens: list[str],
    token_bytes: list[list[int] | None],
    logprobs: NDArray[np.float64],
    top_tokens: list[list[str]],
    top_bytes: Sequence[list[list[int] | None]],
    top_logprobs: NDArray[np.float64],
) -> Candidates:
    """`Candidates.of` without its checks: for columns a `TokenDistribution` already validated."""
    index, dup = identify(tokens, token_bytes, top_tokens, top_bytes, top_logprobs.shape)
    in_top = index >= 0
    support = metrics.support(logprobs, np.where(dup, -np.inf, top_logprobs), in_top=in_top)
    width = top_logprobs.shape[1] if top_logprobs.ndim == 2 else 0  # noqa: PLR2004
    return Candidates(
        logprobs=readonly(support),
        sampled=readonly(np.where(in_top, index, width)),
        in_top=readonly(in_top),
        cap=readonly(_cap(support[:, :width], index, top_k=_lists_a_top_k(index, top_tokens))),
        _tokens=tokens,
        _token_bytes=token_bytes,
        _top_tokens=top_tokens,
        _top_bytes=top_bytes,
    )


def _lists_a_top_k(index: NDArray[np.intp], top_tokens: list[list[str]]) -> bool:
    """Whether some position returned another token than its sampled one (the sentinel too).

    Then its lists are a top k >= 1, not a top 0 that the sampled token was added to.
    """
    counts = np.fromiter(map(len, top_tokens), dtype=np.intp, count=len(top_tokens))
    return bool((counts > 1).any() or ((index < 0) & (counts > 0)).any())


def _cap(
    alternatives: NDArray[np.float64], index: NDArray[np.intp], *, top_k: bool
) -> NDArray[np.float64]:
    """Per position, the least likely candidate among the alternatives, the sampled token aside.

    `alternatives` are the candidate set's first K columns, so an alternative that is no
    candidate (a repeat, the sentinel or below it, NaN) sets no cap, as it is no key of `row`:
    the next one up bounds the unseen tokens (looser, never false). A server may append the
    sampled token from beyond the top k (llama-cpp-python always adds it: k+1 entries), so it
    bounds nothing; NaN where there is no other candidate.

    Alone among the alternatives, the sampled token is the server's top 1 (OpenAI at
    `top_logprobs=1`) or only itself, appended to a top 0 (vLLM and llama-cpp-python at
    `top_logprobs=0`, whose every position then holds its sampled token alone): it is the cap
    only where some position of the output returned another token (`top_k`: its lists are a
    top-k).
    """
    if not alternatives.shape[1]:
        return np.full(len(alternatives), np.nan)
    finite = np.isfinite(alternatives)
    least = np.min(np.where(finite, alternatives, np.inf), axis=-1)
    rows = np.flatnonzero(index >= 0)
    others = finite[rows]
    others[np.arange(rows.size), index[rows]] = False
    some = others.any(axis=-1)
    least[rows[some]] = np.min(np.where(others[some], alternatives[rows[some]], np.inf), axis=-1)
    if not top_k:  # every list is the sampled token alone: maybe a top 0 it was added to
        least[rows] = np.nan
    return np.where(finite.any(axis=-1), least, np.nan)


def _checked(  # noqa: PLR0917 - the six columns of a distribution
    tokens: object,
    token_bytes: object,
    logprobs: ArrayLike,
    top_tokens: object,
    top_bytes: object,
    top_logprobs: ArrayLike,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """`logprobs` and `top_logprobs` as float arrays, once every column is what `of` reads."""
    n = len(_strings(tokens, "tokens", "the sampled tokens' strings"))
    _byte_lists(token_bytes, "token_bytes", n, "tokens")
    rows = _rows(top_tokens, "top_tokens", n)
    counts = [len(_strings(r, f"top_tokens[{i}]", f"position {i}'s alternatives")) for i, r in rows]
    for i, row in _rows(top_bytes, "top_bytes", n):
        _byte_lists(row, f"top_bytes[{i}]", counts[i], f"alternatives (top_tokens[{i}])")
    lp = _floats(logprobs, "logprobs", n, f"({n},)")
    top = _floats(top_logprobs, "top_logprobs", n, f"({n}, K) with K >= {max(counts, default=0)}")
    width = top.shape[1]
    if width < max(counts, default=0):
        msg = f"Candidates.of: top_logprobs has {width} columns, fewer than top_tokens' rows hold"
        raise ValueError(msg)
    for name, arr in (("logprobs", lp), ("top_logprobs", top)):
        if (bad := np.argwhere(np.isposinf(arr))).size:
            at = ", ".join(str(int(i)) for i in bad[0])
            msg = (
                f"Candidates.of: {name}[{at}] is +inf, which is no logprob (a logprob is <= 0); "
                "-inf is the logprob of a token with no mass, NaN of an unknown one"
            )
            raise ValueError(msg)
    padding = np.arange(width) >= np.array(counts, dtype=np.intp)[:, None]
    if (top[padding] != -np.inf).any():
        msg = "Candidates.of: top_logprobs must be -inf past each position's alternatives (padding)"
        raise ValueError(msg)
    return lp, top


def _strings(value: object, name: str, what: str) -> list[str] | tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(t, str) for t in value):
        bad = (
            value
            if not isinstance(value, list | tuple)
            else next(t for t in value if not isinstance(t, str))
        )
        msg = f"Candidates.of: {name} must be a list of str ({what}), got {a_value(bad, width=40)}"
        raise TypeError(msg)
    return value


def _rows(value: object, name: str, n: int) -> list[tuple[int, object]]:
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        msg = (
            f"Candidates.of: {name} must be a list with one list per position, got {a_type(value)}"
        )
        raise TypeError(msg)
    if len(value) != n:
        msg = f"Candidates.of: {name} has {len(value)} rows for {n} tokens; give one per position"
        raise ValueError(msg)
    return list(enumerate(value))


def _byte_lists(value: object, name: str, n: int, per: str) -> None:
    """A list of `n` entries, each `None` or a list of byte values (0-255)."""
    if not isinstance(value, list | tuple):
        msg = f"Candidates.of: {name} must be a list of byte lists or None, got {a_type(value)}"
        raise TypeError(msg)
    if len(value) != n:
        msg = f"Candidates.of: {name} has {len(value)} entries for {n} {per}; give one for each"
        raise ValueError(msg)
    for j, b in enumerate(value):
        if b is None:
            continue
        if not isinstance(b, list | tuple) or not all(
            isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255  # noqa: PLR2004
            for v in b
        ):
            msg = (
                f"Candidates.of: {name}[{j}] must be None or a list of byte values (0-255), "
                f"got {a_value(b, width=40)}"
            )
            raise TypeError(msg)


def _floats(value: ArrayLike | None, name: str, n: int, shape: str) -> NDArray[np.float64]:
    """`value` as a float64 array of the dimensions `shape` shows, its first `n` long."""
    if isinstance(value, str | bytes) or value is None:
        msg = f"Candidates.of: {name} must be an array of shape {shape}, got {a_type(value)}"
        raise TypeError(msg)
    try:
        arr = as_float(value, name)
    except (TypeError, ValueError) as err:
        msg = f"Candidates.of: {err}"
        raise type(err)(msg) from None
    ndim = 1 if shape.endswith(",)") else 2
    if arr.ndim == 1 and ndim == 2 and arr.size == 0 == n:  # noqa: PLR2004
        arr = arr.reshape(0, 0)
    if arr.ndim != ndim or arr.shape[0] != n:
        msg = f"Candidates.of: {name} must have shape {shape}, got {arr.shape}"
        raise ValueError(msg)
    return arr
