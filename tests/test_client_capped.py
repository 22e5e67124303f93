"""Fewer alternatives than asked: a server or gateway that caps `top_logprobs` without saying so.

Azure takes `top_logprobs=20` and returns 5 (deepeval PR#1261); LMDeploy returned 4 of 5. OpenAI
documents that a position may hold fewer than asked, and llama-cpp-python merges two alternatives
of the same text, so the client warns only when every position holds one count below what was
asked (two positions or more), or none holds any. pyproject.toml ignores this warning for the unit
tests (their mocked servers answer with fewer than the default 5); `pytest.warns` records it here
regardless, and `strict()` turns it back into an error where a test says it must not be given.
"""

import json
import warnings
from contextlib import contextmanager

import httpx
import pytest
from tests._client_helpers import MODEL

import tokenprobs as tp
from tokenprobs import TokenprobsWarning
from tokenprobs.client import (
    aget_token_distribution,
    aget_token_distributions,
    get_token_distribution,
    get_token_distributions,
)
from tokenprobs.testing import chat_chunks, chat_completion, completion, response, sse

TWO = [
    ("Paris", -0.01, [("Paris", -0.01), ("Lyon", -4.6)]),
    (".", -0.2, [(".", -0.2), ("!", -1.8)]),
]
"""Two alternatives at every position."""

ONE_FULL = [
    ("Paris", -0.05, [("Paris", -0.05), ("Lyon", -4.6), ("Nice", -5.0)]),
    (".", -0.2, [(".", -0.2)]),
]
"""Three alternatives at the first position, one at the second."""

NONE = [("Paris", -0.01, []), (".", -0.2, [])]
"""No alternative anywhere: `top_logprobs: []` at each position."""

CAPPED = r"^top_logprobs=3 was asked, but every position holds 2 alternative\(s\)"


def serve_stream(api):
    """Serve `TWO` as a chat stream."""
    text = sse(chat_chunks(TWO))
    headers = {"content-type": "text/event-stream"}
    api.post("/chat/completions").respond(200, headers=headers, content=text.encode())


@contextmanager
def strict():
    """The capped-alternatives warning, and every other, as an error inside the block."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_an_answer_with_fewer_alternatives_everywhere_warns(api, openai_client):
    """Asked 3, got 2 at every position: a warning at the caller's line; the answer is kept."""
    body = chat_completion(TWO)
    api.post("/chat/completions").respond(200, json=body)
    with pytest.warns(TokenprobsWarning, match=CAPPED) as record:
        d = get_token_distribution("x", model=MODEL, top_logprobs=3, client=openai_client)
    assert len(record) == 1
    assert record[0].filename == __file__
    assert "ask for top_logprobs=2 to match what it sends" in str(record[0].message)
    assert d.top_tokens == tp.parse(body).top_tokens == [["Paris", "Lyon"], [".", "!"]]


def test_one_position_holding_what_was_asked_is_no_cap(api, openai_client):
    """OpenAI may return fewer at some positions: one position with all 3 asked is no cap."""
    api.post("/chat/completions").respond(200, json=chat_completion(ONE_FULL))
    with strict():
        d = get_token_distribution("x", model=MODEL, top_logprobs=3, client=openai_client)
    assert [len(t) for t in d.top_tokens] == [3, 1]


def test_as_many_as_asked_or_none_asked_gives_no_warning(api, openai_client):
    """Asked 2 and got 2, or asked 0 (the sampled token alone): nothing to say."""
    api.post("/chat/completions").respond(200, json=chat_completion(TWO))
    with strict():
        get_token_distribution("x", model=MODEL, top_logprobs=2, client=openai_client)
    api.post("/chat/completions").respond(200, json=chat_completion(NONE))
    with strict():
        get_token_distribution("x", model=MODEL, top_logprobs=0, client=openai_client)


def test_no_alternative_at_all_says_the_server_ignores_top_logprobs(api, openai_client):
    """Asked 5, got none anywhere (vllm-mlx, some gateways): the tail is unknown everywhere."""
    api.post("/chat/completions").respond(200, json=chat_completion(NONE))
    with pytest.warns(
        TokenprobsWarning, match=r"^top_logprobs=5 was asked, but no position holds any"
    ):
        get_token_distribution("x", model=MODEL, client=openai_client)


@pytest.mark.parametrize(
    ("endpoint", "path", "body"),
    [
        pytest.param("responses", "/responses", response(TWO), id="responses"),
        pytest.param("completions", "/completions", completion(TWO), id="legacy"),
    ],
)
def test_every_endpoint_names_the_top_logprobs_given(api, openai_client, endpoint, path, body):
    """The message names tokenprobs' own `top_logprobs=` (legacy Completions sends `logprobs`)."""
    api.post(path).respond(200, json=body)
    with pytest.warns(TokenprobsWarning, match=CAPPED):
        get_token_distribution(
            "x", model=MODEL, top_logprobs=3, endpoint=endpoint, client=openai_client
        )


async def test_the_async_twin_warns_too(api, async_openai_client):
    """`aget_token_distribution` gives the same warning."""
    api.post("/chat/completions").respond(200, json=chat_completion(TWO))
    with pytest.warns(TokenprobsWarning, match=CAPPED):
        await aget_token_distribution("x", model=MODEL, top_logprobs=3, client=async_openai_client)


def test_a_stream_warns_once_at_its_end(api, openai_client):
    """A stream warns when it ends (not per update), and its result is the same."""
    serve_stream(api)
    stream = get_token_distribution(
        "x", model=MODEL, top_logprobs=3, client=openai_client, stream=True
    )
    with pytest.warns(TokenprobsWarning, match=CAPPED) as record:
        updates = list(stream)
    assert len(record) == 1
    assert updates[-1].final
    assert stream.distribution.top_tokens == [["Paris", "Lyon"], [".", "!"]]


async def test_an_async_stream_warns_at_its_end(api, async_openai_client):
    """The async stream twin gives it too."""
    serve_stream(api)
    stream = await aget_token_distribution(
        "x", model=MODEL, top_logprobs=3, client=async_openai_client, stream=True
    )
    with pytest.warns(TokenprobsWarning, match=CAPPED):
        async with stream:
            [u async for u in stream]


def test_a_stream_given_as_many_as_asked_stays_silent(api, openai_client):
    """No warning from a stream whose positions hold what was asked."""
    serve_stream(api)
    stream = get_token_distribution(
        "x", model=MODEL, top_logprobs=2, client=openai_client, stream=True
    )
    with strict():
        list(stream)


def three_prompts(client):
    """`get_token_distributions` of three prompts, one at a time, asking for 3 alternatives."""
    prompts = ["a", "b", "c"]
    return get_token_distributions(
        prompts, model=MODEL, top_logprobs=3, client=client, concurrency=1, progress=False
    )


def test_many_prompts_warn_once_for_the_run(api, openai_client):
    """One warning for a whole run of capped answers, at the caller's line."""
    api.post("/chat/completions").respond(200, json=chat_completion(TWO))
    with pytest.warns(TokenprobsWarning, match=CAPPED) as record:
        results = three_prompts(openai_client)
    assert len(record) == 1
    assert record[0].filename == __file__
    assert all(isinstance(r, tp.TokenDistribution) for r in results)


def test_a_run_with_one_answer_holding_what_was_asked_is_no_cap(api, openai_client):
    """The answers are taken together: one that holds all 3 shows the server sends 3."""
    answers = iter([chat_completion(TWO), chat_completion(ONE_FULL), chat_completion(TWO)])
    api.post("/chat/completions").mock(
        side_effect=lambda _request: httpx.Response(200, json=next(answers))
    )
    with strict():
        three_prompts(openai_client)


@pytest.mark.parametrize(
    "positions",
    [
        pytest.param(TWO[:1], id="one-position"),
        pytest.param([TWO[0], (".", -0.2, [(".", -0.2)])], id="two-then-one"),
    ],
)
def test_fewer_than_asked_without_a_pattern_is_no_cap(api, openai_client, positions):
    """One position short (two tokens of one text merged?), or counts that differ: no warning."""
    api.post("/chat/completions").respond(200, json=chat_completion(positions))
    with strict():
        get_token_distribution("x", model=MODEL, top_logprobs=3, client=openai_client)


def test_a_single_position_with_no_alternative_is_enough_to_say_none_came(api, openai_client):
    """Nothing merges into nothing: asked 3, none at the only position, warns."""
    api.post("/chat/completions").respond(200, json=chat_completion(NONE[:1]))
    with pytest.warns(TokenprobsWarning, match="no position holds any alternative"):
        get_token_distribution("x", model=MODEL, top_logprobs=3, client=openai_client)


def test_an_echoed_prompt_s_first_position_is_left_out(api, openai_client):
    """Legacy echo: the prompt's first token has no alternatives; the rest, capped, still warn."""
    body = completion([("Say", None, []), *TWO])
    api.post("/completions").respond(200, json=body)
    with pytest.warns(TokenprobsWarning, match=CAPPED):
        get_token_distribution(
            "Say",
            model=MODEL,
            top_logprobs=3,
            endpoint="completions",
            client=openai_client,
            echo=True,
        )


async def test_many_prompts_async_warn_once(api, async_openai_client):
    """The async twin of many prompts warns once too."""
    api.post("/chat/completions").respond(200, json=chat_completion(TWO))
    with pytest.warns(TokenprobsWarning, match=CAPPED) as record:
        await aget_token_distributions(
            ["a", "b"], model=MODEL, top_logprobs=3, client=async_openai_client, progress=False
        )
    assert len(record) == 1


def test_a_failed_prompt_is_not_counted_as_an_answer(api, openai_client):
    """Errors in place are left out of the count; a run of errors only warns of nothing."""
    api.post("/chat/completions").respond(400, json={"error": {"message": "bad"}})
    with strict():
        results = get_token_distributions(
            ["a"], model=MODEL, top_logprobs=3, client=openai_client, progress=False
        )
    assert isinstance(results[0], Exception)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        pytest.param("5", r"got a str \('5'\): pass top_logprobs=5", id="str"),
        pytest.param(5.0, r"got a float \(5\.0\): pass top_logprobs=5", id="float"),
        pytest.param(True, r"got a bool \(True\)$", id="bool"),
        pytest.param([5], r"got a list \(\[5\]\)$", id="list"),
    ],
)
@pytest.mark.parametrize("guards", ["strict", "warn"])
@pytest.mark.parametrize("profile", ["compatible", "vllm", "llama.cpp", "openai"])
@pytest.mark.parametrize("run", [get_token_distribution, get_token_distributions])
def test_a_top_logprobs_that_is_no_int_is_refused_before_sending(  # noqa: PLR0917
    api, openai_client, value, says, profile, guards, run
):
    """On every profile and guard mode but off: a TypeError, nothing sent.

    It was sent, then a TypeError from deep inside once the answer came (every profile but
    OpenAI's, whose guard refused it).
    """
    route = api.post("/chat/completions").respond(200, json=chat_completion(TWO))
    prompts = "Hi" if run is get_token_distribution else ["Hi", "Yo"]
    with pytest.raises(TypeError, match=f"top_logprobs is the number of .*{says}"):
        run(
            prompts,
            model=MODEL,
            client=openai_client,
            top_logprobs=value,
            guards=guards,
            profile=profile,
            **({} if run is get_token_distribution else {"progress": False}),
        )
    assert route.call_count == 0


def test_with_guards_off_a_top_logprobs_that_is_no_int_is_sent_as_is(api, openai_client):
    """`guards="off"` sends what it is given; the answer is not checked against a non-count."""
    api.post("/chat/completions").respond(200, json=chat_completion(TWO))
    with strict():
        d = get_token_distribution(
            "Hi", model=MODEL, client=openai_client, top_logprobs="5", guards="off"
        )
        api.post("/chat/completions").respond(
            200, headers={"content-type": "text/event-stream"}, content=sse(chat_chunks(TWO))
        )
        streamed = get_token_distribution(
            "Hi", model=MODEL, client=openai_client, top_logprobs="5", guards="off", stream=True
        ).until_done()
    assert d.tokens == streamed.tokens == ["Paris", "."]
    assert len(api.calls) == 2
    assert [json.loads(c.request.content)["top_logprobs"] for c in api.calls] == ["5", "5"]
