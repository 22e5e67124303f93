"""`tokenprobs.testing`: the bodies it builds are ones the SDK accepts, its arguments are checked.

The module says each builder's dict can be passed to the SDK's `model_validate`; a builder given
a malformed position says which one and how to write it, instead of failing deep inside (or
building a body the API never sends).
"""

from __future__ import annotations

import math

import pytest
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import TypeAdapter

import tokenprobs as tp
from tokenprobs import testing

POSITIONS = [
    ("Hi", -0.1, [("Hi", -0.1), ("Ho", -2.5)]),
    (b"\xf0\x9f", -0.2, []),
    (b"\x92\x99", -0.3, []),
]


def test_a_response_body_is_one_the_sdk_validates():
    """`Response.model_validate(testing.response(...))` works: the fields the API always sends."""
    sdk = Response.model_validate(testing.response(POSITIONS))
    assert sdk.output_text == "Hi💙"
    assert sdk.parallel_tool_calls is True
    assert sdk.tools == []


@pytest.mark.parametrize("rounded", [False, True], ids=["exact", "rounded"])
def test_every_response_event_is_one_the_sdk_validates(rounded):
    """Each event, `response.created` and `response.completed` too, is a valid SDK event."""
    events = testing.response_events(POSITIONS, rounded=rounded)
    adapter = TypeAdapter(ResponseStreamEvent)
    assert [adapter.validate_python(e).type for e in events][:: len(events) - 1] == [
        "response.created",
        "response.completed",
    ]


BUILDERS = [
    pytest.param(testing.chat_completion, id="chat_completion"),
    pytest.param(testing.chat_chunks, id="chat_chunks"),
    pytest.param(testing.completion, id="completion"),
    pytest.param(testing.completion_chunks, id="completion_chunks"),
    pytest.param(testing.response, id="response"),
    pytest.param(testing.response_events, id="response_events"),
]


@pytest.mark.parametrize("build", BUILDERS)
@pytest.mark.parametrize(
    ("positions", "error", "message"),
    [
        pytest.param(("Hi", -0.1, []), TypeError, r"one position: wrap it in a list", id="lone"),
        pytest.param("Hi", TypeError, r"must be a list of positions", id="a str"),
        pytest.param([("Hi", -0.1)], TypeError, r"\[0\] must be \(token, logprob, alt", id="pair"),
        pytest.param([(5, -0.1, [])], TypeError, r"\[0\]'s token must be a str or bytes", id="int"),
        pytest.param([("Hi", "-0.1", [])], TypeError, r"\[0\]'s logprob must be a", id="lp str"),
        pytest.param([("Hi", True, [])], TypeError, r"\[0\]'s logprob must be a", id="lp bool"),
        pytest.param([("Hi", float("nan"), [])], ValueError, r"finite", id="lp nan"),
        pytest.param([("\ud800", -0.1, [])], ValueError, r"lone surrogate", id="surrogate"),
        pytest.param(
            [("Hi", -0.1, [("a\udce2", -1.0)])], ValueError, r"alternative 0's .*", id="alt-sur"
        ),
        pytest.param(
            [("Hi", -0.1, {"Hi": -0.1})], TypeError, r"alternatives must be a list", id="dict"
        ),
        pytest.param(
            [("Hi", -0.1, [("Hi",)])],
            TypeError,
            r"alternative 0 must be \(token, logprob\)",
            id="alt",
        ),
        pytest.param(
            [("Hi", -0.1, [("Hi", None)])], TypeError, r"alternative 0's logprob", id="alt None"
        ),
    ],
)
def test_a_malformed_position_is_refused_by_name(build, positions, error, message):
    """A builder names the malformed position and the shape it takes."""
    with pytest.raises(error, match=message):
        build(positions)


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(testing.chat_completion, id="chat_completion"),
        pytest.param(testing.chat_chunks, id="chat_chunks"),
        pytest.param(testing.response, id="response"),
        pytest.param(testing.response_events, id="response_events"),
    ],
)
def test_a_null_logprob_is_refused_where_the_api_never_sends_one(build):
    """Chat and Responses bodies with a null logprob would not parse: refused by position."""
    with pytest.raises(TypeError, match=r"\[1\]'s logprob is None.*completion\(\)"):
        build([("A", -0.1, []), ("b", None, [])])


@pytest.mark.parametrize("build", [testing.completion, testing.completion_chunks])
def test_a_legacy_body_takes_the_null_logprob_of_an_echoed_first_token(build):
    """Legacy Completions send null for the echoed first prompt token: built, and parsed as NaN."""
    d = tp.parse(build([("A", None, []), (" b", -0.5, [(" b", -0.5)])]))
    assert d.tokens == ["A", " b"]
    assert math.isnan(d.logprobs[0])
    assert d.logprobs[1] == -0.5


def test_the_message_says_which_choice():
    """With several choices, the message names the choice (`choice 1`)."""
    with pytest.raises(TypeError, match=r"choice 1\[0\]'s token"):
        testing.chat_completion(POSITIONS, [(None, -0.1, [])])


@pytest.mark.parametrize("chunks", ["data", {"id": "x"}, ["data"]], ids=["str", "dict", "strs"])
def test_sse_takes_a_list_of_chunks(chunks):
    """`sse` of a string or a single chunk was SSE of its characters or keys: now a TypeError."""
    with pytest.raises(TypeError, match=r"sse\(chunks\) takes a list of chunk dicts"):
        testing.sse(chunks)


def test_sse_of_no_chunks_is_an_empty_stream():
    """No chunk at all is still a stream: just `[DONE]`."""
    assert testing.sse([]) == "data: [DONE]\n\n"


def test_azure_chunks_needs_chunks():
    """`azure_chunks([])` was an IndexError; a str a TypeError about indices."""
    with pytest.raises(ValueError, match="at least one chunk"):
        testing.azure_chunks([])
    with pytest.raises(TypeError, match=r"azure_chunks\(chunks\) takes a list of chunk dicts"):
        testing.azure_chunks(testing.chat_completion(POSITIONS))


@pytest.mark.parametrize("wrap", [testing.azure, lambda b: testing.vllm_token_ids(b, {})])
@pytest.mark.parametrize(
    "body",
    [testing.response(POSITIONS), testing.chat_chunks(POSITIONS)],
    ids=["responses body", "chunks"],
)
def test_body_wrappers_take_a_chat_or_legacy_body(wrap, body):
    """A Responses body or a list of chunks was `KeyError: 'choices'`: now a TypeError saying so."""
    with pytest.raises(TypeError, match=r"takes a chat or legacy Completions body"):
        wrap(body)


def test_vllm_names_a_token_missing_from_the_vocab():
    """A token not in `vocab` is a KeyError naming it and the vocabulary to extend."""
    with pytest.raises(KeyError, match=r"'Ho' is not in `vocab`"):
        testing.vllm_token_ids(testing.chat_completion(POSITIONS[:1]), {"Hi": 1})
    with pytest.raises(KeyError, match=r"' b' is not in `vocab`"):
        testing.vllm_prompt_logprobs([("A", None, []), (" b", -1.0, [])], {"A": 1})


def test_vllm_prompt_logprobs_needs_a_logprob_after_the_first_position():
    """Only the first prompt position has no logprob: a None later is a ValueError (not assert)."""
    with pytest.raises(ValueError, match=r"position 1 has logprob None"):
        testing.vllm_prompt_logprobs([("A", None, []), ("B", None, [])], {"A": 1, "B": 2})


# 국 is split over two tokens, then come whole ones: their offsets must still point at them
SPLIT = [
    ("한", -0.1, []),
    (b"\xea\xb5", -0.2, []),
    (b"\xad", -0.3, []),
    ("💙", -1.0, []),
    ("x", -2.0, []),
]


def test_legacy_text_offsets_count_the_characters_of_the_text():
    """Each token's `text_offset` is where it starts in `text`; a split character's share one."""
    choice = testing.completion(SPLIT)["choices"][0]
    offsets = choice["logprobs"]["text_offset"]
    assert offsets == [0, 1, 1, 2, 3]
    assert [choice["text"][o] for o in offsets[3:]] == ["💙", "x"]


def test_legacy_chunks_spell_the_text_of_the_whole_body():
    """The chunks' texts join into the body's text (no U+FFFD per half of a character)."""
    chunks = testing.completion_chunks(SPLIT)
    assert "".join(c["choices"][0]["text"] for c in chunks) == "한국💙x"
    offsets = [c["choices"][0]["logprobs"]["text_offset"] for c in chunks[:-1]]
    assert offsets == [
        [o] for o in testing.completion(SPLIT)["choices"][0]["logprobs"]["text_offset"]
    ]


def test_vllm_token_ids_after_a_split_character_keep_their_own_text():
    """Id tokens (vLLM's) are read through `text_offset`: the tokens after 국 keep their bytes."""
    vocab = {"한": 1, r"\xea\xb5": 2, r"\xad": 3, "💙": 4, "x": 5}
    d = tp.parse(testing.vllm_token_ids(testing.completion(SPLIT), vocab))
    assert d.text == "한국💙x"
    assert d.token_ids.tolist() == [1, 2, 3, 4, 5]
    assert [bytes(b) for b in d.token_bytes[3:]] == ["💙".encode(), b"x"]


def test_usage_counts_the_tokens_of_every_choice():
    """Two answers (n = 2) of 3 and 1 tokens: completion_tokens is 4, as the API bills them."""
    choices = ([("a", -0.1, []), ("b", -0.2, []), ("c", -0.3, [])], [("x", -0.5, [])])
    body = testing.chat_completion(*choices)
    streamed = testing.chat_chunks(*choices)[-1]
    for usage in (body["usage"], streamed["usage"]):
        assert usage["completion_tokens"] == 4
        assert usage["total_tokens"] == usage["prompt_tokens"] + 4


@pytest.mark.parametrize(
    ("vocab", "match"),
    [
        pytest.param(
            ["Hi"], r"`vocab` is a mapping of token strings to ids .*got a list", id="list"
        ),
        pytest.param({"Hi": "1"}, r"maps token strings to int ids, got a str \('1'\)", id="str-id"),
    ],
)
def test_vllm_names_a_vocab_that_is_no_mapping_of_ids(vocab, match):
    """A list was an IndexError deep in the builder; a str id was written into the body."""
    with pytest.raises(TypeError, match=match):
        testing.vllm_token_ids(testing.chat_completion(POSITIONS[:1]), vocab)
