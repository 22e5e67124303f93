import inspect
import json
from decimal import Decimal

import httpx
import numpy as np
import openai
import pytest
import respx
from openai.resources.chat.completions import AsyncCompletions as AsyncChat
from openai.resources.chat.completions import Completions as Chat
from openai.resources.completions import AsyncCompletions as AsyncLegacy
from openai.resources.completions import Completions as Legacy
from openai.resources.responses import AsyncResponses, Responses
from tests._client_helpers import MODEL, OPENAI_MAJOR, client_for, http_client

import tokenprobs as tp
from tokenprobs import MissingAPIKeyError
from tokenprobs.client import (
    aget_token_distribution,
    build_params,
    get_token_distribution,
)
from tokenprobs.client._retry import no_sleep as tp_no_sleep
from tokenprobs.testing import chat_completion, completion, response

POSITIONS = [
    ("Paris", -0.01, [("Paris", -0.01), ("Lyon", -4.6)]),
    (".", -0.2, [(".", -0.2), ("!", -1.8)]),
]


def sent(route):
    """The JSON body of the route's last request."""
    return json.loads(route.calls.last.request.content)


def test_chat_string_becomes_one_user_message(api, openai_client):
    """A str prompt is sent as one user message, with logprobs and top_logprobs."""
    route = api.post("/chat/completions").respond(200, json=chat_completion(POSITIONS))
    d = get_token_distribution("Capital?", model=MODEL, top_logprobs=2, client=openai_client)
    assert d.tokens == ["Paris", "."]
    assert d.source == "chat"
    body = sent(route)
    assert body["messages"] == [{"role": "user", "content": "Capital?"}]
    assert (body["logprobs"], body["top_logprobs"], body["model"]) == (True, 2, MODEL)


def test_messages_pass_through_and_kwargs_are_forwarded(api, openai_client):
    """A list of messages is sent as given; extra kwargs reach create()."""
    route = api.post("/chat/completions").respond(200, json=chat_completion(POSITIONS))
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    get_token_distribution(messages, model=MODEL, client=openai_client, temperature=0, seed=7)
    body = sent(route)
    assert body["messages"] == messages
    assert (body["temperature"], body["seed"]) == (0, 7)


def test_sdk_response_stays_reachable(api, openai_client):
    """`d.response` is the SDK's ChatCompletion, and parse_all reads every choice."""
    body = chat_completion(POSITIONS, POSITIONS[:1])
    api.post("/chat/completions").respond(200, json=body)
    d = get_token_distribution("Hi", model=MODEL, client=openai_client, n=2)
    assert isinstance(d.response, openai.types.chat.ChatCompletion)
    assert [len(x) for x in tp.parse_all(d.response)] == [2, 1]


def test_responses_endpoint_sets_include_and_top_logprobs(api, openai_client):
    """Responses: `include` gains the logprobs value (kept with the user's), `top_logprobs` set."""
    route = api.post("/responses").respond(200, json=response(POSITIONS))
    d = get_token_distribution(
        "Capital?",
        model=MODEL,
        endpoint="responses",
        top_logprobs=3,
        client=openai_client,
        include=["reasoning.encrypted_content"],
    )
    assert d.tokens == ["Paris", "."]
    body = sent(route)
    assert body["include"] == ["reasoning.encrypted_content", "message.output_text.logprobs"]
    assert body["top_logprobs"] == 3
    assert body["input"] == [{"role": "user", "content": "Capital?"}]


def test_legacy_completions_with_echo(api, openai_client):
    """Legacy Completions: the prompt as given, `logprobs=k`, `echo` forwarded."""
    route = api.post("/completions").respond(200, json=completion(POSITIONS))
    d = get_token_distribution(
        "Paris",
        model="davinci-002",
        endpoint="completions",
        top_logprobs=2,
        client=openai_client,
        echo=True,
        max_tokens=1,
        guards="off",
    )
    assert d.source == "completions"
    body = sent(route)
    assert (body["prompt"], body["logprobs"], body["echo"]) == ("Paris", 2, True)


def test_legacy_completions_refuse_messages():
    """Messages given to legacy Completions: a TypeError that says what to do."""
    with pytest.raises(TypeError, match="prompt string"):
        build_params(
            [{"role": "user", "content": "x"}],
            model="m",
            top_logprobs=1,
            endpoint="completions",
            create_kwargs={},
        )


@pytest.mark.parametrize("endpoint", tp.client.ENDPOINTS)
@pytest.mark.parametrize(
    ("prompt", "says"),
    [
        pytest.param(b"Hi", r"got a bytes: decode it first", id="bytes"),
        pytest.param(123, r"got an int, e\.g\. 'Capital of France\?'", id="int"),
        pytest.param(None, r"got None", id="none"),
    ],
)
def test_a_prompt_of_the_wrong_type_is_refused_before_sending(
    api, openai_client, endpoint, prompt, says
):
    """Bytes, an int or None as the prompt: a TypeError naming it, in place for many prompts.

    Was: bytes sent as the messages [72, 105]; "'int' object is not iterable".
    """
    route = api.route().respond(200, json=chat_completion(POSITIONS))
    with pytest.raises(TypeError, match=r"a prompt must be .*" + says):
        get_token_distribution(prompt, model=MODEL, client=openai_client, endpoint=endpoint)
    [result] = tp.get_token_distributions([prompt], model=MODEL, client=openai_client)
    assert isinstance(result, TypeError)
    assert "a prompt must be a str" in str(result)
    assert route.call_count == 0


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        pytest.param({"seed": np.int64(3)}, r"seed is a numpy\.int64.*int\(seed\)", id="seed"),
        pytest.param(
            {"temperature": np.float32(0.5)}, r"numpy\.float32.*float\(temperature\)", id="f32"
        ),
        pytest.param(
            {"extra_body": {"ids": [np.int32(7)]}}, r"extra_body\.ids\[0\] is a numpy", id="nested"
        ),
        pytest.param({"temperature": Decimal("0.5")}, r"decimal\.Decimal", id="decimal"),
    ],
)
def test_a_number_json_cannot_carry_is_named_before_sending(api, openai_client, kwargs, says):
    """A numpy scalar (not float64), a Decimal: a TypeError naming the field and the cast.

    Was the SDK's "Object of type int64 is not JSON serializable", naming no field.
    """
    route = api.post("/chat/completions").respond(200, json=chat_completion(POSITIONS))
    with pytest.raises(TypeError, match=says):
        get_token_distribution("Hi", model=MODEL, client=openai_client, guards="off", **kwargs)
    assert route.call_count == 0


def test_unknown_endpoint_is_refused():
    """An unknown endpoint names the valid ones."""
    with pytest.raises(ValueError, match=r"chat\.completions"):
        get_token_distribution("x", model="m", endpoint="embeddings", guards="off")  # type: ignore[call-overload]


def test_azure_client():
    """An AzureOpenAI client works: the deployment URL and api-version are the SDK's."""
    with respx.mock(base_url="https://example.openai.azure.com", assert_all_called=False) as r:
        route = r.post(url__regex=r"/openai/deployments/gpt4o/chat/completions").respond(
            200, json=chat_completion(POSITIONS)
        )
        client = openai.AzureOpenAI(
            api_key="azure-test-key",
            api_version="2024-10-21",
            azure_endpoint="https://example.openai.azure.com",
            azure_deployment="gpt4o",
            http_client=http_client(r),
            max_retries=0,
        )
        d = get_token_distribution("Hi", model="gpt-4o", client=client)
    assert d.tokens == ["Paris", "."]
    assert route.calls.last.request.url.params["api-version"] == "2024-10-21"


def test_compatible_base_url():
    """A compatible server at its own base_url (llama.cpp, vLLM ...) is called there."""
    with respx.mock(base_url="http://localhost:8080/v1", assert_all_called=False) as router:
        route = router.post("/chat/completions").respond(200, json=chat_completion(POSITIONS))
        client = client_for(router, base_url="http://localhost:8080/v1")
        d = get_token_distribution("Hi", model="local", top_logprobs=30, client=client)
    assert route.call_count == 1
    assert len(d) == 2


def test_no_key_names_the_variable(monkeypatch):
    """Without a client and without OPENAI_API_KEY: an error naming the variable."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(MissingAPIKeyError, match="OPENAI_API_KEY"):
        get_token_distribution("Hi", model=MODEL)


def test_default_client_from_the_environment(api, monkeypatch):
    """Without a client, one is built from the environment (and reused)."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-test")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    route = api.post("/chat/completions").respond(200, json=chat_completion(POSITIONS))
    if OPENAI_MAJOR >= 3:  # respx patches httpx only: route the default httpx2 transport to it
        import httpx2  # noqa: PLC0415 - only on openai 3.x

        bridge = http_client(api)._transport
        monkeypatch.setattr(
            httpx2.HTTPTransport,
            "handle_request",
            lambda _self, request: bridge.handle_request(request),
        )
    get_token_distribution("Hi", model=MODEL)
    get_token_distribution("Hi", model=MODEL)
    assert route.call_count == 2
    assert route.calls.last.request.headers["authorization"] == "Bearer sk-env-test"


def test_sync_client_given_to_async_twin_is_refused(openai_client):
    """The wrong kind of client is a TypeError naming the right function."""
    with pytest.raises(TypeError, match="AsyncOpenAI"):
        pytest.importorskip("asyncio").run(
            aget_token_distribution("Hi", model=MODEL, client=openai_client)  # type: ignore[call-overload]
        )


@pytest.mark.parametrize("retry", [tp.DEFAULT_RETRY, None], ids=["retry", "no-retry"])
@pytest.mark.parametrize(
    ("client", "says"),
    [
        pytest.param("sk-secret-do-not-print", "got a str; to give an API key", id="a-key"),
        pytest.param(openai.OpenAI, "the class OpenAI itself", id="the-class"),
        pytest.param({"api_key": "sk-secret-do-not-print"}, "got a dict", id="a-dict"),
    ],
)
def test_what_is_not_a_client_is_a_type_error(client, says, retry):
    """A key, the class or a dict as `client` (was: AttributeError from inside; key unshown)."""
    with pytest.raises(TypeError, match=r"client must be an openai\.OpenAI") as info:
        get_token_distribution("Hi", model=MODEL, client=client, retry=retry)
    assert says in str(info.value)
    assert "sk-secret" not in str(info.value)


async def test_what_is_not_an_async_client_is_a_type_error():
    """The async twin says the same, naming AsyncOpenAI."""
    with pytest.raises(TypeError, match=r"openai.AsyncOpenAI \(or an AsyncAzureOpenAI"):
        await aget_token_distribution("Hi", model=MODEL, client="sk-x")  # type: ignore[call-overload]


async def test_the_wrong_twin_of_client_names_both_twins(openai_client, async_openai_client):
    """An AsyncOpenAI given to get_token_distributions (or the reverse) names the right twin.

    Was: "get_token_distribution needs a sync client: use aget_token_distribution", the
    single-prompt function, for every caller.
    """
    with pytest.raises(TypeError, match="aget_token_distributions") as info:
        tp.get_token_distributions(["Hi"], model=MODEL, client=async_openai_client)  # type: ignore[arg-type]
    assert "got an AsyncOpenAI client where a sync openai.OpenAI goes" in str(info.value)
    with pytest.raises(TypeError, match="get_token_distributions") as info:
        await tp.aget_token_distributions(["Hi"], model=MODEL, client=openai_client)  # type: ignore[arg-type]
    assert "got a sync OpenAI client where an openai.AsyncOpenAI goes" in str(info.value)


def test_key_never_in_errors(api):
    """The API key does not appear in the errors tokenprobs raises or annotates."""
    client = client_for(api, api_key="sk-secret-do-not-print")
    api.post("/chat/completions").respond(500, json={"error": {"message": "boom"}})
    with tp_no_sleep(), pytest.raises(openai.InternalServerError) as info:
        get_token_distribution("Hi", model=MODEL, client=client)
    text = str(info.value) + "".join(info.value.__notes__) + repr(info.value)
    assert "sk-secret" not in text


async def test_async_twin_gives_the_same_distribution(api, async_openai_client, openai_client):
    """The async twin returns what the sync function returns."""
    api.post("/chat/completions").respond(200, json=chat_completion(POSITIONS))
    a = await aget_token_distribution("Hi", model=MODEL, client=async_openai_client)
    s = get_token_distribution("Hi", model=MODEL, client=openai_client)
    assert a == s


def test_twins_have_the_same_signature():
    """get_token_distribution and its async twin take the same parameters and defaults."""
    sync = inspect.signature(get_token_distribution).parameters
    asyn = inspect.signature(aget_token_distribution).parameters
    assert list(sync) == list(asyn)
    for name in sync:
        assert (sync[name].kind, sync[name].default) == (asyn[name].kind, asyn[name].default)
        if name != "client":
            assert sync[name].annotation == asyn[name].annotation


@pytest.mark.parametrize(
    ("endpoint", "resources"),
    [
        pytest.param("chat.completions", (Chat, AsyncChat), id="chat"),
        pytest.param("responses", (Responses, AsyncResponses), id="responses"),
        pytest.param("completions", (Legacy, AsyncLegacy), id="legacy"),
    ],
)
def test_forwarded_kwargs_match_the_installed_sdk(endpoint, resources):
    """Every keyword we send is a parameter of the installed SDK's create() (sync and async)."""
    prompt = "x" if endpoint == "completions" else [{"role": "user", "content": "x"}]
    params = build_params(prompt, model="m", top_logprobs=2, endpoint=endpoint, create_kwargs={})
    for resource in resources:
        accepted = inspect.signature(resource.create).parameters
        assert set(params) | {"stream"} <= set(accepted), resource


def test_guards_run_before_the_call(api, openai_client):
    """A refused request never reaches the network; the error is the SDK's class."""
    route = api.post("/chat/completions").respond(200, json=chat_completion(POSITIONS))
    with pytest.raises(openai.BadRequestError):
        get_token_distribution("Hi", model="gpt-4o", top_logprobs=21, client=openai_client)
    assert route.call_count == 0


def test_guards_off_sends_the_request(api, openai_client):
    """`guards="off"` sends what strict mode would refuse."""
    route = api.post("/chat/completions").respond(200, json=chat_completion(POSITIONS))
    get_token_distribution(
        "Hi", model="gpt-4o", top_logprobs=21, client=openai_client, guards="off"
    )
    assert route.call_count == 1


def test_missing_logprobs_raise(api, openai_client):
    """A response without logprobs raises MissingLogprobsError, saying how to ask."""
    body = chat_completion(POSITIONS)
    body["choices"][0]["logprobs"] = None
    api.post("/chat/completions").mock(return_value=httpx.Response(200, json=body))
    with pytest.raises(tp.MissingLogprobsError):
        get_token_distribution("Hi", model=MODEL, client=openai_client)
