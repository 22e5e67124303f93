"""Server-sent events: the JSON payloads of an SSE body, `[DONE]` noted, a cut-off end dropped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tokenprobs._json import loads as json_loads
from tokenprobs._said import a_type
from tokenprobs.exceptions import UnsupportedResponseError

__all__ = ["SSE", "looks_like_sse", "parse_sse"]


@dataclass(frozen=True, slots=True)
class SSE:
    """The JSON payloads of a server-sent-events body, and how it ended."""

    payloads: list[Any]
    done: bool
    """A `data: [DONE]` line was seen."""
    truncated: bool
    """The body stopped inside an event (its last event is incomplete and was dropped)."""


def _text(text: object, name: str) -> str:
    """`text`, or a TypeError that says a body is a str (bytes decoded first)."""
    if isinstance(text, str):
        return text
    fix = (
        " (decode it: body.decode('utf-8'), or pass it to tp.parse)"
        if isinstance(text, bytes | bytearray)
        else ""
    )
    msg = f"{name}() reads an SSE body as a str, got {a_type(text)}{fix}"
    raise TypeError(msg)


def looks_like_sse(text: str) -> bool:
    """Whether a text body is server-sent events rather than JSON.

    Raises:
        TypeError: If `text` is not a str.
    """
    head = _text(text, "looks_like_sse").lstrip()[:16]
    return head.startswith(("data:", "event:", "id:", ":"))


def parse_sse(text: str) -> SSE:
    """Split an SSE body into its JSON payloads (`[DONE]` noted, a cut-off last event dropped).

    Raises:
        TypeError: If `text` is not a str.
        UnsupportedResponseError: If an event that is not the last is not valid JSON.
    """
    text = _text(text, "parse_sse").replace("\r\n", "\n").replace("\r", "\n")
    blocks = text.split("\n\n")
    complete, last = blocks[:-1], blocks[-1]
    payloads: list[Any] = []
    done = truncated = False
    for n, block in enumerate([*complete, last]):
        data = "\n".join(
            line[5:].removeprefix(" ") for line in block.split("\n") if line.startswith("data:")
        )
        if not data:
            continue
        if data.strip() == "[DONE]":
            done = True
            continue
        try:
            payloads.append(json_loads(data))
        except ValueError as exc:
            if n == len(complete):  # the unterminated last event: the body was cut here
                truncated = True
                continue
            msg = f"event {n} is not valid JSON ({exc})"
            raise UnsupportedResponseError(msg, field="sse") from exc
    return SSE(payloads, done, truncated)
