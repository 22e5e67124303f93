"""Where the answer is: the position `Labels.probs` reads (`at=`)."""

from __future__ import annotations

import json
import numbers
import re
from typing import TYPE_CHECKING, NamedTuple, Self

import numpy as np

from tokenprobs._said import a_value
from tokenprobs.exceptions import TokenprobsError
from tokenprobs.labels._match import Kind, decode, is_special
from tokenprobs.models._identity import token_key

if TYPE_CHECKING:
    from tokenprobs.labels._match import Normaliser
    from tokenprobs.models import TokenDistribution

__all__ = ["At", "Char", "LabelPositionError", "check_at", "resolve", "token_bytes"]


def _index(value: object, what: str) -> int:
    """`value` as an int, where it is an integer that is no bool.

    Raises:
        TypeError: `value` is a bool, a float or anything but an integer.
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        msg = (
            f"{what} must be an int, got {a_value(value)} (at= takes None, an "
            "int position, a Char(int) offset or a JSON key)"
        )
        raise TypeError(msg)
    return int(value)


class _Offset(NamedTuple):
    offset: int


class Char(_Offset):
    """A character offset in `d.text`: `at=Char(12)` reads the position whose token holds it.

    Raises:
        TypeError: If the offset is not an int (a float, a bool).
    """

    __slots__ = ()

    def __new__(cls, offset: int) -> Self:
        """The offset, checked to be an int."""
        return super().__new__(cls, _index(offset, "a Char offset"))


At = int | Char | str | None
"""`None` (the first content-bearing position), a position, a `Char` offset, or a JSON key."""


class LabelPositionError(TokenprobsError, ValueError):
    """The answer position asked for (`at=`) is not in the distribution."""


def token_bytes(d: TokenDistribution, i: int) -> bytes:
    r"""Position `i`'s sampled token's bytes (derived from its text where the API gave none).

    The derivation is the library's one rule (`token_key`): a legacy `bytes:\xf0` or
    `\xf0\x9f` spelling of a split character stands for those bytes, not for its text.
    """
    return token_key(d.tokens[i], d.token_bytes[i])


_DECORATION = frozenset(" \t\r\n*_~`\"'\u201c\u201d\u2018\u2019\u00ab\u00bb")
"""What may wrap an answer without being it: whitespace, markdown emphasis (`**`, `_`, `~~`,
a backtick) and quotes."""


def _decoration(text: str, norm: Normaliser) -> bool:
    """Whether `text` only wraps the answer: decoration characters that start no label."""
    return set(text) <= _DECORATION and norm.classify(text).kind in (Kind.NONE, Kind.BLANK)


def _first_content(d: TokenDistribution, norm: Normaliser) -> int:
    for i in range(len(d)):
        text, partial = decode(token_bytes(d, i))
        if partial:
            return i
        if norm.normalise(text).strip() and not is_special(text) and not _decoration(text, norm):
            return i
    msg = (
        f"no content-bearing position in {len(d)} tokens (all whitespace, quotes, markdown "
        "emphasis or control tokens): pass at= a position, a Char offset or a JSON key"
    )
    raise LabelPositionError(msg)


def _char(d: TokenDistribution, offset: int) -> int:
    n = len(d.text)
    if not 0 <= offset < n:
        msg = f"character offset {offset} is outside the text ({n} characters)"
        raise LabelPositionError(msg)
    ends = d.char_spans()[:, 1]
    return int(np.searchsorted(ends, offset, side="right"))


def _json_key(d: TokenDistribution, key: str) -> int:
    text = d.text
    pattern = re.compile(re.escape(json.dumps(key)) + r'\s*:\s*"?')
    found = pattern.search(text)
    if found is None or found.end() >= len(text):
        msg = f"no JSON key {key!r} with a value in the text: pass at= a position or a Char offset"
        raise LabelPositionError(msg)
    return _char(d, found.end())


def check_at(at: object) -> At:
    """`at`, checked to be one of the kinds `resolve` takes (before any request is sent).

    Raises:
        TypeError: If `at` is none of None, an int, a `Char` or a str (a float, a bool ...).
    """
    if at is None or isinstance(at, Char | str):
        return at
    return _index(at, "at")


def resolve(d: TokenDistribution, at: At, norm: Normaliser) -> int:
    """The position `at` names in `d`, which must carry a probability.

    Raises:
        LabelPositionError: If there is no such position, or it has no logprob (null: the
            first token of an echoed prompt, which nothing precedes).
        TypeError: If `at` is none of None, an int, a `Char` or a str (a float, a bool ...).
    """
    i = _position(d, at, norm)
    if np.isnan(d.logprobs[i]):
        msg = (
            f"position {i} ({d.tokens[i]!r}) has no logprob (the API gave null: the first "
            "token of an echoed prompt has nothing before it to be predicted from), so no "
            "label probability can be read there: pass at= a later position"
        )
        raise LabelPositionError(msg)
    return i


def _position(d: TokenDistribution, at: At, norm: Normaliser) -> int:
    at = check_at(at)
    if at is None:
        return _first_content(d, norm)
    if isinstance(at, Char):
        return _char(d, at.offset)
    if isinstance(at, str):
        return _json_key(d, at)
    n = len(d)
    if not -n <= at < n:
        msg = f"position {at} out of range for {n} tokens"
        raise LabelPositionError(msg)
    return at % n
