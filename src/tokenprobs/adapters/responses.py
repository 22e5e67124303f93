"""Responses API: `output[].content[]` parts of type `output_text` carrying `logprobs`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tokenprobs.adapters._columns import Columns, columns_from_entries
from tokenprobs.adapters._common import get, seq
from tokenprobs.adapters.chat import TOOL_CALL_HINT
from tokenprobs.exceptions import MissingLogprobsError, UnsupportedResponseError

if TYPE_CHECKING:
    from tokenprobs.models import TokenDistribution

__all__ = ["parse_response"]

# a tuple: `in` works on any value, hashable or not
_CALLS = ("function_call", "custom_tool_call", "mcp_call")


def parse_response(
    obj: Any,  # noqa: ANN401 - a Response or its dict
    *,
    hint: str | None = None,
    table: list[bytes] | None = None,
    values_from: str = "response",
) -> TokenDistribution:
    """The distribution of a Response: its `output_text` parts' logprobs, concatenated in order.

    Raises:
        MissingLogprobsError: Text without logprobs, or only function calls (whose arguments
            carry no logprobs).
    """
    output = seq(get(obj, "output"), "output")
    if output is None:
        msg = "a response needs an output list"
        raise UnsupportedResponseError(msg, field="output")
    cols = Columns()
    text_without_logprobs = False
    saw_text = saw_refusal = saw_call = False
    texts: list[str] = []
    for k, item in enumerate(output):
        saw_call |= get(item, "type") in _CALLS
        if get(item, "type") != "message":
            continue
        parts = seq(get(item, "content"), f"output[{k}].content") or []
        for j, part in enumerate(parts):
            saw_refusal |= get(part, "type") == "refusal"
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
        content="".join(texts),
        values_from=values_from,
    )
