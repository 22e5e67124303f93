"""Chat Completions from the real llama-cpp-python server, through `tp.parse`."""

from __future__ import annotations

import numpy as np
import pytest

import tokenprobs as tp

pytestmark = pytest.mark.integration

MESSAGES = [{"role": "user", "content": "Say hello"}]
TOLERANCE = 1e-5
PURE = {"repeat_penalty": 1.0}
"""The server's default `repeat_penalty` of 1.1 makes temperature 0 differ from the argmax."""


def _create(client, **kwargs):
    params = {"model": "tiny", "messages": MESSAGES, "max_tokens": 8, "temperature": 0, "seed": 1}
    return client.chat.completions.create(**(params | {"extra_body": PURE} | kwargs))


def assert_same(a: tp.TokenDistribution, b: tp.TokenDistribution) -> None:
    """The same tokens and alternatives, and logprobs equal within the tolerance."""
    assert a.tokens == b.tokens
    assert a.top_tokens == b.top_tokens
    np.testing.assert_allclose(a.logprobs, b.logprobs, rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(a.top_logprobs, b.top_logprobs, rtol=0, atol=TOLERANCE)


def test_non_streamed_chat_parses_to_the_message(client):
    """A non-streamed chat response parses to one position per completion token."""
    response = _create(client, logprobs=True, top_logprobs=3)
    d = tp.parse(response)
    assert d.source == "chat"
    assert len(d) == response.usage.completion_tokens == 8
    assert d.text == "".join(d.tokens) == response.choices[0].message.content
    assert d.finish_reason == "length"
    assert d.top_logprobs.shape == (8, 3)
    assert np.all(d.logprobs <= 0)
    assert np.all(np.isfinite(d.logprobs))
    assert all(top[0] == tok for top, tok in zip(d.top_tokens, d.tokens, strict=True))


def test_streamed_chat_parses_to_the_same_text(client):
    """A streamed chat response (role chunk, one chunk per token, finish chunk) parses whole."""
    chunks = list(_create(client, logprobs=True, top_logprobs=3, stream=True))
    d = tp.parse(chunks)
    assert d.source == "chat.stream"
    assert len(d) == 8
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert d.text == content
    assert d.finish_reason == "length"


@pytest.mark.parametrize("k", [1, 5, 20])
def test_streamed_and_non_streamed_give_the_same_distribution(client, k):
    """Streaming changes the transport, not the distribution (logprobs within 1e-5)."""
    whole = tp.parse(_create(client, logprobs=True, top_logprobs=k))
    streamed = tp.parse(_create(client, logprobs=True, top_logprobs=k, stream=True))
    assert_same(whole, streamed)


@pytest.mark.parametrize("k", [1, 5, 20])
def test_greedy_top_logprobs_has_k_entries_led_by_the_sampled_token(client, k):
    """At temperature 0 every position has exactly k alternatives, the first being the token."""
    d = tp.parse(_create(client, logprobs=True, top_logprobs=k))
    assert [len(t) for t in d.top_tokens] == [k] * len(d)
    assert [t[0] for t in d.top_tokens] == d.tokens
    np.testing.assert_array_equal(d.top_logprobs[:, 0], d.logprobs)
    assert np.all(np.diff(d.top_logprobs, axis=1) <= 0), "alternatives come in rank order"
    assert np.all(d.sampled_in_top)


def test_top_logprobs_20_renormalises_to_a_proper_distribution(client):
    """Entropy, margin and tail mass are finite and in range on a real 20-wide distribution."""
    d = tp.parse(_create(client, logprobs=True, top_logprobs=20))
    assert np.all(np.isfinite(d.entropy))
    assert np.all(d.entropy >= 0)
    assert np.all(d.entropy <= np.log(20) + 1e-9)
    assert np.all((d.tail_mass >= 0) & (d.tail_mass <= 1))
    assert np.all((d.margin >= 0) & (d.margin <= 1))
    assert np.isfinite(d.perplexity)


def test_bytes_null_everywhere_text_derived_from_token_strings(server):
    """Quirk 1: `bytes` is null in every entry, so the text is derived from the token strings."""
    raw = server.post(
        "/chat/completions",
        {"model": "tiny", "messages": MESSAGES, "max_tokens": 4, "temperature": 0}
        | {"logprobs": True, "top_logprobs": 2},
    ).json()
    entries = raw["choices"][0]["logprobs"]["content"]
    assert all(e["bytes"] is None for e in entries)
    assert all(t["bytes"] is None for e in entries for t in e["top_logprobs"])

    d = tp.parse(raw)
    assert d.token_bytes == [None] * len(d)
    assert np.all(d.bytes_derived), "text from token strings must be flagged as derived"
    assert d.text == raw["choices"][0]["message"]["content"]
    assert d[0].bytes is None


def test_sampled_token_always_in_top_logprobs_counted_once(client):
    """Quirk 2: the sampled token is added to top_logprobs (k+1 entries) and counted once."""
    d = tp.parse(
        _create(client, logprobs=True, top_logprobs=1, temperature=1, seed=42, max_tokens=16)
    )
    sizes = [len(t) for t in d.top_tokens]
    assert set(sizes) <= {1, 2}
    assert 2 in sizes, "with sampling at temperature 1 some position must fall outside the top 1"
    assert np.all(d.sampled_in_top)
    assert all(tok in top for tok, top in zip(d.tokens, d.top_tokens, strict=True))
    distinct = np.isfinite(d.support_logprobs).sum(axis=1)
    np.testing.assert_array_equal(distinct, sizes)
    assert np.all(np.exp(d.support_logprobs).sum(axis=1) <= 1 + 1e-6)
    # the appended token bounds nothing: the cap is the server's top 1 at every position
    top = d.top_logprobs
    for i, tokens in enumerate(d.top_tokens):
        others = [float(top[i, j]) for j, t in enumerate(tokens) if t != d.tokens[i]]
        assert float(d.candidates.cap[i]) == (others[0] if others else float(top[i, 0]))


def test_sampled_token_added_in_the_stream_too(client):
    """Quirk 2 holds for streamed chunks, and the stream matches the seeded whole response."""
    params = {"logprobs": True, "top_logprobs": 1, "temperature": 1, "seed": 42, "max_tokens": 16}
    whole = tp.parse(_create(client, **params))
    streamed = tp.parse(_create(client, stream=True, **params))
    assert_same(whole, streamed)
    assert np.all(streamed.sampled_in_top)


def test_logprobs_null_without_top_logprobs(client):
    """Quirk 3: `logprobs=True` alone gives `logprobs: null`; parse names the missing field."""
    response = _create(client, logprobs=True)
    assert response.choices[0].logprobs is None
    with pytest.raises(tp.MissingLogprobsError, match="top_logprobs"):
        tp.parse(response)


def test_top_logprobs_zero_returns_the_sampled_token(client):
    """Quirk 4: `top_logprobs=0` gives one entry per position, the sampled token itself."""
    d = tp.parse(_create(client, logprobs=True, top_logprobs=0))
    assert d.top_tokens == [[t] for t in d.tokens]
    np.testing.assert_array_equal(d.top_logprobs[:, 0], d.logprobs)


def test_no_upper_limit_on_top_logprobs(client):
    """Quirk 5: 25 alternatives come back where OpenAI would answer 400 above 20."""
    d = tp.parse(_create(client, logprobs=True, top_logprobs=25, max_tokens=2))
    assert [len(t) for t in d.top_tokens] == [25, 25]


@pytest.mark.parametrize("logprobs", [None, False], ids=["omitted", "false"])
def test_top_logprobs_without_logprobs_is_silently_ignored(server, logprobs):
    """Quirk 6: `top_logprobs` without `logprobs: true` is a 200 with `logprobs: null`."""
    body = {"model": "tiny", "messages": MESSAGES, "max_tokens": 2, "top_logprobs": 3}
    if logprobs is not None:
        body["logprobs"] = logprobs
    reply = server.post("/chat/completions", body)
    assert reply.status == 200
    assert reply.json()["choices"][0]["logprobs"] is None
    with pytest.raises(tp.MissingLogprobsError):
        tp.parse(reply.body)


def test_logprobs_ignore_temperature(client):
    """Quirk 12: logprobs are the raw model's; the same token scores the same at any temperature."""
    cold = tp.parse(_create(client, logprobs=True, top_logprobs=5, max_tokens=1))
    warm = tp.parse(
        _create(client, logprobs=True, top_logprobs=5, max_tokens=1, temperature=1.5, seed=3)
    )
    lookup = dict(zip(cold.top_tokens[0], cold.top_logprobs[0], strict=True))
    for token, value in zip(warm.top_tokens[0], warm.top_logprobs[0], strict=True):
        if token in lookup:
            assert value == pytest.approx(lookup[token], abs=TOLERANCE)


def test_temperature_zero_is_not_argmax_by_default(client):
    """Quirk 14: the default `repeat_penalty` 1.1 changes the greedy pick, not the logprobs."""
    d = tp.parse(
        _create(client, logprobs=True, top_logprobs=3, max_tokens=16, extra_body={}),
    )
    argmax = [top[0] for top in d.top_tokens]
    assert argmax != d.tokens, "a repeated word loses to the runner-up at some position"
    assert np.all(d.sampled_in_top)
    pure = tp.parse(_create(client, logprobs=True, top_logprobs=3, max_tokens=16))
    assert [top[0] for top in pure.top_tokens] == pure.tokens
