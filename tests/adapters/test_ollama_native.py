"""Ollama's native bodies (`/api/chat`, `/api/generate`): plain and NDJSON, logprobs or none."""

from __future__ import annotations

import pytest
from tests.frameworks._ollama_bodies import CHAT, GENERATE, MODEL, SPLIT, without_logprobs

import tokenprobs as tp


@pytest.mark.parametrize("native", [CHAT, GENERATE], ids=["chat", "generate"])
def test_plain_body_and_stream_are_one_distribution(native):
    """The plain body, its NDJSON text and its list of lines parse alike, with their bytes."""
    d = tp.parse(native.body)
    assert (d.source, d.model, d.finish_reason, d.incomplete) == ("ollama", MODEL, "stop", False)
    assert d.tokens == [e["token"] for e in native.body["logprobs"]]
    assert d.token_bytes == [e["bytes"] for e in native.body["logprobs"]]
    assert d.top_tokens[0] == [t["token"] for t in native.body["logprobs"][0]["top_logprobs"]]
    assert tp.parse(native.ndjson()) == d
    assert tp.parse(native.lines) == d
    assert tp.parse(native.ndjson().encode()) == d


def test_a_split_character_is_rebuilt_from_its_bytes():
    """Ollama names a token ending inside a character U+FFFD; its bytes give the text back."""
    tokens = [e["token"] for e in SPLIT.body["logprobs"]]
    assert "\ufffd" in "".join(tokens)
    d = tp.parse(SPLIT.body)
    assert d.text == SPLIT.body["message"]["content"]
    assert "\ufffd" not in d.text
    assert tp.parse(SPLIT.ndjson()).text == d.text


@pytest.mark.parametrize("native", [CHAT, GENERATE], ids=["chat", "generate"])
def test_a_finished_answer_without_logprobs_says_how_to_ask(native):
    """Not asked for: the plain body and the finished stream raise, naming the request field."""
    bare = without_logprobs(native)
    for body in (bare.body, bare.ndjson(), bare.lines):
        with pytest.raises(
            tp.MissingLogprobsError, match=r'"logprobs": true, "top_logprobs": k'
        ) as e:
            tp.parse(body)
        assert e.value.not_requested


def test_an_unfinished_stream_without_logprobs_is_empty_and_incomplete():
    """Lines before the `done` one: nothing is known to be missing yet."""
    d = tp.parse(without_logprobs(CHAT).lines[:2])
    assert len(d) == 0
    assert d.incomplete
    assert d.content == "".join(line["message"]["content"] for line in CHAT.lines[:2])
