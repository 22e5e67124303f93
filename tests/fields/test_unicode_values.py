"""A JSON string is its code points: the labels' NFC composition is not JSON Schema's equality.

`Labels` compare text composed (`"café"` either way it is encoded); a schema's `enum` does not:
`"\u00e9"` and `"e\u0301"` are two JSON strings, so a decision never counts one for the other.
What a combining mark does to a member it follows still holds: `"a` then a combining grave is
the string `"à"` (decomposed), not the member `"a"`.
"""

from __future__ import annotations

import math
import warnings

import pytest
from tests.fields._values import value_dist

import tokenprobs as tp
from tokenprobs import fields
from tokenprobs.testing import chat_completion

LN = math.log


def dist(*positions):
    """`{"v": ...}` with the value's positions `(token, prob, [(alt, prob), ...])` between."""
    return value_dist('{"v":"', '"}', *positions)


def decision(d, members):
    """The decision at `v` of `d` under `enum: members`, with no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fields.confidence(d, schema={"properties": {"v": {"enum": members}}})["v"].decision


def test_a_decomposed_string_is_not_the_precomposed_member():
    """The alternative `e\u0301` counts for neither "\u00e9" nor "e": it is a third string."""
    d = dist(("\u00e9", 0.6, [("\u00e9", 0.6), ("e\u0301", 0.3)]))
    dec = decision(d, ["\u00e9", "e"])
    assert dec.labels.raw == pytest.approx({"\u00e9": 0.6, "e": 0.0})
    assert dec.labels.unmatched == pytest.approx(0.3)


def test_a_mark_after_a_member_makes_another_string():
    """`"a` then a combining grave, sampled: the string is `à` decomposed, not the member "a"."""
    d = tp.parse(
        chat_completion(
            [
                ('{"v":"', 0.0, []),
                ("a", LN(0.6), [("a", LN(0.6)), ("b", LN(0.3))]),
                ('\u0300"}', LN(0.9), [('\u0300"}', LN(0.9))]),
            ],
            finish_reason="stop",
        )
    )
    with pytest.warns(tp.TokenprobsWarning, match="which the schema does not allow"):
        leaf = fields.confidence(d, schema={"properties": {"v": {"enum": ["a", "b"]}}})["v"]
    assert leaf.value == "a\u0300"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fc = fields.confidence(d, schema={"properties": {"v": {"enum": ["a", "b", "a\u0300"]}}})
    dec = fc["v"].decision
    assert dec.labels.raw == pytest.approx({"a": 0.0, "b": 0.3, "a\u0300": 0.54})
