"""The llama.cpp guard profile, each rule checked against what the real server does."""

from __future__ import annotations

import warnings

import pytest

import tokenprobs as tp

pytestmark = pytest.mark.integration

MESSAGES = [{"role": "user", "content": "Say hello"}]


def _chat(**extra):
    return {"model": "tiny", "messages": MESSAGES, "max_tokens": 2, "temperature": 0} | extra


def _legacy(**extra):
    return {"model": "tiny", "prompt": "The cat", "max_tokens": 2, "temperature": 0} | extra


def assert_accepted(endpoint, params):
    """The llama.cpp profile lets the request through without an error or a warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tp.check_request(endpoint, params, profile="llama.cpp")


@pytest.mark.parametrize(
    ("endpoint", "path", "params", "count"),
    [
        pytest.param("chat.completions", "/chat/completions", {"top_logprobs": 25}, 25, id="chat"),
        pytest.param("completions", "/completions", {"logprobs": 30}, 30, id="legacy"),
    ],
)
def test_no_upper_limit_is_accepted(server, endpoint, path, params, count):
    """Quirk 5: what OpenAI refuses above 20 (or 5), llama.cpp serves; the profile allows it."""
    body = _chat(logprobs=True, **params) if endpoint == "chat.completions" else _legacy(**params)
    reply = server.post(path, body)
    assert reply.status == 200
    d = tp.parse(reply.body)
    assert [len(t) for t in d.top_tokens] == [count] * 2
    assert_accepted(endpoint, body)
    if endpoint == "chat.completions":  # OpenAI: 400 above 20
        with pytest.raises(tp.GuardError):
            tp.check_request(endpoint, body | {"model": "gpt-4o"}, profile="openai")
    else:  # OpenAI: clamped silently
        with pytest.warns(tp.GuardWarning, match="clamps"):
            tp.check_request(endpoint, body | {"model": "gpt-4o"}, profile="openai")


def test_top_logprobs_zero_is_accepted(server):
    """Quirk 4: `top_logprobs=0` is valid and answered with the sampled token alone."""
    body = _chat(logprobs=True, top_logprobs=0)
    assert server.post("/chat/completions", body).status == 200
    assert_accepted("chat.completions", body)


def test_top_logprobs_without_logprobs_warns(server):
    """Quirk 6: the server silently drops `top_logprobs` without `logprobs`; the profile warns."""
    body = _chat(top_logprobs=3)
    reply = server.post("/chat/completions", body)
    assert reply.status == 200
    assert reply.json()["choices"][0]["logprobs"] is None
    with pytest.warns(tp.GuardWarning, match="silently ignored"):
        tp.check_request("chat.completions", body, profile="llama.cpp")


def test_logprobs_without_top_logprobs_warns(server):
    """Quirk 3: `logprobs=True` alone gets `logprobs: null`; the profile says: top_logprobs."""
    body = _chat(logprobs=True)
    reply = server.post("/chat/completions", body)
    assert reply.status == 200
    assert reply.json()["choices"][0]["logprobs"] is None
    with pytest.warns(tp.GuardWarning, match="top_logprobs"):
        tp.check_request("chat.completions", body, profile="llama.cpp")


INVALID = [
    pytest.param(
        "chat.completions",
        "/chat/completions",
        _chat(logprobs=True, top_logprobs=-1),
        "top_logprobs",
        id="chat-top_logprobs-negative",
    ),
    pytest.param(
        "chat.completions",
        "/chat/completions",
        _chat(logprobs=3),
        "logprobs",
        id="chat-logprobs-not-bool",
    ),
    pytest.param(
        "completions", "/completions", _legacy(logprobs=-1), "logprobs", id="legacy-negative"
    ),
]


@pytest.mark.parametrize(("endpoint", "path", "body", "loc"), INVALID)
def test_validation_errors_are_http_500(server, endpoint, path, body, loc):
    """Quirk 8: invalid values get HTTP 500 `internal_server_error`; parse names the API error."""
    del endpoint
    reply = server.post(path, body)
    assert reply.status == 500
    error = reply.json()["error"]
    assert error["type"] == "internal_server_error"
    assert "validation error" in error["message"]
    assert f"'loc': ('body', '{loc}')" in error["message"]
    with pytest.raises(tp.APIResponseError, match="validation error"):
        tp.parse(reply.body)


@pytest.mark.parametrize(("endpoint", "path", "body", "loc"), INVALID)
def test_validation_errors_are_refused_locally(server, endpoint, path, body, loc):
    """Quirk 8: what the server would answer with a 500, the llama.cpp profile refuses first."""
    assert server.post(path, body).status == 500
    with pytest.raises(tp.GuardError, match=loc):
        tp.check_request(endpoint, body, profile="llama.cpp")


def test_malformed_json_is_a_plain_text_500(server):
    """Quirk 8: a body that is not JSON gets a plain-text 500, not a JSON error object."""
    reply = server.post("/chat/completions", b"{not json")
    assert reply.status == 500
    assert reply.body.startswith(b"Internal Server Error")


def test_streamed_echo_warns(server):
    """Quirk 15: `echo` with `stream` loses the prompt's logprobs; the profile warns."""
    body = _legacy(logprobs=1, echo=True, stream=True)
    reply = server.post("/completions", body)
    assert reply.status == 200
    assert tp.parse(reply.body).text_offset[0] == len("The cat")
    with pytest.warns(tp.GuardWarning, match="echo"):
        tp.check_request("completions", body, profile="llama.cpp")
