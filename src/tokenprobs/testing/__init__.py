r"""Builders of valid fake responses, for your tests and ours.

A position is `(token, logprob, alternatives)`, an alternative `(token, logprob)`. A token given
as `bytes` is partial UTF-8: it is written the way the API writes it (`\xea\xb5` as literal
backslash-escaped hex, with the real `bytes`). Each builder returns the wire-format `dict`;
`json.dumps` it for a body, or pass it to the SDK's `model_validate` (except what the servers
send and the SDK's types do not allow: `completion_chunks` carry `finish_reason: null` before
the last, `azure_chunks` Azure's `object: ""` chunks, and a legacy body a `None` logprob (the
echoed first prompt token, the only place a body takes one); the SDK reads those without
validating). A malformed position (a lone position not in a list, a missing logprob, a NaN, a
dict of alternatives, a `None` logprob in a chat or Responses body, a token with a lone
surrogate) is a `TypeError` or `ValueError` naming it.

Examples:
    >>> import tokenprobs as tp
    >>> from tokenprobs.testing import chat_completion
    >>> body = chat_completion([("한", -0.1, []), (b"\xea\xb5", -0.2, []), (b"\xad", 0.0, [])])
    >>> tp.parse(body).text
    '한국'
"""

from tokenprobs.client import no_sleep
from tokenprobs.testing._chat import chat_chunks, chat_completion
from tokenprobs.testing._entries import Alternative, Position
from tokenprobs.testing._legacy import completion, completion_chunks, response, response_events
from tokenprobs.testing._vllm import vllm_prompt_logprobs, vllm_token_ids
from tokenprobs.testing._wire import (
    AZURE_FILTER,
    azure,
    azure_chunks,
    sse,
    tool_call_chunks,
    tool_call_completion,
)

__all__ = [
    "AZURE_FILTER",
    "Alternative",
    "Position",
    "azure",
    "azure_chunks",
    "chat_chunks",
    "chat_completion",
    "completion",
    "completion_chunks",
    "no_sleep",
    "response",
    "response_events",
    "sse",
    "tool_call_chunks",
    "tool_call_completion",
    "vllm_prompt_logprobs",
    "vllm_token_ids",
]
