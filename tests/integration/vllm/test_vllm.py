"""vLLM (CPU) serving the tiny model: OpenAI's format, and how it differs from llama.cpp's."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import tokenprobs as tp

pytestmark = pytest.mark.integration

MESSAGES = [{"role": "user", "content": "Say hello"}]
GREEDY = {"temperature": 0, "seed": 1}
TOLERANCE = 1e-5


def _chat(client, **kwargs):
    params = {"model": "tiny", "messages": MESSAGES, "max_tokens": 6} | GREEDY
    return client.chat.completions.create(**(params | kwargs))


def _legacy(client, **kwargs):
    params = {"model": "tiny", "prompt": "The cat", "max_tokens": 6} | GREEDY
    return client.completions.create(**(params | kwargs))


def assert_same(a, b):
    """The same tokens and alternatives, logprobs within the tolerance."""
    assert a.tokens == b.tokens
    assert a.top_tokens == b.top_tokens
    np.testing.assert_allclose(a.logprobs, b.logprobs, rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(a.top_logprobs, b.top_logprobs, rtol=0, atol=TOLERANCE)


def test_chat_bytes_are_given_so_text_is_byte_exact(vllm_client):
    """The server sends `bytes` as int lists: nothing derived, text = content."""
    response = _chat(vllm_client, logprobs=True, top_logprobs=3)
    d = tp.parse(response)
    assert len(d) == 6
    assert not np.any(d.bytes_derived)
    assert d.text == response.choices[0].message.content


@pytest.mark.parametrize("k", [1, 5, 20])
def test_chat_stream_equals_whole(vllm_client, k):
    """Streamed and whole chat responses give the same distribution."""
    whole = tp.parse(_chat(vllm_client, logprobs=True, top_logprobs=k))
    streamed = tp.parse(list(_chat(vllm_client, logprobs=True, top_logprobs=k, stream=True)))
    assert_same(whole, streamed)
    assert [len(t) for t in whole.top_tokens] == [k] * 6


@pytest.mark.parametrize("k", [1, 5, 20])
def test_legacy_stream_equals_whole(vllm_client, k):
    """Streamed and whole legacy completions give the same distribution."""
    whole = tp.parse(_legacy(vllm_client, logprobs=k))
    streamed = tp.parse(list(_legacy(vllm_client, logprobs=k, stream=True)))
    assert_same(whole, streamed)


@pytest.mark.parametrize("top", [0, None], ids=["top0", "omitted"])
def test_no_alternatives_is_an_empty_list(vllm_client, top):
    """`top_logprobs` 0 or omitted gives `[]` per position, as OpenAI (llama.cpp: 1 / null)."""
    kwargs = {"logprobs": True} | ({} if top is None else {"top_logprobs": top})
    d = tp.parse(_chat(vllm_client, **kwargs))
    assert d.top_tokens == [[]] * 6
    assert np.all(np.isnan(d.entropy))


def test_echo_gives_a_null_first_logprob(vllm_client):
    """Legacy `echo`: the prompt comes first, its first logprob `null`."""
    d = tp.parse(_legacy(vllm_client, logprobs=2, echo=True, max_tokens=2))
    assert d.text.startswith("The cat")
    assert math.isnan(d.logprobs[0])


def test_sampled_token_is_kept_within_k(vllm_client):
    """With sampling, the sampled token is in `top_logprobs` and the list stays k long."""
    d = tp.parse(
        _chat(vllm_client, logprobs=True, top_logprobs=2, temperature=1, seed=42, max_tokens=12)
    )
    assert [len(t) for t in d.top_tokens] == [2] * 12
    assert np.all(d.sampled_in_top)


REFUSED = [
    pytest.param(
        "/chat/completions",
        {"messages": MESSAGES, "logprobs": True, "top_logprobs": 21},
        "logprobs",
        "Requested sample logprobs of 21, which is greater than max allowed: 20 "
        "(parameter=logprobs, value=21)",
        id="chat-21",
    ),
    pytest.param(
        "/completions",
        {"prompt": "The cat", "logprobs": 30},
        "logprobs",
        "Requested sample logprobs of 30, which is greater than max allowed: 20 "
        "(parameter=logprobs, value=30)",
        id="legacy-30",
    ),
    pytest.param(
        "/chat/completions",
        {"messages": MESSAGES, "top_logprobs": 3},
        "top_logprobs",
        "when using `top_logprobs`, `logprobs` must be set to true. (parameter=top_logprobs)",
        id="top-without-logprobs",
    ),
]


@pytest.mark.parametrize(("path", "body", "param", "message"), REFUSED)
def test_errors_are_400_and_refused_by_the_vllm_profile(post, path, body, param, message):
    """The server refuses with a 400 JSON error; the `vllm` profile refuses it too."""
    body = {"model": "tiny", "max_tokens": 2} | body
    status, raw = post(path, body)
    assert status == 400
    error = json.loads(raw)["error"]
    assert (error["param"], error["code"], error["type"]) == (param, 400, "BadRequestError")
    assert error["message"] == message
    with pytest.raises(tp.APIResponseError):
        tp.parse(raw)
    endpoint = "chat.completions" if path == "/chat/completions" else "completions"
    with pytest.raises(tp.GuardError):
        tp.check_request(endpoint, body, profile="vllm")


@pytest.mark.parametrize(("path", "body", "param", "message"), REFUSED)
def test_vllm_profile_message_is_the_servers(path, body, param, message):
    """The guard's message is the server's, word for word (vLLM 0.32 adds the parameter)."""
    del path, param
    endpoint = "chat.completions" if "messages" in body else "completions"
    with pytest.raises(tp.GuardError) as caught:
        tp.check_request(endpoint, {"model": "tiny", "max_tokens": 2} | body, profile="vllm")
    assert caught.value.message.removeprefix("Error code: 400 - ") == message


def test_models_endpoint_names_vllm(post, vllm_url):
    """`GET /v1/models` says `owned_by: "vllm"`."""
    del post
    import urllib.request  # noqa: PLC0415

    with urllib.request.urlopen(vllm_url + "/models", timeout=10) as r:  # noqa: S310
        models = json.loads(r.read())
    assert [m["owned_by"] for m in models["data"]] == ["vllm"]
