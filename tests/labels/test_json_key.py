"""at="key" reads the value json.loads gives at that top-level key, not the first `"key":`."""

from __future__ import annotations

import json
import math

import pytest

import tokenprobs as tp
from tokenprobs import labels
from tokenprobs.labels import Char, LabelPositionError
from tokenprobs.testing import chat_completion

LN = math.log
YES_NO = tp.Labels(["yes", "no"])


def dist(*positions, finish_reason="stop"):
    """A chat distribution from `(token, prob, [(alt, prob), ...])`; a bare str is a sure token."""
    rows = [(p, 0.0, []) if isinstance(p, str) else p for p in positions]
    body = chat_completion(
        [(t, LN(q) if q else 0.0, [(a, LN(r)) for a, r in alts]) for t, q, alts in rows]
    )
    body["choices"][0]["finish_reason"] = finish_reason
    return tp.parse(body)


YES = ("yes", 0.7, [("yes", 0.7), ("no", 0.3)])
NO = ("no", 0.8, [("no", 0.8), ("yes", 0.2)])


def test_a_judge_score_is_read_at_the_top_level_key_not_a_nested_sub_score():
    """`{"criteria": [{"score": 3}], "score": 8}` is an 8 (json.loads), not the sub-score 3."""
    d = dist(
        '{"criteria": [{"name": "fluency", "score": ',
        ("3", 0.9, [("3", 0.9), ("4", 0.1)]),
        '}], "score": ',
        ("8", 0.6, [("8", 0.6), ("7", 0.4)]),
        "}",
    )
    assert json.loads(d.text)["score"] == 8
    s = labels.expected_score(d, at="score")
    assert s.position == 3
    assert s.expected == pytest.approx(7.6)


def test_a_label_nested_in_a_list_before_the_top_level_one_is_not_read():
    """`{"steps": [{"label": "yes"}], "label": "no"}` answers "no"."""
    d = dist('{"steps":[{"label":"', YES, '"}],"label":"', NO, '"}')
    r = YES_NO.probs(d, at="label")
    assert (r.label, r.position) == ("no", 3)
    assert r.probs == pytest.approx({"no": 0.8, "yes": 0.2})


def test_a_repeated_key_is_read_at_its_last_value_as_json_loads_keeps():
    """`{"label": "yes", "label": "no"}`: json.loads (and pydantic) keep "no", and so does at=."""
    d = dist('{"label":"', YES, '","label":"', NO, '"}')
    assert json.loads(d.text)["label"] == "no"
    assert YES_NO.probs(d, at="label").position == 3


def test_a_fenced_answer_is_read_at_its_top_level_key():
    """A ```json fence after prose: the document is found as fields finds it."""
    d = dist('Sure:\n```json\n{"steps": [{"label": "', YES, '"}], "label": "', NO, '"}\n```')
    assert YES_NO.probs(d, at="label").position == 3


def test_a_key_only_nested_is_an_error_naming_its_pointer_and_char_offset():
    """No top-level "label": the error says where it is nested, and the Char offset reads it."""
    d = dist('{"steps": [{"label": "', YES, '"}], "why": "x"}')
    with pytest.raises(
        LabelPositionError,
        match=r"'label' is not a top-level key.*at /steps/0/label.*at=Char\(22\).*\('why'\)",
    ):
        YES_NO.probs(d, at="label")
    assert YES_NO.probs(d, at=Char(22)).position == 1


def test_a_key_in_a_json_array_is_not_a_top_level_key():
    """`[{"label": "yes"}]` has no top-level key: the error names `/0/label`."""
    d = dist('[{"label": "', YES, '"}]')
    with pytest.raises(LabelPositionError, match=r"not a top-level key of the answer's JSON array"):
        YES_NO.probs(d, at="label")


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        pytest.param('{"a": "yes"}', "an object", id="object"),
        pytest.param('["yes"]', "an array", id="array"),
        pytest.param("[]", "an empty array", id="empty-array"),
    ],
)
def test_a_key_whose_value_is_no_scalar_is_an_error(value, kind):
    """An object or array has no one position to read a label at: refused, naming what it is."""
    d = dist(f'{{"label": {value}, "why": "', YES, '"}')
    with pytest.raises(LabelPositionError, match=rf"'label' is {kind}, not a string.*\('why'\)"):
        YES_NO.probs(d, at="label")


def test_a_key_the_json_lacks_names_its_top_level_keys():
    """A `"label":` inside a string value is no key: the keys json.loads gives are named."""
    d = dist('{"why": "\\"label\\": yes", "answer": "', YES, '"}')
    with pytest.raises(LabelPositionError, match=r"no JSON key 'label'.*keys: 'why', 'answer'"):
        YES_NO.probs(d, at="label")


def test_a_truncated_answer_is_read_at_its_top_level_key():
    """Cut off by max_tokens (no JSON parses): the top-level `"label":` by a depth count."""
    d = dist('{"steps": [{"label": "yes"}], "label": "', NO, finish_reason="length")
    r = YES_NO.probs(d, at="label")
    assert (r.label, r.position) == ("no", 1)


def test_a_truncated_answer_with_the_key_only_nested_is_an_error():
    """Cut off inside a nested `"label":`: not read as the answer; its Char offset is named."""
    d = dist('{"steps": [{"label": "', YES, finish_reason="length")
    with pytest.raises(LabelPositionError, match=r"raise max_tokens.*only nested.*Char\(22\)"):
        YES_NO.probs(d, at="label")


def test_json_in_the_reasoning_is_not_read_for_a_key():
    """`<think>` holding a draft `{"label": "yes"}`: the answer after it is read."""
    d = dist('<think>draft {"label": "yes"}</think>\n{"label": "', NO, '"}')
    r = YES_NO.probs(d, at="label")
    assert (r.label, r.position) == ("no", 1)


def test_a_json_answer_read_at_none_suggests_only_top_level_keys():
    """The keys at= may name: not the nested "name", and the suggestion is a scalar's key."""
    d = dist('{"criteria": [{"name": "x"}], "label": "', NO, '"}')
    with pytest.raises(LabelPositionError, match=r"keys 'criteria', 'label'\).*at='label'"):
        YES_NO.probs(d)
