"""Azure's filter fields, tool-call answers, and SSE text around any chunks."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tokenprobs._said import check_flag
from tokenprobs.testing._chat import chat_completion
from tokenprobs.testing._entries import CREATED, choices_of, chunk_list

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "AZURE_FILTER",
    "azure",
    "azure_chunks",
    "sse",
    "tool_call_chunks",
    "tool_call_completion",
]

AZURE_FILTER: dict[str, Any] = {
    "hate": {"filtered": False, "severity": "safe"},
    "self_harm": {"filtered": False, "severity": "safe"},
    "sexual": {"filtered": False, "severity": "safe"},
    "violence": {"filtered": False, "severity": "safe"},
}
"""A content filter result as Azure OpenAI sends it (nothing filtered)."""


def azure(body: dict[str, Any]) -> dict[str, Any]:
    """A chat or legacy body as Azure OpenAI returns it.

    `prompt_filter_results` on top and `content_filter_results` on each choice.

    Raises:
        TypeError: `body` is not a chat or legacy body (chunks go to `azure_chunks`).
    """
    choices = choices_of(body, "azure(body)")
    return {
        **body,
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": AZURE_FILTER}],
        "choices": [{**c, "content_filter_results": AZURE_FILTER} for c in choices],
    }


def azure_chunks(chunks: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Chat or legacy chunks as Azure OpenAI streams them.

    A first chunk with `choices: []`, `object: ""` and `prompt_filter_results`; the content
    chunks carrying `content_filter_results`; a filter-only chunk (`object: ""`, a choice with
    only `content_filter_results` and offsets) in the middle and another before the end.

    Raises:
        TypeError: `chunks` is not a list of chunk dicts.
        ValueError: `chunks` is empty.
    """
    chunks = chunk_list(chunks, "azure_chunks(chunks)", returns="chat_chunks()")
    empty = {"id": "", "object": "", "created": 0, "model": ""}
    first = {
        **empty,
        "choices": [],
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": AZURE_FILTER}],
    }
    late = {
        **empty,
        "choices": [
            {
                "index": 0,
                "finish_reason": None,
                "content_filter_results": AZURE_FILTER,
                "content_filter_offsets": {"check_offset": 0, "start_offset": 0, "end_offset": 4},
            }
        ],
    }
    body = [
        {
            **c,
            "choices": [
                {**ch, "content_filter_results": AZURE_FILTER}
                if ch.get("logprobs") is not None
                else ch
                for ch in c["choices"]
            ],
        }
        for c in chunks
    ]
    middle = len(body) // 2
    return [first, *body[:middle], late, *body[middle:-1], late, body[-1]]


_TOOL_CALL = {
    "id": "call_test",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
}


def tool_call_completion(*, model: str = "gpt-4o-mini-2024-07-18") -> dict[str, Any]:
    """A chat completion whose choice is a tool call, with `logprobs=True`.

    OpenAI gives `logprobs.content: null` there: the arguments carry no logprobs.
    """
    body = chat_completion([], model=model, finish_reason="tool_calls")
    body["choices"][0]["message"] = {
        "role": "assistant",
        "content": None,
        "refusal": None,
        "tool_calls": [_TOOL_CALL],
    }
    body["choices"][0]["logprobs"] = {"content": None, "refusal": None}
    return body


def tool_call_chunks(*, model: str = "gpt-4o-mini-2024-07-18") -> list[dict[str, Any]]:
    """A streamed tool call with `logprobs=True`: `logprobs.content: null` in every chunk."""
    head = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": CREATED}
    call = {**_TOOL_CALL, "index": 0, "function": {"name": "get_weather", "arguments": ""}}
    pieces = ['{"city"', ': "Paris"}']

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {
            "index": 0,
            "delta": delta,
            "logprobs": {"content": None, "refusal": None} if finish is None else None,
            "finish_reason": finish,
        }
        return {**head, "model": model, "choices": [choice]}

    return [
        chunk({"role": "assistant", "content": None, "tool_calls": [call]}),
        *(chunk({"tool_calls": [{"index": 0, "function": {"arguments": p}}]}) for p in pieces),
        chunk({}, "tool_calls"),
    ]


def sse(chunks: Sequence[dict[str, Any]], *, done: bool = True) -> str:
    """Server-sent events text for chunks (`data: {...}` blocks), ending in `[DONE]`.

    Raises:
        TypeError: `chunks` is not a list of dicts (a str or one chunk would be written
            character by character or key by key).
    """
    check_flag(done, "done", "end with data: [DONE]")
    # no chunk at all is an empty stream, which a test may want
    chunks = chunk_list(chunks, "sse(chunks)", returns="chat_chunks()", empty=True)
    body = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks)
    return body + ("data: [DONE]\n\n" if done else "")
