"""Where the answer is: the position `Labels.probs` reads (`at=`)."""

from __future__ import annotations

import numbers
import re
from typing import TYPE_CHECKING, NamedTuple, Self

import numpy as np

from tokenprobs._json_walk import JSONWalkError, Leaf, find, pointer, scan_keys
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

    Raises:
        LabelPositionError: The `<think>` block is not closed: the answer was cut before it.
    """
    return _answer_at(d)[0]


def _answer_at(d: TokenDistribution) -> tuple[int, int]:
    """The first position the answer can be at, and the character of `d.text` it begins at.

    A server that returns the reasoning's tokens in `logprobs.content` but only the answer as
    `message.content` (sglang, vLLM's reasoning parsers): the answer's first position, where
    the text ends with the content, else the first token that is part of it. A `<think>` block
    the content itself opens with (no reasoning parser): the first position after it. The
    character is the answer's own, where a token also holds the end of the reasoning.

    Raises:
        LabelPositionError: The `<think>` block is not closed: the answer was cut before it.
    """
    text, content = d.text, d.content
    if content is not None and not d.text_matches_content and (answer := content.strip()):
        offset = text.rfind(answer)
        if offset >= 0 and not text[offset + len(answer) :].strip():
            return _char(d, offset), offset
        inside = np.flatnonzero(d.in_content)
        return (int(inside[0]), int(d.char_spans()[inside[0], 0])) if len(inside) else (0, 0)
    if opened := _THINK_OPEN.match(text):
        closed = text.find(_THINK_CLOSE, opened.end())
        if closed < 0:
            msg = (
                f"the answer is still reasoning: its <think> block is not closed within {len(d)} "
                "tokens, so no answer was written (raise max_tokens, or pass at= a position)"
            )
            raise LabelPositionError(msg)
        after = closed + len(_THINK_CLOSE)
        return (_char(d, after) if after < len(text) else len(d)), after
    return 0, 0


def _json_answer(d: TokenDistribution, i: int) -> str:
    """Why a JSON answer has no label at its first position, and which keys `at=` may name.

    The keys named are the top-level ones (the only ones `at=` takes); the one suggested is the
    first whose value is a scalar.
    """
    keys = _top_keys(d, int(d.char_spans()[i, 0]))
    if not keys:
        return (
            f"the answer is JSON, whose first token ({d.tokens[i]!r}, position {i}) is no label: "
            "pass at= the position or Char offset of the label"
        )
    names = list(keys)
    shown = ", ".join(map(repr, names[:6])) + (", ..." if len(names) > 6 else "")  # noqa: PLR2004
    scalar = next((k for k, ok in keys.items() if ok), names[0])
    return (
        f"the answer is a JSON object (keys {shown}), whose first token ({d.tokens[i]!r}, "
        f"position {i}) is no label: pass at= the key whose value is the label, "
        f"e.g. at={scalar!r}"
    )


def _char(d: TokenDistribution, offset: int) -> int:
    n = len(d.text)
    if not 0 <= offset < n:
        msg = f"character offset {offset} is outside the text ({n} characters)"
        raise LabelPositionError(msg)
    ends = d.char_spans()[:, 1]
    return int(np.searchsorted(ends, offset, side="right"))


def _top_keys(d: TokenDistribution, base: int) -> dict[str, bool]:
    """The top-level keys of the answer's JSON from character `base`: whether each is a scalar.

    Where a key is repeated, its last value decides (the one `json.loads` keeps); where the text
    holds no complete JSON, the keys a depth count puts at the top level (each taken as scalar).
    """
    parsed = _document(d.text, base)
    if parsed is None:
        return dict.fromkeys((k.key for k in scan_keys(d.text, base) if k.top), True)
    return _keys_of(parsed[1])


def _keys_of(leaves: list[Leaf]) -> dict[str, bool]:
    """The top-level keys among a document's `leaves`: whether each is a scalar (`_top_keys`)."""
    out: dict[str, bool] = {}
    for leaf in leaves:
        if leaf.path and isinstance(leaf.path[0], str):
            out.pop(leaf.path[0], None)  # the last occurrence decides, and orders, the key
            out[leaf.path[0]] = len(leaf.path) == 1 and _is_scalar(leaf)
    return out


def _document(text: str, base: int) -> tuple[bytes, list[Leaf]] | None:
    """`text[base:]` as UTF-8, and the leaves of its JSON document (found as `fields` finds it).

    `None` where it holds no complete JSON value.
    """
    buf = text[base:].encode("utf-8", errors="surrogatepass")
    try:
        leaves, _, _ = find(buf)
    except JSONWalkError:
        return None
    return buf, leaves


def _is_scalar(leaf: Leaf) -> bool:
    """Whether `leaf` is a string, number, true, false or null (not an empty object or array)."""
    return not isinstance(leaf.value, dict | list)


def _value_char(buf: bytes, base: int, leaf: Leaf) -> int:
    """The character of `d.text` a scalar leaf's value starts at (past a string's open quote)."""
    start = leaf.start + isinstance(leaf.value, str)
    return base + len(buf[:start].decode("utf-8", errors="surrogatepass"))


def _json_key(d: TokenDistribution, key: str) -> int:
    """The position of the value `json.loads` gives at top-level `key` of the answer's JSON.

    The JSON is looked for after any reasoning (as `at=None` skips it), the way
    `tokenprobs.fields` finds it; a key given twice is read at its last value, the one
    `json.loads` keeps. A string value is read at its first character, past the quote. Where the
    text holds no complete JSON (cut off by `max_tokens`), the last `"key":` that a depth count
    puts at the top level is read instead.

    Raises:
        LabelPositionError: If `key` is no top-level key (absent, or only nested: the message
            names its JSON pointer and `Char` offset), its value is an object or array, or the
            answer is still reasoning.
    """
    base = _answer_at(d)[1]
    parsed = _document(d.text, base)
    if parsed is None:
        return _char(d, _textual_key(d, key, base))
    buf, leaves = parsed
    mine = [leaf for leaf in leaves if leaf.path[:1] == (key,)]
    if mine and len(mine[-1].path) == 1 and _is_scalar(mine[-1]):
        return _char(d, _value_char(buf, base, mine[-1]))
    keys = _keys_of(leaves)  # the document parsed above, not again
    scalars = [k for k, ok in keys.items() if ok]
    options = "a position or a Char offset"
    if scalars:
        shown = ", ".join(map(repr, scalars[:6])) + (", ..." if len(scalars) > 6 else "")  # noqa: PLR2004
        options = f"a top-level key with a scalar value ({shown}), {options}"
    if mine:  # its last value is an object or an array
        raise LabelPositionError(_not_scalar(key, mine, buf, base, options))
    raise LabelPositionError(_not_top_level(key, leaves, buf, base, list(keys), options=options))


def _not_scalar(key: str, mine: list[Leaf], buf: bytes, base: int, options: str) -> str:
    """Why a top-level key whose last value is an object or an array gives no position."""
    last = mine[-1]
    if len(last.path) == 1:
        kind = "an empty object" if isinstance(last.value, dict) else "an empty array"
    else:
        kind = "an object" if isinstance(last.path[1], str) else "an array"
    inside = [leaf for leaf in mine if len(leaf.path) > 1 and _is_scalar(leaf)]
    first = (
        f"; pass at=Char({_value_char(buf, base, inside[0])}) to read the value at "
        f"{pointer(inside[0].path)} inside it, or at= {options}"
        if inside
        else f": pass at= {options}"
    )
    return (
        f"the value at top-level JSON key {key!r} is {kind}, not a string, number, true, false "
        f"or null, so no answer is read at one position{first}"
    )


def _not_top_level(
    key: str, leaves: list[Leaf], buf: bytes, base: int, keys: list[str], *, options: str
) -> str:
    """Why a key the answer's JSON has only nested, or not at all, gives no position."""
    nested = [
        (leaf, leaf.path[: n + 1])
        for leaf in leaves
        for n, step in enumerate(leaf.path)
        if step == key and isinstance(step, str)
    ]
    doc = "object" if keys else "array" if leaves and leaves[0].path else "value"
    if not nested:
        shown = ", ".join(map(repr, keys[:6])) + (", ..." if len(keys) > 6 else "")  # noqa: PLR2004
        return (
            f"no JSON key {key!r} in the answer's JSON {doc} (top-level keys: {shown or 'none'})"
            f": pass at= {options}"
        )
    leaf, path = nested[0]
    where = dict.fromkeys(pointer(p) for _, p in nested)
    more = f" (and {len(where) - 1} more)" if len(where) > 1 else ""
    read = (
        f"pass at=Char({_value_char(buf, base, leaf)}) to read the value at {pointer(path)}"
        if leaf.path == path and _is_scalar(leaf)
        else f"pass at= the position or Char offset of a value inside {pointer(path)}"
    )
    return (
        f"{key!r} is not a top-level key of the answer's JSON {doc}: it is nested, at "
        f"{pointer(path)}{more}, and at= names a top-level key (the value json.loads gives "
        f"there); {read}, or at= {options}"
    )


def _textual_key(d: TokenDistribution, key: str, base: int) -> int:
    """The character a truncated or broken JSON answer's top-level `"key":` value starts at.

    Raises:
        LabelPositionError: If no top-level `"key":` with a value follows (only a nested one:
            the message gives its `Char` offset), or its value opens an object or an array.
    """
    text = d.text
    found = [k for k in scan_keys(text, base) if k.key == key and k.value < len(text)]
    top = [k for k in found if k.top]
    cut = " (cut off: raise max_tokens)" if d.incomplete or d.finish_reason == "length" else ""
    if not top:
        nested = (
            f"; {key!r} is only nested (by a depth count), its value at Char({found[0].value})"
            if found
            else ""
        )
        msg = (
            f"no JSON key {key!r} with a value at the top level of the text, which holds no "
            f"complete JSON{cut}{nested}: pass at= a position or a Char offset"
        )
        raise LabelPositionError(msg)
    value = top[-1].value
    if text[value] in "{[":
        msg = (
            f"the value at JSON key {key!r} opens an object or an array, in a text that holds "
            f"no complete JSON{cut}, so no answer is read at one position: pass at= a position "
            "or a Char offset"
        )
        raise LabelPositionError(msg)
    return value


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
