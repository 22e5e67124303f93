"""What a server answered instead of what was asked.

No API response, no event stream, a failure, fewer alternatives than asked for.

Shared by the plain call (`_call.finish`) and the streams (`_stream`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tokenprobs._warn import warn
from tokenprobs.adapters._common import get
from tokenprobs.adapters.responses import failed
from tokenprobs.exceptions import APIResponseError, UnsupportedResponseError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tokenprobs.models import TokenDistribution

__all__ = [
    "capped",
    "failed",
    "failure",
    "fewer",
    "fewer_in",
    "not_a_stream",
    "not_an_api_response",
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


SEEN_CAP = 2
"""How many positions holding one count below the asked make a cap: one position short may be
two tokens of the same text merged (llama-cpp-python), two alike are a pattern."""


def fewer(d: TokenDistribution, asked: int | None) -> TokenDistribution:
    """`d`, after a `TokenprobsWarning` if it is `capped` below the `asked` top_logprobs.

    The message leaves out the answer's length, so the default warnings filter shows it once per
    call site, not once per call.
    """
    if (msg := capped([d], asked)) is not None:
        warn(msg)
    return d


def fewer_in(
    results: list[TokenDistribution | Exception], asked: int | None
) -> list[TokenDistribution | Exception]:
    """`results`, after one `TokenprobsWarning` (at the end of a run) if its answers are `capped`.

    The answers are taken together: a cap holds every position of every answer to one count.
    """
    answers = [r for r in results if not isinstance(r, BaseException)]
    if (msg := capped(answers, asked)) is not None:
        warn(msg)
    return results


def capped(answers: Sequence[TokenDistribution], asked: int | None) -> str | None:
    """Why `answers` hold fewer alternatives than the `asked` top_logprobs; `None` if they do not.

    Servers and gateways may cap the alternatives without saying so (Azure takes 20 and returns
    5; LMDeploy returned 4 of 5), or ignore top_logprobs. A cap leaves every position the same
    count; fewer at some positions only is no cap: OpenAI documents that a position may hold
    fewer than asked, and llama-cpp-python, which keys alternatives by their text, merges two
    tokens of the same text (most often at k in the hundreds). So this needs `SEEN_CAP`
    positions or more that hold one count below `asked`, or alternatives at no position at
    all. A position with none among positions with some is left out (an echoed prompt's first).
    """
    if not asked:
        return None
    counts = [len(t) for d in answers for t in d.top_tokens]
    if not counts:
        return None
    held = [n for n in counts if n]
    if not held:
        return (
            f"top_logprobs={asked} was asked, but no position holds any alternative (only the "
            "sampled tokens' logprobs came back): the server (or a gateway) ignores "
            "top_logprobs, so nothing is known of the tail at any position"
        )
    if len(held) < SEEN_CAP or not (most := max(held)) == min(held) < asked:
        return None
    return (
        f"top_logprobs={asked} was asked, but every position holds {most} alternative(s): the "
        "server (or a gateway) caps them without saying so. The tail mass, bounds and exact "
        f"flags are those of the {most} returned; ask for top_logprobs={most} to match what "
        "it sends"
    )
