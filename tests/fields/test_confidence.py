"""`fields.confidence`: one row per rule, each peer's failure mode included (see docs/fields.md)."""

from __future__ import annotations

import json
import math
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from pydantic import BaseModel

import tokenprobs as tp
from tokenprobs import examples, fields
from tokenprobs.testing import (
    chat_chunks,
    chat_completion,
    completion,
    tool_call_chunks,
    tool_call_completion,
)

RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "recorded"

LN = math.log


class City(BaseModel):
    """The tool call's arguments, as a model."""

    city: str


def dist(*positions, finish_reason="stop", content=None):
    """A chat distribution from `(token, logprob, [(alt, logprob), ...])` positions."""
    body = chat_completion(list(positions), finish_reason=finish_reason)
    if content is not None:
        body["choices"][0]["message"]["content"] = content
    return tp.parse(body)


def tok(*tokens):
    """Positions with the given tokens, each at logprob -0.1 and no alternatives."""
    return [(t, -0.1, []) for t in tokens]


# --- spans and values: the peers' offset bugs ------------------------------------------------

SPAN_ROWS = [
    pytest.param(
        tok('{"e":"', b"\xf0\x9f", b"\x92", b"\x99", '","n":"', "x", '"}'),
        "/n",
        "x",
        range(4, 7),
        # structured-logprobs, llm-structured-confidence drift after it
        id="emoji-split-over-three-tokens-no-drift",
    ),
    pytest.param(
        tok('{"e":"', b"\xf0\x9f", b"\x92", b"\x99", '","n":"', "x", '"}'),
        "/e",
        "💙",
        range(5),
        id="emoji-split-over-three-tokens-inside-the-value",
    ),
    pytest.param(
        tok('{"a":"한', b"\xea\xb5", b"\xad", '","b":', "1", "}"),
        "/b",
        1,
        range(4, 5),
        id="hangul-split-no-drift",  # structured-logprobs, llm-structured-confidence
    ),
    pytest.param(
        tok('{"a":"', b"\xf0\x9f\x92", b"\x99", '"}'),
        "/a",
        "💙",
        range(4),
        id="emoji-inside-the-value-decoded-from-bytes",  # logprobs-parser, distenum
    ),
    pytest.param(
        tok('{"n":', "12", "3", "}"),
        "/n",
        123,
        range(1, 3),
        id="number-over-two-tokens",
    ),
    pytest.param(
        tok('{"n":', "12", "3}"),
        "/n",
        123,
        range(1, 3),
        id="last-char-and-delimiter-in-one-token-kept",  # structured-logprobs' end rule drops it
    ),
    pytest.param(
        tok('{"x":', "12", ".5", "e3", "}"),
        "/x",
        12500.0,
        range(1, 4),
        id="number-split-12-.5-e3",
    ),
    pytest.param(
        tok('{"s":"caf', "\\u00", "e9", ' \\"q', '\\""}'),
        "/s",
        'café "q"',
        range(5),
        id="unicode-and-quote-escapes-decoded",  # structured-logprobs, llm-structured-confidence
    ),
    pytest.param(
        tok('{"s":"', "\\ud83d", "\\ude00", '"}'),
        "/s",
        "😀",
        range(4),
        id="surrogate-pair-escape-decoded",  # distenum
    ),
    pytest.param(
        tok('{"k\\u00e9y":', "true", "}"),
        "/kéy",
        True,
        range(1, 2),
        id="escaped-key-decoded-in-path",
    ),
    pytest.param(
        tok('{"v":', "fal", "se", "}"),
        "/v",
        False,
        range(1, 3),
        id="false-not-none",  # structured-logprobs 0.1.5 parses {"verdict": false} as None
    ),
    pytest.param(
        tok('{"a":"x","', "na", 'me":"', "Bob", '"}'),
        "/name",
        "Bob",
        range(2, 5),
        id="boundary-token-holds-comma-quote-and-next-key",
    ),
    pytest.param(
        tok("Sure! Here it is:\n```json\n", '{"a": ', "[1, ", "2]}", "\n```\nDone."),
        "/a/1",
        2,
        range(3, 4),
        id="prose-and-fence-around",  # Lark peers fail to parse; logprobs-parser restarts
    ),
    pytest.param(
        tok("The answer is ", '{"a": {"b": []', ', "c": {}}}', " as asked."),
        "/a/b",
        [],
        range(1, 2),
        id="json-inside-prose-empty-containers-are-leaves",
    ),
    pytest.param(
        tok('"a whole-text', ' string"', "\n"),
        "",
        "a whole-text string",
        range(2),
        id="whole-text-scalar-with-trailing-newline",
    ),
    pytest.param(
        tok("3 reasons, as JSON: ", '{"n": 3}'),
        "/n",
        3,
        range(1, 2),
        id="prose-starting-with-a-number",
    ),
    pytest.param(
        tok('[{"id":', "1", '},{"id":', "2", "}]"),
        "/1/id",
        2,
        range(3, 4),
        id="array-of-objects",
    ),
]


@pytest.mark.parametrize(("positions", "pointer", "value", "positions_covered"), SPAN_ROWS)
def test_span_and_value(positions, pointer, value, positions_covered):
    """The leaf's value, byte and char span come from the token bytes, not token string lengths."""
    d = dist(*positions)
    fc = fields.confidence(d)
    leaf = fc[pointer]
    assert leaf.value == value
    assert type(leaf.value) is type(value)
    assert leaf.positions == positions_covered
    raw = d.content.encode("utf-8")
    a, b = leaf.byte_span
    assert json.loads(raw[a:b]) == value
    ca, cb = leaf.char_span
    assert json.loads(d.content[ca:cb]) == value
    assert (ca, cb) == (len(raw[:a].decode()), len(raw[:b].decode()))
    spans = [(s, s + len(t)) for s, t in _byte_offsets(d)]
    assert [p for p, (s, e) in enumerate(spans) if s < b and e > a] == list(positions_covered)


def _byte_offsets(d):
    out, at = [], 0
    for b in d.token_bytes:
        out.append((at, bytes(b)))
        at += len(b)
    return out


def test_every_leaf_of_a_document_matches_json_loads():
    """The leaves rebuild `json.loads` of the document: each value at its path."""
    d = dist(*tok('{"a": [1, {"b": null}], ', '"c": "d", "e": -0.5e-2, "f": [[]]}'))
    fc = fields.confidence(d)
    doc = json.loads(d.content)
    for leaf in fc:
        node = doc
        for step in leaf.path:
            node = node[step]
        assert node == leaf.value
    assert fc.paths() == [("a", 0), ("a", 1, "b"), ("c",), ("e",), ("f", 0)]


# --- attribution of shared tokens --------------------------------------------------------------


def test_shared_tokens_count_in_both_neighbours():
    """`":"`, `","`, `"}` hold structure and value: on both leaves, flagged, out of logprob_own."""
    d = dist(
        ('{"a', -0.01, []),
        ('":"', -0.02, []),
        ("x", -0.3, []),
        ('","', -0.04, []),
        ("b", -0.05, []),
        ('":', -0.06, []),
        ("7", -0.7, []),
        ("}", -0.08, []),
    )
    fc = fields.confidence(d)
    a, b = fc["a"], fc["b"]
    assert a.positions == range(1, 4)
    assert a.shared
    assert a.shared_positions == (1, 3)
    assert a.logprob == pytest.approx(-0.02 - 0.3 - 0.04)
    assert a.logprob_own == pytest.approx(-0.3)
    assert b.positions == range(6, 7)
    assert not b.shared
    assert b.logprob == b.logprob_own == pytest.approx(-0.7)


def test_leading_space_quote_and_value_in_one_token():
    """` "pos` opens the string and starts the value: the decision reads it from its start."""
    d = dist(
        ('{"s":', 0.0, []),
        (' "pos', LN(0.7), [(' "pos', LN(0.7)), (' "neg', LN(0.2)), (" null", LN(0.05))]),
        ('itive"}', 0.0, []),
    )
    schema = {
        "type": "object",
        "properties": {"s": {"type": "string", "enum": ["positive", "negative"]}},
    }
    fc = fields.confidence(d, schema=schema)
    dec = fc["s"].decision
    assert dec is not None
    assert dec.position == 1
    assert dec.labels is not None
    assert dec.labels.raw == pytest.approx({"positive": 0.7, "negative": 0.2})
    assert dec.labels.unmatched == pytest.approx(0.05)
    assert dec.labels.tail == pytest.approx(0.05)
    assert dec.members == {"positive": "positive", "negative": "negative"}


# --- forced tokens, the sentinel, means ---------------------------------------------------------


def test_forced_tokens_flagged_and_out_of_the_means():
    """Logprob exactly 0 with alternatives ~e^-19 is forced: flagged, not in the mean or min."""
    d = dist(
        ('{"n":"', 0.0, [('{"n":"', 0.0), ("{", -19.2)]),
        ("Ab", -0.5, [("Ab", -0.5), ("Al", -1.2)]),
        ("c", 0.0, [("c", 0.0), ("d", -19.5)]),
        ("de", -0.25, [("de", -0.25)]),
        ('"}', 0.0, [('"}', 0.0), ('",', -20.0)]),
    )
    leaf = fields.confidence(d)["n"]
    assert leaf.forced_positions == (0, 2, 4)
    assert not leaf.forced
    assert leaf.mean_logprob == pytest.approx((-0.5 - 0.25) / 2)
    assert leaf.min_prob == pytest.approx(math.exp(-0.5))
    assert leaf.decision is not None
    assert leaf.decision.position == 1


def test_zero_logprob_with_a_close_alternative_is_not_forced():
    """Logprob 0.0 (rounded) beside an alternative within 15 nats is a free token."""
    d = dist(('{"n":', 0.0, []), ("1", 0.0, [("1", 0.0), ("2", -3.0)]), ("}", 0.0, []))
    leaf = fields.confidence(d)["n"]
    assert leaf.forced_positions == ()
    assert leaf.mean_logprob == 0.0


def test_sentinel_is_an_upper_bound_not_nonsense():
    """A sampled `-9999` (outside the top-k) makes the joint an upper bound, flagged not exact."""
    d = dist(
        ('{"n":"', 0.0, []),
        ("Zed", -9999.0, [("Al", -0.4), ("Bo", -2.5)]),
        ('"}', -0.1, []),
    )
    leaf = fields.confidence(d)["n"]
    assert not leaf.exact
    assert leaf.unknown_positions == (1,)
    assert leaf.logprob == pytest.approx(-2.5 - 0.1)
    assert leaf.min_prob == pytest.approx(math.exp(-2.5))
    assert math.isfinite(leaf.logprob)


def test_schema_const_is_forced():
    """A value the schema allows one way is forced, whatever its logprob; no decision."""
    d = dist(('{"v":', -0.1, []), ('"x"', -0.2, []), ("}", 0.0, []))
    leaf = fields.confidence(d, schema={"properties": {"v": {"const": "x"}}})["v"]
    assert leaf.forced
    assert leaf.decision is None
    assert leaf.mean_logprob is None
    assert leaf.min_prob == 1.0


@pytest.mark.parametrize(
    "node",
    [{"const": "invoice"}, {"enum": ["invoice", "other"]}, {"enum": [1, 2]}],
    ids=["const", "enum", "numbers"],
)
def test_a_value_the_schema_does_not_allow_is_free_with_a_warning(node):
    """The text says "receipt", the schema allows "invoice" only: not forced, not certain.

    Before, every token was flagged forced (min_prob 1.0) and the enum's decision said
    "invoice" with probability 1 while the text said "receipt".
    """
    d = dist(
        ('{"kind":"', 0.0, []),
        ("rece", math.log(0.3), [("inv", math.log(0.6)), ("rece", math.log(0.3))]),
        ('ipt"}', math.log(0.8), [('ipt"}', math.log(0.8))]),
    )
    with pytest.warns(tp.TokenprobsWarning, match="/kind is 'receipt', which the schema does not"):
        leaf = fields.confidence(d, schema={"properties": {"kind": node}})["kind"]
    assert not leaf.forced
    assert leaf.min_prob == pytest.approx(0.3)
    assert leaf.mean_logprob == pytest.approx((math.log(0.3) + math.log(0.8)) / 2)
    assert leaf.decision.labels is None  # the text is in no finite set: no labels decided
    assert leaf.decision.options == pytest.approx({'"inv': 0.6, '"rece': 0.3})


def test_a_boolean_is_not_the_number_one_to_the_schema():
    """`true` against `enum: [1]`: JSON's true is no 1 (Python's `True == 1`): a warning."""
    d = dist(('{"v":', 0.0, []), ("true", -0.1, [("true", -0.1)]), ("}", 0.0, []))
    with pytest.warns(tp.TokenprobsWarning, match="does not allow"):
        leaf = fields.confidence(d, schema={"properties": {"v": {"enum": [1]}}})["v"]
    assert not leaf.forced


def test_an_empty_enum_is_named_in_the_warning():
    """`enum: []` allows nothing: the warning says so (it read "it allows )")."""
    d = dist(('{"v":', 0.0, []), ("1", -0.1, []), ("}", 0.0, []))
    with pytest.warns(tp.TokenprobsWarning, match=r"it allows no value: an empty enum\)"):
        fields.confidence(d, schema={"properties": {"v": {"enum": []}}})


def test_schema_settled_tokens_are_forced():
    """Once the value so far starts one allowed value only, its later tokens are schema-forced."""
    d = dist(
        ('{"label":"', 0.0, []),
        ("inv", -0.5, [("inv", -0.5), ("rec", -1.0)]),
        ("oi", -2.0, []),  # a pre-mask logprob (llama.cpp, vLLM raw): the grammar allows only this
        ("ce", -3.0, []),
        ('","ok":', 0.0, []),
        ("tr", -0.2, []),
        ("ue", -4.0, []),
        ("}", 0.0, []),
    )
    fc = fields.confidence(d, schema=SCHEMA)
    label, ok = fc["label"], fc["ok"]
    assert label.forced_positions == (0, 2, 3, 4)
    assert label.mean_logprob == pytest.approx(-0.5)
    assert label.min_prob == pytest.approx(math.exp(-0.5))
    assert label.logprob == pytest.approx(-0.5 - 2.0 - 3.0)  # forced tokens stay in the joint
    assert ok.forced_positions == (6,)
    assert ok.mean_logprob == pytest.approx(-0.2)
    assert fields.confidence(d)["label"].forced_positions == (0, 4)  # no schema: at 0.0 only


# --- decisions ------------------------------------------------------------------------------

SCHEMA = {
    "type": "object",
    "properties": {
        "label": {"$ref": "#/$defs/Label"},
        "ok": {"anyOf": [{"type": "boolean"}, {"type": "null"}]},
        "n": {"type": "integer"},
    },
    "$defs": {"Label": {"enum": ["invoice", "receipt", "other"]}},
}


def test_enum_decision_with_tail_and_bounds():
    """At the first free token, alternatives map to the enum members (from `$ref`), with bounds."""
    d = dist(
        ('{"label":"', 0.0, []),
        ("inv", LN(0.6), [("inv", LN(0.6)), ("rece", LN(0.25)), ("o", LN(0.05))]),
        ("oice", 0.0, []),
        ('","ok":', 0.0, []),
        ("true", LN(0.8), [("true", LN(0.8)), ("false", LN(0.15)), ("null", LN(0.01))]),
        (',"n":', 0.0, []),
        ("4", LN(0.5), [("4", LN(0.5)), ("5", LN(0.3)), ("40", LN(0.1))]),
        ("}", 0.0, []),
    )
    fc = fields.confidence(d, schema=SCHEMA)
    label = fc["label"].decision
    assert label is not None
    assert label.labels is not None
    assert label.labels.raw == pytest.approx({"invoice": 0.6, "receipt": 0.25, "other": 0.05})
    assert label.labels.tail == pytest.approx(0.1)
    lo, hi = label.labels.bounds["receipt"]
    assert lo <= 0.25 <= hi
    assert hi == pytest.approx(0.25 + 0.1)
    ok = fc["ok"].decision
    assert ok is not None
    assert ok.labels is not None
    assert ok.labels.raw == pytest.approx({"true": 0.8, "false": 0.15, "null": 0.01})
    assert ok.members == {"true": True, "false": False, "null": None}
    n = fc["n"].decision
    assert n is not None
    assert n.labels is None
    assert n.options == pytest.approx({"4": 0.5, "5": 0.3, "40": 0.1})
    assert n.tail == pytest.approx(0.1)


def test_all_of_keeps_every_alternative_of_its_parts():
    """`allOf: [{anyOf: [enum, null]}]` allows null too: no warning, null among the labels."""
    schema = {
        "properties": {
            "label": {
                "allOf": [{"anyOf": [{"$ref": "#/$defs/Label"}, {"type": "null"}]}],
                "description": "a sibling of the reference",
            }
        },
        "$defs": {"Label": {"enum": ["invoice", "receipt"]}},
    }
    d = dist(
        ('{"label":', 0.0, []),
        ("null", LN(0.7), [("null", LN(0.7)), ('"inv', LN(0.2))]),
        ("}", 0.0, []),
    )
    dec = fields.confidence(d, schema=schema)["label"].decision  # filterwarnings: error
    assert dec is not None
    assert dec.members == {"invoice": "invoice", "receipt": "receipt", "null": None}
    assert dec.labels.raw == pytest.approx({"invoice": 0.2, "receipt": 0.0, "null": 0.7})


def test_boolean_without_schema_decides_true_false_null():
    """Without a schema, a `true`/`false`/`null` leaf is decided among the three."""
    d = dist(
        ('{"v":', 0.0, []),
        ("false", LN(0.7), [("false", LN(0.7)), ("true", LN(0.3))]),
        ("}", 0.0, []),
    )
    dec = fields.confidence(d)["v"].decision
    assert dec is not None
    assert dec.labels is not None
    assert dec.labels.probs == pytest.approx({"true": 0.3, "false": 0.7, "null": 0.0})
    assert dec.labels.all_seen is False  # null was not seen
    assert dec.labels.exact  # but false + true hold all the mass: null's bounds close at (0, 0)


@pytest.mark.parametrize(
    "schema",
    [
        pytest.param({"type": "object"}, id="path-not-described"),
        pytest.param({"properties": {"v": {"type": ["boolean", "string"]}}}, id="open-type"),
        pytest.param({"properties": {"v": {}}}, id="untyped-field"),
    ],
)
def test_a_boolean_the_schema_names_no_values_for_is_decided_as_without_one(schema):
    """A schema silent on a `false` leaf decides it among true/false/null, as no schema does.

    Before, any schema at all took the three away: `decision.labels` was None.
    """
    d = dist(
        ('{"v":', 0.0, []),
        ("false", LN(0.7), [("false", LN(0.7)), ("true", LN(0.3))]),
        ("}", 0.0, []),
    )
    dec = fields.confidence(d, schema=schema)["v"].decision
    assert dec.labels is not None
    assert dec.labels.probs == pytest.approx({"true": 0.3, "false": 0.7, "null": 0.0})


@pytest.mark.parametrize(
    ("node", "positions", "raw", "unmatched"),
    [
        pytest.param(
            {"type": "boolean"},
            [(" false", LN(0.5), [(" false", LN(0.5)), (' "true"', LN(0.4))])],
            {"true": 0.0, "false": 0.5},
            0.4,
            id="string-true-is-no-boolean",
        ),
        pytest.param(
            {"enum": [1, 2]},
            [("1", LN(0.5), [("1", LN(0.5)), ('"2"', LN(0.3)), ("2", LN(0.1))])],
            {"1": 0.5, "2": 0.1},
            0.3,
            id="string-2-is-no-number",
        ),
        pytest.param(
            {"enum": ["a", None]},
            [('"a"', LN(0.5), [('"a"', LN(0.5)), ('"null"', LN(0.3)), ("null", LN(0.1))])],
            {"a": 0.5, "null": 0.1},
            0.3,
            id="string-null-is-no-null",
        ),
        pytest.param(
            {"enum": ["true", "false"]},
            [('"true"', LN(0.5), [('"true"', LN(0.5)), ("false", LN(0.3)), ('"false', LN(0.1))])],
            {"true": 0.5, "false": 0.1},
            0.3,
            id="bare-false-is-no-string",
        ),
        pytest.param(
            {"enum": ["yes", "no"]},
            [('"yes"', LN(0.5), [('"yes"', LN(0.5)), (" no", LN(0.3)), ('"no', LN(0.1))])],
            {"yes": 0.5, "no": 0.1},
            0.3,
            id="bare-word-is-no-json",
        ),
        pytest.param(
            {"enum": ["", "a"]},
            [('"a"', LN(0.5), [('"a"', LN(0.5)), ('"-', LN(0.3)), ('""', LN(0.1))])],
            {"": 0.1, "a": 0.5},
            0.3,
            id="quote-then-a-non-word-is-no-empty-string",
        ),
    ],
)
def test_a_string_and_a_literal_are_different_values(node, positions, raw, unmatched):
    """A quoted candidate never counts for a boolean, number or null, nor a bare one for a string.

    Before, the labels stripped an opening quote and matched strings without theirs: `"true"`
    counted for `true`, `"2"` for 2, bare `false` or `no` (no JSON value) for the strings; on a
    server whose logprobs come before the grammar mask, those illegal alternatives must be
    `unmatched`.
    """
    d = dist(('{"v":', 0.0, []), *positions, ("}", 0.0, []))
    dec = fields.confidence(d, schema={"properties": {"v": node}})["v"].decision
    assert dec.labels.raw == pytest.approx(raw)
    assert dec.labels.unmatched == pytest.approx(unmatched)


def test_a_string_member_is_seen_whole_before_its_closing_quote():
    """`"b` (then a forced `"}`) is the member "b" seen complete, as `b` was before."""
    d = dist(
        ('{"x":"', 0.0, []),
        ("a", LN(0.6), [("a", LN(0.6)), ("b", LN(0.3))]),
        ('"}', 0.0, []),
    )
    labels = fields.confidence(d, schema={"properties": {"x": {"enum": ["a", "b"]}}})["x"]
    assert labels.decision.labels.bounds["b"] == pytest.approx((0.3, 0.4))
    assert labels.decision.labels.all_seen


def test_a_non_ascii_member_written_as_escapes_is_that_member():
    r"""`"\u00e9"` is JSON for "é": a candidate spelling it counts for "é", as the text does."""
    d = dist(
        ('{"x":', 0.0, []),
        ('"\\u00e9"', LN(0.6), [('"\\u00e9"', LN(0.6)), ('"€"', LN(0.3))]),
        ("}", 0.0, []),
    )
    leaf = fields.confidence(d, schema={"properties": {"x": {"enum": ["é", "€"]}}})["x"]
    assert leaf.value == "é"
    assert leaf.decision.labels.raw == pytest.approx({"é": 0.6, "€": 0.3})


def test_an_enum_listing_a_value_twice_keeps_its_decision_and_forcing():
    """`enum: ["a", "a", "b"]` is a and b; `["a", "a"]` is a const, forced.

    Before, the repeat was kept: the labels refused a label given twice (no decision), and a
    one-value enum listed twice was not seen as allowing one value.
    """
    d = dist(
        ('{"x":"', 0.0, []),
        ("a", LN(0.6), [("a", LN(0.6)), ("b", LN(0.3))]),
        ('"}', 0.0, []),
    )
    dec = fields.confidence(d, schema={"properties": {"x": {"enum": ["a", "a", "b"]}}})["x"]
    assert dec.decision.labels.raw == pytest.approx({"a": 0.6, "b": 0.3})
    assert dec.decision.members == {"a": "a", "b": "b"}
    leaf = fields.confidence(d, schema={"properties": {"x": {"enum": ["a", "a"]}}})["x"]
    assert leaf.forced
    assert leaf.decision is None


def test_decision_alternative_that_changes_the_structure_is_other():
    """At `","` + value, an alternative `"}` (closing the object) is `other`, not a value."""
    d = dist(
        ('{"a":"x', 0.0, []),
        ('","b":"y', LN(0.6), [('","b":"y', LN(0.6)), ('"}', LN(0.3)), ('",', LN(0.05))]),
        ('"}', 0.0, []),
    )
    dec = fields.confidence(d)["b"].decision
    assert dec is not None
    assert dec.position == 1
    assert dec.options == pytest.approx({'"y': 0.6})
    assert dec.other == pytest.approx(0.3)
    assert dec.undecided == pytest.approx(0.05)


def test_candidates_that_split_different_characters_stay_apart():
    r"""`\xc3` (é, ê …) and `\xe2` (€ …) are two options, not one `"�` holding both masses."""
    d = dist(
        ('{"a":"', 0.0, []),
        (b"\xc3", LN(0.6), [(b"\xc3", LN(0.6)), (b"\xe2", LN(0.3))]),
        (b'\xa9"}', 0.0, []),
    )
    dec = fields.confidence(d)["a"].decision
    assert dec.options == pytest.approx({'"\\xc3': 0.6, '"\\xe2': 0.3})


def test_whitespace_before_a_value_is_free():
    """At ` f` (space + value), `f` and ` t` start values too; a bare space is undecided."""
    d = dist(
        ('{"ok":', 0.0, []),
        (
            " f",
            LN(0.4),
            [(" f", LN(0.4)), ("f", LN(0.2)), (" t", LN(0.15)), (" ", LN(0.1)), ("}", LN(0.05))],
        ),
        ("alse}", 0.0, []),
    )
    dec = fields.confidence(d, schema=SCHEMA)["ok"].decision
    assert dec.options == pytest.approx({"f": 0.6, "t": 0.15})
    assert dec.undecided == pytest.approx(0.1)
    assert dec.other == pytest.approx(0.05)
    assert dec.labels.raw == pytest.approx({"true": 0.15, "false": 0.6, "null": 0.0})
    assert dec.labels.tail == pytest.approx(0.1)


# --- real recordings ------------------------------------------------------------------------


def test_recorded_structured_output():
    """gpt-4o's recorded Structured Outputs answer: every leaf, shared and forced tokens."""
    d = examples.load("structured")
    fc = fields.confidence(d)
    assert [(f.pointer, f.value) for f in fc] == [
        ("/name", "Science Fair"),
        ("/date", "Friday"),
        ("/participants/0", "Alice"),
        ("/participants/1", "Bob"),
    ]
    date = fc["date"]
    assert date.positions == range(7, 10)
    assert date.shared_positions == (7, 9)
    assert date.logprob == pytest.approx(float(d.logprobs[7:10].sum()))
    assert date.logprob_own == pytest.approx(float(d.logprobs[8]))
    alice = fc["/participants/0"]
    assert alice.forced_positions == (11, 12)  # `":["` and `Alice` came back at exactly 0.0
    assert fc["/participants/1"].decision.position == 14  # past `","`, which only opens it


def test_stream_gives_the_same_fields():
    """A stream's final distribution reads the same leaves as the whole response."""
    positions = [
        ('{"a":', -0.1, [('{"a":', -0.1)]),
        ('"한', -0.2, []),
        (b"\xea\xb5", -0.3, []),
        (b"\xad", 0.0, []),
        ('"}', -0.4, []),
    ]
    whole = fields.confidence(dist(*positions))
    streamed = fields.confidence(tp.parse(chat_chunks(positions)))
    assert [(f.path, f.value, f.positions, f.logprob) for f in whole] == [
        (f.path, f.value, f.positions, f.logprob) for f in streamed
    ]
    assert whole["a"].value == "한국"


def test_no_bytes_split_character_read_from_its_escapes():
    r"""Legacy completions give no `bytes`: a token written `\xf0\x9f\x92` is read as bytes."""
    d = tp.parse(
        completion(
            [
                ('{"a":"', -0.1, []),
                (b"\xf0\x9f\x92", -0.2, []),
                (b"\x99", -0.3, []),
                ('"}', -0.4, []),
            ]
        )
    )
    assert d.tokens[1] == "\\xf0\\x9f\\x92"
    leaf = fields.confidence(d)["a"]
    assert leaf.value == "💙"
    assert leaf.char_span == (5, 8)
    assert leaf.logprob == pytest.approx(-1.0)


def test_control_token_outside_the_content_holds_no_bytes():
    """A trailing `<|im_end|>` the content lacks (compatible servers) is in no leaf."""
    body = chat_completion([('{"a":', -0.1, []), ("1}", -0.2, []), ("<|im_end|>", -0.3, [])])
    body["choices"][0]["message"]["content"] = '{"a":1}'
    leaf = fields.confidence(tp.parse(body))["a"]
    assert leaf.positions == range(1, 2)
    assert leaf.byte_span == (5, 6)


def test_escaped_split_character_and_a_control_token_together():
    r"""A legacy Completions answer (no `bytes`) splitting `é` as `\xc3` and ending in an EOS.

    Each fallback was tried alone, so the two together were "bytes do not spell the content".
    """
    body = completion(
        [
            ('{"a":"caf', -0.1, []),
            (b"\xc3", -0.2, []),
            (b'\xa9"}', -0.3, []),
            ("<|eot_id|>", -0.4, []),
        ],
        finish_reason="stop",
    )
    body["choices"][0]["text"] = '{"a":"café"}'
    leaf = fields.confidence(body)["a"]
    assert leaf.value == "café"
    assert leaf.positions == range(3)
    assert leaf.char_span == (5, 11)


def test_escaped_alternatives_are_read_as_the_bytes_the_stream_read():
    r"""Without `bytes`, an alternative `\xe2` (the start of €) is that byte, as the sampled `\xc3`.

    Before, the stream read `\xc3` as a byte but the alternatives as their four-character text:
    `\xe2` matched no value, and the enum was decided é with p = 1.
    """
    body = completion(
        [
            ('{"a":"', 0.0, []),
            (b"\xc3", LN(0.6), [(b"\xc3", LN(0.6)), (b"\xe2", LN(0.3))]),
            (b'\xa9"}', 0.0, []),
        ],
        finish_reason="stop",
    )
    assert tp.parse(body).token_bytes == [None, None, None]
    dec = fields.confidence(body, schema={"properties": {"a": {"enum": ["é", "€"]}}})["a"].decision
    assert dec.labels.raw == pytest.approx({"é": 0.6, "€": 0.3})
    assert dec.options == pytest.approx({'"\\xc3': 0.6, '"\\xe2': 0.3})


def test_recorded_structured_stream_refusal():
    """The recorded Structured Outputs stream is a refusal: said so, not misread as JSON."""
    d = tp.parse((RECORDED / "chat_stream_gpt-4o-2024-08-06_refusal_logprobs.sse").read_text())
    assert d.refusal
    with pytest.raises(fields.FieldsError, match="refusal"):
        fields.confidence(d)


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "response",
    [
        pytest.param(tool_call_completion(), id="whole"),
        pytest.param(tool_call_chunks(), id="streamed"),
    ],
)
def test_tool_call_arguments_have_no_logprobs(response):
    """OpenAI gives no logprobs for tool-call arguments: a typed error saying so."""
    with pytest.raises(tp.MissingLogprobsError, match="tool call"):
        fields.confidence(response)
    with pytest.raises(tp.MissingLogprobsError, match="response_format"):
        fields.parse(response, City)


def test_content_differing_from_token_bytes_is_refused():
    """Offsets are never carried from `content` to the tokens: a mismatch is an error."""
    d = dist(*tok('{"a":', '"x"}'), content='{"a": "x"}')
    with pytest.raises(fields.FieldsError, match="differ from byte 5"):
        fields.confidence(d)


def test_an_ordinary_token_the_content_lacks_is_refused():
    """Tokens spelling `{"amount":10}` against content `{"amount":1}`: refused, the token named.

    Before, every token the content lacks was read as holding no bytes (only control tokens
    may): the value came back 1 with the logprob of `1` alone.
    """
    d = dist(
        ('{"amount":', 0.0, []),
        ("1", -0.1, []),
        ("0", -2.3, []),
        ("}", 0.0, []),
        ("<|im_end|>", 0.0, []),
        content='{"amount":1}',
    )
    with pytest.raises(
        fields.FieldsError,
        match=r"differ from byte 11; the content lacks token 2 \('0'\), which is no control token",
    ):
        fields.confidence(d)


def test_a_null_content_beside_tokens_says_so():
    """A null `message.content` with logprobs: said, not "no JSON in the 0-byte text"."""
    body = chat_completion(tok('{"a":', "1}"))
    body["choices"][0]["message"]["content"] = None
    with pytest.raises(
        fields.FieldsError, match=r"content is empty \(null or ''\) while its tokens spell 7 bytes"
    ):
        fields.confidence(body)
    assert fields.confidence(body["choices"][0]["logprobs"])["a"].value == 1  # the fix it gives


def test_no_json_is_a_typed_error():
    """Text without a JSON object says so."""
    with pytest.raises(fields.JSONNotFoundError, match="no JSON object or array"):
        fields.confidence(dist(*tok("no ", "json here")))


def test_cut_off_json_says_raise_max_tokens():
    """A JSON document cut by max_tokens names the cause."""
    d = dist(*tok('{"a": [1, ', "2"), finish_reason="length")
    with pytest.raises(fields.JSONNotFoundError, match="raise max_tokens"):
        fields.confidence(d)


@pytest.mark.parametrize(
    ("pieces", "finish_reason", "match"),
    [
        pytest.param(
            ('{"a": {"b": 1}, "c": [{"d"', ": 2}", ', {"e'),
            "length",
            "raise max_tokens",
            id="cut-off-after-complete-nested-objects",
        ),
        pytest.param(
            ('{"items": [{"sku": "A"}, {"sku": "B',), "length", "raise max_tokens", id="cut-list"
        ),
        pytest.param(
            ('{"answer": {"x": 1}, oops}',), "stop", "expected a key", id="broken-after-nested"
        ),
        pytest.param(
            ('{"a": [' * 300, '{"b": 1}'), "length", "raise max_tokens", id="cut-deep-inside"
        ),
    ],
)
def test_a_nested_value_of_a_broken_document_is_not_the_document(pieces, finish_reason, match):
    """A complete `{...}` inside a cut-off or broken document is not read as the document.

    Its leaves would come back at the wrong paths (`/b` for `/a/b`, `/sku` for `/items/0/sku`).
    """
    d = dist(*tok(*pieces), finish_reason=finish_reason)
    with pytest.raises(fields.JSONNotFoundError, match=match):
        fields.confidence(d)


@pytest.mark.parametrize(
    "pieces",
    [('{"a":"', b"\xff", '"}'), ('{"', b"\xc3", '":1}'), ('{"a":"', b"\xe2\x80", '"}')],
    ids=["invalid-byte-in-a-value", "cut-character-in-a-key", "lone-lead-bytes-in-a-value"],
)
def test_token_bytes_that_are_not_utf8_are_a_typed_error(pieces):
    """Without a content to check them (a bare logprobs object), bytes no character has are named.

    Before, `json.loads` of the literal raised a bare `UnicodeDecodeError` from inside the walk.
    """
    logprobs = chat_completion(tok(*pieces))["choices"][0]["logprobs"]
    assert tp.parse(logprobs).content is None
    with pytest.raises(fields.JSONNotFoundError, match=r"at byte \d+: expected UTF-8 text"):
        fields.confidence(logprobs)


@pytest.mark.parametrize(
    "before",
    [b"\x80", b"\xc3\xa9\x80\x80", b"\xe2\x82", b"\xc0\x80"],
    ids=["lone-continuation", "stray-continuations-after-a-character", "cut-character", "overlong"],
)
def test_character_spans_index_the_text_after_bytes_that_are_not_utf8(before):
    """Bytes no character has before the document (a bare logprobs object) shift no char span.

    Before, a stray continuation byte counted as no character while the text showed it as U+FFFD:
    every char span after it was one short (`fc.text[a:b]` was `:"é`, the view coloured it).
    """
    logprobs = chat_completion(tok(before, ' {"a":"é"}'))["choices"][0]["logprobs"]
    fc = fields.confidence(logprobs)
    a, b = fc["a"].char_span
    assert fc.text[a:b] == '"é"'
    start, end = fc.document
    assert fc.text[start:end] == '{"a":"é"}'
    assert fc.to_text(color=False).endswith('{"a":"é"⟨0.905⟩}')


@pytest.mark.parametrize("finish_reason", ["stop", "length"])
def test_a_number_longer_than_python_reads_is_a_typed_error(finish_reason):
    """A model repeating a digit past Python's int limit: a `JSONNotFoundError`, not ValueError.

    Before, `int()`'s bare ValueError escaped the walk (`json.loads` refuses it too), also for an
    output cut off inside it, with no word of max_tokens.
    """
    pieces = ['{"a":', "1" * 5000] + (["}"] if finish_reason == "stop" else [])
    d = dist(*tok(*pieces), finish_reason=finish_reason)
    hint = "raise max_tokens" if finish_reason == "length" else "set_int_max_str_digits"
    with pytest.raises(fields.JSONNotFoundError, match=rf"5,000 characters.*{hint}"):
        fields.confidence(d)


def test_a_looping_model_s_open_brackets_cost_memory_linear_in_their_depth():
    """4,000 `[` cut off by max_tokens: a JSONNotFoundError within a few MB.

    Before, every level held its own copy of the path: 65 MB here, gigabytes (the process
    killed) for the 64,000 `[` of 16,000 looping tokens.
    """
    d = dist(*tok(*["[[[["] * 1000), finish_reason="length")
    tracemalloc.start()
    try:
        with pytest.raises(fields.JSONNotFoundError, match="raise max_tokens"):
            fields.confidence(d)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8_000_000


def test_a_looping_model_s_fences_are_read_in_linear_time():
    """9,000 fences, each opening a `[` it never closes: refused fast, still finds what follows.

    Before, every start was checked against every failed fence (81 million checks here: 7 s).
    """
    text = "```json\n[" * 9000 + ' then {"a": 1}'
    d = dist(*tok(text))
    start = time.perf_counter()
    fc = fields.confidence(d)
    assert time.perf_counter() - start < 2.0
    assert [(f.pointer, f.value) for f in fc] == [("/a", 1)]


def test_a_deep_document_reads_its_leaf_at_its_full_path():
    """5,000 nested arrays around one empty object: one leaf, its path 5,000 zeros long."""
    fc = fields.confidence(dist(*tok("[" * 5000, "{}", "]" * 5000)))
    assert fc.paths() == [(0,) * 5000]
    assert fc[0].value == {}
    assert fc[0].positions == range(1, 2)


def test_a_document_after_a_broken_one_in_prose_is_still_found():
    """Braces that fail before the next `{` (prose) do not hide the document after them."""
    fc = fields.confidence(dist(*tok('Template {name}, answer: {"a": {"b": 1}}')))
    assert [f.pointer for f in fc] == ["/a/b"]


def test_a_choice_of_a_response_with_several():
    """`choice=1` reads the second choice; of a distribution (one choice already) it is refused.

    Before, there was no `choice`: the first choice was read, and only `tp.parse` picked another.
    """
    body = chat_completion(tok('{"a":', "1}"), tok('{"a":', "2}"))
    assert fields.confidence(body)["a"].value == 1
    assert fields.confidence(body, choice=1)["a"].value == 2
    assert fields.confidence(body, choice=np.int64(1))["a"].value == 2
    with pytest.raises(ValueError, match=r"choice=1\): d is a TokenDistribution, one choice"):
        fields.confidence(tp.parse(body), choice=1)
    with pytest.raises(TypeError, match=r"choice is a choice's index \(an int\), got a str"):
        fields.confidence(body, choice="1")


def test_refusal_is_a_typed_error():
    """A refusal's logprobs are no structured output."""
    d = tp.parse(chat_completion(tok("I can't help."), refusal=True))
    with pytest.raises(fields.FieldsError, match="refusal"):
        fields.confidence(d)


@pytest.mark.parametrize(
    ("finish_reason", "match"),
    [
        pytest.param("length", r"empty \(finish_reason='length'\); raise max_tokens", id="cut-off"),
        pytest.param("stop", r"empty \(finish_reason='stop'\); there is no JSON", id="stopped"),
    ],
)
def test_an_empty_output_says_it_is_empty_not_to_ask_for_logprobs(finish_reason, match):
    """No tokens and no content (a reasoning model spent max_tokens): not "ask for logprobs".

    Before, the message told to pass logprobs=True, which the request already did.
    """
    with pytest.raises(fields.FieldsError, match=match) as caught:
        fields.confidence(chat_completion([], finish_reason=finish_reason))
    assert "logprobs=True" not in str(caught.value)


def test_bad_schema_is_a_typed_error():
    """A schema that is not one is named."""
    with pytest.raises(fields.SchemaError, match="JSON Schema dict"):
        fields.confidence(dist(*tok('{"a":1}')), schema=42)


@pytest.mark.parametrize(
    ("json_schema", "match"),
    [
        pytest.param({"name": "x", "schema": 5}, "got an int", id="schema-no-dict"),
        pytest.param(None, "got None", id="json-schema-none"),
        pytest.param("x", "got a str", id="json-schema-no-dict"),
    ],
)
def test_a_response_format_whose_schema_is_no_dict_is_a_schema_error(json_schema, match):
    """`{"type": "json_schema", "json_schema": {"schema": 5}}` is named, not read as a schema.

    Before, the response_format itself was taken for the schema, which described no leaf.
    """
    fmt = {"type": "json_schema", "json_schema": json_schema}
    with pytest.raises(
        fields.SchemaError, match=rf"json_schema.schema is no schema dict \({match}"
    ):
        fields.confidence(dist(*tok('{"a":1}')), schema=fmt)


def test_a_response_format_without_a_schema_constrains_nothing():
    """The API's `json_schema` may leave `schema` out: the leaves are read as without one."""
    fmt = {"type": "json_schema", "json_schema": {"name": "x"}}
    d = dist(*tok('{"a":true}'))
    assert fields.confidence(d, schema=fmt)["a"].decision.members == {
        "true": True,
        "false": False,
        "null": None,
    }


def test_a_key_given_twice_is_found_as_json_loads_keeps_it():
    """Both leaves are iterated; the path finds the last one, the value `json.loads` keeps."""
    text = '{"a": {"x": 1}, "a": {"x": 2}}'
    fc = fields.confidence(dist(*tok(text)))
    assert [(f.pointer, f.value) for f in fc] == [("/a/x", 1), ("/a/x", 2)]
    assert fc["/a/x"].value == fc[("a", "x")].value == json.loads(text)["a"]["x"] == 2


@pytest.mark.parametrize("key", ["items", "/items", ("items",), ("items", 0)])
def test_a_container_key_says_it_holds_leaves_and_where(key):
    """`fc["items"]` of an array: the KeyError lists its leaves, not the document's first five."""
    text = '{"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "items": [{"sku": "x", "qty": 2}]}'
    fc = fields.confidence(dist(*tok(text)))
    with pytest.raises(
        KeyError,
        match=r"is an object or array, not a leaf; its 2 leaves are at "
        r"/items/0/sku, /items/0/qty",
    ):
        fc[key]


def test_indexing():
    """By path tuple, pointer, top-level key and index; a missing key lists existing ones."""
    fc = fields.confidence(dist(*tok('{"a/b": [5], "0": 1}')))
    assert fc[("a/b", 0)] is fc["/a~1b/0"] is fc[0]
    assert fc["0"] is fc["/0"] is fc[("0",)]
    assert ("a/b", 0) in fc
    assert "/missing" not in fc
    with pytest.raises(KeyError, match="/a~1b/0"):
        fc["/missing"]
    assert fc[-1] is fc["0"]
    with pytest.raises(IndexError, match="leaf index 7 is out of range: there are 2 leaves"):
        fc[7]
    with pytest.raises(TypeError, match="not a bool"):  # True is no index 1
        fc[True]
    with pytest.raises(TypeError, match="not a bool"):
        fc[np.True_]
    with pytest.raises(TypeError, match=r"not a bool: step 1 of \('a/b', True\)"):
        fc[("a/b", True)]  # was /a~1b/0: True hashes as 1
    with pytest.raises(TypeError, match="not a bool"):
        fc[("a/b", np.False_)]
    with pytest.raises(TypeError, match="not a float"):
        fc[("a/b", 0.0)]
    assert ("a/b", False) not in fc
    assert fc[("a/b", np.int64(0))] is fc[0]
    assert fc[np.int64(0)] is fc[0]  # as a list takes numpy's integers (np.argsort's)
    assert fc[np.intp(-1)] is fc[-1]
    with pytest.raises(TypeError, match="top-level key"):
        fc[1.0]
