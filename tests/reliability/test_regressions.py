"""Bugs the fuzzers found in the adapters and text code, each pinned by the smallest input."""

from __future__ import annotations

import numpy as np
import pytest

import tokenprobs as tp
from tokenprobs.testing import chat_completion, completion, response, response_events


def test_empty_token_inside_a_split_character_keeps_spans_in_order():
    """An empty token between the bytes of one character belongs to it: spans stay ordered."""
    d = tp.parse(chat_completion([(b"\xea\xb0", -5.0, []), ("", -5.0, []), (b"\x80", -0.01, [])]))
    spans = d.char_spans()
    assert d.text == "가"
    assert spans.tolist() == [[0, 1], [0, 1], [0, 1]]
    assert (np.diff(spans, axis=0) >= 0).all()


def test_uncertain_run_ending_on_an_empty_token_covers_its_character():
    """A run of uncertain positions ending on an empty token still covers the split character."""
    d = tp.parse(chat_completion([(b"\xc2", -5.0, []), ("", -5.0, [])]))
    assert d.uncertain(threshold=0.5) == [tp.Span(0, 2, 0, 1)]


def test_lone_surrogate_text_is_a_typed_error():
    """JSON text holding a lone surrogate (not encodable) is refused as such, not a TypeError."""
    with pytest.raises(tp.UnsupportedResponseError, match="not JSON"):
        tp.parse('{"choices": "\ud800"}')


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: chat_completion([("a", -0.1, [])]), id="chat"),
        pytest.param(lambda: completion([("a", -0.1, [])]), id="completions"),
    ],
)
@pytest.mark.parametrize("value", [-9999.0, 3, ["stop"]])
def test_finish_reason_of_a_wrong_type_is_kept_as_text(build, value):
    """A non-string finish_reason becomes its text, so the model serialises without a warning."""
    body = build()
    body["choices"][0]["finish_reason"] = value
    d = tp.parse(body)
    assert d.finish_reason == str(value)
    assert tp.TokenDistribution.model_validate_json(d.model_dump_json()) == d


def test_boolean_choice_index_is_not_an_index():
    """`"index": true` on a legacy choice is not choice 1: the position is used."""
    body = completion([("a", -0.1, [])])
    body["choices"][0]["index"] = True
    d = tp.parse(body)
    assert d.choice == 0
    assert type(d.choice) is int


def test_sdk_object_read_from_a_200_error_body_is_an_api_error():
    """The SDK reads a 200 `{"error": ...}` body into a ChatCompletion: parse says API error."""
    from openai.types.chat import ChatCompletion  # noqa: PLC0415

    obj = ChatCompletion.construct(error={"message": "overloaded", "code": "overloaded"})
    with pytest.raises(tp.APIResponseError, match="overloaded"):
        tp.parse(obj)


def test_boolean_byte_values_are_refused():
    """`bytes: [false, 104]` is not a byte list (bytes() would take False as 0)."""
    body = response([("he", -0.1, [])])
    body["output"][0]["content"][0]["logprobs"][0]["bytes"] = [False, 101]
    with pytest.raises(tp.UnsupportedResponseError, match="bytes"):
        tp.parse(body)


@pytest.mark.parametrize("value", [[], {}, ["function_call"]])
def test_output_item_type_of_an_unhashable_value_is_not_a_call(value):
    """An output item whose `type` is a list or dict is skipped, not a TypeError (found in CI)."""
    body = response([("a", -0.1, [])])
    body["output"].insert(0, {"id": "x", "type": value})
    d = tp.parse(body)
    assert d.text == "a"


@pytest.mark.parametrize("field", ["output_index", "content_index"])
def test_stream_event_index_of_an_unhashable_value_keeps_its_part(field):
    """A text event whose part index is a dict is keyed by its text, not a TypeError (CI fuzz)."""
    events = response_events([("a", -0.1, [])])
    for event in events[1:3]:
        event[field] = {"k": 1}
    d = tp.parse(events)
    assert d.text == "a"
    assert len(d) == 1
