"""Legacy Completions' `logprobs=k`: what `top_logprobs` sends, and what a missing answer says."""

import json

import pytest

import tokenprobs as tp
from tokenprobs.testing import completion

MODEL = "davinci-002"


def without_logprobs():
    """A legacy completion whose choice carries no logprobs."""
    body = completion([(" cat", -0.5, [])], top=False)
    body["choices"][0]["logprobs"] = None
    return body


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(
            lambda c: tp.get_token_distribution(
                "The", model=MODEL, endpoint="completions", client=c, top_logprobs=None
            ),
            id="get_token_distribution",
        ),
        pytest.param(
            lambda c: tp.score(" cat", context="The", model=MODEL, client=c, top_logprobs=None),
            id="score",
        ),
    ],
)
def test_top_logprobs_none_on_legacy_completions_is_refused_before_sending(
    api, openai_client, call
):
    """`top_logprobs=None` would send `logprobs: null`, asking for none: refused, saying why.

    Was: sent; the answer without logprobs then said the request had asked for them
    ("tokenprobs already sent logprobs=True and top_logprobs").
    """
    route = api.post("/completions").respond(200, json=without_logprobs())
    with pytest.raises(TypeError, match=r"top_logprobs=None.*logprobs: null.*top_logprobs=0"):
        call(openai_client)
    assert route.call_count == 0


def test_a_server_ignoring_logprobs_k_is_told_what_was_sent(api, openai_client):
    """The 'server ignored logprobs' error names legacy Completions' own `logprobs=k`.

    Was: "tokenprobs already sent logprobs=True and top_logprobs", chat's parameters.
    """
    route = api.post("/completions").respond(200, json=without_logprobs())
    with pytest.raises(tp.MissingLogprobsError) as caught:
        tp.get_token_distribution(
            "The", model=MODEL, endpoint="completions", client=openai_client, top_logprobs=0
        )
    assert json.loads(route.calls.last.request.content)["logprobs"] == 0
    text = str(caught.value)
    assert "ignored `logprobs`" in text
    assert "tokenprobs already sent logprobs=k (k is the top_logprobs given)" in text
    assert "logprobs=True" not in text


def test_a_batch_file_of_legacy_completions_refuses_top_logprobs_none(tmp_path):
    """`write_requests` writes no request that would ask for no logprobs (was: `logprobs: null`)."""
    path = tmp_path / "requests.jsonl"
    with pytest.raises(TypeError, match="top_logprobs=None asks legacy completions") as caught:
        tp.batch.write_requests(
            path, ["Hi"], model=MODEL, endpoint="completions", top_logprobs=None
        )
    assert caught.value.__notes__ == ["in the batch request at index 0"]
    assert not path.exists()
