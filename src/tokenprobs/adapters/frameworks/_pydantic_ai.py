"""pydantic-ai: `ModelResponse`, the run results that hold one, and a stream's accumulated parts.

Its OpenAI models keep logprobs when run with `model_settings={"openai_logprobs": True,
"openai_top_logprobs": k}`: `OpenAIChatModel` in `ModelResponse.provider_details["logprobs"]`
(a streamed run collects every chunk's there), `OpenAIResponsesModel` in each `TextPart`'s
`provider_details["logprobs"]` (a stream keeps the `response.output_text.done` event's copies,
which the API rounds and sends without `bytes`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tokenprobs.adapters import gemini
from tokenprobs.adapters._columns import Columns, columns_from_entries
from tokenprobs.adapters._common import seq
from tokenprobs.adapters.frameworks._base import missing, only_choice, version
from tokenprobs.exceptions import UnsupportedResponseError

if TYPE_CHECKING:
    from tokenprobs.models import TokenDistribution

__all__ = ["PREFIX", "parse_pydantic_ai"]

PREFIX = "pydantic_ai."
_STREAMED = ("StreamedRunResult", "StreamedRunResultSync")
_TOOL_HINT = (
    "ask for a text answer instead: on OpenAI, tool-call arguments carry no logprobs, and "
    "pydantic-ai's structured output is a tool call unless asked otherwise: "
    "Agent(..., output_type=NativeOutput(YourModel)) has the model write it as response_format "
    "text, whose tokens have logprobs"
)


def _hint() -> str:
    return (
        "run an OpenAI model (OpenAIChatModel or OpenAIResponsesModel) with "
        "model_settings={'openai_logprobs': True, 'openai_top_logprobs': k}; pydantic-ai-slim "
        f"{version('pydantic-ai-slim')} keeps them in ModelResponse.provider_details['logprobs'] "
        "(chat) or in each TextPart's provider_details['logprobs'] (Responses)"
    )


def parse_pydantic_ai(obj: Any, *, choice: int | None) -> list[TokenDistribution]:  # noqa: ANN401
    """One distribution from a `ModelResponse`, a run result, a streamed response or messages."""
    response, stream = _model_response(obj)
    only_choice(choice, "a pydantic-ai ModelResponse")
    details = response.provider_details or {}
    parts = [p for p in response.parts if type(p).__name__ == "TextPart"]
    content = "".join(p.content for p in parts)
    finish = details.get("finish_reason") or response.finish_reason
    model = response.model_name
    meta: dict[str, Any] = {
        "choice": 0,
        "model": model if isinstance(model, str) else None,
        "finish_reason": finish if isinstance(finish, str) else None,
        "response": obj,
        "content": content,
    }
    if (logprobs := details.get("logprobs")) is not None:
        path = "provider_details['logprobs']"
        if isinstance(logprobs, dict) and "chosen_candidates" in logprobs:  # GoogleModel's
            return [
                gemini.parse_result(
                    logprobs,
                    path=path,
                    content=content,
                    finish_reason=finish,
                    model=meta["model"],
                    response=obj,
                )
            ]
        cols = columns_from_entries(_entries(logprobs, path), path)
        return [cols.build("chat.stream" if stream else "chat", **meta)]
    cols = Columns()
    seen = chat_shaped = False
    for i, part in enumerate(response.parts):
        lp = (getattr(part, "provider_details", None) or {}).get("logprobs")
        if lp is not None and type(part).__name__ == "TextPart":
            seen = True
            chat_shaped |= isinstance(lp, dict) and "content" in lp  # xAI's {"content": [...]}
            path = f"parts[{i}].provider_details['logprobs']"
            cols.extend(columns_from_entries(_entries(lp, path), path))
    if not seen:
        raise _none(obj, response)
    if chat_shaped:
        return [cols.build("chat.stream" if stream else "chat", **meta)]
    return [
        cols.build(
            "responses.stream" if stream else "responses",
            incomplete=finish == "incomplete",
            values_from="response.output_text.done" if stream else "response",
            **meta,
        )
    ]


def _none(obj: Any, response: Any) -> Exception:  # noqa: ANN401
    """The error for a response without logprobs: a tool call's say why, not how to ask."""
    what = (
        f"the pydantic-ai {type(obj).__name__} carries no logprobs (neither its "
        "provider_details nor any TextPart's has 'logprobs')"
    )
    responses_api = str(response.provider_response_id or "").startswith("resp_")
    endpoint = "responses" if responses_api else "chat.completions"
    if any(type(p).__name__ == "ToolCallPart" for p in response.parts):
        what += ": it is a tool call, whose arguments carry no logprobs"
        return missing(what, hint=_TOOL_HINT, endpoint=endpoint, not_requested=False)
    return missing(what, hint=_hint(), endpoint="responses" if responses_api else None)


def _entries(value: object, path: str) -> list[Any]:
    """The OpenAI token entries a `provider_details['logprobs']` holds, else a typed error.

    A list of entries (OpenAI's models), or a logprobs object `{"content": [...]}` (xAI's).
    (Gemini's `logprobs_result`, `GoogleModel`'s, is read by `adapters.gemini` before.)

    Raises:
        UnsupportedResponseError: Anything but a list of entries.
    """
    if isinstance(value, dict) and "content" in value:
        return seq(value["content"], f"{path}['content']") or []
    return seq(value, path) or []


def _model_response(obj: Any) -> tuple[Any, bool]:  # noqa: ANN401
    """The `ModelResponse` an object holds, and whether it was streamed."""
    name = type(obj).__name__
    if isinstance(obj, list | tuple):
        for item in reversed(obj):
            inner = getattr(item, "result", None)  # AgentRunResultEvent, at a stream's end
            if inner is not None and hasattr(inner, "response"):
                return inner.response, True
            if type(item).__name__ == "ModelResponse":
                return item, False  # the last ModelResponse of all_messages()
    elif name == "ModelResponse":
        return obj, False
    elif name in _STREAMED or name == "AgentRunResult":
        return obj.response, name in _STREAMED
    elif name.endswith("StreamedResponse") and callable(getattr(obj, "get", None)):
        return obj.get(), True  # a model's own stream (model_request_stream)
    msg = (
        f"a pydantic-ai {name} holds no ModelResponse: pass a ModelResponse, an AgentRunResult "
        "or StreamedRunResult (after the stream ends), or result.all_messages()"
    )
    raise UnsupportedResponseError(msg)
