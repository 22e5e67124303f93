"""`parse_all` on `n > 1` where one choice is a tool call: the others come back, the call is named.

The rule (adapters/_tool_calls.py, docs/concepts.md): a tool-call choice without logprobs is left
out with a `TokenprobsWarning` naming it; every other missing logprobs still raises, and so does
a response whose every choice is such a tool call.
"""

from __future__ import annotations

import copy
import json

import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk

import tokenprobs as tp
from tokenprobs import testing

FIRST = [("Hi", -0.1, [("Hi", -0.1), ("Hello", -2.4)]), ("!", -0.2, [("!", -0.2)])]
THIRD = [("Hey", -0.7, [("Hey", -0.7), ("Hi", -0.9)])]
LEFT_OUT = r"left out choice\(s\) 1: tool calls"


def body_with_a_tool_call() -> dict:
    """n=3: text with logprobs, a tool call (OpenAI's `content: null`), text with logprobs."""
    body = testing.chat_completion(FIRST, [], THIRD)
    tool = testing.tool_call_completion()["choices"][0]
    body["choices"][1] = {**tool, "index": 1}
    return body


def chunks_with_a_tool_call() -> list[dict]:
    """The same three choices streamed: the tool call's chunks have `content: null` throughout."""
    text = [
        c for c in testing.chat_chunks(FIRST, [], THIRD, usage=False)
        if c["choices"][0]["index"] != 1
    ]  # fmt: skip
    tool = copy.deepcopy(testing.tool_call_chunks())
    for c in tool:
        c["choices"][0]["index"] = 1
    return [*text[:2], *tool, *text[2:]]


def _forms() -> dict[str, object]:
    body = body_with_a_tool_call()
    big = copy.deepcopy(body)  # past the raw-JSON fast path's threshold (64 KiB)
    big["choices"][2]["message"]["content"] = "Hey" + " " * 70_000
    chunks = chunks_with_a_tool_call()
    return {
        "dict": body,
        "sdk": ChatCompletion.model_validate(body),
        "json": json.dumps(body),
        "json-fast-path": json.dumps(big).encode(),
        "chunks": chunks,
        "sdk-chunks": [ChatCompletionChunk.model_validate(c) for c in chunks],
        "sse": testing.sse(chunks),
    }


@pytest.mark.parametrize("form", list(_forms()))
def test_the_choices_with_logprobs_come_back_and_the_tool_call_is_named(form):
    """Choices 0 and 2, in order, with their own logprobs; a warning names choice 1."""
    with pytest.warns(tp.TokenprobsWarning, match=LEFT_OUT) as caught:
        ds = tp.parse_all(_forms()[form])
    assert [d.choice for d in ds] == [0, 2]
    assert [d.tokens for d in ds] == [["Hi", "!"], ["Hey"]]
    assert ds[0].logprobs.tolist() == [-0.1, -0.2]
    assert ds[1].top_tokens == [["Hey", "Hi"]]
    assert "the list holds choice(s) 0, 2" in str(caught[0].message)
    assert caught[0].filename == __file__  # the warning points at the caller of parse_all


def test_parse_of_the_tool_call_choice_still_raises():
    """Asking for the tool call itself is the MissingLogprobsError it always was."""
    body = body_with_a_tool_call()
    with pytest.raises(tp.MissingLogprobsError, match="tool call"):
        tp.parse(body, choice=1)
    assert tp.parse(body, choice=2).tokens == ["Hey"]


def test_every_choice_a_tool_call_raises():
    """Nothing to read: MissingLogprobsError (an empty list would hide it), no warning."""
    body = body_with_a_tool_call()
    body["choices"] = [{**body["choices"][1], "index": i} for i in range(2)]
    for form in (body, json.dumps(body), ChatCompletion.model_validate(body)):
        with pytest.raises(tp.MissingLogprobsError, match="tool call"):
            tp.parse_all(form)


def test_logprobs_not_requested_still_raises():
    """A text choice without logprobs is not a tool call: the error says how to ask for them."""
    body = body_with_a_tool_call()
    body["choices"][2]["logprobs"] = None
    with pytest.raises(tp.MissingLogprobsError) as info:
        tp.parse_all(body)
    assert info.value.not_requested


def test_a_real_sdk_answer_with_n3(api, openai_client):
    """Through the real SDK (respx): `n=3` whose second choice is a tool call."""
    api.post("/chat/completions").respond(200, json=body_with_a_tool_call())
    messages = [{"role": "user", "content": "Say hi, or call get_weather"}]
    asked = {"n": 3, "logprobs": True, "top_logprobs": 2}
    response = openai_client.chat.completions.create(
        model="gpt-4o-mini", messages=messages, **asked
    )
    with pytest.warns(tp.TokenprobsWarning, match=LEFT_OUT):
        ds = tp.parse_all(response)
    assert [d.choice for d in ds] == [0, 2]
    assert all(d.response is response for d in ds)
