r"""Builders of valid fake responses, for your tests and ours.

A position is `(token, logprob, alternatives)`, an alternative `(token, logprob)`. A token given
as `bytes` is partial UTF-8: it is written the way the API writes it (`\xea\xb5` as literal
backslash-escaped hex, with the real `bytes`). Each builder returns the wire-format `dict`;
`json.dumps` it for a body, or pass it to the SDK's `model_validate`.

Examples:
    >>> import tokenprobs as tp
    >>> from tokenprobs.testing import chat_completion
    >>> body = chat_completion([("한", -0.1, []), (b"\xea\xb5", -0.2, []), (b"\xad", 0.0, [])])
    >>> tp.parse(body).text
    '한국'
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Sequence
from typing import Any

from tokenprobs._retry import no_sleep

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
]

Alternative = tuple[str | bytes, float]
"""`(token, logprob)`."""
Position = tuple[str | bytes, float | None, Sequence[Alternative]]
"""`(token, logprob, alternatives)`; a `None` logprob only where the API gives null (echo)."""

_CREATED = 1_700_000_000


def _token(tok: str | bytes) -> tuple[str, list[int]]:
    if isinstance(tok, str):
        return tok, list(tok.encode("utf-8"))
    try:
        return tok.decode("utf-8"), list(tok)
    except UnicodeDecodeError:
        return "".join(f"\\x{b:02x}" for b in tok), list(tok)


def _entry(tok: str | bytes, logprob: float | None, *, with_bytes: bool = True) -> dict[str, Any]:
    text, raw = _token(tok)
    out: dict[str, Any] = {"token": text, "logprob": logprob}
    if with_bytes:
        out["bytes"] = raw
    return out


def _entries(positions: Sequence[Position], *, with_bytes: bool = True) -> list[dict[str, Any]]:
    return [
        {
            **_entry(tok, lp, with_bytes=with_bytes),
            "top_logprobs": [_entry(t, v, with_bytes=with_bytes) for t, v in alts],
        }
        for tok, lp, alts in positions
    ]


def _text(positions: Sequence[Position]) -> str:
    raw = b"".join(bytes(_token(tok)[1]) for tok, _, _ in positions)
    return raw.decode("utf-8", errors="replace")


def _deltas(positions: Sequence[Position]) -> list[str]:
    """The text each token adds, as a stream's deltas carry it (a split character when whole)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    return [decoder.decode(bytes(_token(tok)[1])) for tok, _, _ in positions]


def chat_completion(
    *choices: Sequence[Position],
    model: str = "gpt-4o-mini-2024-07-18",
    refusal: bool = False,
    finish_reason: str = "stop",
) -> dict[str, Any]:
    """A Chat Completions body with one choice per positional argument (`n = len(choices)`)."""
    out = []
    for i, positions in enumerate(choices):
        entries, text = _entries(positions), _text(positions)
        out.append(
            {
                "index": i,
                "message": {
                    "role": "assistant",
                    "content": None if refusal else text,
                    "refusal": text if refusal else None,
                },
                "logprobs": {
                    "content": None if refusal else entries,
                    "refusal": entries if refusal else None,
                },
                "finish_reason": finish_reason,
            }
        )
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": _CREATED,
        "model": model,
        "choices": out,
        "usage": {
            "prompt_tokens": 5,
            "completion_tokens": len(choices[0]) if choices else 0,
            "total_tokens": 5 + (len(choices[0]) if choices else 0),
        },
    }


def chat_chunks(
    *choices: Sequence[Position],
    model: str = "gpt-4o-2024-08-06",
    refusal: bool = False,
    usage: bool = True,
    finish_reason: str = "stop",
) -> list[dict[str, Any]]:
    """The chunks of a streamed chat completion, choices interleaved position by position.

    Like the API: a first chunk per choice with `content: []`, one chunk per token (its delta
    the characters it completes), a finish chunk with `logprobs: null`, then (with `usage`) a
    chunk with `choices: []`.
    """
    field, other = ("refusal", "content") if refusal else ("content", "refusal")

    def chunk(choice: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": "chatcmpl-test",
            "object": "chat.completion.chunk",
            "created": _CREATED,
            "model": model,
            "choices": [choice],
        }

    chunks = [
        chunk(
            {
                "index": i,
                "delta": {"role": "assistant", field: "", other: None},
                "logprobs": {field: [], other: None},
                "finish_reason": None,
            }
        )
        for i in range(len(choices))
    ]
    longest = max((len(c) for c in choices), default=0)
    deltas = [_deltas(c) for c in choices]
    for j in range(longest):
        for i, positions in enumerate(choices):
            if j < len(positions):
                entry = _entries([positions[j]])
                chunks.append(
                    chunk(
                        {
                            "index": i,
                            "delta": {field: deltas[i][j]},
                            "logprobs": {field: entry, other: None},
                            "finish_reason": None,
                        }
                    )
                )
    chunks += [
        chunk({"index": i, "delta": {}, "logprobs": None, "finish_reason": finish_reason})
        for i in range(len(choices))
    ]
    if usage:
        chunks.append(
            {
                **chunk({}),
                "choices": [],
                "usage": {
                    "prompt_tokens": 5,
                    "completion_tokens": longest,
                    "total_tokens": 5 + longest,
                },
            }
        )
    return chunks


def _legacy(positions: Sequence[Position], *, top: bool, offset: int) -> dict[str, Any]:
    tokens = [_token(tok)[0] for tok, _, _ in positions]
    offsets, at = [], offset
    for tok, _, _ in positions:
        offsets.append(at)
        at += len(bytes(_token(tok)[1]).decode("utf-8", errors="replace"))
    return {
        "tokens": tokens,
        "token_logprobs": [lp for _, lp, _ in positions],
        "top_logprobs": [
            None if lp is None else {_token(t)[0]: v for t, v in alts} for _, lp, alts in positions
        ]
        if top
        else None,
        "text_offset": offsets,
    }


def completion(
    *choices: Sequence[Position],
    model: str = "gpt-3.5-turbo-instruct",
    top: bool = True,
    prompt_offset: int = 0,
    finish_reason: str = "length",
) -> dict[str, Any]:
    """A legacy Completions body; `top=False` gives `top_logprobs: null` (as `logprobs=0` does)."""
    return {
        "id": "cmpl-test",
        "object": "text_completion",
        "created": _CREATED,
        "model": model,
        "choices": [
            {
                "index": i,
                "text": _text(p),
                "finish_reason": finish_reason,
                "logprobs": _legacy(p, top=top, offset=prompt_offset),
            }
            for i, p in enumerate(choices)
        ],
    }


def completion_chunks(
    positions: Sequence[Position], *, model: str = "gpt-3.5-turbo-instruct"
) -> list[dict[str, Any]]:
    """A streamed legacy completion: one chunk per token, then a finish chunk."""
    chunks = []
    offset = 0
    for pos in positions:
        body = completion([pos], model=model, prompt_offset=offset)
        body["choices"][0]["finish_reason"] = None
        offset += len(body["choices"][0]["text"])
        chunks.append(body)
    end = completion([], model=model)
    end["choices"] = [{"index": 0, "text": "", "finish_reason": "length", "logprobs": None}]
    return [*chunks, end]


def response(
    positions: Sequence[Position], *, model: str = "gpt-4o-mini-2024-07-18"
) -> dict[str, Any]:
    """A Responses API body with one message and one `output_text` part carrying logprobs."""
    return {
        "id": "resp_test",
        "object": "response",
        "created_at": _CREATED,
        "model": model,
        "status": "completed",
        "output": [
            {
                "id": "msg_test",
                "type": "message",
                "role": "assistant",
                "status": "completed",
                "content": [
                    {
                        "type": "output_text",
                        "text": _text(positions),
                        "annotations": [],
                        "logprobs": _entries(positions),
                    }
                ],
            }
        ],
    }


def response_events(
    positions: Sequence[Position],
    *,
    model: str = "gpt-4o-mini-2024-07-18",
    rounded: bool = False,
    delta_bytes: bool = True,
) -> list[dict[str, Any]]:
    """Responses stream events: a delta per token, the part's `.done`, `response.completed`.

    As the API sends them, the delta events carry `bytes` and full-precision logprobs; with
    `rounded`, the `.done` event and `response.completed` carry copies rounded to 6 decimals
    (`-0.0`, `-2e-06`), as observed. `delta_bytes=False` leaves `bytes` out of the deltas.
    """
    base = {"item_id": "msg_test", "output_index": 0, "content_index": 0}
    events: list[dict[str, Any]] = [
        {
            "type": "response.created",
            "sequence_number": 0,
            "response": {**response([], model=model), "status": "in_progress", "output": []},
        }
    ]
    copies = [_rounded(p) for p in positions] if rounded else list(positions)
    for pos, delta in zip(positions, _deltas(positions), strict=True):
        events.append(
            {
                "type": "response.output_text.delta",
                "sequence_number": len(events),
                **base,
                "delta": delta,
                "logprobs": _entries([pos], with_bytes=delta_bytes),
            }
        )
    events.append(
        {
            "type": "response.output_text.done",
            "sequence_number": len(events),
            **base,
            "text": _text(positions),
            "logprobs": _entries(copies, with_bytes=False),
        }
    )
    events.append(
        {
            "type": "response.completed",
            "sequence_number": len(events),
            "response": response(copies, model=model),
        }
    )
    return events


def _rounded(pos: Position) -> Position:
    tok, lp, alts = pos
    return (
        tok,
        None if lp is None else round(lp, 6),
        [(t, round(v, 6)) for t, v in alts],
    )


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
    """
    return {
        **body,
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": AZURE_FILTER}],
        "choices": [{**c, "content_filter_results": AZURE_FILTER} for c in body["choices"]],
    }


def azure_chunks(chunks: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Chat or legacy chunks as Azure OpenAI streams them.

    A first chunk with `choices: []`, `object: ""` and `prompt_filter_results`; the content
    chunks carrying `content_filter_results`; a filter-only chunk (`object: ""`, a choice with
    only `content_filter_results` and offsets) in the middle and another before the end.
    """
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
    head = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": _CREATED}
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
    """Server-sent events text for chunks (`data: {...}` blocks), ending in `[DONE]`."""
    body = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks)
    return body + ("data: [DONE]\n\n" if done else "")
