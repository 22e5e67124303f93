"""Guard profiles in the client: named with profile=, or detected from a server's answers."""

from __future__ import annotations

import uuid

import openai
import pytest
import respx
from openai.types.chat import ChatCompletion
from tests._client_helpers import client_for

import tokenprobs as tp
from tokenprobs.testing import chat_completion

LOCAL = "http://127.0.0.1:8089/v1"
POSITIONS = [("Hi", -0.1, [("Hi", -0.1)])]


def llama_cpp_body(*, logprobs: bool = True) -> dict:
    """A chat body shaped as llama-cpp-python sends it: uuid4 id, no fingerprint, bytes null."""
    body = chat_completion(POSITIONS, model="tiny")
    body["id"] = f"chatcmpl-{uuid.uuid4()}"
    if logprobs:
        for entry in body["choices"][0]["logprobs"]["content"]:
            entry["bytes"] = None
            for alt in entry["top_logprobs"]:
                alt["bytes"] = None
    else:
        body["choices"][0]["logprobs"] = None
    return body


@pytest.fixture
def local():
    """A respx router standing in for a compatible server on a loopback port."""
    with respx.mock(base_url=LOCAL, assert_all_called=False) as router:
        yield router
    tp.guards.reset()


def test_profile_is_passed_to_the_guards(local):
    """profile="vllm" refuses above vLLM's cap before any request; "compatible" lets it through."""
    route = local.post("/chat/completions").respond(200, json=chat_completion(POSITIONS))
    client = client_for(local, base_url=LOCAL)
    with pytest.raises(tp.GuardError, match="greater than max allowed: 20"):
        tp.get_token_distribution("Hi", model="m", client=client, top_logprobs=25, profile="vllm")
    assert route.call_count == 0
    d = tp.get_token_distribution("Hi", model="m", client=client, top_logprobs=25)
    assert d.tokens == ["Hi"]
    assert route.call_count == 1


def test_llama_cpp_is_detected_and_its_profile_used_next(local):
    """After a llama.cpp answer, the next request to that server gets the llama.cpp rules."""
    route = local.post("/chat/completions").respond(200, json=llama_cpp_body())
    client = client_for(local, base_url=LOCAL)
    d = tp.get_token_distribution("Hi", model="tiny", client=client, top_logprobs=1)
    assert d.bytes_derived.all()
    assert tp.guards.detect_server(d.response) == "llama.cpp"
    with pytest.raises(openai.InternalServerError) as caught:  # what llama.cpp would answer
        tp.get_token_distribution("Hi", model="tiny", client=client, top_logprobs=-1)
    assert isinstance(caught.value, tp.GuardError)
    assert "greater_than_equal" in str(caught.value)
    assert route.call_count == 1


def test_guards_reset_forgets_detected_servers(local):
    """`guards.reset()` forgets the servers detected from answers: the base URL's profile again."""
    route = local.post("/chat/completions").respond(200, json=llama_cpp_body())
    client = client_for(local, base_url=LOCAL)
    tp.get_token_distribution("Hi", model="tiny", client=client, top_logprobs=1)
    assert tp.guards.detected_server(str(client.base_url)) == "llama.cpp"
    tp.guards.reset()
    assert tp.guards.detected_server(str(client.base_url)) is None
    # the llama.cpp rules would refuse this locally; the compatible profile sends it
    tp.get_token_distribution("Hi", model="tiny", client=client, top_logprobs=-1)
    assert route.call_count == 2


def test_vllm_is_detected_but_its_cap_is_not_assumed(local):
    """A vLLM answer is recognised, but its --max-logprobs is unknown: 25 is still sent."""
    body = {**chat_completion(POSITIONS, model="tiny"), "prompt_logprobs": None}
    route = local.post("/chat/completions").respond(200, json=body)
    client = client_for(local, base_url=LOCAL)
    d = tp.get_token_distribution("Hi", model="tiny", client=client, top_logprobs=25)
    assert tp.guards.detect_server(d.response) == "vllm"
    assert tp.guards.detected_server(str(client.base_url)) is None
    tp.get_token_distribution("Hi", model="tiny", client=client, top_logprobs=25)
    assert route.call_count == 2


@pytest.mark.parametrize(
    ("body", "like"),
    [
        pytest.param(
            {**chat_completion(POSITIONS), "prompt_logprobs": [None]}, "vllm", id="vllm-answer"
        ),
        pytest.param(llama_cpp_body(), "compatible", id="llama-cpp-answer"),
    ],
)
def test_a_registered_profile_outlasts_detection(local, body, like):
    """A profile registered for the base URL stays the URL's after any answer of the server."""
    cap = {"max_top_logprobs": 50} if like == "vllm" else {}
    tp.guards.register_profile("box", like=like, base_urls=(f"{LOCAL}*",), **cap)
    route = local.post("/chat/completions").respond(200, json=body)
    client = client_for(local, base_url=LOCAL)
    for _ in range(2):
        tp.get_token_distribution("Hi", model="tiny", client=client, top_logprobs=30)
    assert route.call_count == 2
    assert tp.guards.detected_server(str(client.base_url)) is None


def test_llama_cpp_missing_logprobs_says_pass_top_logprobs(local):
    """A llama.cpp answer without logprobs names top_logprobs as the fix."""
    local.post("/chat/completions").respond(200, json=llama_cpp_body(logprobs=False))
    client = client_for(local, base_url=LOCAL)
    with pytest.raises(tp.MissingLogprobsError, match=r"llama\.cpp.*top_logprobs=k"):
        tp.get_token_distribution("Hi", model="tiny", client=client, top_logprobs=1)


def test_openai_answers_are_not_remembered_as_a_server(api, openai_client):
    """OpenAI's own base URL keeps the OpenAI profile whatever its responses look like."""
    api.post("/chat/completions").respond(200, json=llama_cpp_body())
    tp.get_token_distribution("Hi", model="gpt-4o", client=openai_client, top_logprobs=1)
    assert tp.guards.detected_server(str(openai_client.base_url)) is None
    with pytest.raises(tp.GuardError, match="less than or equal to 20"):
        tp.get_token_distribution("Hi", model="gpt-4o", client=openai_client, top_logprobs=21)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param({"id": "chatcmpl-AigSM81aLFRN07IUezlC3zlZ9zdaU"}, "openai", id="openai-id"),
        pytest.param({"id": "x", "system_fingerprint": "fp_845eaabc1f"}, "openai", id="openai-fp"),
        pytest.param({"id": f"cmpl-{uuid.uuid4()}"}, "llama.cpp", id="llama-uuid"),
        pytest.param(
            ChatCompletion.model_validate(llama_cpp_body()),
            "llama.cpp",
            id="llama-uuid-sdk",
        ),
        pytest.param(
            {"id": f"chatcmpl-{uuid.uuid4()}", "system_fingerprint": None},
            None,
            id="litellm-uuid-null-fingerprint",
        ),
        pytest.param(
            ChatCompletion.model_validate({**llama_cpp_body(), "system_fingerprint": None}),
            None,
            id="litellm-uuid-null-fingerprint-sdk",
        ),
        pytest.param({"id": "x", "prompt_logprobs": [None]}, "vllm", id="vllm-field"),
        pytest.param(
            {
                "id": "chatcmpl-99c6f6a850e78412",
                "prompt_logprobs": None,
                "kv_transfer_params": None,
            },
            "vllm",
            id="vllm-null-fields",
        ),
        pytest.param({"id": "something-else"}, None, id="unknown"),
        pytest.param({}, None, id="no-id"),
    ],
)
def test_detect_server(body, expected):
    """detect_server reads the response's own fields."""
    assert tp.guards.detect_server(body) == expected
