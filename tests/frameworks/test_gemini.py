"""google-genai: `generate_content` and its stream, the SDK's own objects, against the loopback.

The real SDK builds the request (`generationConfig.responseLogprobs`, `logprobs`), sends it to
the loopback server, and reads the answer into its `GenerateContentResponse`s (snake_case
attributes, a `FinishReason` enum, `None` for every field the body left out): those are what
`tp.parse` is given, and they must parse as the bodies themselves.
"""

from __future__ import annotations

import pytest
from google import genai
from google.genai import types
from tests._gemini_bodies import BODY, CHUNKS, SSE

import tokenprobs as tp

CONFIG = types.GenerateContentConfig(response_logprobs=True, logprobs=2, candidate_count=2)


@pytest.fixture
def client(server):
    """A real google-genai client whose base URL is the loopback server."""
    return genai.Client(api_key="test-key", http_options=types.HttpOptions(base_url=server.root))


def test_generate_content_parses_as_the_body(server, client):
    """The SDK's `GenerateContentResponse` parses as the body it was read from, candidates too."""
    server.reply(BODY)
    answer = client.models.generate_content(model="gemini-2.0-flash", contents="hi", config=CONFIG)
    sent = server.requests[-1]
    assert sent.path.endswith("/models/gemini-2.0-flash:generateContent")
    assert sent.body["generationConfig"]["responseLogprobs"] is True
    assert sent.body["generationConfig"]["logprobs"] == 2
    assert isinstance(answer.candidates[0].finish_reason, types.FinishReason)
    expected = tp.parse_all(BODY)
    got = tp.parse_all(answer)
    assert got == expected
    assert [d.finish_reason for d in got] == ["stop", "length"]
    assert got[0].token_ids.tolist() == [42, 7]
    assert got[0].response is answer
    assert tp.parse_all(answer.model_dump()) == expected
    assert tp.parse_all(answer.model_dump_json()) == expected


def test_the_stream_parses_as_the_sse_body(server, client):
    """`generate_content_stream`'s responses, as a list, parse as the SSE body sent."""
    server.reply(SSE)
    chunks = list(
        client.models.generate_content_stream(
            model="gemini-2.0-flash", contents="hi", config=CONFIG
        )
    )
    assert len(chunks) == len(CHUNKS)
    assert "streamGenerateContent" in server.requests[-1].path
    d = tp.parse(chunks)
    assert d == tp.parse(SSE)
    assert d.text == "YES it"
    assert d.top_tokens == [["YES", "NO"], [" it", " is"]]


def test_an_answer_without_logprobs_says_how_to_ask(server, client):
    """Without `response_logprobs` Gemini sends `avgLogprobs` alone: the error names the config."""
    body = {
        "candidates": [
            {"content": {"parts": [{"text": "Hi"}], "role": "model"}, "finishReason": "STOP"}
        ],
        "modelVersion": "gemini-2.0-flash",
    }
    body["candidates"][0]["avgLogprobs"] = -0.34
    server.reply(body)
    answer = client.models.generate_content(model="gemini-2.0-flash", contents="hi")
    with pytest.raises(tp.MissingLogprobsError, match="response_logprobs=True"):
        tp.parse(answer)
