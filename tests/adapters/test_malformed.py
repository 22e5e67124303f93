"""Malformed input ends in a typed error naming the field, never a KeyError or NaN."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

import tokenprobs as tp
from tokenprobs import testing

BODY = testing.chat_completion([("Hi", -0.1, [("Hi", -0.1), ("Yo", -2.0)]), ("!", -0.2, [])])


def _mutated(path: list[str | int], value: object) -> dict:
    body = copy.deepcopy(BODY)
    node = body
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return body


CONTENT = ["choices", 0, "logprobs", "content"]


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        pytest.param(
            [*CONTENT, 1, "logprob"],
            "x",
            "choices[0].logprobs.content[1].logprob",
            id="logprob-string",
        ),
        pytest.param(
            [*CONTENT, 1, "logprob"],
            True,
            "choices[0].logprobs.content[1].logprob",
            id="logprob-bool",
        ),
        pytest.param(
            [*CONTENT, 1, "logprob"],
            float("nan"),
            "choices[0].logprobs.content[1].logprob",
            id="logprob-nan",
        ),
        pytest.param(
            [*CONTENT, 0, "token"], 5, "choices[0].logprobs.content[0].token", id="token-int"
        ),
        pytest.param(
            [*CONTENT, 0, "token"],
            KeyError,
            "choices[0].logprobs.content[0].token",
            id="token-missing",
        ),
        pytest.param(
            [*CONTENT, 0, "bytes"],
            [300],
            "choices[0].logprobs.content[0].bytes",
            id="byte-out-of-range",
        ),
        pytest.param(
            [*CONTENT, 0, "bytes"], "Hi", "choices[0].logprobs.content[0].bytes", id="bytes-string"
        ),
        pytest.param(
            [*CONTENT, 0, "top_logprobs", 1, "logprob"],
            None,
            "choices[0].logprobs.content[0].top_logprobs[1].logprob",
            id="alternative-null",
        ),
        pytest.param(
            [*CONTENT, 0, "top_logprobs"],
            {"Hi": -0.1},
            "choices[0].logprobs.content[0].top_logprobs",
            id="alternatives-dict",
        ),
        pytest.param(
            [*CONTENT, 1],
            np.float64(-0.5),
            "choices[0].logprobs.content[1]",
            id="entry-numpy-scalar",
        ),
        pytest.param(
            [*CONTENT, 0, "top_logprobs"],
            [np.int64(300)],
            "choices[0].logprobs.content[0].top_logprobs[0]",
            id="alternative-numpy-scalar",
        ),
        pytest.param(
            [*CONTENT, 0, "top_logprobs"],
            np.array([1, 2]),
            "choices[0].logprobs.content[0].top_logprobs",
            id="alternatives-numpy-array",
        ),
        pytest.param(CONTENT, "nope", "choices[0].logprobs.content", id="content-string"),
        pytest.param(["choices"], {"0": {}}, "choices", id="choices-dict"),
    ],
)
def test_wrong_type_names_the_field(path, value, field):
    """A known field of the wrong type raises UnsupportedResponseError naming field and value."""
    with pytest.raises(tp.UnsupportedResponseError) as info:
        tp.parse(_mutated(path, value))
    assert info.value.field == field


HUGE = 10**700
"""An integer JSON can write and no float can hold (`float(HUGE)` overflows)."""


def _legacy(value: object, *, alternative: bool = False) -> dict:
    body = testing.completion([("a", -0.1, [("a", -0.1)]), ("b", -0.2, [])])
    if alternative:
        body["choices"][0]["logprobs"]["top_logprobs"][0] = {"a": value}
    else:
        body["choices"][0]["logprobs"]["token_logprobs"][0] = value
    return body


def _gemini(value: object) -> dict:
    chosen = [{"token": "a", "logProbability": value}, {"token": "b", "logProbability": -0.2}]
    return {
        "candidates": [
            {
                "content": {"parts": [{"text": "ab"}], "role": "model"},
                "logprobsResult": {"chosenCandidates": chosen},
                "finishReason": "STOP",
            }
        ],
        "modelVersion": "gemini-2.0-flash",
    }


@pytest.mark.parametrize("form", ["object", "json"])
@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(_legacy(-HUGE), "choices[0].logprobs.token_logprobs[0]", id="legacy-sampled"),
        pytest.param(
            _legacy(HUGE, alternative=True),
            "choices[0].logprobs.top_logprobs[0]",
            id="legacy-alternative",
        ),
        pytest.param(
            _gemini(-HUGE),
            "candidates[0].logprobsResult.chosenCandidates[0].logProbability",
            id="gemini",
        ),
        pytest.param(
            _mutated([*CONTENT, 0, "logprob"], -HUGE),
            "choices[0].logprobs.content[0].logprob",
            id="chat",
        ),
    ],
)
def test_an_integer_too_large_for_a_float_names_the_field(body, field, form):
    """A 700-digit logprob is refused naming the field, its value cut short, no OverflowError."""
    obj = body if form == "object" else json.dumps(body)
    with pytest.raises(tp.UnsupportedResponseError, match=r"got an int \(-?1000+\.\.\.\)") as info:
        tp.parse(obj)
    assert info.value.field == field
    assert len(str(info.value)) < 300


def test_unknown_extra_fields_are_ignored():
    """Compatible servers' extra fields (a prompt's logprobs, unknown keys) leave parsing alone."""
    body = copy.deepcopy(BODY)
    body["prompt_logprobs"] = [None, {"1": {"logprob": -1.0}}]  # read only for part="prompt"
    body["choices"][0]["logprobs"]["content"][0]["x_server_extra"] = 42
    body["x_server_extra"] = {"metrics": None}
    assert tp.parse(body) == tp.parse(BODY)


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(42, id="int"),
        pytest.param(b"\x00\x01not json", id="binary"),
        pytest.param("[]", id="empty-list"),
        pytest.param('"a string"', id="json-string"),
        pytest.param({"hello": "world"}, id="unknown-dict"),
        pytest.param([1, 2, 3], id="list-of-ints"),
    ],
)
def test_unrecognised_input_is_unsupported(obj):
    """Anything that is not a response shape raises UnsupportedResponseError."""
    with pytest.raises(tp.UnsupportedResponseError):
        tp.parse(obj)


@pytest.mark.parametrize("body", [{"choices": []}, '{"choices": []}', {"id": "x", "choices": ()}])
def test_no_choices_says_so_whatever_the_endpoint(body):
    """`choices: []` without `object`: no endpoint's answer, said as such, not "unknown shape"."""
    with pytest.raises(tp.UnsupportedResponseError, match=r"^choices: the response has no choices"):
        tp.parse(body)


def test_legacy_ragged_columns_are_named():
    """Legacy parallel arrays of different lengths name the short column."""
    body = testing.completion([("a", -0.1, []), ("b", -0.2, [])])
    body["choices"][0]["logprobs"]["token_logprobs"].pop()
    with pytest.raises(tp.UnsupportedResponseError, match="1 entries for 2 tokens") as info:
        tp.parse(body)
    assert info.value.field == "choices[0].logprobs.token_logprobs"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        pytest.param(lambda c: c["choices"].__setitem__(0, "x"), "choices[0]", id="choice-str"),
        pytest.param(
            lambda c: c["choices"][0].__setitem__("logprobs", "x"),
            "choices[0].logprobs",
            id="logprobs-str",
        ),
        pytest.param(
            lambda c: c["choices"][0].__setitem__("logprobs", [1]),
            "choices[0].logprobs",
            id="logprobs-list",
        ),
    ],
)
def test_a_stream_chunk_that_is_no_object_names_the_field(mutate, field):
    """A chunk's choice or logprobs that is not an object is an error, as in a whole response."""
    chunks = copy.deepcopy(testing.chat_chunks([("Here", -0.1, []), (" is", -0.2, [])]))
    mutate(chunks[1])
    with pytest.raises(tp.UnsupportedResponseError, match="expected an object") as info:
        tp.parse(testing.sse(chunks))
    assert info.value.field == f"chunk[1].{field}"


@pytest.mark.parametrize(
    ("where", "value", "field"),
    [
        ("item", None, r"output\[0\]"),
        ("item", "x", r"output\[0\]"),
        ("part", None, r"output\[0\]\.content\[0\]"),
        ("part", 7, r"output\[0\]\.content\[0\]"),
    ],
)
def test_a_responses_item_or_part_that_is_no_object_is_named(where, value, field):
    """`output[k]` or a content part that is null, a string or a number: a typed error naming it.

    Was: skipped, so `[null]` gave an empty distribution that looked like a complete answer.
    """
    body = testing.response([("Hi", -0.1, [])])
    if where == "item":
        body["output"].insert(0, value)
    else:
        body["output"][0]["content"].insert(0, value)
    for form in (body, json.dumps(body)):
        with pytest.raises(tp.UnsupportedResponseError, match=field + ": expected an? "):
            tp.parse(form)
