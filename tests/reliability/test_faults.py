"""Faults on the wire, through the real SDK: each ends in its documented outcome, within budget."""

from __future__ import annotations

import openai
import pytest
from tests._client_helpers import connect_error, remote_protocol_error, timeout_error

import tokenprobs as tp
from tokenprobs.client import get_token_distribution
from tokenprobs.client._retry import RetryPolicy
from tokenprobs.client._stream import DistributionStream, StreamInterruptedError
from tokenprobs.testing import chat_chunks, chat_completion, no_sleep, sse

POSITIONS = [("Hi", -0.1, [("Hi", -0.1), ("Yo", -2.3)]), ("!", -0.4, []), (" ok", -0.2, [])]
SSE_HEADERS = {"content-type": "text/event-stream"}
POLICY = RetryPolicy(max_attempts=4, max_time=30.0, initial_wait=1.0, max_wait=8.0)


def ask(client, **kwargs):
    """One chat request with logprobs."""
    return get_token_distribution("Hi", model="gpt-4o-mini", client=client, **kwargs)


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(connect_error, id="connection-refused"),
        pytest.param(remote_protocol_error, id="reset-before-body"),
        pytest.param(timeout_error, id="slower-than-timeout"),
    ],
)
def test_connection_faults_exhaust_the_budget_and_chain_the_cause(api, openai_client, fault):
    """Every attempt fails: the SDK's connection error, after exactly `max_attempts` attempts."""
    route = api.post("/chat/completions").mock(side_effect=fault())
    with no_sleep() as waits, pytest.raises(openai.APIConnectionError) as info:
        ask(openai_client, retry=POLICY)
    assert route.call_count == POLICY.max_attempts
    assert len(waits) == POLICY.max_attempts - 1
    assert sum(waits) <= POLICY.max_time
    assert info.value.__cause__ is not None or info.value.__context__ is not None
    assert any("stopped retrying" in n for n in info.value.__notes__)


def test_5xx_storm_longer_than_the_budget(api, openai_client):
    """Fifty 503s in a row: attempts and total wait stay within the policy, the last is raised."""
    route = api.post("/chat/completions")
    route.side_effect = [
        __import__("httpx").Response(503, json={"error": {"message": f"busy {i}"}})
        for i in range(50)
    ]
    with no_sleep() as waits, pytest.raises(openai.InternalServerError):
        ask(openai_client, retry=POLICY)
    assert route.call_count <= POLICY.max_attempts
    assert sum(waits) <= POLICY.max_time


def test_retry_after_cannot_stretch_the_budget(api, openai_client):
    """A server asking to wait an hour each time: capped, and the total stays under max_time."""
    route = api.post("/chat/completions")
    route.respond(429, headers={"retry-after": "3600"}, json={"error": {"message": "slow down"}})
    with no_sleep() as waits, pytest.raises(openai.RateLimitError):
        ask(openai_client, retry=POLICY)
    assert route.call_count <= POLICY.max_attempts
    assert sum(waits) <= POLICY.max_time


def test_200_with_a_non_json_body(api, openai_client):
    """A 200 whose body is HTML: a typed error, not a crash (nothing is retried)."""
    route = api.post("/chat/completions").respond(
        200, headers={"content-type": "text/html"}, text="<html>502 Bad Gateway</html>"
    )
    with no_sleep(), pytest.raises((tp.TokenprobsError, openai.APIError)):
        ask(openai_client)
    assert route.call_count == 1


def test_200_with_a_json_error_body(api, openai_client):
    """A 200 whose body is an API error: `APIResponseError` with the server's fields."""
    body = {"error": {"message": "model overloaded", "type": "server_error", "code": "overloaded"}}
    api.post("/chat/completions").respond(200, json=body)
    with pytest.raises(tp.APIResponseError) as info:
        ask(openai_client)
    assert info.value.code == "overloaded"
    assert "model overloaded" in str(info.value)


def test_stream_that_stops_without_done(api, openai_client):
    """A stream cut after two tokens (no finish chunk, no [DONE]): both kept, marked incomplete."""
    chunks = chat_chunks(POSITIONS)[:3]  # the role chunk and two tokens
    api.post("/chat/completions").respond(
        200, headers=SSE_HEADERS, content=sse(chunks, done=False).encode()
    )
    d = ask(openai_client, stream=True).until_done()
    assert d.tokens == ["Hi", "!"]
    assert d.incomplete


def test_stream_cut_mid_event(api, openai_client):
    """A stream cut in the middle of an event: what arrived whole is kept, nothing invented."""
    text = sse(chat_chunks(POSITIONS), done=False)
    cut = text[: text.index('"content": " ok"') + 5]
    api.post("/chat/completions").respond(200, headers=SSE_HEADERS, content=cut.encode())
    try:
        d = ask(openai_client, stream=True).until_done()
    except StreamInterruptedError as exc:  # the SDK may refuse the broken event
        d = exc.distribution
    assert d is not None
    assert d.tokens == ["Hi", "!"]
    assert d.incomplete
    assert tp.parse(cut).tokens == ["Hi", "!"]


def test_connection_reset_during_a_stream():
    """The connection resets after two tokens: StreamInterruptedError keeps both, cause chained."""
    chunks = chat_chunks(POSITIONS)
    sdk_chunks = [openai.types.chat.ChatCompletionChunk.model_validate(c) for c in chunks[:3]]

    def broken():
        yield from sdk_chunks
        raise remote_protocol_error()

    stream = DistributionStream(broken())
    with pytest.raises(StreamInterruptedError) as info:
        stream.until_done()
    assert info.value.distribution.tokens == ["Hi", "!"]
    assert info.value.distribution.incomplete
    assert info.value.__cause__ is not None


def test_truncated_non_stream_body(api, openai_client):
    """A 200 whose JSON body is cut short: UnsupportedResponseError, the SDK's error chained."""
    body = __import__("json").dumps(chat_completion(POSITIONS))
    api.post("/chat/completions").respond(
        200, headers={"content-type": "application/json"}, content=body[:-40].encode()
    )
    with pytest.raises(tp.UnsupportedResponseError, match="not valid JSON") as info:
        ask(openai_client)
    assert info.value.__cause__ is not None
