"""Requested-token logprobs (issue 15): vLLM's `logprob_token_ids`, in their own column."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from openai.types.chat import ChatCompletion

import tokenprobs as tp
from tokenprobs import testing

VOCAB = {"The": 10, " cat": 11, " sat": 12, "yes": 20, "no": 21, "maybe": 22}
# vLLM with logprob_token_ids=[20, 21] returns the sampled token and the requested ids at each
# position in place of the top-k, whatever their rank (here far below the sampled token)
POSITIONS = [
    ("The", -0.3, [("The", -0.3), ("yes", -14.5), ("no", -17.25)]),
    (" cat", -2.9, [(" cat", -2.9), ("yes", -21.0), ("no", -11.0)]),
    ("yes", -0.1, [("yes", -0.1), ("no", -3.5)]),  # the sampled token is a requested one
]


def _body() -> dict:
    return testing.vllm_token_ids(testing.chat_completion(POSITIONS), VOCAB)


@pytest.mark.parametrize(
    "form",
    [
        pytest.param(_body(), id="dict"),
        pytest.param(json.dumps(_body()), id="json"),
        pytest.param(ChatCompletion.model_validate(_body()), id="sdk"),
    ],
)
def test_requested_ids_get_their_exact_logprob_at_every_position(form):
    """Each requested id's logprob, read by id at each position, in request order."""
    d = tp.parse(form, logprob_token_ids=[21, 20])
    assert d.requested_token_ids == [21, 20]
    assert d.requested_logprobs.shape == (3, 2)
    assert d.requested_logprobs.tolist() == [[-17.25, -14.5], [-11.0, -21.0], [-3.5, -0.1]]


def test_an_id_the_position_lacks_is_nan():
    """A requested id with no entry at a position is NaN there, not a guessed value."""
    d = tp.parse(_body(), logprob_token_ids=[22, 11])
    assert np.isnan(d.requested_logprobs[:, 0]).all()
    assert np.isnan(d.requested_logprobs[0, 1])
    assert d.requested_logprobs[1, 1] == pytest.approx(-2.9)


def test_without_ids_in_the_response_the_error_says_how_to_ask():
    """Entries without ids cannot be matched: an error naming return_tokens_as_token_ids."""
    with pytest.raises(tp.UnsupportedResponseError, match="return_tokens_as_token_ids"):
        tp.parse(testing.chat_completion(POSITIONS), logprob_token_ids=[20])


@pytest.mark.parametrize(
    "bad", [pytest.param([20, 20], id="twice"), pytest.param([-1], id="negative")]
)
def test_bad_requested_ids_are_an_error(bad):
    """Repeated or negative ids are refused with the ids named."""
    with pytest.raises(tp.UnsupportedResponseError, match="logprob_token_ids"):
        tp.parse(_body(), logprob_token_ids=bad)


def test_requested_logprobs_round_trip_and_slice():
    """The column survives JSON (NaN as null) and follows d[a:b] by position."""
    d = tp.parse(_body(), logprob_token_ids=[20, 22])
    dumped = json.loads(d.model_dump_json())
    assert dumped["requested_token_ids"] == [20, 22]
    assert dumped["requested_logprobs"][0] == [-14.5, None]
    again = tp.TokenDistribution.model_validate_json(d.model_dump_json())
    assert again == d
    part = d[1:]
    assert part.requested_token_ids == [20, 22]
    assert part.requested_logprobs[:, 0].tolist() == [-21.0, -0.1]
    assert math.isnan(part.requested_logprobs[0, 1])


def test_without_a_request_the_column_is_empty():
    """No logprob_token_ids: `(T, 0)` and no ids."""
    d = tp.parse(_body())
    assert d.requested_token_ids == []
    assert d.requested_logprobs.shape == (3, 0)


def test_the_client_passes_the_requested_ids_to_the_parser(api, openai_client):
    """`extra_body={"logprob_token_ids": [...]}` fills the column of the returned distribution."""
    route = api.post("/chat/completions").respond(200, json=_body())
    d = tp.get_token_distribution(
        "Say yes",
        model="tiny",
        client=openai_client,
        guards="off",
        extra_body={"logprob_token_ids": [20, 21], "return_tokens_as_token_ids": True},
    )
    assert json.loads(route.calls.last.request.content)["logprob_token_ids"] == [20, 21]
    assert d.requested_token_ids == [20, 21]
    assert d.requested_logprobs[0].tolist() == [-14.5, -17.25]


def test_positions_without_alternatives_match_the_sampled_token_alone():
    """`top_logprobs: null` (logprobs=0): each requested id is the sampled token's or NaN."""
    positions = [("The", -0.3, []), ("yes", -0.1, [])]
    body = testing.vllm_token_ids(testing.completion(positions, top=False), VOCAB)
    d = tp.parse(body, logprob_token_ids=[20, 21])
    assert d.top_token_ids.shape == (2, 0)
    assert np.isnan(d.requested_logprobs[0]).all()
    assert d.requested_logprobs[1, 0] == pytest.approx(-0.1)
    assert np.isnan(d.requested_logprobs[1, 1])


@pytest.mark.parametrize("async_", [False, True], ids=["sync", "async"])
async def test_a_stream_fills_the_requested_column_too(
    api, openai_client, async_openai_client, async_
):
    """`stream=True` with `logprob_token_ids`: the final distribution has their logprobs.

    Was: `requested_logprobs` empty (`(T, 0)`) for the same stream `tp.parse` reads them from.
    """
    chunks = [
        testing.vllm_token_ids(c, VOCAB) if c["choices"] and c["choices"][0].get("logprobs") else c
        for c in testing.chat_chunks(POSITIONS)
    ]
    api.post("/chat/completions").respond(
        200, headers={"content-type": "text/event-stream"}, content=testing.sse(chunks).encode()
    )
    extra = {"logprob_token_ids": [20, 21], "return_tokens_as_token_ids": True}
    kwargs = {"model": "tiny", "guards": "off", "stream": True, "extra_body": extra}
    if async_:
        stream = await tp.aget_token_distribution("Say yes", client=async_openai_client, **kwargs)
        d = await stream.until_done()
    else:
        d = tp.get_token_distribution("Say yes", client=openai_client, **kwargs).until_done()
    assert d.requested_token_ids == [20, 21]
    assert d.requested_logprobs[0].tolist() == [-14.5, -17.25]
    np.testing.assert_array_equal(
        d.requested_logprobs, tp.parse(chunks, logprob_token_ids=[20, 21]).requested_logprobs
    )
