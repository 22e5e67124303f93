"""Chat Completions: `choices[i].logprobs.content` (or `.refusal`), and compatible variants."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tokenprobs.adapters import completions
from tokenprobs.adapters._columns import columns_from_entries
from tokenprobs.adapters._common import choice_index, get, plain, select, seq
from tokenprobs.exceptions import MissingLogprobsError, UnsupportedResponseError

if TYPE_CHECKING:
    from tokenprobs.models import TokenDistribution

__all__ = ["TOOL_CALL_HINT", "choice_logprobs", "filters", "parse_choice", "parse_choices"]

TOOL_CALL_HINT = (
    "ask for a text answer instead: on OpenAI, tool-call arguments carry no logprobs "
    "(logprobs.content is null for a tool call, streamed or not); for arguments with "
    "logprobs, have the model write them as text or structured output (response_format)"
)
_TOOL_REASONS = ("tool_calls", "function_call")
_FILTER_HINT = (
    "send a prompt the content filter lets through, or change the deployment's filter settings "
    "(Azure OpenAI): the filter withheld the answer and its logprobs, whether or not they were "
    "asked for"
)


def parse_choices(
    obj: Any,  # noqa: ANN401 - a ChatCompletion or its dict
    *,
    choice: int | None,
    hint: str | None = None,
    table: list[bytes] | None = None,
) -> list[TokenDistribution]:
    """One distribution per choice of a chat completion (only `choice` when it is given)."""
    choices = seq(get(obj, "choices"), "choices")
    if choices is None:
        msg = "a chat completion needs a list of choices"
        raise UnsupportedResponseError(msg, field="choices")
    picked = select(choices, choice)
    model = get(obj, "model")
    prompt_filters = get(obj, "prompt_filter_results")
    return [
        parse_choice(
            c,
            path=f"choices[{i}]",
            choice=index,
            model=model if isinstance(model, str) else None,
            response=obj,
            hint=hint,
            table=table,
            prompt_filter_results=None if prompt_filters is None else plain(prompt_filters),
        )
        for i, index, c in picked
    ]


def parse_choice(
    c: Any,  # noqa: ANN401 - a chat Choice or its dict
    *,
    path: str = "choice",
    choice: int | None = None,
    hint: str | None = None,
    table: list[bytes] | None = None,
    **meta: Any,  # noqa: ANN401 - model, response, prompt_filter_results
) -> TokenDistribution:
    """The distribution of one chat choice (`response.choices[i]`, an SDK `Choice` or its dict)."""
    message = get(c, "message")
    reason = _reason(get(c, "finish_reason"))
    tool_call = reason in _TOOL_REASONS or bool(
        get(message, "tool_calls") or get(message, "function_call")
    )
    if "response" not in meta:
        meta["response"] = c
    d = choice_logprobs(
        get(c, "logprobs"),
        path=f"{path}.logprobs",
        source="chat",
        choice=choice_index(c, 0) if choice is None else choice,
        finish_reason=reason,
        hint=TOOL_CALL_HINT if tool_call else hint,
        table=table,
        message=message,
        tool_call=tool_call,
        content_filter_results=filters(get(c, "content_filter_results")),
        **meta,
    )
    return completions.with_choice_ids(d, c, path=path)


def filters(value: object) -> list[Any] | None:
    """Azure's `content_filter_results` of one choice as the field keeps them (a list)."""
    return None if value is None else [plain(value)]


def choice_logprobs(
    logprobs: Any,  # noqa: ANN401 - ChoiceLogprobs, its dict, or a compatible server's variant
    *,
    path: str = "logprobs",
    source: str = "chat",
    hint: str | None = None,
    table: list[bytes] | None = None,
    message: Any = None,  # noqa: ANN401 - the choice's message, when there is one
    tool_call: bool = False,
    **meta: Any,  # noqa: ANN401 - choice, finish_reason, model, response
) -> TokenDistribution:
    """The distribution of one choice's `logprobs` object.

    `content` when it is a list; else `refusal` (the distribution says `refusal=True`); the
    legacy shape (`tokens`/`token_logprobs`) that Together returns inside chat responses. A tool
    call without logprobs raises `MissingLogprobsError` saying that tool calls carry none; so
    does a message with text whose `content` is null or empty (the answer lost its logprobs).
    """
    if logprobs is None:
        what = (
            f"{path} is null: the response carries no logprobs"
            if path != "logprobs"
            else "no logprobs"
        )
        if tool_call:
            what = f"{path} is null: the choice is a tool call, whose arguments carry no logprobs"
        elif meta.get("finish_reason") == "content_filter":
            what = f"{path} is null: the content filter stopped the choice (finish_reason "
            what += "'content_filter'; its content_filter_results say which category)"
            hint = _FILTER_HINT
        raise MissingLogprobsError(what, endpoint="chat.completions", hint=hint)
    meta["content"] = message_text(message, "content")
    content: list[Any] | None
    refusal: list[Any] | None
    if isinstance(logprobs, list):  # a server's bare list of entries: the content's
        content, refusal, where = logprobs, None, path
    else:
        if get(logprobs, "tokens") is not None and get(logprobs, "content") is None:
            return completions.legacy_logprobs(
                logprobs, path=path, source=f"{source}.legacy", **meta
            )
        content = seq(get(logprobs, "content"), f"{path}.content")
        refusal = seq(get(logprobs, "refusal"), f"{path}.refusal")
        where = f"{path}.content"
        if content is None and refusal:
            meta["content"] = message_text(message, "refusal")
            return columns_from_entries(refusal, f"{path}.refusal", table=table).build(
                source, refusal=True, **meta
            )
        if content is None and not _has_known_field(logprobs):
            msg = "expected a logprobs object with content or refusal"
            raise UnsupportedResponseError(msg, field=path)
    if not content and tool_call:
        what = (
            f"{where} is {'null' if content is None else 'empty'}: the choice is a tool "
            "call, whose arguments carry no logprobs"
        )
        raise MissingLogprobsError(what, endpoint="chat.completions", hint=hint)
    text = meta["content"]
    if not content and not refusal and isinstance(text, str) and text:
        what = (
            f"{where} is {'null' if content is None else 'empty'} although the message "
            f"has {len(text)} characters of text: the answer came without its logprobs"
        )
        raise MissingLogprobsError(what, endpoint="chat.completions", hint=hint)
    return columns_from_entries(content or [], where, table=table).build(source, **meta)


def message_text(message: Any, key: str) -> str | None:  # noqa: ANN401 - a message or its dict
    """A message's `content` (or `refusal`) text: `""` where null, `None` without a message."""
    if message is None:
        return None
    value = get(message, key)
    if value is None:
        return ""
    return value if isinstance(value, str) else None


def _has_known_field(logprobs: Any) -> bool:  # noqa: ANN401
    if isinstance(logprobs, dict):
        return "content" in logprobs or "refusal" in logprobs
    return hasattr(logprobs, "content") or hasattr(logprobs, "refusal")


def _reason(value: object) -> str | None:
    """A `finish_reason` as text (a server may send another type): `None` stays `None`."""
    return None if value is None else str(value)
