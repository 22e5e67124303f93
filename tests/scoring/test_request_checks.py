"""What `tp.score` and its kin refuse before any request, and answers they refuse after one."""

from __future__ import annotations

import copy
import json
import warnings

import httpx
import numpy as np
import pytest
from tests._client_helpers import client_for
from tests.scoring.test_score import LOCAL, answer, echo_body

import tokenprobs as tp


def sent_bodies(route) -> list[dict]:
    """The JSON bodies of the requests `route` answered."""
    return [json.loads(c.request.content) for c in route.calls]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        pytest.param({"top_logprobs": -1}, ValueError, r"at least 0, got -1", id="minus-one"),
        pytest.param(
            {"top_logprobs": -5, "guards": "off"}, ValueError, r"got -5", id="negative-off"
        ),
        pytest.param(
            {"top_logprobs": True, "guards": "off"}, TypeError, r"integer .*True", id="bool-off"
        ),
        pytest.param(
            {"top_logprobs": 2.0, "guards": "off"}, TypeError, r"2\.0: pass top_logprobs=2",
            id="float-off",
        ),
        pytest.param(
            {"top_logprobs": "2", "guards": "off"}, TypeError, r"integer .*'2'", id="str-off"
        ),
    ],
)  # fmt: skip
def test_a_top_logprobs_that_is_no_count_is_refused_before_any_request(
    local, client, kwargs, error, match
):
    """No server scores with a negative or fractional count: refused whatever the guards."""
    route = local.post("/completions").mock(side_effect=answer)
    with pytest.raises(error, match=match):
        tp.score(" sat", context="The cat", model="tiny", client=client, **kwargs)
    assert not route.called


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(
            lambda c: tp.scoring.score_many(
                [" sat"], context="The cat", model="tiny", client=c, top_logprobs=-1
            ),
            id="score_many",
        ),
        pytest.param(
            lambda c: tp.score_choices(
                "The cat", [" sat", " ran"], model="tiny", client=c, top_logprobs=-1
            ),
            id="score_choices",
        ),
        pytest.param(
            lambda c: tp.scoring.loglikelihood(
                "The cat", " sat", model="tiny", client=c, top_logprobs=-1
            ),
            id="loglikelihood",
        ),
    ],
)
def test_every_scoring_function_refuses_a_negative_top_logprobs(local, client, call):
    """The many-texts and multiple-choice functions check it too, before any request."""
    route = local.post("/completions").mock(side_effect=answer)
    with pytest.raises(ValueError, match="no server scores with a negative count"):
        call(client)
    assert not route.called


async def test_ascore_refuses_a_negative_top_logprobs(local):
    """The async twins share the check."""
    route = local.post("/completions").mock(side_effect=answer)
    async_client = client_for(local, base_url=LOCAL, async_=True)
    try:
        with pytest.raises(ValueError, match="at least 0"):
            await tp.ascore(" sat", context="The cat", model="tiny", client=async_client,
                            top_logprobs=-1)  # fmt: skip
        with pytest.raises(ValueError, match="at least 0"):
            await tp.ascore_choices("The cat", [" sat"], model="tiny", client=async_client,
                                    top_logprobs=-2)  # fmt: skip
    finally:
        await async_client.close()
    assert not route.called


def test_a_numpy_top_logprobs_is_sent_as_an_int_and_the_upper_limit_is_the_servers(local, client):
    """A numpy integer is a count; above OpenAI's 5 or 20 is for a local server to judge."""
    route = local.post("/completions").mock(side_effect=answer)
    tp.score(" sat", context="The cat", model="tiny", client=client, top_logprobs=np.int64(2))
    with pytest.warns(tp.TokenprobsWarning, match="caps them"):  # the fake server sends 2
        tp.score(" sat", context="The cat", model="tiny", client=client, top_logprobs=25)
    assert [b["logprobs"] for b in sent_bodies(route)] == [2, 25]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"n": 2}, r"one choice \(n=1\), got n=2: the echo scores", id="n-2"),
        pytest.param({"n": 0}, r"got n=0", id="n-0"),
        pytest.param({"n": True}, r"got n=True", id="n-true"),
        pytest.param({"extra_body": {"n": 3}}, r"sets n itself .*out of extra_body", id="extra"),
        pytest.param({"extra_body": {"echo": False}}, r"sets echo itself", id="extra-echo"),
    ],
)
def test_more_than_one_choice_is_refused_before_any_request(local, client, kwargs, match):
    """Every choice of an echo scores the same prompt: `n` other than 1 only costs more."""
    route = local.post("/completions").mock(side_effect=answer)
    with pytest.raises(ValueError, match=match):
        tp.score(" sat", context="The cat", model="tiny", client=client, **kwargs)
    assert not route.called


def test_n_1_is_what_is_sent_anyway(local, client):
    """`n=1` (ported from a `create()` call) is taken, and the request is the usual one."""
    route = local.post("/completions").mock(side_effect=answer)
    d = tp.score(" sat", context="The cat", model="tiny", client=client, n=np.int64(1))
    assert d.tokens == [" sat"]
    assert "n" not in sent_bodies(route)[0]


def two_choices(request: httpx.Request, *, usage: bool = True) -> httpx.Response:
    """A server (or gateway) that answers a request for one choice with two equal ones."""
    body = echo_body(json.loads(request.content)["prompt"], usage=usage)
    second = copy.deepcopy(body["choices"][0])
    second["index"] = 1
    body["choices"].append(second)
    return httpx.Response(200, json=body)


@pytest.mark.parametrize("usage", [pytest.param(True, id="usage"), pytest.param(False, id="bare")])
def test_an_answer_with_several_choices_is_refused(local, client, usage):
    """Not read from its first choice: the server did not run the request as sent."""
    local.post("/completions").mock(side_effect=lambda r: two_choices(r, usage=usage))
    with pytest.raises(tp.ScoringError, match=r"answered with 2 choices a request for one"):
        tp.score(" sat", context="The cat", model="tiny", client=client)


def test_score_many_holds_the_several_choices_refusal_in_place(local, client):
    """One text's multi-choice answer is its error; the run goes on."""
    local.post("/completions").mock(side_effect=two_choices)
    out = tp.scoring.score_many([" sat"], context="The cat", model="tiny", client=client,
                                progress=False)  # fmt: skip
    assert isinstance(out[0], tp.ScoringError)


def with_offsets(offsets: list[int] | None = None, *, tokens: bool = True):
    """The fake server, with its text offsets (or all its tokens) replaced."""

    def respond(request: httpx.Request) -> httpx.Response:
        body = echo_body(json.loads(request.content)["prompt"])
        logprobs = body["choices"][0]["logprobs"]
        if not tokens:
            for key in ("tokens", "token_logprobs", "top_logprobs", "text_offset"):
                logprobs[key] = []
        if offsets is not None:
            logprobs["text_offset"] = offsets
        return httpx.Response(200, json=body)

    return respond


def test_offsets_past_the_text_are_not_called_a_shifted_echo(local, client):
    """The offsets place no token in the text: said so, not blamed on a shifted echo."""
    local.post("/completions").mock(side_effect=with_offsets([0, 100, 200, 300]))
    with warnings.catch_warnings():  # the parser may warn of such offsets too: not this test's
        warnings.simplefilter("ignore", tp.TokenprobsWarning)
        with pytest.raises(tp.ScoringError, match="offsets that run past the end of its text"):
            tp.score(" sat", context="The cat", model="tiny", client=client)


def test_an_answer_without_tokens_is_not_said_to_have_a_first_one(local, client):
    """No token at all: the refusal says so, not that its first token has a logprob."""
    local.post("/completions").mock(side_effect=with_offsets(tokens=False))
    with pytest.raises(tp.ScoringError, match=r"did not echo .* holds no token\."):
        tp.score(" sat", context="The cat", model="tiny", client=client)
