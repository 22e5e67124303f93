"""`Labels.score`: exact label probabilities from scoring calls, through the real SDK (respx)."""

from __future__ import annotations

import json
import math
import re

import httpx
import pytest
import respx
from tests._client_helpers import client_for

import tokenprobs as tp
from tokenprobs import testing

LOCAL = "http://127.0.0.1:8000/v1"
CONTEXT = "Is the sky blue? Answer:"
P = {" Yes": 0.6, " yes": 0.1, " No": 0.2, " New": 0.05, " York": 0.5, " Jersey": 0.25}
"""The fake model: each token's probability wherever it stands (context tokens: 0.5)."""


def words(text: str) -> list[str]:
    """The fake server's tokenizer: each word with its leading whitespace."""
    return re.findall(r"\s*\S+", text)


def answer(request: httpx.Request) -> httpx.Response:
    """An honest echo server (`echo`, `logprobs`, `max_tokens=1`) of the fake model."""
    prompt = json.loads(request.content)["prompt"]
    positions = [
        (t, None if i == 0 else math.log(P.get(t, 0.5)), [] if i == 0 else [(t, -0.1)])
        for i, t in enumerate(words(prompt))
    ]
    body = testing.completion([*positions, (" .", -0.5, [(" .", -0.5)])], model="tiny")
    body["choices"][0]["text"] = prompt + " ."
    n = len(positions)
    body["usage"] = {"prompt_tokens": n, "completion_tokens": 1, "total_tokens": n + 1}
    return httpx.Response(200, json=body)


@pytest.fixture
def local():
    """A respx router for a local OpenAI-compatible server."""
    with respx.mock(base_url=LOCAL, assert_all_called=False) as router:
        yield router


@pytest.fixture
def client(local):
    """A real `openai.OpenAI` client of the local server."""
    c = client_for(local, base_url=LOCAL)
    yield c
    c.close()


def test_each_variant_is_scored_and_the_bounds_collapse(local, client):
    """One echo request per variant; raw = the variants' probabilities summed, exact, no bounds."""
    route = local.post("/completions").mock(side_effect=answer)
    labels = tp.Labels({"yes": [" Yes", " yes"], "no": [" No"]})
    res = labels.score(CONTEXT, model="tiny", client=client, concurrency=1)
    prompts = sorted(json.loads(c.request.content)["prompt"] for c in route.calls)
    assert prompts == sorted(CONTEXT + v for v in (" Yes", " yes", " No"))
    sent = json.loads(route.calls.last.request.content)
    assert (sent["echo"], sent["max_tokens"]) == (True, 1)
    assert res.raw == pytest.approx({"yes": 0.7, "no": 0.2}, abs=1e-12)
    assert res.probs == pytest.approx({"yes": 0.7 / 0.9, "no": 0.2 / 0.9}, abs=1e-12)
    assert res.bounds == {k: (v, v) for k, v in res.raw.items()}
    assert res.tail == pytest.approx(0.1, abs=1e-12)
    assert (res.unmatched, res.ambiguous, res.ambiguous_sets) == (0.0, 0.0, {})
    assert res.exact is True
    assert res.label == "yes"
    assert res.margin == pytest.approx(0.5 / 0.9, abs=1e-12)
    assert res.mass + res.tail == pytest.approx(1.0, abs=1e-12)
    assert res.multi_token == frozenset()


def test_a_multi_token_variant_is_the_product_of_its_tokens(local, client):
    """`" New York"` is `p(" New") p(" York" | " New")` by the server's own tokens."""
    local.post("/completions").mock(side_effect=answer)
    res = tp.Labels({"ny": [" New York"], "nj": [" New Jersey"]}).score(
        CONTEXT, model="tiny", client=client
    )
    assert res.raw == pytest.approx({"ny": 0.05 * 0.5, "nj": 0.05 * 0.25}, abs=1e-15)
    assert res.multi_token == frozenset({"ny", "nj"})
    assert res.tail == pytest.approx(1 - 0.05 * 0.75, abs=1e-12)


@pytest.mark.parametrize(
    "variants",
    [
        pytest.param({"new": [" New"], "ny": [" New York"]}, id="across-labels"),
        pytest.param({"pos": [" pos", " positive"], "neg": [" neg"]}, id="within-a-label"),
    ],
)
def test_a_variant_that_is_a_prefix_of_another_is_refused_before_any_request(
    local, client, variants
):
    """Not disjoint events (`" New"` contains `" New York"`): ValueError, nothing sent."""
    route = local.post("/completions").mock(side_effect=answer)
    with pytest.raises(ValueError, match="is a prefix of"):
        tp.Labels(variants).score(CONTEXT, model="tiny", client=client)
    assert not route.called


def test_a_variant_whose_tokens_cross_the_seam_is_refused(local, client):
    """A newline and "Yes" are one token of the fake: not the logprob of "Yes" after the context."""
    local.post("/completions").mock(side_effect=answer)
    with pytest.raises(tp.ScoringError, match="cross the seam") as info:
        tp.Labels(["Yes", "No"]).score("Question?\n", model="tiny", client=client)
    assert "end the context where a token ends" in info.value.hint


def test_a_server_that_ignores_echo_raises_scoring_error(local, client):
    """Generated tokens only: the scoring error of `tp.score`, never a wrong probability."""
    body = testing.completion([(" Yes", -0.1, [(" Yes", -0.1)])], model="tiny")
    body["usage"] = {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}
    local.post("/completions").respond(200, json=body)
    with pytest.raises(tp.ScoringError, match="did not echo"):
        tp.Labels([" Yes", " No"]).score(CONTEXT, model="tiny", client=client)


def test_an_empty_context_is_refused(client):
    """Without a prompt the first token has no logprob: ValueError."""
    with pytest.raises(ValueError, match="needs the prompt as context"):
        tp.Labels([" Yes", " No"]).score("", model="tiny", client=client)
