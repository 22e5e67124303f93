r"""The page's JSON read field by field, strictly: one reader per kind of field, one error.

Every reader names the field in its error (`seed must be an integer ..., got '7' (a string)`),
so a request or a saved session that is wrong says where. Integers are read as integers (never
through `float`, which rounds above 2**53), numbers as finite floats, and text as text UTF-8
can encode (a lone surrogate, `"\\ud800"`, is valid JSON but cannot be sent or shown).
"""

from __future__ import annotations

import json
import math
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from starlette.requests import Request

__all__ = [
    "INT64",
    "MAX_BODY",
    "BodyTooLargeError",
    "SessionError",
    "bounded_body",
    "integer",
    "maybe_integer",
    "maybe_number",
    "maybe_text",
    "parse_json",
    "query_integer",
    "shown",
    "text",
]

INT64 = (-(2**63), 2**63 - 1)
"""The range of an integer field unless it says otherwise: what the servers read integers into
(vLLM bounds `seed` by it; a larger JSON integer is refused by every server)."""
_EXACT = 2**53
"""A float holds every integer up to this exactly; past it `1e20` may not be what was meant."""
_DIGITS = re.compile(r"-?[0-9]{1,20}")
"""An integer as a query string or path writes it (20 digits hold every 64-bit integer)."""
_SHOWN = 40
"""Characters of a wrong value an error shows (a 400-digit number is cut)."""
MAX_BODY = 64 * 2**20
"""The largest request body the app reads, in bytes (64 MiB; a 4,096-token answer with 20
alternatives a position saves as 4.5 MiB); a larger body is a `413`, refused before it is read
whole."""


class SessionError(ValueError):
    """A request of the page, or a saved session, that cannot be read (the message says where)."""


class BodyTooLargeError(SessionError):
    """A request body larger than `MAX_BODY` (the app answers `413`)."""


async def bounded_body(request: Request) -> bytes:
    """The request's body, refused as soon as it is known to pass `MAX_BODY`.

    Raises:
        BodyTooLargeError: Its `Content-Length`, or what arrived of it, is past `MAX_BODY`.
    """
    msg = f"the request's body is larger than the playground reads ({MAX_BODY} bytes)"
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise BodyTooLargeError(msg)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise BodyTooLargeError(msg)
        chunks.append(chunk)
    return b"".join(chunks)


def shown(value: object) -> str:
    """`repr(value)` cut to a readable length, with its type when that is the problem."""
    text = repr(value)
    if len(text) > _SHOWN:
        text = f"{text[:_SHOWN]}… ({len(text)} characters)"
    kinds = {bool: "a boolean", str: "a string", list: "a list", dict: "an object"}
    kind = kinds.get(type(value))
    return f"{text} ({kind})" if kind else text


def integer(
    data: Mapping[str, object],
    name: str,
    lo: int = INT64[0],
    hi: int = INT64[1],
    *,
    where: str = "",
) -> int:
    """`data[name]`: an integer from `lo` to `hi`; its errors name it `where + name`.

    A float is taken when it is a whole number a float holds exactly (a browser may write `16.0`).

    Raises:
        SessionError: It is missing, not an integer (a boolean, a string, a fraction), or out of
            range.
    """
    field = where + name
    if data.get(name) is None:
        msg = f"{field} is missing: give an integer from {lo} to {hi}"
        raise SessionError(msg)
    value = data[name]
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        if abs(value) > _EXACT:
            msg = f"{field} must be written as digits, got {shown(value)} (inexact past 2**53)"
            raise SessionError(msg)
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        msg = f"{field} must be an integer, got {shown(value)}"
        raise SessionError(msg)
    if not lo <= value <= hi:
        msg = f"{field} must be an integer from {lo} to {hi}, got {shown(value)}"
        raise SessionError(msg)
    return value


def maybe_integer(
    data: Mapping[str, object], name: str, *bounds: int, where: str = ""
) -> int | None:
    """`integer(data, name, *bounds, where=where)`, or None when the field is missing or null."""
    return None if data.get(name) is None else integer(data, name, *bounds, where=where)


def maybe_number(
    data: Mapping[str, object],
    name: str,
    lo: float = -math.inf,
    hi: float = math.inf,
    *,
    where: str = "",
) -> float | None:
    """`data[name]`: a finite number from `lo` to `hi`, or None when missing or null.

    Raises:
        SessionError: It is not a number (a boolean, a string such as `"nan"`), not finite
            (`1e400`, `10**400`), or out of range.
    """
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"{where}{name} must be a number, got {shown(value)}"
        raise SessionError(msg)
    try:
        number = float(value)
    except OverflowError:  # an integer past the floats: 10**400
        number = math.inf
    if not math.isfinite(number) or not lo <= number <= hi:
        bounds = f" from {lo} to {hi}" if math.isfinite(lo) or math.isfinite(hi) else ""
        msg = f"{where}{name} must be a finite number{bounds}, got {shown(value)}"
        raise SessionError(msg)
    return number


def text(
    data: Mapping[str, object], name: str, default: str | None = None, *, where: str = ""
) -> str:
    r"""`data[name]`: a string UTF-8 can encode (`default` when missing or null, if given).

    Raises:
        SessionError: It is missing (without a default), not a string, or holds a lone
            surrogate (`"\\ud800"`, which no server can be sent and no page shown).
    """
    value = data.get(name)
    if value is None and default is not None:
        return default
    if not isinstance(value, str):
        msg = f"{where}{name} must be a string, got {shown(value)}"
        raise SessionError(msg)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        msg = (
            f"{where}{name} holds a lone surrogate ({value[exc.start]!r} at character "
            f"{exc.start}), which UTF-8 cannot encode: write the character itself (or both "
            "halves of its surrogate pair)"
        )
        raise SessionError(msg) from None
    return value


def maybe_text(data: Mapping[str, object], name: str, *, where: str = "") -> str | None:
    """`text(...)`, or None when the field is missing or null."""
    return None if data.get(name) is None else text(data, name, where=where)


def query_integer(
    params: Mapping[str, str], name: str, default: int | None = None, lo: int = 0
) -> int:
    """`params[name]` (a query string or a path part): digits, an integer from `lo` up.

    Raises:
        SessionError: It is missing (without a default), or not such an integer.
    """
    raw = params.get(name)
    if raw is None and default is not None:
        return default
    if raw is None:
        msg = f"{name} is missing: give it as ?{name}=<integer>"
        raise SessionError(msg)
    if not _DIGITS.fullmatch(raw):
        msg = (
            f"{name} must be an integer from {lo} up, got {shown(raw).removesuffix(' (a string)')}"
        )
        raise SessionError(msg)
    return integer({name: int(raw)}, name, lo)


def parse_json(raw: str | bytes, what: str) -> object:
    """`raw` read as JSON.

    Raises:
        SessionError: It is not JSON (or nested too deep, or an integer too long, to read).
    """
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        msg = f"{what} is not JSON that can be read ({type(exc).__name__}: {exc})"
        raise SessionError(msg) from None
