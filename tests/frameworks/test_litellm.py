"""LiteLLM: `completion()` and `responses()`, plain and streamed, through several providers."""

from __future__ import annotations

import litellm
import pytest
from tests.frameworks._bodies import (
    BUILT_CHAT,
    CHAT,
    NO_LOGPROBS,
    NO_LOGPROBS_STREAM,
    RECORDED_CHAT,
    RESPONSES,
)

import tokenprobs as tp

MESSAGES = [{"role": "user", "content": "hi"}]

# OpenAI-compatible providers LiteLLM routes to an `api_base`, each checked for what arrives
PROVIDERS = ["openai", "hosted_vllm", "together_ai", "fireworks_ai", "deepseek"]
RENAMED = {"fireworks_ai"}
"""Providers whose `ModelResponse.model` LiteLLM prefixes with the provider's name."""


def complete(server, provider="openai", **kwargs):
    """A real `litellm.completion` call to the loopback server."""
    return litellm.completion(
        model=f"{provider}/gpt-4o-mini",
        api_base=server.base_url,
        api_key="sk-test",
        messages=MESSAGES,
        num_retries=0,
        **kwargs,
    )


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("case", CHAT)
def test_completion_parses_as_the_body(server, provider, case):
    """The `ModelResponse` of each provider parses as the body the server sent."""
    server.reply(case.body)
    r = complete(server, provider, logprobs=True, top_logprobs=2)
    assert type(r).__module__.startswith("litellm.")
    assert server.requests[0].body.get("logprobs") is True
    expected = tp.parse(case.body)
    if provider in RENAMED:
        expected = expected.model_copy(update={"model": f"{provider}/{expected.model}"})
    assert tp.parse(r) == expected


@pytest.mark.parametrize("provider", PROVIDERS)
def test_stream_parses_as_the_sse_body(server, provider):
    """The stream wrapper itself, or its list of chunks, parses as the SSE body.

    LiteLLM names the model it was asked for on every chunk (not the server's model id), so the
    `model` field is the one difference.
    """
    stream = RECORDED_CHAT.stream  # every token whole UTF-8
    expected = tp.parse(stream)
    assert len(expected) > 0
    server.reply(stream)
    chunks = list(complete(server, provider, logprobs=True, top_logprobs=2, stream=True))
    d = tp.parse(chunks)
    assert d.model == "gpt-4o-mini"
    assert d == expected.model_copy(update={"model": "gpt-4o-mini"})
    server.reply(stream)
    wrapper = complete(server, provider, logprobs=True, top_logprobs=2, stream=True)
    assert type(wrapper).__name__ == "CustomStreamWrapper"
    assert tp.parse(wrapper) == d


def test_stream_loses_a_partial_utf8_token_and_we_warn(server):
    """LiteLLM drops a chunk whose text delta is empty (a token ending inside a character).

    That token's logprobs go with it; the bytes left then cut a character, which tokenprobs sees
    and warns about. Without streaming every position arrives.
    """
    stream = BUILT_CHAT.stream  # 국 is split over two tokens, the first has no text
    expected = tp.parse(stream)
    server.reply(stream)
    chunks = list(complete(server, logprobs=True, top_logprobs=2, stream=True))
    with pytest.warns(tp.TokenprobsWarning, match="LiteLLM .* drops the stream chunks"):
        d = tp.parse(chunks)
    lost = expected.tokens.index("\\xea\\xb5")
    assert d.tokens == expected.tokens[:lost] + expected.tokens[lost + 1 :]
    assert d.content == expected.content == "Hi 한국 💙"
    assert d.text == "Hi 한\ufffd 💙"
    server.reply(BUILT_CHAT.body)
    assert tp.parse(complete(server, logprobs=True, top_logprobs=2)).text == "Hi 한국 💙"


@pytest.mark.parametrize("case", RESPONSES)
def test_responses_parse_as_the_body(server, case):
    """`litellm.responses()`'s object, and its streamed events, parse as the bodies sent."""
    kwargs = {"include": ["message.output_text.logprobs"], "top_logprobs": 2}
    server.reply(case.body)
    r = litellm.responses(
        model="openai/gpt-4o-mini",
        api_base=server.base_url,
        api_key="sk-test",
        input="hi",
        **kwargs,
    )
    assert tp.parse(r) == tp.parse(case.body)
    server.reply(case.stream)
    events = list(
        litellm.responses(
            model="openai/gpt-4o-mini",
            api_base=server.base_url,
            api_key="sk-test",
            input="hi",
            stream=True,
            **kwargs,
        )
    )
    assert tp.parse(events) == tp.parse(case.stream)


def test_no_logprobs_names_litellm_and_the_option(server):
    """Asked without logprobs: the error names LiteLLM, `logprobs=True` and how to check."""
    server.reply(NO_LOGPROBS)
    r = complete(server)
    with pytest.raises(tp.MissingLogprobsError, match="LiteLLM's ModelResponse") as e:
        tp.parse(r)
    assert "get_supported_openai_params" in str(e.value)
    assert e.value.not_requested
    server.reply(NO_LOGPROBS_STREAM)
    with pytest.raises(tp.MissingLogprobsError, match="LiteLLM's list of stream chunks"):
        tp.parse(list(complete(server, stream=True)))


def test_azure_deployment_parses_as_the_body(server):
    """`azure/` (a deployment path and `api-version`): the call and its stream parse as sent."""
    kwargs = {
        "model": "azure/my-deployment",
        "api_base": server.base_url.removesuffix("/v1"),
        "api_key": "sk-test",
        "api_version": "2024-10-21",
        "messages": MESSAGES,
        "logprobs": True,
        "top_logprobs": 2,
    }
    server.reply(BUILT_CHAT.body)
    assert tp.parse(litellm.completion(**kwargs)) == tp.parse(BUILT_CHAT.body)
    assert server.requests[0].path.startswith("/openai/deployments/my-deployment/")
    server.reply(RECORDED_CHAT.stream)
    d = tp.parse(litellm.completion(**kwargs, stream=True))
    expected = tp.parse(RECORDED_CHAT.stream)
    assert d == expected.model_copy(update={"model": d.model})
