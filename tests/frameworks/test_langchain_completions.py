"""LangChain's completion LLMs (`langchain_openai.OpenAI`): logprobs in `generation_info`."""

from __future__ import annotations

import pytest
from langchain_openai import OpenAI

import tokenprobs as tp

FIRST = [(" Hi", -0.1, [(" Hi", -0.1), (" Hello", -2.4)]), (" there", -0.5, [(" there", -0.5)])]
SECOND = [(" Yo", -2.3, [(" Hi", -0.1), (" Yo", -2.3)])]


def completion_llm(server, **kwargs):
    """A real langchain_openai.OpenAI (legacy Completions) pointed at the loopback server."""
    return OpenAI(
        model="gpt-3.5-turbo-instruct",
        base_url=server.base_url,
        api_key="sk-test",
        max_retries=0,
        **kwargs,
    )


def completion(*choices, **kwargs):
    """A legacy Completions body with the `usage` langchain-openai requires."""
    body = tp.testing.completion(*choices, **kwargs)
    body["usage"] = {"prompt_tokens": 1, "completion_tokens": 3, "total_tokens": 4}
    return body


def without_model(body):
    """The body's distributions as LangChain keeps them: no model id (only the one asked for)."""
    return [d.model_copy(update={"model": None}) for d in tp.parse_all(body)]


def test_generate_parses_as_the_completion(server):
    """`OpenAI(logprobs=k).generate(...)`: each Generation's legacy logprobs, one per choice.

    Was: 'a LangChain Generation is not a chat model's answer'.
    """
    body = completion(FIRST, SECOND, prompt_offset=5, finish_reason="stop")
    server.reply(body)
    result = completion_llm(server, logprobs=2, n=2).generate(["hello"])
    assert server.requests[0].body["logprobs"] == 2
    expected = without_model(body)
    assert tp.parse_all(result) == expected
    assert tp.parse_all(result.generations[0]) == expected
    assert tp.parse(result.generations[0][1]) == expected[1].model_copy(update={"choice": 0})
    assert tp.parse(result, choice=1) == expected[1]
    d = tp.parse(result)
    assert (d.source, d.text, d.finish_reason) == ("completions", " Hi there", "stop")
    assert d.response is result.generations[0][0]


def test_streamed_generate_parses_as_the_stream(server):
    """`streaming=True`: LangChain joins the chunks' logprobs; they parse as the stream's."""
    chunks = tp.testing.completion_chunks(FIRST)
    server.reply(tp.testing.sse(chunks))
    result = completion_llm(server, logprobs=2, streaming=True).generate(["hello"])
    d, expected = tp.parse(result), tp.parse(chunks)
    assert (d.tokens, d.logprobs.tolist(), d.top_tokens, d.text) == (
        expected.tokens,
        expected.logprobs.tolist(),
        expected.top_tokens,
        expected.text,
    )


def test_without_logprobs_names_the_llm_option(server):
    """Asked without `logprobs=k`: a MissingLogprobsError naming the option and `generate`."""
    body = completion(FIRST)
    body["choices"][0]["logprobs"] = None
    server.reply(body)
    result = completion_llm(server).generate(["hello"])
    with pytest.raises(tp.MissingLogprobsError, match=r"OpenAI\(model=\.\.\., logprobs=k\)") as e:
        tp.parse(result)
    assert "generation_info" in str(e.value)
    assert e.value.not_requested


def test_collector_gathers_the_completion_llms_answers(server):
    """`langchain_collector()` on a completion LLM collects its answers (was: skipped)."""
    body = completion(FIRST)
    server.reply(body)
    collector = tp.adapters.langchain_collector()
    completion_llm(server, logprobs=2).invoke("hello", config={"callbacks": [collector]})
    assert collector.distributions == without_model(body)
