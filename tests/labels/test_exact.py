"""`Labels.score`: exact label probabilities from scoring calls, through the real SDK (respx)."""

from __future__ import annotations

import inspect
import json
import math
import re

import httpx
import numpy as np
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


def test_a_variant_given_twice_is_refused_before_any_request(local, client):
    """`[" Yes", " Yes"]` is one event: scored twice and summed it gave 1.2; ValueError instead."""
    route = local.post("/completions").mock(side_effect=answer)
    labels = tp.Labels({"yes": [" Yes", " Yes"], "no": [" No"]})
    with pytest.raises(ValueError, match=r"variants \[' Yes'\] are given more than once"):
        labels.score(CONTEXT, model="tiny", client=client)
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


@pytest.mark.parametrize(
    "context",
    [
        pytest.param(5, id="int"),
        pytest.param(b"Answer:", id="bytes"),
        pytest.param([{"role": "user", "content": "Is it?"}], id="messages"),
    ],
)
async def test_a_context_that_is_no_string_is_refused_before_any_request(local, client, context):
    """The prompt is one string as the model sees it: not Python's "can only concatenate"."""
    route = local.post("/completions").mock(side_effect=answer)
    async_client = client_for(local, base_url=LOCAL, async_=True)
    labels = tp.Labels({"yes": [" Yes"], "no": [" No"]})
    with pytest.raises(TypeError, match=r"context must be the prompt as one string.*got"):
        labels.score(context, model="tiny", client=client)
    with pytest.raises(TypeError, match=r"context must be the prompt as one string.*got"):
        await labels.ascore(context, model="tiny", client=async_client)
    await async_client.close()
    assert not route.called


def test_an_empty_context_is_refused(client):
    """Without a prompt the first token has no logprob: ValueError."""
    with pytest.raises(ValueError, match="needs the prompt as context"):
        tp.Labels([" Yes", " No"]).score("", model="tiny", client=client)


async def test_the_async_twin_gives_the_same_result(local):
    """`Labels.ascore` (an `AsyncOpenAI`) equals `Labels.score`, request for request."""
    route = local.post("/completions").mock(side_effect=answer)
    labels = tp.Labels({"yes": [" Yes", " yes"], "no": [" No"], "ny": [" New York"]})
    sync_client = client_for(local, base_url=LOCAL)
    async_client = client_for(local, base_url=LOCAL, async_=True)
    sync = labels.score(CONTEXT, model="tiny", client=sync_client)
    asynchronous = await labels.ascore(CONTEXT, model="tiny", client=async_client, concurrency=2)
    sync_client.close()
    await async_client.close()
    assert asynchronous == sync
    assert route.call_count == 2 * 4


@pytest.mark.parametrize(
    ("variants", "options", "match"),
    [
        pytest.param([" New", " New York"], {}, "is a prefix of", id="prefix"),
        pytest.param([" Yes", " No"], {"concurrency": 0}, "concurrency", id="concurrency"),
        pytest.param([" Yes", " No"], {"echo": False}, "sets echo", id="fixed-argument"),
    ],
)
async def test_the_async_twin_refuses_what_score_refuses_before_any_request(
    local, client, variants, options, match
):
    """`ascore` checks the variants and arguments as `score` does: ValueError, nothing sent."""
    route = local.post("/completions").mock(side_effect=answer)
    async_client = client_for(local, base_url=LOCAL, async_=True)
    labels = tp.Labels(variants)
    with pytest.raises(ValueError, match=match):
        labels.score(CONTEXT, model="tiny", client=client, **options)
    with pytest.raises(ValueError, match=match):
        await labels.ascore(CONTEXT, model="tiny", client=async_client, **options)
    await async_client.close()
    assert not route.called


def test_the_async_twin_has_the_same_signature():
    """`ascore` takes `score`'s parameters, with the same defaults and result type."""
    sync = inspect.signature(tp.Labels.score)
    asyn = inspect.signature(tp.Labels.ascore)
    assert list(sync.parameters) == list(asyn.parameters)
    for name, p in sync.parameters.items():
        assert asyn.parameters[name].default == p.default, name
    assert sync.return_annotation == asyn.return_annotation


# vLLM asked for logprob_token_ids=[30, 31, 40, 41] (and return_tokens_as_token_ids): at each
# position, the sampled token and every requested id, whatever its rank
VOCAB = {"Yes": 30, " Yes": 31, "No": 40, " No": 41, ".": 50, "The": 60}
POSITIONS = [
    ("Yes", -0.4, [("Yes", -0.4), (" Yes", -6.0), ("No", -1.5), (" No", -12.0)]),
    (".", -0.2, [(".", -0.2), ("Yes", -9.0), (" Yes", -9.5), ("No", -8.0), (" No", -13.0)]),
]


def _requested() -> tp.TokenDistribution:
    body = testing.vllm_token_ids(testing.chat_completion(POSITIONS), VOCAB)
    return tp.parse(body, logprob_token_ids=[30, 31, 40, 41])


def test_requested_logprobs_give_exact_label_probabilities():
    """Each label's ids' exact probabilities summed at the position; bounds collapse."""
    res = tp.Labels(["yes", "no"]).requested(_requested(), ids={"yes": [30, 31], "no": [40, 41]})
    want = {"yes": math.exp(-0.4) + math.exp(-6.0), "no": math.exp(-1.5) + math.exp(-12.0)}
    assert res.raw == pytest.approx(want, rel=1e-12)
    assert res.bounds == {k: (v, v) for k, v in res.raw.items()}
    assert res.tail == pytest.approx(1 - sum(want.values()), abs=1e-12)
    assert (res.exact, res.position, res.label) == (True, 0, "yes")
    later = tp.Labels(["yes", "no"]).requested(
        _requested(), ids={"yes": [30, 31], "no": [40, 41]}, at=1
    )
    assert later.raw == pytest.approx(
        {"yes": math.exp(-9.0) + math.exp(-9.5), "no": math.exp(-8.0) + math.exp(-13.0)}, rel=1e-12
    )
    assert later.position == 1


@pytest.mark.parametrize(
    ("ids", "match"),
    [
        pytest.param({"yes": [30, 32], "no": [40]}, "were not requested", id="not-requested"),
        pytest.param({"yes": [30]}, "no token id for", id="label-without-ids"),
        pytest.param({"yes": [30], "no": [30]}, "given twice", id="shared-id"),
        pytest.param({"yes": [30], "no": [40], "maybe": [41]}, "not in the set", id="unknown"),
    ],
)
def test_requested_ids_that_cannot_give_the_labels_are_refused(ids, match):
    """Every label needs ids, each id one label's and among those requested: ValueError."""
    with pytest.raises(ValueError, match=match):
        tp.Labels(["yes", "no"]).requested(_requested(), ids=ids)


@pytest.mark.parametrize(
    ("d", "ids", "match"),
    [
        pytest.param("body", {"yes": [30], "no": [40]}, "tp.parse", id="unparsed-body"),
        pytest.param(None, {"yes": 30, "no": 40}, r"ids of 'yes' must be a list.*\[30\]", id="int"),
        pytest.param(None, {"yes": "30", "no": "40"}, "ids of 'yes' must be a list", id="str"),
        pytest.param(None, {"yes": [30.0], "no": [40]}, "30.0 of 'yes' is a float", id="float"),
        pytest.param(None, {"yes": [True], "no": [40]}, "True of 'yes' is a bool", id="bool"),
        pytest.param(None, None, "ids maps each label to a list", id="no-mapping"),
        pytest.param(None, [30, 40], "ids maps each label to a list", id="a-list"),
    ],
)
def test_requested_input_of_the_wrong_type_is_a_type_error(d, ids, match):
    """An unparsed body or ids that are not lists of ints: TypeError saying what to pass."""
    dist = testing.vllm_token_ids(testing.chat_completion(POSITIONS), VOCAB) if d else _requested()
    with pytest.raises(TypeError, match=match):
        tp.Labels(["yes", "no"]).requested(dist, ids=ids)


def test_requested_ids_may_be_numpy_integers():
    """Ids from a tokenizer as numpy integers are ints."""
    ids = {"yes": [np.int64(30), 31], "no": (np.int32(40), 41)}
    res = tp.Labels(["yes", "no"]).requested(_requested(), ids=ids)
    assert res.raw["yes"] == pytest.approx(math.exp(-0.4) + math.exp(-6.0), rel=1e-12)
