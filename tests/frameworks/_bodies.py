"""The bodies the loopback server answers with: recorded real responses and built ones.

Each case is a pair (plain body, stream body) of one endpoint, so a test can call a framework
both ways and compare with parsing the same body directly.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import pytest
from tests._recorded import RECORDED

from tokenprobs.testing import chat_chunks, chat_completion, response, response_events, sse

# Korean split over two tokens (partial UTF-8), an emoji, and alternatives at every position
POSITIONS = [
    ("Hi", -0.105, [("Hi", -0.105), ("Hello", -2.4)]),
    (" 한", -0.31, [(" 한", -0.31), (" there", -1.5)]),
    (b"\xea\xb5", -0.2, [(b"\xea\xb5", -0.2), (" 世", -2.1)]),
    (b"\xad", -0.0001, [(b"\xad", -0.0001), ("!", -9.5)]),
    (" 💙", -1.25, [(" 💙", -1.25), (".", -0.9)]),
]


def recorded(name: str) -> str:
    """A recorded body's text."""
    return (RECORDED / name).read_text(encoding="utf-8")


class Case(NamedTuple):
    """A plain body and a stream (SSE text) of one endpoint."""

    body: dict[str, Any]
    stream: str


RECORDED_CHAT = Case(
    json.loads(recorded("chat_gpt-4o-mini_top2_openai_apiref_example.json")),
    recorded("chat_stream_gpt-4o-2024-08-06_logprobs_foo.sse"),
)
BUILT_CHAT = Case(chat_completion(POSITIONS), sse(chat_chunks(POSITIONS)))
CHAT = [pytest.param(RECORDED_CHAT, id="recorded"), pytest.param(BUILT_CHAT, id="built")]
"""Chat completions and chat streams."""

BUILT_RESPONSES = Case(response(POSITIONS), sse(response_events(POSITIONS)))
RESPONSES = [
    pytest.param(
        Case(
            json.loads(recorded("responses_gpt-4o-mini_output_text_logprobs_top0.json")),
            BUILT_RESPONSES.stream,
        ),
        id="recorded",
    ),
    pytest.param(BUILT_RESPONSES, id="built"),
]
"""Responses bodies and Responses streams (the recorded body is not streamed: a built stream)."""

NO_LOGPROBS = json.loads(recorded("chat_gpt-4o-mini_logprobs_not_requested_null.json"))
"""A real chat completion asked without logprobs (`"logprobs": null`)."""


def without_logprobs(body: dict[str, Any]) -> dict[str, Any]:
    """A chat completion as sent when logprobs were not asked for (`"logprobs": null`)."""
    return {**body, "choices": [{**c, "logprobs": None} for c in body["choices"]]}


NO_LOGPROBS_STREAM = sse(
    [
        {**c, "choices": [{**ch, "logprobs": None} for ch in c["choices"]]}
        for c in chat_chunks(POSITIONS)
    ]
)
"""A chat stream whose chunks carry `"logprobs": null` (not asked for)."""
