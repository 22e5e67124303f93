"""The byte-level JSON walk: every leaf of a document, with its path and its byte span.

Shared by `tokenprobs.fields` (a confidence per leaf) and `tokenprobs.labels` (`at="key"`: the
position of a top-level key's value), so it lives below both and imports only the standard
library.

One linear pass over the bytes, driven by a stack of open containers; string and number literals
are matched whole by regular expressions (RFC 8259's grammar, as strict as `json.loads`), and
each leaf's value is decoded by `json.loads` of its own literal, so escapes and surrogate pairs
come out exactly as `json.loads` of the whole document gives them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["JSONWalkError", "Leaf", "ScannedKey", "find", "pointer", "scan_keys", "walk"]

Path = tuple[str | int, ...]

_WS = re.compile(rb"[ \t\n\r]*")
_STRING = re.compile(rb'"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"')
_NUMBER = re.compile(rb"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_FENCE = re.compile(rb"```[ \t]*(?:json|JSON|jsonc)?[ \t]*\r?\n")
_LITERALS = {b"t": (b"true", True), b"f": (b"false", False), b"n": (b"null", None)}
_OPEN = frozenset(b"{[")


class JSONWalkError(ValueError):
    """No complete JSON value where one was looked for (the message says where reading stopped).

    `tokenprobs.fields` raises it as its `JSONNotFoundError`; `tokenprobs.labels` falls back to
    reading the text of a JSON answer that does not parse (cut off by `max_tokens`).
    """


@dataclass(frozen=True, slots=True)
class Leaf:
    """One leaf of the document: a scalar, or an empty object or array."""

    path: Path
    value: object
    start: int
    """Byte offset of the literal's first byte (a string's opening quote)."""
    end: int
    """Byte offset just past the literal (past a string's closing quote)."""


def pointer(path: Path) -> str:
    """The RFC 6901 JSON pointer of `path` (`("a/b", 0)` -> `"/a~1b/0"`)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


class _StoppedError(Exception):
    """Invalid JSON at byte `at`, inside the walk (`walk` raises it as a `JSONWalkError`)."""

    def __init__(self, msg: str, at: int) -> None:
        super().__init__(msg)
        self.at = at


def _fail(buf: bytes, at: int, what: str) -> _StoppedError:
    seen = buf[at : at + 12].decode("utf-8", errors="replace")
    return _StoppedError(f"invalid JSON at byte {at}: expected {what}, found {seen!r}", at)


def _string(buf: bytes, i: int, end: int) -> str:
    """The string literal `buf[i:end]` decoded, as `json.loads` of it in place gives it.

    Raises:
        _StoppedError: Its bytes are not UTF-8 (tokens whose bytes no content checked: a bare
            logprobs object), which JSON text must be.
    """
    try:
        return str(json.loads(buf[i:end]))
    except UnicodeDecodeError as exc:
        raise _fail(buf, i + exc.start, "UTF-8 text (JSON text is UTF-8)") from None


def _scalar(buf: bytes, i: int, path: Path, leaves: list[Leaf]) -> int:
    """Read the scalar literal at `i` into `leaves`; return the offset past it."""
    c = buf[i : i + 1]
    if c == b'"':
        m = _STRING.match(buf, i)
        if m is None:
            raise _fail(buf, i, "a complete string")
        end = m.end()
        # the literal is valid JSON, so json.loads decodes its escapes the way it would in place
        leaves.append(Leaf(path, _string(buf, i, end), i, end))
        return end
    lit = _LITERALS.get(c)
    if lit is not None:
        word, value = lit
        if not buf.startswith(word, i):
            raise _fail(buf, i, word.decode())
        leaves.append(Leaf(path, value, i, i + len(word)))
        return i + len(word)
    m = _NUMBER.match(buf, i)
    if m is None or m.end() == i:
        raise _fail(buf, i, "a value")
    end = m.end()
    text = buf[i:end]
    try:
        number: float = int(text) if text.lstrip(b"-").isdigit() else float(text)
    except ValueError:  # more digits than sys.get_int_max_str_digits(), as json.loads refuses
        msg = (
            f"the number at byte {i} ({end - i:,} characters) has more digits than Python "
            "reads as an int, as json.loads refuses it (sys.set_int_max_str_digits raises it)"
        )
        raise _StoppedError(msg, i) from None
    leaves.append(Leaf(path, number, i, end))
    return end


def _member(buf: bytes, j: int, expected: str) -> tuple[str, int]:
    """An object member's key at byte `j`, and where its value starts (past the colon)."""
    m = _STRING.match(buf, j)
    if m is None:
        raise _fail(buf, j, expected)
    key = _string(buf, j, m.end())
    k = _WS.match(buf, m.end()).end()  # type: ignore[union-attr]
    if buf[k : k + 1] != b":":
        raise _fail(buf, k, "':'")
    return key, _WS.match(buf, k + 1).end()  # type: ignore[union-attr]


def walk(buf: bytes, start: int = 0) -> tuple[list[Leaf], int]:
    """Every leaf of the JSON value starting at byte `start` (after optional whitespace).

    Returns:
        The leaves in document order, and the offset just past the value (before any trailing
        whitespace).

    Raises:
        JSONWalkError: If the bytes from `start` are not one complete JSON value.
    """
    try:
        return _read(buf, start)
    except _StoppedError as exc:
        raise JSONWalkError(str(exc)) from None


def _read(buf: bytes, start: int) -> tuple[list[Leaf], int]:  # noqa: C901, PLR0912 - one state machine
    """`walk`, failing with `_StoppedError`, which says where reading stopped."""
    leaves: list[Leaf] = []
    # per open container, whether it is an object; `keys` is the path to the value being read
    # (each container's current key or index), extended and cut in place: a copy per level would
    # cost memory quadratic in the depth (64,000 `[` of a looping model: gigabytes)
    objs: list[bool] = []
    keys: list[str | int] = []
    i = _WS.match(buf, start).end()  # type: ignore[union-attr]
    n = len(buf)
    while True:
        # --- a value is expected at i, at `keys`
        if i >= n:
            raise _fail(buf, i, "a value")
        c = buf[i]
        if c in _OPEN:
            obj = c == ord("{")
            j = _WS.match(buf, i + 1).end()  # type: ignore[union-attr]
            close = ord("}") if obj else ord("]")
            if j < n and buf[j] == close:
                leaves.append(Leaf(tuple(keys), {} if obj else [], i, j + 1))
                i = j + 1
            elif obj:
                key, i = _member(buf, j, "a key or '}'")
                objs.append(True)
                keys.append(key)
                continue
            else:
                objs.append(False)
                keys.append(0)
                i = j
                continue
        else:
            i = _scalar(buf, i, tuple(keys), leaves)
        # --- a value ended at i: close containers or move to the next member
        while True:
            if not objs:
                return leaves, i
            i = _WS.match(buf, i).end()  # type: ignore[union-attr]
            is_obj = objs[-1]
            c = buf[i] if i < n else -1
            if c == ord(","):
                j = _WS.match(buf, i + 1).end()  # type: ignore[union-attr]
                if is_obj:
                    keys[-1], i = _member(buf, j, "a key")
                else:
                    keys[-1] = int(keys[-1]) + 1
                    i = j
                break
            if c == (ord("}") if is_obj else ord("]")):
                objs.pop()
                keys.pop()
                i += 1
                continue
            raise _fail(buf, i, "',' or '}'" if is_obj else "',' or ']'")


def find(buf: bytes) -> tuple[list[Leaf], int, int]:
    """The JSON document in `buf`: the whole of it, a ```json fence's body, or inside prose.

    Tries, in order: the bytes from the first non-space byte; the body of each code fence; each
    `{` or `[` from the left. The first that reads as one complete JSON value wins. A `{` or `[`
    inside an attempt that read valid JSON up to it is never tried: it is a nested value of a
    document that is cut off (`finish_reason="length"`) or broken after it, and reading it as the
    document would give its leaves the wrong paths.

    Returns:
        The leaves, and the byte span `[start, end)` of the document.

    Raises:
        JSONWalkError: If no JSON object or array (or whole-text scalar) is in `buf`.
    """
    first = _WS.match(buf).end()  # type: ignore[union-attr]
    early = [first] + [m.end() for m in _FENCE.finditer(buf)]
    starts = early + [k for k in range(len(buf)) if buf[k] in _OPEN]
    errors: list[str] = []
    tried: set[int] = set()
    # where failed attempts read valid JSON: the first ones' spans; then, as the brackets are
    # tried from the left, how far any of them read. Both phases try starts from the left, so
    # "inside a span" is "before the furthest end of the spans begun before it", swept once (a
    # scan of every span per start was quadratic: 23 s for a looping model's 18,000 fences)
    read: list[tuple[int, int]] = []
    reached = swept = cover = 0
    for n, s in enumerate(starts):
        s = _WS.match(buf, s).end()  # type: ignore[union-attr]  # noqa: PLW2901
        bracket = n >= len(early)
        if n == len(early):
            swept = cover = 0  # the brackets start from the left again
        while swept < len(read) and read[swept][0] < s:
            cover = max(cover, read[swept][1])
            swept += 1
        inside = (bracket and s < reached) or s < cover
        if s in tried or s >= len(buf) or inside:
            continue
        tried.add(s)
        try:
            leaves, end = _read(buf, s)
        except _StoppedError as exc:
            errors.append(str(exc))
            if bracket:
                reached = max(reached, exc.at)
            else:
                read.append((s, exc.at))
            continue
        rest = _WS.match(buf, end).end()  # type: ignore[union-attr]
        if s == first and rest != len(buf) and buf[s] not in _OPEN:
            continue  # a number or word at the start of prose is not the document
        return leaves, s, end
    shown = f" (first attempt: {errors[0]})" if errors else ""
    msg = f"no JSON object or array in the {len(buf)}-byte text{shown}"
    raise JSONWalkError(msg)


# --- the textual fallback: keys of a JSON text that does not parse ---------------------------

_SCANNED = re.compile(r'"((?:[^"\\]|\\.)*)("?)|[{}\[\]]')
"""A string literal (group 2 empty where the text ends inside it) or a bracket, as the textual
fallback reads the text: escapes skipped, nothing else checked."""
_COLON = re.compile(r"\s*:\s*")


class ScannedKey(NamedTuple):
    """A `"key":` the textual fallback found: where its value starts, and whether at top level."""

    key: str
    """The key's text, escapes decoded (as spelt where it is no valid JSON string)."""
    value: int
    """Character offset of the value (past a string's opening quote; the text's length where
    nothing follows the colon)."""
    top: bool
    """Whether the key is outside any bracket or directly inside an outermost `{`."""


def scan_keys(text: str, base: int = 0) -> list[ScannedKey]:
    """Every `"key":` of `text[base:]`, and whether a depth count puts it at the top level.

    Top level is outside any bracket (a bare `"key": value` fragment) or directly inside an
    outermost `{`; a key inside a nested object or any array is not. This is the reading of a
    JSON answer that does not parse (cut off by `max_tokens`, or broken), so it stops at nothing.

    Examples:
        >>> [(k.key, k.top) for k in scan_keys('{"a": [{"b": 1}], "c": "x')]
        [('a', True), ('b', False), ('c', True)]
    """
    stack: list[str] = []
    found: list[ScannedKey] = []
    for m in _SCANNED.finditer(text, base):
        token = m.group()
        if token in ("{", "["):
            stack.append(token)
        elif token in ("}", "]"):
            if stack:
                stack.pop()
        elif m.group(2) and (colon := _COLON.match(text, m.end())):
            value = colon.end() + (text.startswith('"', colon.end()))
            found.append(ScannedKey(_key_text(m.group(1)), value, stack in ([], ["{"])))
    return found


def _key_text(spelt: str) -> str:
    r"""A JSON key as its text (`a\"b` is `a"b`), or as spelt where it is no valid JSON string."""
    try:
        text = json.loads(f'"{spelt}"')
    except ValueError:
        return spelt
    return text if isinstance(text, str) else spelt
