"""Many prompts and a server that cannot be connected to: after one prompt's retries, none more.

Was: every prompt was sent and retried in turn (5 attempts, waits of 0.5 s to 20 s each), so
a thousand prompts against a server that was not started took many minutes to fail.
"""

import json

import httpx
import openai
import pytest
import respx
from tests.conftest import build_client

import tokenprobs as tp
from tokenprobs.client._retry import DEFAULT_RETRY, no_sleep
from tokenprobs.testing import chat_completion

MODEL = "gpt-4o-mini"
URL = "https://api.openai.com/v1/chat/completions"


def prompt_of(request):
    """The user message of a chat request."""
    return json.loads(request.content)["messages"][-1]["content"]


def answered(prompt):
    """A one-token answer."""
    return httpx.Response(200, json=chat_completion([(prompt, -0.5, [])]))


def failing(error):
    """Prompts starting with "x" raise `error` at every attempt; the others are answered."""

    def answer(request):
        prompt = prompt_of(request)
        if prompt.startswith("x"):
            raise error
        return answered(prompt)

    return answer


def assert_not_sent(results, first, url=URL):
    """Every result after `first` is a not-sent APIConnectionError of its own, chained to it."""
    cause = results[first]
    assert type(cause) in {openai.APIConnectionError, openai.APITimeoutError}
    unsent = range(first + 1, len(results))
    for i in unsent:
        error = results[i]
        assert type(error) is openai.APIConnectionError
        assert error.__cause__ is cause
        text = str(error)
        assert text.startswith(f"prompt {i} was not sent: prompt {first}'s request could not ")
        assert f"connect to {url} (" in text
        assert "start the server or correct the client's base_url" in text
    assert len({id(results[i]) for i in unsent}) == len(unsent)  # one exception per slot


@pytest.mark.parametrize(
    ("error", "stops"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), True),
        (httpx.ConnectTimeout("timed out"), True),
        (httpx.ReadTimeout("timed out"), False),  # the server was reached: a slow answer
        (httpx.RemoteProtocolError("peer closed connection"), False),  # lost mid-answer
    ],
    ids=["refused", "connect-timeout", "read-timeout", "connection-lost"],
)
def test_only_a_server_that_cannot_be_connected_to_stops_the_run(api, openai_client, error, stops):
    """Prompt "x" is retried as usual; the prompts after it are not sent when it never connected."""
    route = api.post("/chat/completions")
    route.side_effect = failing(error)
    with no_sleep() as waits:
        results = tp.get_token_distributions(
            ["a", "x", "c", "d"], model=MODEL, client=openai_client, concurrency=1
        )
    assert results[0].tokens == ["a"]
    assert type(results[1].__cause__) is type(error)
    assert len(waits) == DEFAULT_RETRY.max_attempts - 1
    if stops:
        assert route.call_count == 1 + DEFAULT_RETRY.max_attempts  # "a", then "x"'s attempts
        assert_not_sent(results, 1)
    else:
        assert route.call_count == 1 + DEFAULT_RETRY.max_attempts + 2
        assert [r.tokens for r in results[2:]] == [["c"], ["d"]]


def test_a_connection_that_comes_back_within_the_retries_stops_nothing(api, openai_client):
    """Refused once, then answered: the prompt's retry succeeds and every prompt is sent."""
    route = api.post("/chat/completions")
    route.side_effect = [httpx.ConnectError("refused"), *(answered(p) for p in "abc")]
    with no_sleep():
        results = tp.get_token_distributions(
            ["a", "b", "c"], model=MODEL, client=openai_client, concurrency=1
        )
    assert [r.tokens for r in results] == [["a"], ["b"], ["c"]]


async def test_async_twin_sends_nothing_more_after_it_cannot_connect(api, async_openai_client):
    """The async twin stops sending the same way."""
    route = api.post("/chat/completions")
    route.side_effect = failing(httpx.ConnectError("refused"))
    with no_sleep():
        results = await tp.aget_token_distributions(
            ["x", "b", "c"], model=MODEL, client=async_openai_client, concurrency=1
        )
    assert route.call_count == DEFAULT_RETRY.max_attempts
    assert_not_sent(results, 0)


def test_score_many_stops_and_the_message_keeps_the_key_out():
    """`tp.scoring.score_many` stops the same way; a key in the base URL is not in the messages.

    Not in the URL named, nor in the cause's text (httpx's never holds the URL; this one does).
    """
    base = "http://user:sk-secret-123456@gpu-box:8000/v1"
    with respx.mock(base_url=base, assert_all_called=False) as router:
        route = router.post("/completions")
        route.side_effect = httpx.ConnectError(f"[Errno 111] Connection refused ({base})")
        client = build_client(router, base_url=base)
        with no_sleep():
            results = tp.scoring.score_many(
                ["a", "b", "c"], model=MODEL, client=client, concurrency=1
            )
    assert route.call_count == DEFAULT_RETRY.max_attempts
    assert_not_sent(results, 0, url="http://gpu-box:8000/v1/completions")
    assert all("sk-secret" not in str(r) for r in results[1:])  # a short user name is no key
