"""The client's usage errors and failure messages say what happened, where, and the fix."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest.mock import MagicMock

import openai
import pytest
from openai.types.chat import ChatCompletion
from tests._client_helpers import MODEL, client_for, connect_error

import tokenprobs as tp
from tokenprobs import RetryPolicy, aget_token_distribution, get_token_distribution
from tokenprobs.testing import chat_completion, no_sleep, response

POSITIONS = [("Paris", -0.01, [("Paris", -0.01), ("Lyon", -4.6)])]
LOCAL = "http://127.0.0.1:9/v1"


@pytest.mark.parametrize(
    ("endpoint", "value", "says"),
    [
        pytest.param("chat.completions", False, "contradicts", id="chat-false"),
        pytest.param("chat.completions", None, "contradicts", id="chat-none"),
        pytest.param("completions", 3, "top_logprobs=k instead", id="legacy-int"),
        pytest.param("completions", False, "top_logprobs=k instead", id="legacy-false"),
        pytest.param("responses", True, "not a Responses API parameter", id="responses"),
    ],
)
def test_logprobs_override_is_a_usage_error_and_sends_nothing(
    api, openai_client, endpoint, value, says
):
    """`logprobs=False` (or a legacy `logprobs=k`) is refused with the fix, before any request."""
    route = api.route().respond(200, json=chat_completion(POSITIONS))
    with pytest.raises(ValueError, match=says):
        get_token_distribution(
            "Hi", model=MODEL, endpoint=endpoint, client=openai_client, logprobs=value
        )
    assert route.call_count == 0


def test_logprobs_true_on_chat_is_accepted(api, openai_client):
    """`logprobs=True` on chat says what tokenprobs sends anyway: accepted, sent once."""
    route = api.post("/chat/completions").respond(200, json=chat_completion(POSITIONS))
    d = get_token_distribution("Hi", model=MODEL, client=openai_client, logprobs=True)
    assert d.tokens == ["Paris"]
    assert json.loads(route.calls.last.request.content)["logprobs"] is True


def test_server_that_ignores_logprobs_is_named(make_client):
    """A compatible server answering without logprobs: the error names its URL and the model."""
    import respx  # noqa: PLC0415

    body = chat_completion(POSITIONS)
    body["model"] = "my-local-model"
    body["choices"][0]["logprobs"] = None
    with respx.mock(base_url="http://127.0.0.1:8000/v1", assert_all_called=False) as router:
        router.post("/chat/completions").respond(200, json=body)
        client = make_client(router, base_url="http://127.0.0.1:8000/v1")
        with pytest.raises(tp.MissingLogprobsError) as caught:
            get_token_distribution("Hi", model="my-local-model", client=client)
        client.close()
    text = str(caught.value)
    assert "http://127.0.0.1:8000/v1" in text
    assert "'my-local-model'" in text
    assert "ignored `logprobs`" in text
    assert "pass logprobs=True" not in text


@pytest.mark.parametrize("retry", [RetryPolicy(max_attempts=3), None], ids=["retried", "no-retry"])
def test_connection_error_names_the_url_once(api, retry):
    """A connection error says which URL could not be reached, once, and the attempts once."""
    client = client_for(api, api_key="sk-secret-connection-test")
    route = api.post("/chat/completions")
    route.side_effect = connect_error()
    with no_sleep(), pytest.raises(openai.APIConnectionError) as caught:
        get_token_distribution("Hi", model=MODEL, client=client, retry=retry)
    notes = "\n".join(caught.value.__notes__)
    assert notes.count("https://api.openai.com/v1/chat/completions") == 1
    assert notes.count("stopped retrying") == (1 if retry else 0)
    if retry:
        assert "after 3 attempts to reach https://api.openai.com/v1/chat/completions" in notes
        assert "RetryPolicy.max_attempts is 3" in notes
    assert "sk-secret" not in notes + str(caught.value)


class _Server(BaseHTTPRequestHandler):
    """A loopback stand-in for a compatible server that needs no key (records what it got)."""

    seen: list[dict[str, str]]

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).seen.append({"path": self.path, "auth": self.headers.get("Authorization", "")})
        payload = json.dumps(chat_completion(POSITIONS)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *_args: object) -> None:
        """Quiet: the test reads `seen`."""


@pytest.fixture
def keyless_server():
    """A loopback HTTP server answering chat completions; yields its base URL and requests."""
    handler = type("Handler", (_Server,), {"seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", handler.seen
    server.shutdown()
    server.server_close()


def test_openai_base_url_without_a_key_works(keyless_server, monkeypatch):
    """OPENAI_BASE_URL naming a compatible server, no OPENAI_API_KEY: the call goes through."""
    url, seen = keyless_server
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    d = get_token_distribution("Hi", model="local", retry=None)
    assert d.tokens == ["Paris"]
    assert [r["path"] for r in seen] == ["/v1/chat/completions"]
    assert seen[0]["auth"] == "Bearer sk-no-key-required"


@pytest.mark.parametrize(
    "base_url",
    [None, "https://api.openai.com/v1", "https://eu.api.openai.com/v1"],
    ids=["unset", "openai", "openai-data-residency"],
)
def test_openai_itself_still_needs_a_key(monkeypatch, base_url):
    """Without a key, OpenAI's own API (the default, named, or a regional host) is refused.

    A regional (data residency) host was taken for a compatible server and sent the placeholder
    key, to be answered 401.
    """
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    if base_url is None:
        monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    else:
        monkeypatch.setenv("OPENAI_BASE_URL", base_url)
    with pytest.raises(tp.MissingAPIKeyError, match="OPENAI_API_KEY"):
        get_token_distribution("Hi", model=MODEL)


@pytest.mark.parametrize(
    ("base_url", "why"),
    [
        pytest.param("localhost:8000/v1", "it must start with http:// or https://", id="no-scheme"),
        pytest.param("http://user:sk-secret-x@h:99999/v1", "Port out of range", id="bad-port"),
    ],
)
def test_a_base_url_no_request_can_reach_is_refused_before_sending(monkeypatch, base_url, why):
    """OPENAI_BASE_URL or a client's base_url without http(s) or with a bad port: ValueError.

    Was: five attempts with backoff, then "Connection error." naming a garbled URL.
    """
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0000")
    monkeypatch.setenv("OPENAI_BASE_URL", base_url)
    with no_sleep() as waits, pytest.raises(ValueError, match="OPENAI_BASE_URL") as info:
        get_token_distribution("Hi", model=MODEL)
    assert why in str(info.value)
    assert "http://HOST[:PORT]/v1" in str(info.value)
    monkeypatch.delenv("OPENAI_BASE_URL")
    client = openai.OpenAI(api_key="sk-test-0000", base_url=base_url)
    with no_sleep() as waits, pytest.raises(ValueError, match="the client's base_url") as info:
        get_token_distribution("Hi", model=MODEL, client=client)
    assert why in str(info.value)
    assert "sk-secret" not in str(info.value)
    assert waits == []


@pytest.mark.parametrize(
    ("key", "says"),
    [
        pytest.param("sk-secret-0000\n", "ends with whitespace", id="newline-from-a-file"),
        pytest.param("sk-secret-0000\r", "ends with whitespace", id="crlf-dotenv"),
        pytest.param("\u201csk-secret-0000\u201d", "U+201C", id="curly-quotes"),
        pytest.param("sk-secret\x070000", "control character", id="bell"),
    ],
)
def test_a_key_no_header_can_carry_is_refused_unshown(keyless_server, monkeypatch, key, says):
    """OPENAI_API_KEY or a client's api_key with a line break or a curly quote: ValueError.

    Was: five attempts, then a connection error chained from the HTTP library's "Illegal header
    value b'Bearer sk-...'" (or a UnicodeEncodeError whose repr holds the header): the key shown.
    """
    url, seen = keyless_server
    monkeypatch.setenv("OPENAI_API_KEY", key)
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    with no_sleep() as waits, pytest.raises(ValueError, match="OPENAI_API_KEY") as env:
        get_token_distribution("Hi", model="local")
    client = openai.OpenAI(api_key=key, base_url=url)
    with pytest.raises(ValueError, match="the client's api_key") as given:
        get_token_distribution("Hi", model="local", client=client)
    for info in (env, given):
        assert says in str(info.value)
        assert "secret" not in str(info.value)
        assert info.value.__cause__ is None
        assert info.value.__context__ is None
    assert (waits, seen) == ([], [])


def test_azure_without_a_key_is_not_refused_for_its_placeholder():
    """An AzureOpenAI with a token instead of a key (its api_key a placeholder) passes the check."""
    client = openai.AzureOpenAI(
        azure_endpoint="https://res.openai.azure.com",
        azure_ad_token="tok",
        api_version="2024-10-21",
    )
    with pytest.raises(ValueError, match="model is empty"):  # refused after the client check
        get_token_distribution("Hi", model=" ", client=client)


def test_a_mock_client_is_not_refused_for_its_base_url():
    """A test's `MagicMock` client (its `base_url` a mock, no URL) still works with retry=None."""
    client = MagicMock()
    client.chat.completions.create.return_value = ChatCompletion.model_validate(
        chat_completion(POSITIONS)
    )
    d = get_token_distribution("Hi", model=MODEL, client=client, retry=None)
    assert d.tokens == ["Paris"]


async def test_async_twin_refuses_a_base_url_no_request_can_reach():
    """The async twin refuses it the same way."""
    client = openai.AsyncOpenAI(api_key="sk-test-0000", base_url="localhost:8000/v1")
    with pytest.raises(ValueError, match="it must start with http"):
        await aget_token_distribution("Hi", model=MODEL, client=client)


def test_cli_ask_uses_openai_base_url_without_a_key(keyless_server, monkeypatch, capsys):
    """`tokenprobs ask` with OPENAI_BASE_URL and no key asks that server (exit 0)."""
    from tokenprobs import cli  # noqa: PLC0415

    url, seen = keyless_server
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    assert cli.main(["ask", "Hi", "--model", "local", "--format", "text"]) == 0
    assert "Paris" in capsys.readouterr().out
    assert len(seen) == 1


@pytest.mark.parametrize(
    ("kwargs", "error", "says"),
    [
        pytest.param({"model": 5}, TypeError, "model is a model's name", id="model-int"),
        pytest.param({"model": None}, TypeError, "model is a model's name", id="model-none"),
        pytest.param({"model": " "}, ValueError, "model is empty", id="model-empty"),
        pytest.param(
            {"model": MODEL, "temperature": float("nan")},
            ValueError,
            "temperature is nan",
            id="nan",
        ),
        pytest.param(
            {"model": MODEL, "extra_body": {"min_p": float("inf")}},
            ValueError,
            "extra_body.min_p is inf",
            id="inf-in-extra-body",
        ),
        pytest.param(
            {"model": MODEL, "logit_bias": {"50256": float("-inf")}},
            ValueError,
            "logit_bias.50256 is -inf",
            id="inf-in-logit-bias",
        ),
        pytest.param(
            {"model": MODEL, "extra_body": {"stop": ["a\ud800"]}},
            ValueError,
            r"extra_body\.stop\[0\] holds '\\ud800' at character 1, half of a UTF-16",
            id="surrogate-in-extra-body",
        ),
        pytest.param(
            {"model": MODEL, "logit_bias": {"\udc80": 1}},
            ValueError,
            r"logit_bias's key '\\udc80' holds",
            id="surrogate-key",
        ),
        pytest.param(
            {"model": MODEL, "messages": [{"role": "user", "content": "Other"}]},
            ValueError,
            "messages= would replace the prompt",
            id="messages-kwarg",
        ),
        pytest.param(
            {"model": MODEL, "endpoint": "completions", "prompt": "Other"},
            ValueError,
            "prompt= would replace the prompt",
            id="prompt-kwarg",
        ),
        pytest.param(
            {"model": MODEL, "endpoint": "responses", "input": "Other"},
            ValueError,
            "input= would replace the prompt",
            id="input-kwarg",
        ),
        pytest.param(
            {"model": MODEL, "endpoint": "responses", "include": "reasoning.encrypted_content"},
            TypeError,
            r"pass a list, e\.g\. include=\['reasoning\.encrypted_content'\]",
            id="include-one-str",
        ),
        pytest.param(
            {"model": MODEL, "endpoint": "responses", "include": 5},
            TypeError,
            "include is a list",
            id="include-int",
        ),
    ],
)
def test_a_request_that_cannot_be_sent_is_refused_naming_the_field(
    api, openai_client, kwargs, error, says
):
    """A field that cannot be sent as meant: a usage error naming it, nothing sent.

    A model that is no name, a NaN, an infinity, a second prompt, an `include` that is no list.

    Before, a NaN ended in the JSON encoder's "Out of range float values are not JSON
    compliant" from inside the SDK, and `model=5` was sent; `messages=` replaced the prompt
    silently, and `include="reasoning.encrypted_content"` was sent as its characters.
    """
    route = api.route().respond(200, json=chat_completion(POSITIONS))
    with pytest.raises(error, match=says):
        get_token_distribution("Hi", client=openai_client, guards="off", **kwargs)
    assert route.call_count == 0


@pytest.mark.parametrize("endpoint", ["chat.completions", "completions", "responses"])
def test_a_prompt_with_a_lone_surrogate_is_refused_by_its_field(api, openai_client, endpoint):
    """The SDK's encoder raised a bare UnicodeEncodeError at a position in its own JSON."""
    route = api.route().respond(200, json=chat_completion(POSITIONS))
    field = {"completions": "prompt", "responses": r"input\[0\]\.content"}.get(
        endpoint, r"messages\[0\]\.content"
    )
    with pytest.raises(ValueError, match=rf"^{field} holds '\\ud800' at character 3") as info:
        get_token_distribution("Hi \ud800", model=MODEL, client=openai_client, endpoint=endpoint)
    assert not isinstance(info.value, UnicodeError)
    assert route.call_count == 0


def failed_response(output):
    """A Responses body with `status: "failed"` and the server's error, with `output`."""
    body = response(POSITIONS)
    error = {"code": "server_error", "message": "The model crashed"}
    return {**body, "status": "failed", "error": error, "output": body["output"] if output else []}


@pytest.mark.parametrize("output", [False, True], ids=["no-output", "partial-output"])
async def test_a_failed_response_is_the_servers_error(
    api, openai_client, async_openai_client, output
):
    """A Responses answer with `status: "failed"`: APIResponseError with the server's message.

    Was: an empty distribution (or a complete-looking one) with `finish_reason="failed"` and
    `incomplete=False`, while `tp.parse` of the same JSON body raises this error.
    """
    body = failed_response(output)
    api.post("/responses").respond(200, json=body)
    with pytest.raises(tp.APIResponseError, match="The model crashed") as info:
        get_token_distribution("Hi", model=MODEL, endpoint="responses", client=openai_client)
    assert info.value.code == "server_error"
    with pytest.raises(tp.APIResponseError, match="The model crashed"):
        await aget_token_distribution(
            "Hi", model=MODEL, endpoint="responses", client=async_openai_client
        )
    with pytest.raises(tp.APIResponseError, match="The model crashed"):
        tp.parse(json.dumps(body))


class _NoV1(_Server):
    """A server whose API is under /v1: any other path is a 404, as llama.cpp and vLLM answer."""

    def do_POST(self) -> None:
        if self.path.startswith("/v1/"):
            super().do_POST()
            return
        self.rfile.read(int(self.headers["Content-Length"]))
        payload = b'{"detail": "Not Found"}'
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def no_v1_server():
    """A loopback server answering under /v1 only; yields its base URL without the /v1."""
    handler = type("Handler", (_NoV1,), {"seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_base_url_without_its_v1_says_so(no_v1_server, capsys):
    """A 404 (the SDK's NotFoundError, unchanged) notes the URL and the `/v1` most servers want.

    The library's error, and the CLI's one line (it said only "NotFoundError: Error code: 404").
    """
    from tokenprobs import cli  # noqa: PLC0415

    client = openai.OpenAI(base_url=no_v1_server, api_key="sk-no-key-required", max_retries=0)
    with pytest.raises(openai.NotFoundError) as caught:
        get_token_distribution("Hi", model="local", client=client, retry=None)
    notes = " ".join(getattr(caught.value, "__notes__", []))
    assert f"has no POST {no_v1_server}/chat/completions" in notes
    assert "on most servers it ends in /v1" in notes
    code = cli.main(["ask", "Hi", "--model", "local", "--base-url", no_v1_server])
    err = capsys.readouterr().err
    assert code != 0
    assert "NotFoundError" in err
    assert "on most servers it ends in /v1" in err
    assert len(err.strip().splitlines()) == 1
