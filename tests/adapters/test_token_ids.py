"""Token ids (issue 15): `d.token_ids` / `d.top_token_ids`, wherever a server gives them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from openai.types.chat import ChatCompletion
from openai.types.completion import Completion

import tokenprobs as tp
from tokenprobs import testing

VOCAB = {"The": 10, " cat": 11, " sat": 12, " dog": 13, "A": 14, "한": 15, "!": 16}
POSITIONS = [
    ("The", -0.3, [("The", -0.3), ("A", -1.6)]),
    (" cat", -2.9, [(" dog", -0.4), (" cat", -2.9)]),
    (" sat", -0.2, [(" sat", -0.2)]),
]


def _forms(body: dict, sdk: type) -> list:
    return [
        pytest.param(body, id="dict"),
        pytest.param(json.dumps(body), id="json"),
        pytest.param(sdk.model_validate(body), id="sdk"),
    ]


@pytest.mark.parametrize(
    "form",
    _forms(testing.vllm_token_ids(testing.chat_completion(POSITIONS), VOCAB), ChatCompletion),
)
def test_vllm_chat_token_id_strings_give_ids_and_the_text_from_bytes(form):
    """Chat `"token_id:N"` tokens: ids parsed, the text exact from the bytes vLLM still sends."""
    d = tp.parse(form)
    assert d.tokens == ["token_id:10", "token_id:11", "token_id:12"]
    assert d.token_ids.dtype == np.int64
    assert d.token_ids.tolist() == [10, 11, 12]
    assert d.top_token_ids.tolist() == [[10, 14], [13, 11], [12, -1]]
    assert d.text == "The cat sat"
    assert not d.bytes_derived.any()
    # the alternative with the sampled id is the sampled token (vLLM gave it the bytes of
    # "token_id:11"): counted once
    assert d.top_bytes[1][1] == list(b" cat")
    assert d.candidates.counts.tolist() == [2, 2, 1]


@pytest.mark.parametrize(
    "form", _forms(testing.vllm_token_ids(testing.completion(POSITIONS), VOCAB), Completion)
)
def test_vllm_legacy_token_id_strings_text_from_offsets(form):
    """Legacy `"token_id:N"` tokens (no bytes): the text is cut from `text` at `text_offset`."""
    d = tp.parse(form)
    assert d.token_ids.tolist() == [10, 11, 12]
    assert d.top_token_ids.tolist() == [[10, 14], [13, 11], [12, -1]]
    assert d.text == "The cat sat"
    assert d.char_spans().tolist() == [[0, 3], [3, 7], [7, 11]]
    assert d.bytes_decoded == "text_offset"
    # the alternative with the sampled id is the sampled token: counted once, not twice
    assert d.candidates.counts.tolist() == [2, 2, 1]
    # an alternative of unknown text keeps its id string, distinct from the others
    assert d.top_tokens[1] == ["token_id:13", "token_id:11"]


def test_vllm_legacy_token_ids_with_an_echoed_prompt_offsets_from_zero():
    """With `echo`, offsets count from the prompt's start: the cut still spells the text."""
    positions = [("The", None, []), *POSITIONS[1:]]
    body = testing.vllm_token_ids(testing.completion(positions), VOCAB)
    d = tp.parse(body)
    assert [d.text[a:b] for a, b in d.char_spans()] == ["The", " cat", " sat"]
    assert d.token_ids.tolist() == [10, 11, 12]


def test_legacy_token_ids_whose_offsets_do_not_fit_the_text_keep_the_ids():
    """Offsets that do not fit the text: ids still parsed, no bytes invented."""
    body = testing.vllm_token_ids(testing.completion(POSITIONS), VOCAB)
    body["choices"][0]["text"] = "Th"
    d = tp.parse(body)
    assert d.token_ids.tolist() == [10, 11, 12]
    assert d.bytes_decoded is None
    assert d.bytes_derived.all()


def test_a_server_without_ids_gives_minus_one_and_serialises_null():
    """No id anywhere: -1 at every position and alternative; JSON carries `null`, loads back."""
    d = tp.parse(testing.chat_completion(POSITIONS))
    assert d.token_ids.tolist() == [-1, -1, -1]
    assert d.top_token_ids.shape == d.top_logprobs.shape
    assert (d.top_token_ids == -1).all()
    dumped = json.loads(d.model_dump_json())
    assert dumped["token_ids"] is None
    assert dumped["top_token_ids"] is None
    assert tp.TokenDistribution.model_validate(dumped) == d


def test_ids_survive_the_json_round_trip_and_slicing():
    """Ids round-trip through JSON exactly, and a slice keeps its positions' ids."""
    d = tp.parse(testing.vllm_token_ids(testing.chat_completion(POSITIONS), VOCAB))
    dumped = json.loads(d.model_dump_json())
    assert dumped["token_ids"] == [10, 11, 12]
    assert dumped["top_token_ids"] == [[10, 14], [13, 11], [12]]
    again = tp.TokenDistribution.model_validate_json(d.model_dump_json())
    assert again == d
    assert again.top_token_ids.tolist() == d.top_token_ids.tolist()
    part = d[1:]
    assert part.token_ids.tolist() == [11, 12]
    assert part.top_token_ids.tolist() == [[13, 11], [12, -1]]
    assert tp.TokenDistribution.model_validate_json(part.model_dump_json()) == part


def test_different_ids_make_distributions_unequal():
    """Ids are part of the identity: the same tokens with other ids are not equal."""
    a = tp.parse(testing.vllm_token_ids(testing.chat_completion(POSITIONS), VOCAB))
    b = tp.parse(testing.vllm_token_ids(testing.chat_completion(POSITIONS), {**VOCAB, "The": 99}))
    assert a != b


def test_from_columns_takes_the_ids_by_name():
    """`from_columns` builds the id columns from `token_ids` and `top_token_ids_flat`."""
    d = tp.TokenDistribution.from_columns(
        source="logprobs",
        tokens=["a", "b"],
        token_bytes=[None, None],
        logprobs=[-0.1, -0.2],
        top_tokens=[["a", "c"], []],
        top_bytes=[[None, None], []],
        top_logprobs_flat=[-0.1, -2.0],
        token_ids=[5, 6],
        top_token_ids_flat=[5, 7],
    )
    assert d.token_ids.tolist() == [5, 6]
    assert d.top_token_ids.tolist() == [[5, 7], [-1, -1]]
    with pytest.raises(ValueError, match="2 entries for 3 positions"):
        tp.TokenDistribution.from_columns(
            source="logprobs",
            tokens=["a", "b", "c"],
            token_bytes=[None] * 3,
            logprobs=[-0.1] * 3,
            top_tokens=[[]] * 3,
            top_bytes=[[]] * 3,
            top_logprobs_flat=[],
            token_ids=[5, 6],
        )


@pytest.mark.parametrize(
    ("bad", "seen"),
    [
        pytest.param("7", "str", id="string"),
        pytest.param(-3, "-3", id="negative"),
        pytest.param(True, "bool", id="bool"),
    ],
)
def test_a_malformed_id_field_is_an_error_naming_it(bad, seen):
    """An `id` that is not a token id is an UnsupportedResponseError naming the field."""
    body = testing.chat_completion(POSITIONS)
    for n, entry in enumerate(body["choices"][0]["logprobs"]["content"]):
        entry["id"] = 10 + n
    body["choices"][0]["logprobs"]["content"][1]["id"] = bad
    with pytest.raises(tp.UnsupportedResponseError, match=seen) as info:
        tp.parse(body)
    assert "choices[0].logprobs.content[1].id" in str(info.value)


def test_an_sdk_object_reads_the_ids_its_dict_gives_when_the_first_is_null():
    """A null `id` on the first entry: the SDK object gives the ids its JSON's dict gives."""
    body = testing.chat_completion(POSITIONS)
    for n, entry in enumerate(body["choices"][0]["logprobs"]["content"]):
        entry["id"] = None if n == 0 else 10 + n
        for m, alt in enumerate(entry["top_logprobs"]):
            alt["id"] = 20 + m
    d = tp.parse(body)
    assert d.token_ids.tolist() == [-1, 11, 12]
    assert tp.parse(ChatCompletion.model_validate(body)) == d


def test_ids_in_a_stream_are_joined_chunk_by_chunk():
    """llama.cpp-style `id` fields in streamed chunks: one id column over the whole stream."""
    chunks = testing.chat_chunks(POSITIONS)
    n = 0
    for chunk in chunks:
        for c in chunk["choices"]:
            for entry in (c.get("logprobs") or {}).get("content") or []:
                entry["id"] = 100 + n
                n += 1
                for m, alt in enumerate(entry["top_logprobs"]):
                    alt["id"] = 200 + m
    d = tp.parse(chunks)
    assert d.token_ids.tolist() == [100, 101, 102]
    assert d.top_token_ids.tolist() == [[200, 201], [200, 201], [200, -1]]


def test_vllm_return_token_ids_fill_the_ids_of_a_chat_choice():
    """With `return_token_ids` the choice's `token_ids` are the generated positions' ids (vLLM)."""
    body = testing.chat_completion(POSITIONS)
    body["choices"][0]["token_ids"] = [10, 11, 12]
    assert tp.parse(body).token_ids.tolist() == [10, 11, 12]
    assert tp.parse(ChatCompletion.model_validate(body)).token_ids.tolist() == [10, 11, 12]


def test_vllm_return_token_ids_of_an_echo_are_prompt_then_generated():
    """An echoed legacy choice: `prompt_token_ids` then `token_ids`, one id per position."""
    body = testing.completion([("The", None, []), *POSITIONS[1:]])
    body["choices"][0]["prompt_token_ids"] = [10, 11]
    body["choices"][0]["token_ids"] = [12]
    assert tp.parse(body).token_ids.tolist() == [10, 11, 12]


def test_choice_ids_that_do_not_fit_the_positions_are_not_used():
    """A count that matches neither way: no ids invented, -1 stays."""
    body = testing.chat_completion(POSITIONS)
    body["choices"][0]["token_ids"] = [10, 11]
    assert tp.parse(body).token_ids.tolist() == [-1, -1, -1]


def test_a_legacy_stream_of_token_id_strings_gets_its_text_from_the_offsets():
    """Streamed `"token_id:N"` chunks: ids per chunk, bytes cut from the joined text at the end."""
    chunks = [
        testing.vllm_token_ids(c, VOCAB) if c["choices"][0].get("logprobs") else c
        for c in testing.completion_chunks(POSITIONS)
    ]
    d = tp.parse(chunks)
    assert d.source == "completions.stream"
    assert d.token_ids.tolist() == [10, 11, 12]
    assert d.text == "The cat sat"
    assert d.bytes_decoded == "text_offset"
    assert d.candidates.counts.tolist() == [2, 2, 1]


def test_a_legacy_stream_of_token_id_strings_with_a_chunk_without_offsets_cuts_no_bytes():
    """Offsets that lost a chunk's would cut the wrong characters: the ids stay, no bytes."""
    chunks = [
        testing.vllm_token_ids(c, VOCAB) if c["choices"][0].get("logprobs") else c
        for c in testing.completion_chunks(POSITIONS)
    ]
    del chunks[1]["choices"][0]["logprobs"]["text_offset"]
    d = tp.parse(chunks)
    assert d.token_ids.tolist() == [10, 11, 12]
    assert d.text_offset is None
    assert d.bytes_decoded is None
    assert d.token_bytes == [None, None, None]


def test_a_large_body_of_token_id_strings_parses_as_a_small_one():
    """Above the raw-JSON fast path's threshold, ids and the sampled bytes come out the same."""
    body = testing.vllm_token_ids(testing.chat_completion(POSITIONS * 300), VOCAB)
    raw = json.dumps(body)
    assert len(raw) > 1 << 16  # the fast path's threshold
    d = tp.parse(raw)
    assert d.token_ids.tolist() == [10, 11, 12] * 300
    assert d.top_bytes[1][1] == list(b" cat")
    assert d.candidates.counts.tolist() == [2, 2, 1] * 300
    assert d == tp.parse(body)


def _huge_id_bodies() -> list:
    huge = 10**30
    chat = testing.vllm_token_ids(testing.chat_completion(POSITIONS), VOCAB)
    chat["choices"][0]["logprobs"]["content"][1]["token"] = f"token_id:{huge}"
    alt = testing.vllm_token_ids(testing.chat_completion(POSITIONS), VOCAB)
    alt["choices"][0]["logprobs"]["content"][0]["top_logprobs"][0]["token"] = f"token_id:{huge}"
    legacy = testing.vllm_token_ids(testing.completion(POSITIONS), VOCAB)
    legacy["choices"][0]["logprobs"]["tokens"][1] = f"token_id:{huge}"
    field = testing.chat_completion(POSITIONS)
    for entry in field["choices"][0]["logprobs"]["content"]:
        entry["id"] = 2**63
    choice = testing.chat_completion(POSITIONS)
    choice["choices"][0]["token_ids"] = [1, huge, 2]
    return [
        pytest.param(chat, "choices[0].logprobs.content[1].token", id="token-string"),
        pytest.param(alt, "choices[0].logprobs.content[0].top_logprobs[0].token", id="alt-string"),
        pytest.param(legacy, "choices[0].logprobs.tokens[1]", id="legacy-string"),
        pytest.param(field, "choices[0].logprobs.content[0].id", id="id-field"),
        pytest.param(choice, "choices[0].token_ids", id="return-token-ids"),
    ]


@pytest.mark.parametrize(("body", "field"), _huge_id_bodies())
def test_an_id_too_large_for_int64_is_an_error_naming_it(body, field):
    """An id past 2**63 - 1 is no token id: a typed error naming it (was numpy's OverflowError)."""
    with pytest.raises(tp.UnsupportedResponseError, match=r"2\*\*63 - 1") as info:
        tp.parse(body)
    assert info.value.field == field


@pytest.mark.parametrize("key", ["9" * 30, "²"], ids=["too-large", "superscript-digit"])
def test_a_prompt_logprobs_key_that_is_no_token_id_is_named(key):
    """A `prompt_logprobs` key too large, or a non-ASCII digit, is a typed error, not a crash."""
    body = testing.vllm_token_ids(testing.chat_completion(POSITIONS), VOCAB)
    body["prompt_logprobs"] = [None, {key: {"logprob": -1.0, "rank": 1, "decoded_token": "x"}}]
    with pytest.raises(tp.UnsupportedResponseError, match="expected a token id as the key"):
        tp.parse(body, part="prompt")


def test_a_prompt_logprobs_rank_too_large_for_int64_is_named():
    """A rank past 2**63 - 1 is an error naming it (was numpy's OverflowError)."""
    body = testing.vllm_token_ids(testing.chat_completion(POSITIONS), VOCAB)
    body["prompt_logprobs"] = [None, {"4": {"logprob": -1.0, "rank": 10**30, "decoded_token": "x"}}]
    with pytest.raises(tp.UnsupportedResponseError, match="expected a rank") as info:
        tp.parse(body, part="prompt")
    assert info.value.field == "prompt_logprobs[1]['4'].rank"
