"""The pieces every builder shares: positions, token entries, the text they spell."""

from __future__ import annotations

import codecs
import math
from collections.abc import Mapping, Sequence
from typing import Any, TypeGuard

from tokenprobs._said import a_type, a_value

__all__ = [
    "CREATED",
    "Alternative",
    "Position",
    "checked",
    "choices_of",
    "chunk_list",
    "deltas",
    "entries",
    "entry",
    "joined_text",
    "token_entry_parts",
]

Alternative = tuple[str | bytes, float]
"""`(token, logprob)`."""
Position = tuple[str | bytes, float | None, Sequence[Alternative]]
"""`(token, logprob, alternatives)`; a `None` logprob only where the API gives null (echo)."""

CREATED = 1_700_000_000
_POSITION_LENGTH = 3
_SHAPE = "(token, logprob, alternatives), as in [('Hi', -0.1, [('Hi', -0.1), ('Hello', -2.4)])]"


def checked(positions: object, where: str, *, nulls: bool = False) -> Sequence[Position]:
    """`positions` when it is a list of well-formed positions; else an error naming the bad one.

    A `None` logprob is taken only with `nulls` (legacy Completions, whose echoed first prompt
    token has a null logprob); chat and Responses bodies never carry one, and do not parse.

    Raises:
        TypeError: `positions` is not a list of positions (a lone position, a str), or a
            position, its token, logprob or alternatives are of the wrong kind.
        ValueError: A logprob is NaN or infinite (JSON cannot carry it; the API sends -9999.0),
            or a token holds a lone surrogate (it has no UTF-8 bytes).
    """
    if isinstance(positions, str | bytes | Mapping) or not isinstance(positions, Sequence):
        msg = f"{where} must be a list of positions {_SHAPE}, got {a_type(positions)}"
        raise TypeError(msg)
    if len(positions) == _POSITION_LENGTH and isinstance(positions[0], str | bytes):
        msg = f"{where} is one position: wrap it in a list, [{tuple(positions)!r}]"
        raise TypeError(msg)
    for i, position in enumerate(positions):
        _check_position(position, f"{where}[{i}]", nulls=nulls)
    return positions


def choices_of(body: object, call: str) -> list[dict[str, Any]]:
    """The `choices` of a chat or legacy Completions body, or a TypeError naming `call`.

    Raises:
        TypeError: `body` is not such a body (a Responses body, a list of chunks).
    """
    choices = body.get("choices") if isinstance(body, Mapping) else None
    if not isinstance(choices, list):
        kind = "a dict without `choices`" if isinstance(body, Mapping) else type(body).__name__
        msg = f"{call} takes a chat or legacy Completions body (with `choices`), got {kind}"
        raise TypeError(msg)
    return choices


def chunk_list(
    chunks: object, call: str, *, returns: str, empty: bool = False
) -> list[dict[str, Any]]:
    """`chunks` as a list when it is a list of dicts (not empty, unless `empty`).

    Raises:
        TypeError: `chunks` is not a list of dicts (a str, one chunk).
        ValueError: `chunks` is empty and `empty` is false.
    """
    listed = isinstance(chunks, Sequence) and not isinstance(chunks, str | bytes)
    if not listed or not all(isinstance(c, Mapping) for c in chunks):  # type: ignore[attr-defined]
        got = type(chunks).__name__
        msg = f"{call} takes a list of chunk dicts (as {returns} returns), got {got}"
        raise TypeError(msg)
    if not chunks and not empty:
        msg = f"{call} takes at least one chunk, got an empty list"
        raise ValueError(msg)
    return [dict(c) for c in chunks]  # type: ignore[attr-defined]


def _check_position(position: object, where: str, *, nulls: bool) -> None:
    if not _tuple_of(position, _POSITION_LENGTH):
        msg = f"{where} must be {_SHAPE}, got {position!r}"
        raise TypeError(msg)
    token, logprob, alternatives = position
    if logprob is None and not nulls:
        msg = (
            f"{where}'s logprob is None, which only legacy Completions send (the echoed first "
            "prompt token): give a number here, or build the body with completion()"
        )
        raise TypeError(msg)
    _check_entry(token, logprob, f"{where}'s", none=True)
    if isinstance(alternatives, str | bytes | Mapping) or not isinstance(alternatives, Sequence):
        msg = (
            f"{where}'s alternatives must be a list of (token, logprob) pairs, "
            f"got {a_value(alternatives)}"
        )
        raise TypeError(msg)
    for j, alternative in enumerate(alternatives):
        if not _tuple_of(alternative, 2):
            msg = f"{where}'s alternative {j} must be (token, logprob), got {alternative!r}"
            raise TypeError(msg)
        alt_token, alt_logprob = alternative
        _check_entry(alt_token, alt_logprob, f"{where}'s alternative {j}'s", none=False)


def _tuple_of(value: object, length: int) -> TypeGuard[Sequence[object]]:
    """Whether `value` is a tuple or list (not a str) of `length` items."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        return False
    return len(value) == length


def _check_entry(token: object, logprob: object, whose: str, *, none: bool) -> None:
    """A token and its logprob: a str or bytes, and a finite number (or None where `none`)."""
    if not isinstance(token, str | bytes):
        msg = f"{whose} token must be a str or bytes (partial UTF-8), got {token!r}"
        raise TypeError(msg)
    if isinstance(token, str) and not token.isascii():
        try:
            token.encode("utf-8")
        except UnicodeEncodeError:
            msg = (
                f"{whose} token {token!r} holds a lone surrogate, which has no UTF-8 bytes: "
                "give the token as bytes instead (b'\\xf0\\x9f' for half an emoji)"
            )
            raise ValueError(msg) from None
    if logprob is None and none:
        return
    if isinstance(logprob, bool) or not isinstance(logprob, int | float):
        kind = "a number (or None, where the API gives null)" if none else "a number"
        msg = f"{whose} logprob must be {kind}, got {a_value(logprob)}"
        raise TypeError(msg)
    if not math.isfinite(logprob):
        msg = f"{whose} logprob must be finite (the API writes -9999.0 for unlikely), got {logprob}"
        raise ValueError(msg)


def token_entry_parts(tok: str | bytes) -> tuple[str, list[int]]:
    if isinstance(tok, str):
        return tok, list(tok.encode("utf-8"))
    try:
        return tok.decode("utf-8"), list(tok)
    except UnicodeDecodeError:
        return "".join(f"\\x{b:02x}" for b in tok), list(tok)


def entry(tok: str | bytes, logprob: float | None, *, with_bytes: bool = True) -> dict[str, Any]:
    text, raw = token_entry_parts(tok)
    out: dict[str, Any] = {"token": text, "logprob": logprob}
    if with_bytes:
        out["bytes"] = raw
    return out


def entries(positions: Sequence[Position], *, with_bytes: bool = True) -> list[dict[str, Any]]:
    return [
        {
            **entry(tok, lp, with_bytes=with_bytes),
            "top_logprobs": [entry(t, v, with_bytes=with_bytes) for t, v in alts],
        }
        for tok, lp, alts in positions
    ]


def joined_text(positions: Sequence[Position]) -> str:
    raw = b"".join(bytes(token_entry_parts(tok)[1]) for tok, _, _ in positions)
    return raw.decode("utf-8", errors="replace")


def deltas(positions: Sequence[Position]) -> list[str]:
    """The text each token adds, as a stream's deltas carry it (a split character when whole)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    return [decoder.decode(bytes(token_entry_parts(tok)[1])) for tok, _, _ in positions]
