"""pydantic-ai: agent runs on OpenAIChatModel and OpenAIResponsesModel, plain and streamed."""

from __future__ import annotations

import json

import pytest
from google import genai
from google.genai.types import HttpOptions
from pydantic import BaseModel
from pydantic_ai import Agent
from pydantic_ai.direct import model_request_stream
from pydantic_ai.messages import ModelMessagesTypeAdapter, ModelRequest, ModelResponse, TextPart
from pydantic_ai.models.google import GoogleModel
from pydantic_ai.models.openai import OpenAIChatModel, OpenAIResponsesModel
from pydantic_ai.providers.google import GoogleProvider
from pydantic_ai.providers.openai import OpenAIProvider
from tests._gemini_bodies import BODY as GEMINI_BODY
from tests.frameworks._bodies import BUILT_CHAT, BUILT_RESPONSES, CHAT, NO_LOGPROBS, RESPONSES

import tokenprobs as tp
from tokenprobs import testing

SETTINGS = {"openai_logprobs": True, "openai_top_logprobs": 2}


def agent(server, model=OpenAIChatModel, **settings):
    """A real agent on an OpenAI model, pointed at the loopback server."""
    provider = OpenAIProvider(base_url=server.base_url, api_key="sk-test")
    return Agent(model("gpt-4o-mini", provider=provider), model_settings=settings or None)


@pytest.mark.parametrize("case", CHAT)
def test_chat_run_parses_as_the_body(server, case):
    """`result.response`, the result itself and `all_messages()` parse as the completion sent."""
    server.reply(case.body)
    result = agent(server, **SETTINGS).run_sync("hi")
    assert server.requests[0].body["logprobs"] is True
    expected = tp.parse(case.body)
    assert tp.parse(result.response) == expected
    assert tp.parse(result) == expected
    assert tp.parse(result.all_messages()) == expected


@pytest.mark.parametrize("case", CHAT)
async def test_chat_stream_parses_as_the_sse_body(server, case):
    """A streamed run collects every chunk's logprobs: it parses as the SSE body itself."""
    server.reply(case.stream)
    async with agent(server, **SETTINGS).run_stream("hi") as result:
        await result.get_output()
        d = tp.parse(result)
    assert d == tp.parse(case.stream)
    assert d.source == "chat.stream"


@pytest.mark.parametrize("case", RESPONSES)
def test_responses_run_parses_as_the_body(server, case):
    """On the Responses API the TextParts' logprobs parse as the Responses body."""
    server.reply(case.body)
    result = agent(server, OpenAIResponsesModel, **SETTINGS).run_sync("hi")
    assert server.requests[0].body["include"] == ["message.output_text.logprobs"]
    assert tp.parse(result) == tp.parse(case.body)


async def test_responses_stream_keeps_the_done_events_copies(server):
    """A Responses stream keeps `output_text.done`'s copies: same values, but no `bytes`."""
    expected = tp.parse(BUILT_RESPONSES.stream)
    server.reply(BUILT_RESPONSES.stream)
    async with agent(server, OpenAIResponsesModel, **SETTINGS).run_stream("hi") as result:
        await result.get_output()
        d = tp.parse(result)
    assert (d.source, d.values_from) == ("responses.stream", "response.output_text.done")
    assert d.tokens == expected.tokens
    assert d.logprobs.tolist() == expected.logprobs.tolist()
    assert d.top_tokens == expected.top_tokens
    assert d.top_logprobs.tolist() == expected.top_logprobs.tolist()
    assert all(b is None for b in d.token_bytes)
    assert d.content == expected.content


def test_no_logprobs_names_the_model_setting(server):
    """Run without `openai_logprobs`: the error names pydantic-ai's setting."""
    server.reply(NO_LOGPROBS)
    result = agent(server).run_sync("hi")
    with pytest.raises(tp.MissingLogprobsError, match="pydantic-ai AgentRunResult") as e:
        tp.parse(result)
    assert "'openai_logprobs': True" in str(e.value)
    assert e.value.not_requested


async def test_direct_stream_and_run_events_parse_as_the_sse_body(server):
    """`model_request_stream`'s StreamedResponse, and `run_stream_events()`'s list, parse too."""
    expected = tp.parse(BUILT_CHAT.stream)
    model = OpenAIChatModel(
        "gpt-4o-mini", provider=OpenAIProvider(base_url=server.base_url, api_key="sk-test")
    )
    server.reply(BUILT_CHAT.stream)
    request = [ModelRequest.user_text_prompt("hi")]
    async with model_request_stream(model, request, model_settings=SETTINGS) as stream:
        assert [event async for event in stream]
        assert tp.parse(stream) == expected
    server.reply(BUILT_CHAT.stream)
    async with agent(server, **SETTINGS).run_stream_events("hi") as run:
        events = [event async for event in run]
    assert type(events[-1]).__name__ == "AgentRunResultEvent"
    assert tp.parse(events) == expected


# what pydantic-ai's GoogleModel (google_logprobs=True) stores: the candidate's logprobs_result,
# `model_dump(mode="json")`ed (google-genai's LogprobsResult), not OpenAI token entries
GEMINI_LOGPROBS = {
    "chosen_candidates": [{"log_probability": -0.1, "token": "Hi", "token_id": 5}],
    "top_candidates": [
        {
            "candidates": [
                {"log_probability": -0.1, "token": "Hi", "token_id": 5},
                {"log_probability": -2.4, "token": "Hello", "token_id": None},
            ]
        },
    ],
    "log_probability_sum": -0.1,
}


def test_a_google_model_run_parses_as_the_gemini_body(server):
    """GoogleModel with `google_logprobs`: the run's response parses as the body it was sent."""
    client = genai.Client(api_key="test-key", http_options=HttpOptions(base_url=server.root))
    model = GoogleModel("gemini-2.0-flash", provider=GoogleProvider(client=client))
    settings = {"google_logprobs": True, "google_top_logprobs": 2}
    one = {**GEMINI_BODY, "candidates": GEMINI_BODY["candidates"][:1]}
    server.reply(one)
    result = Agent(model, model_settings=settings).run_sync("hi")
    config = server.requests[-1].body["generationConfig"]
    assert (config["responseLogprobs"], config["logprobs"]) == (True, 2)
    d = tp.parse(result)
    assert d == tp.parse(one)
    assert d.finish_reason == "stop"
    assert d.top_tokens == [["YES", "NO"], [" it", " is"]]


def test_a_response_stored_as_data_says_how_to_rebuild_it(server):
    """`ModelMessagesTypeAdapter.dump_python`'s response: refused with the rebuild, which works."""
    server.reply(BUILT_CHAT.body)
    result = agent(server, **SETTINGS).run_sync("hi")
    data = ModelMessagesTypeAdapter.dump_python([result.response], mode="json")[0]
    with pytest.raises(tp.UnsupportedResponseError, match=r"validate_python\(\[data\]\)\[0\]"):
        tp.parse(data)
    rebuilt = ModelMessagesTypeAdapter.validate_python([data])[0]
    assert tp.parse(rebuilt) == tp.parse(BUILT_CHAT.body)


def test_a_run_s_messages_stored_as_data_say_how_to_rebuild_them(server):
    """`all_messages_json()` (text, or loaded): refused with the rebuild, which parses."""
    server.reply(BUILT_CHAT.body)
    result = agent(server, **SETTINGS).run_sync("hi")
    text = result.all_messages_json()
    for stored in (text, json.loads(text)):
        with pytest.raises(tp.UnsupportedResponseError, match=r"validate_python\(data\)"):
            tp.parse(stored)
    rebuilt = ModelMessagesTypeAdapter.validate_json(text)
    assert tp.parse(rebuilt) == tp.parse(BUILT_CHAT.body)


def test_gemini_logprobs_result_in_provider_details_is_read():
    """`provider_details['logprobs']` holding a `logprobs_result` is Gemini's: read as such."""
    response = ModelResponse(
        parts=[TextPart("Hi")],
        provider_details={"logprobs": GEMINI_LOGPROBS, "finish_reason": "MAX_TOKENS"},
        model_name="gemini-2.5-flash",
    )
    d = tp.parse(response)
    assert (d.source, d.text, d.content, d.model) == ("gemini", "Hi", "Hi", "gemini-2.5-flash")
    assert d.finish_reason == "length"
    assert d.top_tokens == [["Hi", "Hello"]]
    assert d.token_ids.tolist() == [5]
    bad = {**GEMINI_LOGPROBS, "chosen_candidates": [{"log_probability": "x", "token": "Hi"}]}
    response = ModelResponse(parts=[TextPart("Hi")], provider_details={"logprobs": bad})
    with pytest.raises(tp.UnsupportedResponseError, match="a log-probability") as e:
        tp.parse(response)
    assert e.value.field == "provider_details['logprobs'].chosenCandidates[0].logProbability"


@pytest.mark.parametrize("where", ["response", "part"])
def test_logprobs_that_are_no_token_entries_are_named(where):
    """`provider_details['logprobs']` that is not a list of entries: a typed error naming it."""
    if where == "response":
        response = ModelResponse(
            parts=[TextPart("Hi")],
            provider_details={"logprobs": 5},
            model_name="gemini-2.5-flash",
        )
        field = "provider_details['logprobs']"
    else:
        part = TextPart("Hi", provider_details={"logprobs": 5})
        response = ModelResponse(parts=[part], model_name="gemini-2.5-flash")
        field = "parts[0].provider_details['logprobs']"
    with pytest.raises(
        tp.UnsupportedResponseError, match=r"expected a list, got an int \(5\)"
    ) as e:
        tp.parse(response)
    assert e.value.field == field


class City(BaseModel):
    """A structured output, which pydantic-ai asks for as a tool call by default."""

    city: str


def test_a_structured_output_tool_call_says_why_it_has_no_logprobs(server):
    """The default output tool's call has no logprobs: the error says so and names NativeOutput.

    Was: "run an OpenAI model with openai_logprobs", which the run had been.
    """
    body = testing.chat_completion([("x", -0.1, [])])
    call = {"id": "call_1", "type": "function", "function": {"name": "final_result"}}
    call["function"]["arguments"] = '{"city": "Paris"}'
    body["choices"][0] |= {"finish_reason": "tool_calls", "logprobs": {"content": None}}
    body["choices"][0]["message"] |= {"content": None, "tool_calls": [call]}
    server.reply(body)
    provider = OpenAIProvider(base_url=server.base_url, api_key="sk-test")
    model = OpenAIChatModel("gpt-4o-mini", provider=provider)
    result = Agent(model, output_type=City, model_settings=SETTINGS).run_sync("where?")
    assert result.output == City(city="Paris")
    with pytest.raises(tp.MissingLogprobsError, match="it is a tool call") as e:
        tp.parse(result)
    assert "NativeOutput" in str(e.value)
    assert not e.value.not_requested


# what pydantic-ai's XaiModel (xai_logprobs=True) stores in each TextPart: a logprobs object
# {"content": [entries]} (its `_map_logprobs`), not the bare list the OpenAI models store
XAI_ENTRIES = [
    {"token": "Hi", "bytes": [72, 105], "logprob": -0.1, "top_logprobs": []},
    {"token": "!", "bytes": [33], "logprob": -0.2, "top_logprobs": []},
]


def test_xais_logprobs_object_in_a_text_part_is_read():
    """The `{"content": [...]}` xAI keeps in a TextPart parses as the chat logprobs it mirrors.

    Was: UnsupportedResponseError "expected a list, got dict".
    """
    part = TextPart("Hi!", provider_details={"logprobs": {"content": XAI_ENTRIES}})
    response = ModelResponse(parts=[part], model_name="grok-4", provider_name="xai")
    d = tp.parse(response)
    expected = tp.parse({"content": XAI_ENTRIES})
    assert (d.source, d.tokens, d.content, d.model) == ("chat", ["Hi", "!"], "Hi!", "grok-4")
    assert d.logprobs.tolist() == expected.logprobs.tolist()
