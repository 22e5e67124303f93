"""`tp.ascore_choices`, the async twin of `tp.score_choices`: the real AsyncOpenAI, respx."""

from __future__ import annotations

import asyncio
import inspect
import json

import httpx
import numpy as np
import openai
import pytest
from tests._client_helpers import client_for
from tests.scoring.test_score import LOCAL, answer, echo_body, fake_logprob, words

import tokenprobs as tp

CONTEXT = "The cat sat on the"
CHOICES = [" mat", " sofa", " windowsill", " a rug"]


@pytest.fixture
async def async_client(local):
    """A real `openai.AsyncOpenAI` client of the respx-mocked local server."""
    c = client_for(local, base_url=LOCAL, async_=True)
    yield c
    await c.close()


async def test_ascore_choices_equals_score_choices(local, client, async_client):
    """The same requests, the same scores as the sync function, from an AsyncOpenAI client."""
    route = local.post("/completions").mock(side_effect=answer)
    got = await tp.ascore_choices(CONTEXT, CHOICES, model="tiny", client=async_client)
    sent = sorted(json.loads(c.request.content)["prompt"] for c in route.calls)
    assert sent == sorted(CONTEXT + c for c in CHOICES)
    sums = np.array([sum(fake_logprob(t) for t in words(c)) for c in CHOICES])
    np.testing.assert_allclose(got.logprobs, sums)
    assert got.best == " mat"
    assert got.token_counts.tolist() == [1, 1, 1, 2]
    want = tp.score_choices(CONTEXT, CHOICES, model="tiny", client=client)
    assert got.choices == want.choices
    np.testing.assert_array_equal(got.logprobs, want.logprobs)
    np.testing.assert_array_equal(got.probs, want.probs)
    np.testing.assert_array_equal(got.greedy, want.greedy)
    assert got.distributions == want.distributions


async def test_ascore_choices_runs_its_requests_concurrently(local, async_client):
    """`concurrency` requests are in flight at once on the event loop, never more."""
    in_flight, most = 0, 0

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.02)
        in_flight -= 1
        return answer(request)

    local.post("/completions").mock(side_effect=slow)
    s = await tp.ascore_choices(CONTEXT, CHOICES, model="tiny", client=async_client, concurrency=2)
    assert most == 2
    assert len(s.choices) == 4


async def test_ascore_choices_raises_a_failed_request(local, async_client):
    """A request that failed is raised after the run, as by `score_choices`."""
    error = {"error": {"message": "bad rug", "type": "invalid_request_error"}}
    local.post("/completions").respond(400, json=error)
    with pytest.raises(openai.BadRequestError, match="bad rug"):
        await tp.ascore_choices(CONTEXT, [" mat", " rug"], model="tiny", client=async_client)


async def test_ascore_choices_checks_before_any_request(local, async_client):
    """No choices, an empty one, or an argument it sets: refused before anything is sent."""
    route = local.post("/completions").mock(side_effect=answer)
    with pytest.raises(ValueError, match="at least one"):
        await tp.ascore_choices("x", [], model="tiny", client=async_client)
    with pytest.raises(ValueError, match="non-empty"):
        await tp.ascore_choices("x", [" a", ""], model="tiny", client=async_client)
    with pytest.raises(ValueError, match="echo"):
        await tp.ascore_choices("x", [" a"], model="tiny", client=async_client, echo=False)
    with pytest.raises(ValueError, match="same text"):
        await tp.ascore_choices("x", [" a", " a"], model="tiny", client=async_client)
    with pytest.raises(TypeError, match="context must be a str"):
        await tp.ascore_choices(None, [" a"], model="tiny", client=async_client)
    with pytest.raises(TypeError, match="got a dict"):
        await tp.ascore_choices("x", {"a": " a"}, model="tiny", client=async_client)
    assert not route.called


def test_score_choices_and_ascore_choices_share_a_signature():
    """The twins take the same arguments, with the same defaults."""
    a, b = inspect.signature(tp.score_choices), inspect.signature(tp.ascore_choices)
    assert list(a.parameters) == list(b.parameters)
    assert [p.default for p in a.parameters.values()] == [p.default for p in b.parameters.values()]
    assert inspect.iscoroutinefunction(tp.ascore_choices)


async def test_with_no_alternatives_asked_for_no_choice_is_greedy(local, async_client):
    """The async twin reads `top_logprobs=0` as `score_choices` does: nothing shows the best."""

    def bare(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=echo_body(json.loads(request.content)["prompt"], k=1))

    local.post("/completions").mock(side_effect=bare)
    got = await tp.ascore_choices(
        CONTEXT, CHOICES, model="tiny", client=async_client, top_logprobs=0
    )
    assert got.greedy.tolist() == [False] * len(CHOICES)
