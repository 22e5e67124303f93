"""The raw-JSON fast path for large bodies gives exactly what the ordinary path gives."""

from __future__ import annotations

import json

import pytest
from openai.types.chat import ChatCompletion

import tokenprobs as tp
from tokenprobs import testing

WORDS = [" the", " 한", "국", " é", "\n", "!", " emoji 💙"]


def _big(n: int = 800, k: int = 5) -> dict:
    positions = [
        (WORDS[i % 7], -0.1 * (i % 5), [(WORDS[(i + j) % 7], -0.2 * j) for j in range(k)])
        for i in range(n)
    ]
    return testing.chat_completion(positions)


def test_large_body_fast_path_equals_sdk_object_path():
    """Parsing the raw bytes of a large body equals parsing the SDK object built from them."""
    raw = json.dumps(_big()).encode()
    assert len(raw) > 1 << 16  # large enough to take the fast path
    fast = tp.parse(raw)
    assert fast == tp.parse(ChatCompletion.model_validate_json(raw))
    assert fast.top_bytes[3] == [list(w.encode()) for w in fast.top_tokens[3]]
    again = tp.TokenDistribution.model_validate_json(fast.model_dump_json())
    assert again == fast


def test_large_responses_body_fast_path():
    """A large Responses body takes the same fast path and equals its dict parse."""
    positions = [(WORDS[i % 7], -0.1, [(WORDS[i % 7], -0.1)]) for i in range(3000)]
    body = testing.response(positions)
    raw = json.dumps(body).encode()
    assert tp.parse(raw) == tp.parse(body)


def test_server_integer_bytes_falls_back_and_is_reported():
    """A body whose own `bytes` is an integer is not mistaken for an index: a typed error."""
    body = _big()
    body["choices"][0]["logprobs"]["content"][5]["top_logprobs"][1]["bytes"] = 3
    with pytest.raises(tp.UnsupportedResponseError) as info:
        tp.parse(json.dumps(body).encode())
    assert info.value.field == "choices[0].logprobs.content[5].top_logprobs[1].bytes"


def test_out_of_range_byte_in_an_alternative_is_typed():
    """A byte value over 255 in an alternative fails with UnsupportedResponseError."""
    body = _big()
    body["choices"][0]["logprobs"]["content"][7]["top_logprobs"][2]["bytes"] = [300]
    raw = json.dumps(body).encode()
    d = tp.parse(raw)  # the alternatives' byte lists are built when read
    with pytest.raises(tp.UnsupportedResponseError, match=r"0\.\.255"):
        _ = d.top_bytes[7]


def test_whitespace_and_key_order_variants():
    """Pretty-printed JSON with other key orders parses the same way."""
    body = _big()
    raw = json.dumps(body, indent=2, sort_keys=True).encode()
    assert tp.parse(raw) == tp.parse(body)
