"""What a server answered instead of what was asked.

No API response, no event stream, a failure, fewer alternatives than asked for.

Shared by the plain call (`_call.finish`) and the streams (`_stream`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tokenprobs._warn import warn
from tokenprobs.adapters._common import get
from tokenprobs.adapters._plausible import capped
from tokenprobs.adapters.responses import failed
from tokenprobs.exceptions import APIResponseError, UnsupportedResponseError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from tokenprobs.models import TokenDistribution

__all__ = [
    "cut_short",
    "failed",
    "failure",
    "fewer",
    "fewer_in",
    "not_a_stream",
    "not_an_api_response",
    "undecodable",
]


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


def undecodable(exc: json.JSONDecodeError) -> UnsupportedResponseError:
    """The SDK could not decode a successful answer's body (cut short, or not JSON)."""
    msg = (
        f"the server answered with a body that is not valid JSON ({exc.msg} at character "
        f"{exc.pos}): it was cut short or is not an API response; retry, or check the base_url"
    )
    return UnsupportedResponseError(msg)


def cut_short(body: bytes) -> UnsupportedResponseError | None:
    """`undecodable`'s error for a body that begins as JSON but does not decode, else None."""
    if body.lstrip()[:1] not in (b"{", b"["):
        return None
    try:
        json.loads(body)
    except json.JSONDecodeError as exc:
        return undecodable(exc)
    except ValueError:  # not UTF-8: not JSON that broke off
        return None
    return None


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


def fewer(d: TokenDistribution, asked: int | None) -> TokenDistribution:
    """`d`, after a `TokenprobsWarning` if it is `capped` below the `asked` top_logprobs.

    The message leaves out the answer's length, so the default warnings filter shows it once per
    call site, not once per call.
    """
    if (msg := capped([d], asked)) is not None:
        warn(msg)
    return d


def fewer_in(results: Iterable[TokenDistribution | Exception], asked: int | None) -> None:
    """One `TokenprobsWarning` if the answers among `results` are `capped` (a run's, a stream's).

    The answers are taken together: a cap holds every position of every answer to one count.
    """
    answers = [r for r in results if not isinstance(r, BaseException)]
    if (msg := capped(answers, asked)) is not None:
        warn(msg)
