"""Responses API: `output[].content[]` parts of type `output_text` carrying `logprobs`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tokenprobs.adapters._common import Columns, columns_from_entries, get, seq
from tokenprobs.exceptions import MissingLogprobsError, UnsupportedResponseError

if TYPE_CHECKING:
    from tokenprobs.models import TokenDistribution

__all__ = ["parse_response"]


def parse_response(
    obj: Any,  # noqa: ANN401 - a Response or its dict
    *,
    hint: str | None = None,
    table: list[bytes] | None = None,
) -> TokenDistribution:
    """The distribution of a Response: its `output_text` parts' logprobs, concatenated in order."""
    output = seq(get(obj, "output"), "output")
    if output is None:
        msg = "a response needs an output list"
        raise UnsupportedResponseError(msg, field="output")
    cols = Columns()
    text_without_logprobs = False
    saw_text = saw_refusal = False
    for k, item in enumerate(output):
        if get(item, "type") != "message":
            continue
        parts = seq(get(item, "content"), f"output[{k}].content") or []
        for j, part in enumerate(parts):
            saw_refusal |= get(part, "type") == "refusal"
            if get(part, "type") != "output_text":
                continue
            saw_text = True
            path = f"output[{k}].content[{j}].logprobs"
            entries = seq(get(part, "logprobs"), path)
            if not entries:
                text_without_logprobs |= bool(get(part, "text"))
                continue
            cols.extend(columns_from_entries(entries, path, table=table))
    if not len(cols) and text_without_logprobs:
        msg = "the response's output_text parts carry no logprobs"
        raise MissingLogprobsError(msg, endpoint="responses", hint=hint)
    status = get(obj, "status")
    model = get(obj, "model")
    return cols.build(
        "responses",
        finish_reason=status if isinstance(status, str) else None,
        refusal=saw_refusal and not saw_text,
        incomplete=status == "incomplete",
        model=model if isinstance(model, str) else None,
        response=obj,
    )
