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
"""`None` (the answer's first content-bearing position), a position, a `Char` offset, or a JSON
key."""


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
    for i in range(_answer_start(d), len(d)):
        text, partial = decode(token_bytes(d, i))
        if partial:
            return i
        if norm.normalise(text).strip() and not is_special(text) and not _decoration(text, norm):
            if text.lstrip()[:1] in ("{", "[") and norm.classify(text).kind is Kind.NONE:
                raise LabelPositionError(_json_answer(d, i))
            return i
    msg = (
        f"no content-bearing position in {len(d)} tokens (all whitespace, quotes, markdown "
        "emphasis or control tokens): pass at= a position, a Char offset or a JSON key"
    )
    raise LabelPositionError(msg)


_THINK_OPEN = re.compile(r"\s*<think>")
_THINK_CLOSE = "</think>"


def _answer_start(d: TokenDistribution) -> int:
    """The first position the answer can be at: after any reasoning the logprobs also cover.

    A server that returns the reasoning's tokens in `logprobs.content` but only the answer as
    `message.content` (sglang, vLLM's reasoning parsers): the answer's first position, where
    the text ends with the content, else the first token that is part of it. A `<think>` block
    the content itself opens with (no reasoning parser): the first position after it.

    Raises:
        LabelPositionError: The `<think>` block is not closed: the answer was cut before it.
    """
    text, content = d.text, d.content
    if content is not None and not d.text_matches_content and (answer := content.strip()):
        offset = text.rfind(answer)
        if offset >= 0 and not text[offset + len(answer) :].strip():
            return _char(d, offset)
        inside = np.flatnonzero(d.in_content)
        return int(inside[0]) if len(inside) else 0
    if opened := _THINK_OPEN.match(text):
        closed = text.find(_THINK_CLOSE, opened.end())
        if closed < 0:
            msg = (
                f"the answer is still reasoning: its <think> block is not closed within {len(d)} "
                "tokens, so no answer was written (raise max_tokens, or pass at= a position)"
            )
            raise LabelPositionError(msg)
        after = closed + len(_THINK_CLOSE)
        return _char(d, after) if after < len(text) else len(d)
    return 0


def _json_answer(d: TokenDistribution, i: int) -> str:
    """Why a JSON answer has no label at its first position, and which keys `at=` may name."""
    offset = int(d.char_spans()[i, 0])
    spelt = re.findall(r'"((?:[^"\\]|\\.)*)"\s*:', d.text[offset:])
    keys = list(dict.fromkeys(map(_key_text, spelt)))  # as at= takes them: escapes decoded
    if not keys:
        return (
            f"the answer is JSON, whose first token ({d.tokens[i]!r}, position {i}) is no label: "
            "pass at= the position or Char offset of the label"
        )
    shown = ", ".join(map(repr, keys[:6])) + (", ..." if len(keys) > 6 else "")  # noqa: PLR2004
    return (
        f"the answer is a JSON object (keys {shown}), whose first token ({d.tokens[i]!r}, "
        f"position {i}) is no label: pass at= the key whose value is the label, "
        f"e.g. at={keys[0]!r}"
    )


def _key_text(spelt: str) -> str:
    r"""A JSON key as its text (`a\"b` is `a"b`), or as spelt where it is no valid JSON string."""
    try:
        text = json.loads(f'"{spelt}"')
    except ValueError:
        return spelt
    return text if isinstance(text, str) else spelt


def _char(d: TokenDistribution, offset: int) -> int:
    n = len(d.text)
    if not 0 <= offset < n:
        msg = f"character offset {offset} is outside the text ({n} characters)"
        raise LabelPositionError(msg)
    ends = d.char_spans()[:, 1]
    return int(np.searchsorted(ends, offset, side="right"))


def _json_key(d: TokenDistribution, key: str) -> int:
    text = d.text
    spellings = dict.fromkeys((json.dumps(key, ensure_ascii=False), json.dumps(key)))  # "ключ"
    pattern = re.compile("(?:" + "|".join(map(re.escape, spellings)) + r')\s*:\s*"?')
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
