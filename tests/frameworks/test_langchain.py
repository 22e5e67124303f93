"""LangChain: ChatOpenAI's messages and chunks, on Chat Completions and the Responses API."""

from __future__ import annotations

import sys
import warnings

import pydantic
import pytest
from langchain_core.messages import HumanMessage
from langchain_core.outputs import ChatResult, LLMResult
from langchain_litellm import ChatLiteLLM
from langchain_openai import ChatOpenAI
from tests.frameworks._bodies import (
    BUILT_CHAT,
    CHAT,
    NO_LOGPROBS,
    NO_LOGPROBS_STREAM,
    RECORDED_CHAT,
    RESPONSES,
)

import tokenprobs as tp


def chat_model(server, **kwargs):
    """A real ChatOpenAI pointed at the loopback server."""
    return ChatOpenAI(
        model="gpt-4o-mini", base_url=server.base_url, api_key="sk-test", max_retries=0, **kwargs
    )


@pytest.mark.parametrize("case", CHAT)
def test_invoke_parses_as_the_body(server, case):
    """`tp.parse(llm.invoke(...))` is the distribution of the chat completion the server sent."""
    server.reply(case.body)
    message = chat_model(server, logprobs=True, top_logprobs=2).invoke("hi")
    d = tp.parse(message)
    assert d == tp.parse(case.body)
    assert d.response is message
    assert server.requests[0].body["logprobs"] is True


def test_the_k_asked_for_is_checked_against_what_the_message_holds(server):
    """A gateway that sent 2 alternatives though 5 were asked: `top_logprobs=5` says so."""
    server.reply(RECORDED_CHAT.body)  # OpenAI's own answer to top_logprobs=2
    message = chat_model(server, logprobs=True, top_logprobs=5).invoke("hi")
    with pytest.warns(tp.TokenprobsWarning, match="5 was asked, but every position holds 2"):
        d = tp.parse(message, top_logprobs=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tp.parse(message, top_logprobs=2) == d


@pytest.mark.parametrize("case", CHAT)
def test_stream_chunks_and_their_sum_parse_as_the_stream(server, case):
    """The list of streamed chunks, and their sum, parse as the SSE body itself."""
    server.reply(case.stream)
    chunks = list(chat_model(server, logprobs=True).stream("hi"))
    expected = tp.parse(case.stream)
    assert len(expected) > 0
    assert tp.parse(chunks) == expected
    total = chunks[0]
    for c in chunks[1:]:
        total += c
    assert tp.parse(total) == expected


def test_bound_logprobs_and_streaming_invoke(server):
    """`model.bind(logprobs=True)` and `streaming=True` keep them too (merged by LangChain)."""
    stream = BUILT_CHAT.stream
    server.reply(stream)
    message = chat_model(server, streaming=True).bind(logprobs=True).invoke("hi")
    d = tp.parse(message)
    expected = tp.parse(stream)
    assert (d.tokens, d.text, d.logprobs.tolist()) == (
        expected.tokens,
        expected.text,
        expected.logprobs.tolist(),
    )
    assert d.source == "chat"


class Answer(pydantic.BaseModel):
    """A structured-output schema."""

    a: str


@pytest.mark.parametrize("method", ["json_schema", "json_mode"])
def test_structured_output_include_raw(server, method):
    """`with_structured_output(..., include_raw=True)`'s dict parses through its raw message."""
    body = tp.testing.chat_completion([('{"a":', -0.1, []), (' "b"}', -0.2, [])])
    server.reply(body)
    llm = chat_model(server, logprobs=True)
    out = llm.with_structured_output(Answer, method=method, include_raw=True).invoke("json")
    assert out["parsed"] == Answer(a="b")
    assert tp.parse(out) == tp.parse(body)


@pytest.mark.parametrize("case", CHAT)
def test_a_stored_message_parses_as_the_message(server, case):
    """`message.model_dump()` (and its JSON, and a chunk's sum's): as the message itself."""
    server.reply(case.body)
    message = chat_model(server, logprobs=True, top_logprobs=2).invoke("hi")
    expected = tp.parse(case.body)
    for stored in (message.model_dump(), message.model_dump_json()):
        d = tp.parse(stored)
        assert d == expected
        assert (d.model, d.finish_reason) == (expected.model, expected.finish_reason)
    server.reply(case.stream)
    chunks = list(chat_model(server, logprobs=True).stream("hi"))
    total = chunks[0]
    for c in chunks[1:]:
        total += c
    assert tp.parse(total.model_dump()) == tp.parse(case.stream).model_copy(
        update={"source": "chat"}
    )


def test_a_stored_message_without_logprobs_names_the_option(server):
    """A dumped answer asked without logprobs: the message's own error, not a shape error."""
    server.reply(NO_LOGPROBS)
    message = chat_model(server).invoke("hi")
    with pytest.raises(
        tp.MissingLogprobsError, match=r"AIMessage \(its model_dump\(\)\).*logprobs=True"
    ):
        tp.parse(message.model_dump_json())


def test_no_logprobs_names_the_option(server):
    """A message asked without logprobs: the error names ChatOpenAI's logprobs option."""
    server.reply(NO_LOGPROBS)
    message = chat_model(server).invoke("hi")
    with pytest.raises(tp.MissingLogprobsError, match=r"LangChain AIMessage.*logprobs=True") as e:
        tp.parse(message)
    assert e.value.not_requested
    server.reply(NO_LOGPROBS_STREAM)
    with pytest.raises(tp.MissingLogprobsError, match=r"LangChain AIMessageChunk"):
        tp.parse(list(chat_model(server).stream("hi")))


@pytest.mark.parametrize("case", RESPONSES)
def test_responses_api_drops_them_and_the_error_says_so(server, case):
    """On the Responses API langchain-openai keeps no logprobs: the error says which version."""
    server.reply(case.body)
    llm = chat_model(
        server, use_responses_api=True, include=["message.output_text.logprobs"], top_logprobs=2
    )
    message = llm.invoke("hi")
    assert server.requests[0].path.endswith("/responses")
    assert server.requests[0].body["include"] == ["message.output_text.logprobs"]
    assert tp.parse(case.body).logprobs.size > 0  # the server did send them
    version = tp.adapters.frameworks._base.version("langchain-openai")
    with pytest.raises(
        tp.MissingLogprobsError, match=rf"not possible with langchain-openai {version}"
    ):
        tp.parse(message)
    server.reply(case.stream)
    chunks = list(llm.stream("hi"))
    with pytest.raises(tp.MissingLogprobsError, match="Responses API") as e:
        tp.parse(chunks)
    assert not e.value.not_requested
    assert e.value.endpoint == "responses"


def test_choice_other_than_zero_is_refused(server):
    """A message holds one output: asking for choice 1 names that."""
    server.reply(BUILT_CHAT.body)
    message = chat_model(server, logprobs=True).invoke("hi")
    with pytest.raises(tp.UnsupportedResponseError, match="no choice 1"):
        tp.parse(message, choice=1)
    assert [d.choice for d in tp.parse_all(message)] == [0]


def test_collector_gathers_a_distribution_per_answer(server):
    """`langchain_collector()` as a callback: invoke and stream answers, and the ones without."""
    collector = tp.adapters.langchain_collector()
    llm = chat_model(server, logprobs=True, top_logprobs=2)
    server.reply(BUILT_CHAT.body)
    llm.invoke("hi", config={"callbacks": [collector]})
    server.reply(BUILT_CHAT.stream)
    for _ in llm.stream("hi", config={"callbacks": [collector]}):
        pass
    server.reply(NO_LOGPROBS)
    chat_model(server, callbacks=[collector]).invoke("hi")
    assert collector.distributions == [tp.parse(BUILT_CHAT.body), tp.parse(BUILT_CHAT.stream)]
    assert [type(e) for e in collector.errors] == [tp.MissingLogprobsError]


def test_collector_given_the_k_asked_warns_of_a_capped_answer(server):
    """`langchain_collector(top_logprobs=5)`: an answer holding 2 everywhere warns, and is kept."""
    collector = tp.adapters.langchain_collector(top_logprobs=5)
    server.reply(RECORDED_CHAT.body)
    with pytest.warns(tp.TokenprobsWarning, match="5 was asked, but every position holds 2"):
        chat_model(server, logprobs=True, top_logprobs=5).invoke(
            "hi", config={"callbacks": [collector]}
        )
    assert collector.distributions == [tp.parse(RECORDED_CHAT.body)]
    with pytest.raises(TypeError, match="top_logprobs must be an integer"):
        tp.adapters.langchain_collector(top_logprobs="5")


def test_collector_without_langchain_gives_the_install_line(monkeypatch):
    """Without langchain-core, asking for the collector names the extra to install."""
    monkeypatch.setitem(sys.modules, "langchain_core.callbacks", None)
    with pytest.raises(tp.MissingDependencyError, match=r"pytokenprobs\[frameworks\]"):
        tp.adapters.langchain_collector()


def test_chat_litellm_keeps_them_unless_streaming(server):
    """ChatLiteLLM keeps a call's logprobs (naming its own model); its stream keeps none."""
    llm = ChatLiteLLM(
        model="openai/gpt-4o-mini",
        api_base=server.base_url,
        api_key="sk-test",
        model_kwargs={"logprobs": True, "top_logprobs": 2},
    )
    server.reply(BUILT_CHAT.body)
    d = tp.parse(llm.invoke("hi"))
    assert d == tp.parse(BUILT_CHAT.body).model_copy(update={"model": "openai/gpt-4o-mini"})
    server.reply(BUILT_CHAT.stream)
    chunks = list(llm.stream("hi"))
    assert server.requests[-1].body["logprobs"] is True
    with pytest.raises(tp.MissingLogprobsError, match="not possible with langchain-litellm") as e:
        tp.parse(chunks)
    assert not e.value.not_requested


def test_generate_with_several_choices_gives_one_per_choice(server):
    """`generate()` with `n=2`: its LLMResult parses as the completion's two choices.

    Its messages keep no model id (`llm_output` names the model asked for, not the server's).
    """
    body = tp.testing.chat_completion(
        [("Yes", -0.2, [("Yes", -0.2), ("No", -1.7)])], [("No", -1.7, [("No", -1.7)])]
    )
    server.reply(body)
    result = chat_model(server, logprobs=True, top_logprobs=2, n=2).generate([[HumanMessage("hi")]])
    assert server.requests[0].body["n"] == 2
    expected = [d.model_copy(update={"model": None}) for d in tp.parse_all(body)]
    assert tp.parse_all(result) == expected
    assert tp.parse(result, choice=1) == expected[1]
    with pytest.raises(tp.UnsupportedResponseError, match="no choice 2"):
        tp.parse(result, choice=2)


def test_a_prompts_generations_parse_as_its_choices(server):
    """`result.generations[0]` (a list of `ChatGeneration`) parses as the result's choices.

    Was: its messages were read as the chunks of one stream, the two answers joined into one.
    """
    body = tp.testing.chat_completion([("Yes", -0.2, [])], [("No", -1.7, [])])
    server.reply(body)
    result = chat_model(server, logprobs=True, n=2).generate([[HumanMessage("hi")]])
    assert [d.text for d in tp.parse_all(result.generations[0])] == ["Yes", "No"]
    assert tp.parse_all(result.generations[0]) == tp.parse_all(result)
    assert tp.parse(result.generations[0], choice=1) == tp.parse(result, choice=1)


def test_batch_answers_and_several_prompts_are_refused_with_the_fix(server):
    """`model.batch(...)`'s answers, or a result of two prompts, say to parse each.

    Was: the batch's messages were joined as one stream; of the result's prompts, the first was
    read and the others dropped, silently.
    """
    for text in ("Yes", "No"):
        server.reply(tp.testing.chat_completion([(text, -0.2, [])]))
    answers = chat_model(server, logprobs=True).batch(["a", "b"], config={"max_concurrency": 1})
    assert [tp.parse(m).text for m in answers] == ["Yes", "No"]
    with pytest.raises(tp.UnsupportedResponseError, match=r"2 whole LangChain messages.*each"):
        tp.parse(answers)
    for text in ("Yes", "No"):
        server.reply(tp.testing.chat_completion([(text, -0.2, [])]))
    result = chat_model(server, logprobs=True).generate([[HumanMessage("a")], [HumanMessage("b")]])
    with pytest.raises(tp.UnsupportedResponseError, match="generations of 2 prompts"):
        tp.parse_all(result)
    assert [d.text for g in result.generations for d in tp.parse_all(g)] == ["Yes", "No"]


@pytest.mark.parametrize(
    ("result", "field", "message"),
    [
        pytest.param(
            LLMResult(generations=[[]]),
            "generations[0]",
            "prompt 0 has no generations",
            id="a-prompt-without-generations",
        ),
        pytest.param(LLMResult(generations=[]), "generations", "no prompt", id="llm-result"),
        pytest.param(ChatResult(generations=[]), "generations", "no prompt", id="chat-result"),
    ],
)
def test_a_result_without_generations_is_malformed(result, field, message):
    """A result that holds no generation is malformed, saying where.

    Was: `tp.parse_all(LLMResult(generations=[[]]))` returned `[]`, silently; with no prompt at
    all, the result was said to be 'not a chat model's answer'.
    """
    for parse in (tp.parse_all, tp.parse):
        with pytest.raises(tp.UnsupportedResponseError, match=message) as e:
            parse(result)
        assert e.value.field == field
        assert type(result).__name__ in str(e.value)
