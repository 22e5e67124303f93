"""What a server answered instead of what was asked: no API response, no event stream, a failure.

Shared by the plain call (`_call.finish`) and the streams (`_stream`).
"""

from __future__ import annotations

from typing import Any

from tokenprobs.adapters._common import get
from tokenprobs.adapters.responses import failed
from tokenprobs.exceptions import APIResponseError, UnsupportedResponseError

__all__ = ["failed", "failure", "not_a_stream", "not_an_api_response"]


def not_an_api_response(body: bytes | str, content_type: str | None) -> UnsupportedResponseError:
    """The error for a 200 whose body is no API response (a login page, a wrong base_url)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    start = " ".join(text.split())[:60]
    kind = f"a body of type {content_type.split(';', 1)[0].strip()}" if content_type else "a body"
    msg = (
        f"the server answered with {kind} that is not an API response (it begins {start!r}): "
        "the base_url may point at a web page, a proxy's sign-in or the wrong path (on most "
        "servers it ends in /v1)"
    )
    return UnsupportedResponseError(msg)


def not_a_stream(sdk_stream: Any) -> tuple[Any, str] | None:  # noqa: ANN401 - the SDK's stream
    """The HTTP response and its content type when the server sent no event stream, else None."""
    response = getattr(sdk_stream, "response", None)
    headers = getattr(response, "headers", None)
    kind = headers.get("content-type", "") if headers is not None else ""
    return (response, kind) if kind and "event-stream" not in kind else None


def failure(chunk: Any) -> APIResponseError | None:  # noqa: ANN401 - any SDK chunk or event
    """The server's error of a Responses `response.failed` event; `None` for any other chunk."""
    if get(chunk, "type") != "response.failed":
        return None
    return failed(get(chunk, "response")) or failed({"status": "failed"})
