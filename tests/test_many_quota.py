"""Many prompts after a used-up quota: the prompts not yet sent fail fast, nothing more is sent."""

import json

import httpx
import openai

import tokenprobs as tp
from tokenprobs.client._retry import no_sleep
from tokenprobs.testing import chat_completion

MODEL = "gpt-4o-mini"
OUT_OF_QUOTA = {
    "error": {
        "message": "You exceeded your current quota, please check your plan and billing details.",
        "type": "insufficient_quota",
        "param": None,
        "code": "insufficient_quota",
    }
}


def prompt_of(request):
    """The user message of a chat request."""
    return json.loads(request.content)["messages"][-1]["content"]


def answer(request):
    """Prompts starting with "q" meet a used-up quota; the others get a one-token answer."""
    prompt = prompt_of(request)
    if prompt.startswith("q"):
        return httpx.Response(429, json=OUT_OF_QUOTA)
    return httpx.Response(200, json=chat_completion([(prompt, -0.5, [])]))


def assert_not_sent(results, first, sent):
    """Every result not `sent` after `first` is a not-sent RateLimitError of its own.

    Each is chained from the 429 of `first` (one of those sent) and says so.
    """
    cause = results[first]
    assert isinstance(cause, openai.RateLimitError)
    assert cause.code == "insufficient_quota"
    unsent = [i for i in range(first + 1, len(results)) if i not in sent]
    for i in unsent:
        error = results[i]
        assert isinstance(error, openai.RateLimitError)
        assert error.code == "insufficient_quota"
        assert error.__cause__ is cause
        assert f"prompt {i} was not sent" in str(error)
        assert f"prompt {first}'s request was answered HTTP 429 insufficient_quota" in str(error)
        assert "billing" in str(error)
    assert len({id(results[i]) for i in unsent}) == len(unsent)  # one exception per slot


def test_the_prompts_after_a_used_up_quota_are_not_sent(api, openai_client):
    """One 429 insufficient_quota, and the remaining prompts fail at once, unsent.

    Was: every remaining prompt was sent, each answered the same doomed 429.
    """
    route = api.post("/chat/completions")
    route.side_effect = answer
    prompts = ["a", "q1", "c", "d", "e", "f"]
    with no_sleep() as waits:
        results = tp.get_token_distributions(
            prompts, model=MODEL, client=openai_client, concurrency=1
        )
    assert results[0].tokens == ["a"]
    assert_not_sent(results, 1, sent=set())
    assert route.call_count == 2
    assert waits == []


def test_requests_already_in_flight_keep_their_own_answer(api, openai_client):
    """With several in flight, at most `concurrency` requests are sent, each keeping its answer."""
    route = api.post("/chat/completions")
    route.side_effect = answer
    prompts = [f"q{i}" for i in range(12)]
    with no_sleep():
        results = tp.get_token_distributions(
            prompts, model=MODEL, client=openai_client, concurrency=3
        )
    sent = {prompts.index(prompt_of(call.request)) for call in route.calls}
    assert 1 <= route.call_count <= 3
    assert all(isinstance(results[i], openai.RateLimitError) for i in sent)
    assert all("was not sent" not in str(results[i]) for i in sent)
    unsent = sorted(set(range(len(prompts))) - sent)
    assert min(unsent) > max(sent)  # the prompts are taken in order
    stopper = next(i for i in sent if results[i] is results[unsent[0]].__cause__)
    assert_not_sent(results, stopper, sent=sent)


def test_a_rate_limit_429_does_not_stop_the_run(api, openai_client):
    """A 429 that is a rate limit (retried) is not a used-up quota: every prompt is sent."""
    limited = httpx.Response(429, json={"error": {"message": "Rate limit reached"}})
    route = api.post("/chat/completions")
    route.side_effect = [limited, *(answer_of(p) for p in "abc")]
    with no_sleep():
        results = tp.get_token_distributions(
            ["a", "b", "c"], model=MODEL, client=openai_client, concurrency=1
        )
    assert [r.tokens for r in results] == [["a"], ["b"], ["c"]]


def answer_of(prompt):
    """A one-token answer."""
    return httpx.Response(200, json=chat_completion([(prompt, -0.5, [])]))


async def test_async_twin_does_not_send_after_a_used_up_quota(api, async_openai_client):
    """The async twin stops sending after the quota's 429 too."""
    route = api.post("/chat/completions")
    route.side_effect = answer
    with no_sleep():
        results = await tp.aget_token_distributions(
            ["q0", "b", "c", "d"], model=MODEL, client=async_openai_client, concurrency=1
        )
    assert_not_sent(results, 0, sent=set())
    assert route.call_count == 1


def test_classify_sends_nothing_after_a_used_up_quota(api, openai_client):
    """`classify` over many inputs holds the quota's error in every place, one request sent."""
    route = api.post("/chat/completions")
    route.side_effect = answer
    with no_sleep():
        results = tp.classify(
            ["q", "b", "c"],
            ["yes", "no"],
            prompt="{input}",
            model=MODEL,
            client=openai_client,
            concurrency=1,
        )
    assert all(isinstance(r, openai.RateLimitError) for r in results)
    assert "prompt 2 was not sent" in str(results[2])
    assert route.call_count == 1
