"""Bytes, files and text on their way to the JSON parser, and the raw-JSON fast path."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pydantic_core

from tokenprobs._said import a_type
from tokenprobs.adapters import chat, responses
from tokenprobs.adapters._fast_typed import decode_chat
from tokenprobs.adapters._lazy import FastPathMiss, RawTable
from tokenprobs.exceptions import UnsupportedResponseError

if TYPE_CHECKING:
    from tokenprobs.models import TokenDistribution

__all__ = ["as_data", "fast_parse", "not_a_body", "read_file", "read_path"]

# A JSON list of byte values, as every token entry carries: cut out before parsing (see below).
_BYTES_LIST = re.compile(rb'"bytes":\s*\[([0-9,\s]*)\]')
_FAST_MIN = 1 << 16
_SURROGATE = re.compile("[\ud800-\udfff]")
_BOM = b"\xef\xbb\xbf"


def fast_parse(data: bytes | str, *, choice: int | None) -> list[TokenDistribution] | None:  # noqa: PLR0911
    """The raw-JSON fast path for large chat and Responses bodies.

    Building ~100,000 small lists of byte values is most of the cost of parsing a large body.
    Each `"bytes": [...]` is replaced by an index into a table of the lists' text; the sampled
    tokens' lists are built at once, the alternatives' only when a position is read. Anything
    unexpected returns `None`, and the body is parsed the ordinary way. With msgspec installed
    (the `fast` extra), a chat body is first decoded by it into typed structs in one pass, with
    no regex split (`_fast_typed`); anything unexpected there falls back to the split.
    """
    if len(data) < _FAST_MIN or data.lstrip()[:1] not in (b"{", "{"):
        return None
    if isinstance(data, str):
        data = data.encode("utf-8", errors="surrogatepass")
    if (typed := decode_chat(data)) is not None:  # msgspec installed, and a chat body it knows
        try:
            return chat.parse_choices(typed, choice=choice, table=RawTable())
        except FastPathMiss:
            pass
    pieces = _BYTES_LIST.split(data)  # text, list, text, list, ..., text
    table: list[bytes] = pieces[1::2]
    pieces[1::2] = map(b'"bytes":%d'.__mod__, range(len(table)))
    try:
        parsed = pydantic_core.from_json(b"".join(pieces))
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    kind = parsed.get("object")
    try:
        if kind == "chat.completion":
            return chat.parse_choices(parsed, choice=choice, table=table)
        if kind == "response":
            return [responses.parse_response(parsed, table=table)]
    except FastPathMiss:
        return None
    return None


def as_data(raw: str | bytes | bytearray | memoryview) -> str | bytes:
    """`str` or `bytes` for the JSON parser (a `str` with lone surrogates as bytes: invalid).

    A leading UTF-8 byte order mark (a file saved by Notepad or PowerShell) is dropped.
    """
    if isinstance(raw, bytearray | memoryview):
        raw = bytes(raw)
    if isinstance(raw, bytes):
        return raw.removeprefix(_BOM)
    raw = raw.removeprefix("\ufeff")
    if _SURROGATE.search(raw):
        return raw.encode("utf-8", errors="surrogatepass")
    return raw


def read_path(path: os.PathLike[Any]) -> bytes:
    """A file's bytes, or `UnsupportedResponseError` naming it and why it could not be read."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        msg = f"cannot read {os.fspath(path)!r}: {exc.strerror or exc}"
        raise UnsupportedResponseError(msg) from exc


def read_file(f: Any) -> str | bytes:  # noqa: ANN401 - any object with .read()
    """What an open file (or any object with `.read()`) holds, as text or bytes."""
    data = f.read()
    if not isinstance(data, str | bytes | bytearray):
        msg = f"{type(f).__name__}.read() gave {a_type(data)}, not text or bytes"
        raise UnsupportedResponseError(msg)
    return bytes(data) if isinstance(data, bytearray) else data


_PATH_MAX = 4096


def _names_file(text: str) -> bool:
    """Whether a string that failed to parse is the name of an existing file."""
    if not text or len(text) > _PATH_MAX or "\n" in text or "\x00" in text:
        return False
    try:
        return Path(text).is_file()
    except (OSError, ValueError):
        return False


def not_a_body(raw: object, exc: ValueError) -> str:
    """The message for text that is no body (with a hint when the string names a file)."""
    if isinstance(raw, str) and _names_file(name := raw.strip()):
        return (
            f"the string {name!r} is not a response but names a file: pass "
            f"pathlib.Path({name!r}) to read it (a str is parsed as the body itself)"
        )
    return f"not JSON, SSE or NDJSON ({exc})"
