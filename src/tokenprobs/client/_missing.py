"""What to say when an answer to a request for logprobs carries none.

The parser's `MissingLogprobsError` says how to ask for logprobs. When tokenprobs made the request,
they were asked for: the server ignored them, and the error says that instead (llama.cpp gets its
own hint). Shared by plain answers (`_call.finish`) and streams (`DistributionStream`).
"""

from __future__ import annotations

from tokenprobs._urls import public_url
from tokenprobs.exceptions import MissingLogprobsError

__all__ = ["reworded"]

_LLAMA_HINT = (
    "llama.cpp returns no logprobs unless top_logprobs is given: pass top_logprobs=k "
    "(0 gives the sampled token alone)"
)


_IGNORED_HINT = (
    "use a server and model that return logprobs (docs/compatibility.md lists which do, and the "
    "option each needs); tokenprobs already sent {sent}"
)

_SENT = {
    "chat.completions": "logprobs=True and top_logprobs",
    "responses": 'include=["message.output_text.logprobs"] and top_logprobs',
    "completions": "logprobs=k (k is the top_logprobs given)",
}
"""What tokenprobs sends each endpoint to ask for logprobs, as the hint names it."""


def reworded(
    exc: MissingLogprobsError, model: object, *, server: str | None, base_url: str | None
) -> MissingLogprobsError | None:
    """The error to raise instead of the parser's `exc`, or `None` when its words stand.

    Args:
        exc: What the parser raised.
        model: The model the answer names, if any.
        server: The server that answered (`"llama.cpp"` ...), when known.
        base_url: The client's base URL.
    """
    if server == "llama.cpp":
        what = "the llama.cpp server returned no logprobs"
        return MissingLogprobsError(what, endpoint=exc.endpoint, hint=_LLAMA_HINT)
    if not exc.not_requested:
        return None  # the parser knows the cause (a tool call, a refusal ...)
    where = public_url(base_url) if base_url else "the default OpenAI endpoint"
    what = (
        f"the server at {where} answered{f' model {model!r}' if model else ''} without "
        "logprobs although the request asked for them: it ignored `logprobs`"
    )
    sent = _SENT.get(exc.endpoint or "", "the parameters that ask for them")
    return MissingLogprobsError(what, endpoint=exc.endpoint, hint=_IGNORED_HINT.format(sent=sent))
