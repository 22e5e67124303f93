"""Ollama: the `ollama` client, LangChain's ChatOllama and LiteLLM's Ollama providers.

Each is called for real against the loopback server answering in Ollama's native format. The
`ollama` client drops the `bytes` of every entry (its token types have no such field), so what
the frameworks hand back parses as the body without them; tokens and values are the body's own.
"""

from __future__ import annotations

import asyncio

import litellm
import ollama
import pytest
from langchain_litellm import ChatLiteLLM
from langchain_ollama import ChatOllama
from tests.frameworks._ollama_bodies import (
    CHAT,
    GENERATE,
    MODEL,
    RECORDED_CHUNK,
    SPLIT,
    without_bytes,
    without_logprobs,
)

import tokenprobs as tp

MESSAGES = [{"role": "user", "content": "hi"}]


def same_values(d: tp.TokenDistribution, expected: tp.TokenDistribution) -> None:
    """The tokens, values and alternatives of the body itself (only the bytes are gone)."""
    assert d.tokens == expected.tokens
    assert d.logprobs.tolist() == expected.logprobs.tolist()
    assert d.top_tokens == expected.top_tokens
    assert d.top_logprobs.tolist() == expected.top_logprobs.tolist()
    assert d.text == expected.text


def chat_ollama(server, **kwargs):
    """A real ChatOllama pointed at the loopback server."""
    return ChatOllama(model=MODEL, base_url=server.root, **kwargs)


def test_native_bodies_parse_with_their_bytes():
    """The bodies themselves: plain and NDJSON, chat and generate, one distribution each."""
    for n in (CHAT, GENERATE):
        d = tp.parse(n.body)
        assert (d.source, d.model, d.finish_reason, d.incomplete) == (
            "ollama",
            MODEL,
            "stop",
            False,
        )
        assert d.token_bytes[0] == list(n.body["logprobs"][0]["bytes"])
        assert tp.parse(n.ndjson()) == d
        assert tp.parse(n.lines) == d


def test_chat_ollama_invoke_parses_as_the_body(server):
    """`invoke(..., stream=False)`: one /api/chat answer, its message parsed as that body."""
    server.reply(CHAT.body)
    message = chat_ollama(server, logprobs=True, top_logprobs=2).invoke("hi", stream=False)
    sent = server.requests[0]
    assert sent.path == "/api/chat"
    assert (sent.body["logprobs"], sent.body["top_logprobs"], sent.body["stream"]) == (
        True,
        2,
        False,
    )
    d = tp.parse(message)
    assert d == tp.parse(without_bytes(CHAT.body))
    assert d.response is message
    same_values(d, tp.parse(CHAT.body))


def test_chat_ollama_stream_its_sum_and_invoke_parse_as_the_stream(server):
    """The chunks, their sum, and `invoke()` (which streams) parse as the NDJSON body."""
    llm = chat_ollama(server, logprobs=True, top_logprobs=2)
    expected = tp.parse(without_bytes(CHAT.lines))
    server.reply_ndjson(CHAT.lines)
    chunks = list(llm.stream("hi"))
    assert tp.parse(chunks) == expected
    server.reply_ndjson(CHAT.lines)
    assert tp.parse(llm.stream("hi")) == expected  # the generator itself, not a list of it
    total = chunks[0]
    for c in chunks[1:]:
        total += c
    assert tp.parse(total) == expected
    server.reply_ndjson(CHAT.lines)
    message = llm.invoke("hi")
    assert server.requests[-1].body["stream"] is True
    assert tp.parse(message) == expected
    same_values(tp.parse(message), tp.parse(CHAT.ndjson()))
    cut = tp.parse(chunks[:2])  # no `done` line yet
    assert cut.incomplete
    assert cut.tokens == expected.tokens[:2]


def test_chat_ollama_without_logprobs_names_its_option(server):
    """Not asked for: the error names ChatOllama's option, for a message and a stream."""
    bare = without_logprobs(CHAT)
    server.reply(bare.body)
    message = chat_ollama(server).invoke("hi", stream=False)
    assert server.requests[0].body.get("logprobs") is None
    with pytest.raises(
        tp.MissingLogprobsError, match=r"ChatOllama.*ChatOllama\(model=\.\.\., logprobs=True"
    ) as e:
        tp.parse(message)
    assert e.value.not_requested
    server.reply_ndjson(bare.lines)
    with pytest.raises(tp.MissingLogprobsError, match=r"AIMessageChunk from ChatOllama"):
        tp.parse(list(chat_ollama(server).stream("hi")))


def test_ollama_client_chat_and_generate_parse_as_their_bodies(server):
    """`ollama.Client.chat` / `.generate`, plain and streamed, parse as the bodies."""
    client = ollama.Client(host=server.root)
    for n, call in ((CHAT, client.chat), (GENERATE, client.generate)):
        arg = {"messages": MESSAGES} if n is CHAT else {"prompt": "hi"}
        server.reply(n.body)
        r = call(model=MODEL, logprobs=True, top_logprobs=2, **arg)
        assert server.requests[-1].body["logprobs"] is True
        d = tp.parse(r)
        assert d == tp.parse(without_bytes(n.body))
        assert d.response is r
        same_values(d, tp.parse(n.body))
        server.reply_ndjson(n.lines)
        parts = list(call(model=MODEL, logprobs=True, top_logprobs=2, stream=True, **arg))
        assert tp.parse(parts) == tp.parse(without_bytes(n.lines))
        server.reply_ndjson(n.lines)
        stream = call(model=MODEL, logprobs=True, top_logprobs=2, stream=True, **arg)
        assert tp.parse(stream) == tp.parse(without_bytes(n.lines))  # the generator as given


def test_ollama_client_reads_the_recorded_chunk(server):
    """Ollama's own release-note chunk, streamed through the client: three alternatives."""
    server.reply_ndjson([RECORDED_CHUNK])
    parts = list(
        ollama.Client(host=server.root).generate(
            model=MODEL, prompt="hi", stream=True, logprobs=True, top_logprobs=3
        )
    )
    d = tp.parse(parts)
    same_values(d, tp.parse(RECORDED_CHUNK))
    assert d.top_tokens == [["The", "Okay", "That"]]
    assert d.incomplete  # the chunk is not the `done` line


def test_ollama_client_without_logprobs_names_the_option(server):
    """A response with text and no logprobs: the error names the client's own parameters."""
    server.reply(without_logprobs(GENERATE).body)
    r = ollama.Client(host=server.root).generate(model=MODEL, prompt="hi")
    with pytest.raises(
        tp.MissingLogprobsError,
        match=r"ollama client's GenerateResponse.*logprobs=True, top_logprobs=k",
    ):
        tp.parse(r)


def test_an_ollama_object_that_is_no_answer_says_what_was_expected(server):
    """A client object that is not a chat or generate response names what to pass."""
    server.reply({"status": "success"})
    copied = ollama.Client(host=server.root).copy(MODEL, "copy")
    with pytest.raises(tp.UnsupportedResponseError, match="StatusResponse is not an answer"):
        tp.parse(copied)
    server.reply(CHAT.body)
    r = ollama.Client(host=server.root).chat(model=MODEL, messages=MESSAGES, logprobs=True)
    with pytest.raises(tp.UnsupportedResponseError, match="no choice 1"):
        tp.parse(r, choice=1)


def test_split_character_bytes_are_lost_by_the_client_and_we_warn(server):
    """A character split over two tokens: the body's bytes rebuild it; the client drops them."""
    raw = tp.parse(SPLIT.body)
    assert raw.text == SPLIT.body["message"]["content"]
    assert "\ufffd" not in raw.text
    server.reply(SPLIT.body)
    message = chat_ollama(server, logprobs=True, top_logprobs=2).invoke("hi", stream=False)
    with pytest.warns(tp.TokenprobsWarning, match=r"the ollama client [\d.]+ drops them"):
        d = tp.parse(message)
    assert d.logprobs.tolist() == raw.logprobs.tolist()
    assert "\ufffd" in d.text
    server.reply(SPLIT.body)
    r = ollama.Client(host=server.root).chat(model=MODEL, messages=MESSAGES, logprobs=True)
    with pytest.warns(tp.TokenprobsWarning, match="read the HTTP body itself"):
        tp.parse(r)


@pytest.mark.parametrize(("provider", "native"), [("ollama_chat", CHAT), ("ollama", GENERATE)])
def test_litellm_native_providers_drop_them_and_the_error_says_so(server, provider, native):
    """LiteLLM's `ollama/` and `ollama_chat/` map no logprobs: what arrives, and the error.

    Asked for, LiteLLM refuses the parameter; with `drop_params` it drops it; with
    `allowed_openai_params` it sends it inside `options` (not where Ollama reads it). Even a
    server that sends logprobs anyway gives a response without them.
    """
    call = {"model": f"{provider}/{MODEL}", "api_base": server.root, "messages": MESSAGES}
    with pytest.raises(litellm.UnsupportedParamsError, match="logprobs"):
        litellm.completion(**call, logprobs=True, top_logprobs=2)
    server.reply(native.body)
    r = litellm.completion(**call, logprobs=True, top_logprobs=2, drop_params=True)
    assert "logprobs" not in server.requests[-1].body
    assert tp.parse(native.body).logprobs.size > 0  # the server did send them
    pattern = rf"\({provider}/\) carries no logprobs.*not possible through {provider}/.*openai/"
    with pytest.raises(tp.MissingLogprobsError, match=pattern) as e:
        tp.parse(r)
    assert not e.value.not_requested
    server.reply(native.body)
    allowed = ["logprobs", "top_logprobs"]
    litellm.completion(**call, logprobs=True, top_logprobs=2, allowed_openai_params=allowed)
    sent = server.requests[-1].body
    assert "logprobs" not in sent
    assert sent["options"]["logprobs"] is True
    server.reply_ndjson(native.lines)
    wrapper = litellm.completion(**call, logprobs=True, stream=True, drop_params=True)
    with pytest.raises(tp.MissingLogprobsError, match=pattern):
        tp.parse(wrapper)


def test_chat_ollama_async_calls_and_the_collector(server):
    """`ainvoke` / `astream` (the async client), and the LangChain collector as a callback."""
    llm = chat_ollama(server, logprobs=True, top_logprobs=2)
    expected = tp.parse(without_bytes(CHAT.lines))
    collector = tp.adapters.langchain_collector()

    async def run():
        server.reply_ndjson(CHAT.lines)
        message = await llm.ainvoke("hi", config={"callbacks": [collector]})
        server.reply_ndjson(CHAT.lines)
        chunks = [c async for c in llm.astream("hi")]
        return message, chunks

    message, chunks = asyncio.run(run())
    assert tp.parse(message) == expected
    assert tp.parse(chunks) == expected
    assert collector.distributions == [expected]
    assert collector.errors == []


def test_chat_litellm_on_ollama_chat_names_litellms_provider(server):
    """ChatLiteLLM on `ollama_chat/`: LiteLLM dropped them, and the error says where, not how."""
    kwargs = {"logprobs": True, "top_logprobs": 2, "drop_params": True}
    llm = ChatLiteLLM(model=f"ollama_chat/{MODEL}", api_base=server.root, model_kwargs=kwargs)
    server.reply(CHAT.body)
    message = llm.invoke("hi")
    assert "logprobs" not in server.requests[-1].body
    pattern = r"ChatLiteLLM \(ollama_chat/\).*openai/"
    with pytest.raises(tp.MissingLogprobsError, match=pattern) as e:
        tp.parse(message)
    assert not e.value.not_requested
