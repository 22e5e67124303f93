"""Shapes of real traffic from more servers (issue 12), built with tokenprobs.testing.

Each test reproduces a real shape seen in public recordings: Azure OpenAI's filter chunks, tool
calls with logprobs on OpenAI, a single `Choice`, Responses streams' rounded copies, control
tokens that never reach the content, lmdeploy's GPT-2 symbol bytes, llama.cpp's llama-server.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.completion import Completion

import tokenprobs as tp
from tokenprobs import testing

POSITIONS = [("Hi", -0.1, [("Hi", -0.1), ("Yo", -2.0)]), (" 국", -0.4, []), ("!", -0.2, [])]


def _sdk_chunk(chunk: dict, cls: type) -> object:
    """An SDK chunk as the SDK's stream builds it, with `construct`.

    Azure's `object: ""` does not validate against the SDK's `Literal`; the SDK's stream does
    not validate chunks either.
    """
    return cls.construct(**chunk)


def _stream_forms(chunks: list[dict], cls: type) -> dict[str, object]:
    return {
        "dicts": chunks,
        "sse": testing.sse(chunks),
        "sse-bytes": testing.sse(chunks).encode(),
        "json": json.dumps(chunks),
        "sdk": [_sdk_chunk(c, cls) for c in chunks],
        "sdk-iter": iter([_sdk_chunk(c, cls) for c in chunks]),
    }


# --- 12.1 Azure OpenAI streams --------------------------------------------------------------

AZURE_CHAT = testing.azure_chunks(testing.chat_chunks(POSITIONS))
AZURE_LEGACY = testing.azure_chunks(testing.completion_chunks(POSITIONS))


@pytest.mark.parametrize("form", list(_stream_forms(AZURE_CHAT, ChatCompletionChunk)))
def test_azure_chat_stream_parses_with_its_filter_results(form):
    """Azure's filter-only chunks (first, middle, last) are accepted; the results are kept."""
    d = tp.parse(_stream_forms(AZURE_CHAT, ChatCompletionChunk)[form])
    whole = tp.parse(testing.chat_completion(POSITIONS))
    assert d.source == "chat.stream"
    assert d.tokens == whole.tokens
    assert np.array_equal(d.logprobs, whole.logprobs)
    assert d.text == d.content == "Hi 국!"
    assert not d.incomplete
    assert d.prompt_filter_results == [
        {"prompt_index": 0, "content_filter_results": testing.AZURE_FILTER}
    ]
    carried = sum("content_filter_results" in ch for c in AZURE_CHAT for ch in c["choices"])
    assert carried > 2
    assert d.content_filter_results == [testing.AZURE_FILTER] * carried
    again = tp.TokenDistribution.model_validate_json(d.model_dump_json())
    assert again == d
    assert again.prompt_filter_results == d.prompt_filter_results


@pytest.mark.parametrize("form", list(_stream_forms(AZURE_LEGACY, Completion)))
def test_azure_legacy_stream_parses(form):
    """An Azure legacy Completions stream parses, filter chunks and all."""
    d = tp.parse(_stream_forms(AZURE_LEGACY, Completion)[form])
    assert d.source == "completions.stream"
    assert d.tokens == ["Hi", " 국", "!"]
    assert d.prompt_filter_results is not None
    assert d.content_filter_results


def test_azure_stream_accumulator_ignores_filter_chunks_for_growth():
    """StreamAccumulator.feed takes Azure's filter chunks and reports no growth for them."""
    acc = tp.StreamAccumulator()
    grew = [acc.feed(c) for c in AZURE_CHAT]
    assert grew[0] == []
    assert acc.kind == "chat"
    assert acc.distribution().tokens == ["Hi", " 국", "!"]


@pytest.mark.parametrize(
    ("body", "cls"),
    [
        pytest.param(testing.azure(testing.chat_completion(POSITIONS)), ChatCompletion, id="chat"),
        pytest.param(testing.azure(testing.completion(POSITIONS)), Completion, id="legacy"),
    ],
)
def test_azure_whole_response_keeps_filter_results(body, cls):
    """A non-streamed Azure response keeps prompt and content filter results too, in every form."""
    for form in (body, json.dumps(body), json.dumps(body).encode(), cls.model_validate(body)):
        d = tp.parse(form)
        assert d.prompt_filter_results == body["prompt_filter_results"]
        assert d.content_filter_results == [testing.AZURE_FILTER]


def test_a_filter_only_stream_has_no_chunks():
    """A stream of nothing but filter chunks says it carried no chunks (a typed error)."""
    with pytest.raises(tp.UnsupportedResponseError, match="no chunks"):
        tp.parse(AZURE_CHAT[:1])


# --- 12.6 a single Choice ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "cls", "source"),
    [
        pytest.param(testing.chat_completion(POSITIONS), ChatCompletion, "chat", id="chat"),
        pytest.param(testing.completion(POSITIONS), Completion, "completions", id="legacy"),
    ],
)
def test_parse_a_single_choice(body, cls, source):
    """tp.parse(response.choices[i]) works on SDK Choice objects and their dicts."""
    body = testing.chat_completion(POSITIONS, [("B", -0.5, [])]) if source == "chat" else body
    whole = tp.parse_all(body)
    sdk = cls.model_validate(body)
    for i, expected in enumerate(whole):
        for c in (body["choices"][i], sdk.choices[i], sdk.choices[i].model_dump()):
            d = tp.parse(c)
            assert d.source == source
            assert d.choice == expected.choice == i
            assert d.tokens == expected.tokens
            assert d.content == expected.content
            assert d.finish_reason == expected.finish_reason
            assert d.response is c
            assert tp.parse_all(c) == [d]


def test_a_choice_without_logprobs_says_how_to_ask():
    """A Choice whose logprobs are null raises MissingLogprobsError with the hint."""
    c = testing.chat_completion(POSITIONS)["choices"][0]
    c["logprobs"] = None
    with pytest.raises(tp.MissingLogprobsError, match="logprobs=True"):
        tp.parse(c)


# --- 12.3 tool calls ----------------------------------------------------------------------

TOOL_MESSAGE = "tool-call arguments carry no logprobs"


def _tool_forms() -> dict[str, object]:
    body = testing.tool_call_completion()
    chunks = testing.tool_call_chunks()
    return {
        "dict": body,
        "json": json.dumps(body),
        "sdk": ChatCompletion.model_validate(body),
        "choice": ChatCompletion.model_validate(body).choices[0],
        "chunks": chunks,
        "sse": testing.sse(chunks),
        "sdk-chunks": [ChatCompletionChunk.model_validate(c) for c in chunks],
    }


@pytest.mark.parametrize("form", list(_tool_forms()))
def test_tool_call_raises_missing_logprobs_saying_why(form):
    """A tool call (content null in every chunk) is a MissingLogprobsError naming tool calls."""
    with pytest.raises(tp.MissingLogprobsError, match=TOOL_MESSAGE) as info:
        tp.parse(_tool_forms()[form])
    assert "tool call" in str(info.value)
    assert not info.value.not_requested if hasattr(info.value, "not_requested") else True


def test_responses_function_call_raises_missing_logprobs():
    """A Responses output with only a function call raises the same error, streamed or not."""
    body = testing.response([])
    body["output"] = [
        {
            "type": "function_call",
            "id": "fc_test",
            "call_id": "call_test",
            "name": "get_weather",
            "arguments": '{"city": "Paris"}',
            "status": "completed",
        }
    ]
    events = [{"type": "response.completed", "sequence_number": 0, "response": body}]
    for form in (body, json.dumps(body), events, testing.sse(events)):
        with pytest.raises(tp.MissingLogprobsError, match=TOOL_MESSAGE):
            tp.parse(form)


def test_tool_call_stream_in_progress_is_not_an_error():
    """While a tool-call stream is still running, the accumulator gives an empty distribution."""
    acc = tp.StreamAccumulator()
    for c in testing.tool_call_chunks()[:-1]:
        acc.feed(c)
    assert len(acc.distribution(incomplete=True)) == 0
