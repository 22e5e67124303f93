"""Responses API: `output[].content[]` parts of type `output_text` carrying `logprobs`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tokenprobs.adapters._columns import Columns, columns_from_entries
from tokenprobs.adapters._common import error_body, get, plain, seen, seq
from tokenprobs.adapters.chat import TOOL_CALL_HINT
from tokenprobs.exceptions import APIResponseError, MissingLogprobsError, UnsupportedResponseError

if TYPE_CHECKING:
    from tokenprobs.models import TokenDistribution

__all__ = ["failed", "failure_of", "parse_response"]

# tuples, not sets: `in` then works on any value, hashable or not
_CALLS = ("function_call", "custom_tool_call", "mcp_call")


def parse_response(  # noqa: C901
    obj: Any,  # noqa: ANN401 - a Response or its dict
    *,
    hint: str | None = None,
    table: list[bytes] | None = None,
    values_from: str = "response",
) -> TokenDistribution:
    """The distribution of a Response: its `output_text` parts' logprobs, concatenated in order.

    Raises:
        APIResponseError: The response failed (`status: "failed"`): the server's error.
        MissingLogprobsError: Text without logprobs, or only function calls (whose arguments
            carry no logprobs).
    """
    if (error := failed(obj)) is not None:
        raise error
    output = seq(get(obj, "output"), "output")
    if output is None:
        msg = "a response needs an output list"
        raise UnsupportedResponseError(msg, field="output")
    cols = Columns()
    text_without_logprobs = False
    saw_text = saw_refusal = saw_call = False
    texts: list[str] = []
    refusals: list[str] = []
    for k, item in enumerate(output):
        _object(item, f"output[{k}]", "an output item")
        saw_call |= get(item, "type") in _CALLS
        if get(item, "type") != "message":
            continue
        parts = seq(get(item, "content"), f"output[{k}].content") or []
        for j, part in enumerate(parts):
            _object(part, f"output[{k}].content[{j}]", "a content part")
            if get(part, "type") == "refusal":
                saw_refusal = True
                if isinstance(said := get(part, "refusal"), str):
                    refusals.append(said)
            if get(part, "type") != "output_text":
                continue
            saw_text = True
            if isinstance(text := get(part, "text"), str):
                texts.append(text)
            path = f"output[{k}].content[{j}].logprobs"
            entries = seq(get(part, "logprobs"), path)
            if not entries:
                text_without_logprobs |= bool(get(part, "text"))
                continue
            cols.extend(columns_from_entries(entries, path, table=table))
    if not len(cols) and text_without_logprobs:
        msg = "the response's output_text parts carry no logprobs"
        raise MissingLogprobsError(msg, endpoint="responses", hint=hint)
    if not len(cols) and saw_call and not saw_text:
        msg = "the response is a function call, whose arguments carry no logprobs"
        raise MissingLogprobsError(msg, endpoint="responses", hint=TOOL_CALL_HINT)
    status = get(obj, "status")
    model = get(obj, "model")
    return cols.build(
        "responses",
        finish_reason=status if isinstance(status, str) else None,
        refusal=saw_refusal and not saw_text,
        incomplete=status == "incomplete",
        model=model if isinstance(model, str) else None,
        response=obj,
        content="".join(texts if saw_text or not saw_refusal else refusals),
        values_from=values_from,
    )


def _object(value: object, field: str, what: str) -> None:
    """Refuse an output item or content part that is no object (`null`, a string, a number).

    Raises:
        UnsupportedResponseError: `value` is neither a dict nor an SDK object.
    """
    if not isinstance(value, dict) and not hasattr(value, "model_dump"):
        msg = f"expected {what} (an object with a type), got {seen(value)}"
        raise UnsupportedResponseError(msg, field=field)


def failed(response: Any) -> APIResponseError | None:  # noqa: ANN401 - any SDK response
    """The server's error of a Responses response whose `status` is `"failed"`, else `None`.

    Its JSON body parses as that error (`tp.parse`); the SDK's object must say the same.
    """
    if get(response, "status") != "failed" or get(response, "choices") is not None:
        return None
    return failure_of(response)


def failure_of(response: Any) -> APIResponseError:  # noqa: ANN401 - any SDK response, or None
    """The server's error of a response known to have failed (`response.failed`'s, or `None`)."""
    error = plain(get(response, "error"))
    found = error_body({"error": error}) if isinstance(error, dict) else None
    return found or APIResponseError("the response failed; the server gave no error", body=error)
