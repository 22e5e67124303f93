"""A keyword the installed SDK's create() does not take is refused before any request."""

import inspect
import json
import re

import pytest
from openai.resources.chat.completions import Completions as Chat
from openai.resources.completions import Completions as Legacy
from openai.resources.responses import Responses
from tests._client_helpers import MODEL

import tokenprobs as tp
from tokenprobs.testing import chat_completion

VLLM_URL = "http://localhost:8000/v1"
POSITIONS = [("Hi", -0.1, [("Hi", -0.1)])]
EVERY_ROUTE = ("/chat/completions", "/completions", "/responses")


def _routes(router):
    return [router.post(path).respond(200, json=chat_completion(POSITIONS)) for path in EVERY_ROUTE]


@pytest.fixture
def vllm(make_client):
    """A vLLM-like server's router (every endpoint answers) and a real client of it."""
    import respx  # noqa: PLC0415

    with respx.mock(base_url=VLLM_URL, assert_all_called=False) as router:
        client = make_client(router, base_url=VLLM_URL)
        yield router, client
        client.close()


@pytest.mark.parametrize(
    ("endpoint", "kwargs", "says"),
    [
        pytest.param(
            "chat.completions",
            {"prompt_logprobs": 1},
            [
                "prompt_logprobs=",
                "client.chat.completions.create()",
                "extra_body={'prompt_logprobs': 1}",
            ],
            id="chat-vllm-prompt_logprobs",
        ),
        pytest.param(
            "completions",
            {"logprob_token_ids": [1, 2]},
            [
                "logprob_token_ids=",
                "client.completions.create()",
                "extra_body={'logprob_token_ids': [1, 2]}",
            ],
            id="legacy-vllm-logprob_token_ids",
        ),
        pytest.param(
            "chat.completions",
            {"n_probs": 5},
            ["n_probs=", "extra_body={'n_probs': 5}"],
            id="chat-llama.cpp-n_probs",
        ),
        pytest.param(
            "responses",
            {"top_k": 5},
            ["top_k=", "client.responses.create()", "extra_body={'top_k': 5}"],
            id="responses-top_k",
        ),
    ],
)
def test_server_parameter_as_keyword_is_refused_before_any_request(vllm, endpoint, kwargs, says):
    """A server's own parameter passed as a keyword: a TypeError naming it and extra_body."""
    router, client = vllm
    routes = _routes(router)
    with pytest.raises(TypeError, match="installed openai SDK") as caught:
        tp.get_token_distribution(
            "hi", model="m", client=client, endpoint=endpoint, profile="vllm", **kwargs
        )
    for part in says:
        assert part in str(caught.value)
    assert "did you mean" not in str(caught.value)
    assert [r.call_count for r in routes] == [0, 0, 0]


@pytest.mark.parametrize(
    ("endpoint", "kwargs", "meant"),
    [
        pytest.param("chat.completions", {"top_logprob": 5}, "top_logprobs=", id="top_logprob"),
        pytest.param("chat.completions", {"temprature": 0.5}, "temperature=", id="temprature"),
        pytest.param("completions", {"max_token": 5}, "max_tokens=", id="legacy-max_token"),
        pytest.param("responses", {"max_output_token": 16}, "max_output_tokens=", id="responses"),
    ],
)
def test_misspelt_parameter_suggests_the_real_one(api, openai_client, endpoint, kwargs, meant):
    """A close misspelling of a real create() parameter is answered with its right spelling."""
    routes = _routes(api)
    with pytest.raises(TypeError, match=re.escape(f"did you mean {meant}?")) as caught:
        tp.get_token_distribution(
            "hi", model=MODEL, client=openai_client, endpoint=endpoint, **kwargs
        )
    assert next(iter(kwargs)) + "=" in str(caught.value)
    assert [r.call_count for r in routes] == [0, 0, 0]


async def test_async_twin_refuses_it_too(api, async_openai_client):
    """aget_token_distribution refuses the same keyword before sending."""
    (route, *_) = _routes(api)
    with pytest.raises(TypeError, match="extra_body"):
        await tp.aget_token_distribution(
            "hi", model=MODEL, client=async_openai_client, prompt_logprobs=1
        )
    assert route.call_count == 0


def test_stream_refuses_it_too(api, openai_client):
    """A stream is refused before its request is sent."""
    (route, *_) = _routes(api)
    with pytest.raises(TypeError, match="extra_body"):
        tp.get_token_distribution(
            "hi", model=MODEL, client=openai_client, stream=True, prompt_logprobs=1
        )
    assert route.call_count == 0


def test_many_prompts_raise_once_instead_of_failing_each(api, openai_client):
    """get_token_distributions raises at once: the keyword is wrong for every prompt."""
    (route, *_) = _routes(api)
    with pytest.raises(TypeError, match=r"top_logprob= .* did you mean top_logprobs="):
        tp.get_token_distributions(
            ["a", "b"], model=MODEL, client=openai_client, progress=False, top_logprob=2
        )
    assert route.call_count == 0


async def test_async_many_prompts_raise_once(api, async_openai_client):
    """aget_token_distributions raises at once too."""
    (route, *_) = _routes(api)
    with pytest.raises(TypeError, match="prompt_logprobs="):
        await tp.aget_token_distributions(
            ["a", "b"], model=MODEL, client=async_openai_client, progress=False, prompt_logprobs=1
        )
    assert route.call_count == 0


def test_classify_refuses_it_before_any_request(api, openai_client):
    """Tools built on the client (classify) refuse it before their first request."""
    routes = _routes(api)
    with pytest.raises(TypeError, match="n_probs="):
        tp.classify(["a"], ["yes", "no"], model=MODEL, client=openai_client, n_probs=3)
    assert [r.call_count for r in routes] == [0, 0, 0]


def test_the_fix_the_message_gives_works(vllm):
    """Refused as a keyword, the same parameter in extra_body reaches the server's body."""
    router, client = vllm
    (route, *_) = _routes(router)
    with pytest.raises(TypeError, match="extra_body=") as caught:
        tp.get_token_distribution("hi", model="m", client=client, profile="vllm", prompt_logprobs=1)
    assert "extra_body={'prompt_logprobs': 1}" in str(caught.value)
    tp.get_token_distribution(
        "hi", model="m", client=client, profile="vllm", extra_body={"prompt_logprobs": 1}
    )
    assert route.call_count == 1
    assert json.loads(route.calls.last.request.content)["prompt_logprobs"] == 1


@pytest.mark.parametrize(
    ("endpoint", "resource"),
    [
        pytest.param("chat.completions", Chat, id="chat"),
        pytest.param("responses", Responses, id="responses"),
        pytest.param("completions", Legacy, id="legacy"),
    ],
)
def test_every_sdk_parameter_is_accepted(endpoint, resource):
    """What the installed SDK's create() takes is not refused (it is read from its signature)."""
    from tokenprobs.client._kwargs import check_create_kwargs  # noqa: PLC0415

    ours = {"model", "messages", "input", "prompt", "logprobs", "top_logprobs", "include"}
    accepted = inspect.signature(resource.create).parameters
    names = {name: None for name in accepted if name != "self" and name not in ours}
    assert "extra_body" in names
    check_create_kwargs(endpoint, names)
    with pytest.raises(TypeError):
        check_create_kwargs(endpoint, {**names, "not_a_parameter": 1})


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        pytest.param({"api_key": "sk-secret-1234"}, "client=openai.OpenAI(api_key=...)", id="key"),
        pytest.param(
            {"headers": {"Authorization": "Bearer sk-secret-1234"}},
            "extra_body={'headers': ...}",
            id="headers",
        ),
        pytest.param({"user_token": "sk-secret-1234"}, "extra_body={'user_token': ...}", id="str"),
    ],
)
def test_a_refused_value_that_may_be_a_secret_is_not_repeated(api, openai_client, kwargs, says):
    """Only numbers are echoed in the fix: a key, a header or a string never reaches the message."""
    (route, *_) = _routes(api)
    with pytest.raises(TypeError) as caught:
        tp.get_token_distribution("hi", model=MODEL, client=openai_client, **kwargs)
    assert says in str(caught.value)
    assert "secret" not in str(caught.value)
    assert route.call_count == 0


def test_a_misspelt_server_parameter_is_spelt_right_in_extra_body(vllm):
    """`prompt_logprob=1` (vLLM's prompt_logprobs misspelt) is shown in extra_body, spelt right."""
    router, client = vllm
    routes = _routes(router)
    with pytest.raises(TypeError) as caught:
        tp.score("hi there", model="m", client=client, profile="vllm", prompt_logprob=1)
    assert "extra_body={'prompt_logprobs': 1}" in str(caught.value)
    assert [r.call_count for r in routes] == [0, 0, 0]
