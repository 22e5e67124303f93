"""What `tp.parse` is given that is no response: refused, saying what to pass instead."""

from __future__ import annotations

from typing import Any

from tokenprobs.adapters._common import get
from tokenprobs.exceptions import MissingLogprobsError, UnsupportedResponseError

__all__ = ["refuse_anthropic", "refuse_message"]


def refuse_anthropic(obj: Any) -> None:  # noqa: ANN401
    """An Anthropic Messages API response (`type: "message"`, `stop_reason`): no logprobs.

    Raises:
        MissingLogprobsError: Always for such a response: Claude's API returns none, so
            nothing can ask for them.
    """
    if get(obj, "type") != "message" or get(obj, "stop_reason", ...) is ...:
        return
    msg = (
        f"an Anthropic Messages API response (model {get(obj, 'model')!r}): Anthropic's API "
        "returns no logprobs"
    )
    raise MissingLogprobsError(
        msg,
        hint="ask a model whose API returns them (OpenAI's, an OpenAI-compatible server such "
        "as vLLM or llama.cpp, Ollama, Gemini with response_logprobs); see docs/compatibility.md",
    )


def refuse_message(obj: Any) -> None:  # noqa: ANN401
    """A message (`response.choices[i].message`, `response.output[k]`) has no logprobs: say where.

    Raises:
        UnsupportedResponseError: `obj` is a message (it has a `role`), whose `content` would
            otherwise be read as a logprobs object's.
    """
    if not isinstance(role := get(obj, "role"), str) or get(obj, "logprobs", ...) is not ...:
        return
    if isinstance(get(obj, "content"), list | tuple):
        msg = (
            f"this is a Responses output item (a {role} message), not a response: pass the "
            "whole response, whose output items' logprobs tp.parse reads in order"
        )
    else:
        msg = (
            f"this is a chat message (role {role!r}), which carries no logprobs: they are "
            "beside it, on its choice; pass the choice (response.choices[i]) or the whole "
            "response"
        )
    raise UnsupportedResponseError(msg)
