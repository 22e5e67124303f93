"""Legacy Completions from the real llama-cpp-python server, through `tp.parse`."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tokenprobs as tp

pytestmark = pytest.mark.integration

PROMPT = "The cat"
TOLERANCE = 1e-5
PURE = {"repeat_penalty": 1.0}
"""The server's default `repeat_penalty` of 1.1 makes temperature 0 differ from the argmax."""


def _create(client, **kwargs):
    params = {"model": "tiny", "prompt": PROMPT, "max_tokens": 6, "temperature": 0, "seed": 1}
    return client.completions.create(**(params | {"extra_body": PURE} | kwargs))


def test_non_streamed_completion_parses_to_the_text(client):
    """A legacy completion parses to its tokens, text, offsets and k alternatives."""
    response = _create(client, logprobs=3)
    d = tp.parse(response)
    assert d.source == "completions"
    assert len(d) == response.usage.completion_tokens == 6
    assert d.text == response.choices[0].text
    assert d.text_offset is not None
    assert d.text_offset[0] == len(PROMPT)
    assert [len(t) for t in d.top_tokens] == [3] * 6
    assert [t[0] for t in d.top_tokens] == d.tokens
    assert np.all(d.bytes_derived)


def test_echo_is_ignored_when_streaming(client):
    """Quirk 15: a streamed `echo` sends only the completion: no prompt text, no prompt logprobs."""
    whole = tp.parse(_create(client, logprobs=2, echo=True, max_tokens=3))
    streamed = tp.parse(list(_create(client, logprobs=2, echo=True, max_tokens=3, stream=True)))
    assert whole.text == PROMPT + streamed.text
    assert len(streamed) == 3
    assert streamed.tokens == whole.tokens[-3:]
    assert not np.any(np.isnan(streamed.logprobs))
    assert streamed.text_offset is not None
    assert streamed.text_offset[0] == len(PROMPT)


def test_streamed_completion_matches_the_non_streamed_one(client):
    """One chunk per token, then a finish chunk with `logprobs: null`: the same distribution."""
    whole = tp.parse(_create(client, logprobs=3))
    chunks = list(_create(client, logprobs=3, stream=True))
    assert chunks[-1].choices[0].logprobs is None
    streamed = tp.parse(chunks)
    assert streamed.source == "completions.stream"
    assert streamed.tokens == whole.tokens
    assert streamed.top_tokens == whole.top_tokens
    assert streamed.finish_reason == "length"
    np.testing.assert_allclose(streamed.logprobs, whole.logprobs, rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(streamed.top_logprobs, whole.top_logprobs, rtol=0, atol=TOLERANCE)


def test_echo_gives_prompt_logprobs_with_a_null_first(client):
    """`echo` puts the prompt tokens first; the first has a null logprob and null alternatives."""
    d = tp.parse(_create(client, logprobs=2, echo=True, max_tokens=3))
    assert d.text.startswith(PROMPT)
    assert len(d) > 3
    assert math.isnan(d.logprobs[0])
    assert 0 in d.top_null
    assert np.all(np.isfinite(d.logprobs[1:]))
    assert d.text_offset is not None
    assert d.text_offset[0] == 0


@pytest.mark.parametrize("k", [0, 1, 5, 20])
def test_logprobs_k_alternatives(client, k):
    """Legacy `logprobs=k` gives k alternatives (one for k = 0, quirk 4), with no limit of 5."""
    d = tp.parse(_create(client, logprobs=k, max_tokens=3))
    assert [len(t) for t in d.top_tokens] == [max(k, 1)] * 3
    assert [t[0] for t in d.top_tokens] == d.tokens


def test_streamed_and_whole_agree_for_many_alternatives(client):
    """With 20 alternatives the dict-keyed legacy stream still parses to the same arrays."""
    whole = tp.parse(_create(client, logprobs=20, max_tokens=3))
    streamed = tp.parse(_create(client, logprobs=20, max_tokens=3, stream=True))
    assert streamed.top_tokens == whole.top_tokens
    np.testing.assert_allclose(streamed.top_logprobs, whole.top_logprobs, rtol=0, atol=TOLERANCE)


def test_logprobs_true_is_taken_as_one(server):
    """Quirk 9: legacy `logprobs: true` is read as 1 alternative, not rejected."""
    reply = server.post(
        "/completions",
        {"model": "tiny", "prompt": PROMPT, "max_tokens": 2, "temperature": 0, "logprobs": True},
    )
    assert reply.status == 200
    d = tp.parse(reply.body)
    assert [len(t) for t in d.top_tokens] == [1, 1]


def test_echo_of_non_ascii_prompt_collapses_partial_byte_tokens(server):
    """Quirk 7: echoed partial UTF-8 tokens come back as "" (bytes null), and still parse."""
    prompt = "caf\u00e9 \U0001f499"
    reply = server.post(
        "/completions",
        {"model": "tiny", "prompt": prompt, "max_tokens": 2, "temperature": 0}
        | {"logprobs": 2, "echo": True},
    )
    assert reply.status == 200
    logprobs = reply.json()["choices"][0]["logprobs"]
    assert "" in logprobs["tokens"], "a partial UTF-8 byte token is given as an empty string"
    d = tp.parse(reply.body)
    assert len(d) == len(logprobs["tokens"])
    assert np.all(d.bytes_derived)
