"""A schema's numbers are compared by value, as JSON Schema does: `1e2` is `enum: [100]`'s 100.

Before, a numeric member was matched on its `json.dumps` text only: `1e2` (or `1` then `e2`)
was no value of `enum: [100, 200]`, `1` no value of `enum: [1.0, 2.0]`, `1.5` was read as the
member 1 (`1` then a non-word character), `enum: [100, 100.0]` was two members, and `1e-` was
taken to settle `0.00001` (its text is `1e-05`) beside `0.0001`, so the token that chose between
them was flagged schema-forced. A boolean stays distinct from 1 and 0.
"""

from __future__ import annotations

import math
import warnings

import pytest
from tests.fields._values import value_dist

from tokenprobs import fields
from tokenprobs.fields._numbers import same_value

LN = math.log


def dist(*positions):
    """`{"v": ...}` with the value's positions `(token, prob, [(alt, prob), ...])` between."""
    return value_dist('{"v":', "}", *positions)


def leaf_of(d, node):
    """The leaf `v` of `d` under a schema giving `v` the sub-schema `node`, with no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fields.confidence(d, schema={"properties": {"v": node}})["v"]


@pytest.mark.parametrize(
    ("node", "positions", "raw"),
    [
        pytest.param(
            {"enum": [100, 200]},
            [("1e2", 0.7, [("1e2", 0.7), ("200", 0.2)])],
            {"100": 0.7, "200": 0.2},
            id="exponent-one-token",
        ),
        pytest.param(
            {"enum": [100, 200]},
            [("1", 0.7, [("1", 0.7), ("2", 0.2)]), ("e2", 0.9, [("e2", 0.9), ("00", 0.1)])],
            {"100": 0.7, "200": 0.2},
            id="exponent-in-the-next-token",
        ),
        pytest.param(
            {"enum": [100, 200]},
            [("1E+2", 0.5, [("1E+2", 0.5), ("100.0", 0.2), ("2e2", 0.2)])],
            {"100": 0.7, "200": 0.2},
            id="spellings-of-one-value-add-up",
        ),
        pytest.param(
            {"enum": [1.0, 2.0]},
            [("1", 0.6, [("1", 0.6), ("2", 0.3)])],
            {"1.0": 0.6, "2.0": 0.3},
            id="an-int-is-the-float-member",
        ),
        pytest.param(
            {"enum": [1, 2]},
            [("1", 0.6, [("1", 0.6), ("1.5", 0.3), ("2.0", 0.1)])],
            {"1": 0.6, "2": 0.1},
            id="one-point-five-is-not-one",
        ),
        pytest.param(
            {"enum": [10**30, 2]},
            [("1e30", 0.6, [("1e30", 0.6), ("2", 0.3)])],
            {str(10**30): 0.6, "2": 0.3},
            id="a-large-int-is-compared-exactly",
        ),
        pytest.param(
            {"enum": [-1, 1]},
            [("-", 0.6, [("-", 0.6), ("1", 0.3)]), ("1.0", 1.0, [("1.0", 1.0)])],
            {"-1": 0.6, "1": 0.3},
            id="a-minus-starts-the-negative-member",
        ),
    ],
)
def test_numbers_are_matched_by_value(node, positions, raw):
    """Every spelling of a member counts for it: `1e2`, `1E+2`, `100.0` are all 100."""
    dec = leaf_of(dist(*positions), node).decision
    assert dec.labels is not None
    assert dec.labels.raw == pytest.approx(raw)


def test_an_exponent_split_over_tokens_is_decided_where_it_is_written():
    """`1`, `e`, `-5` of 0.00001 beside 0.0001: the exponent's digits decide, nothing is forced.

    Before, the texts `1e-05` and `0.0001` made `1` settle 0.00001: `e` and `-5` were flagged
    forced, though `-4` (0.0001) was the alternative at `-5`.
    """
    d = dist(
        ("1", 0.6, [("1", 0.6), ("5", 0.3)]),
        ("e", 0.95, [("e", 0.95), ("0", 0.05)]),
        ("-5", 0.9, [("-5", 0.9), ("-4", 0.1)]),
    )
    leaf = leaf_of(d, {"enum": [0.00001, 0.0001, 5]})
    assert leaf.value == 0.00001
    assert leaf.forced_positions == ()
    assert leaf.min_prob == pytest.approx(0.6)
    raw = leaf.decision.labels.raw
    assert raw == pytest.approx({"1e-05": 0.6 * 0.95 * 0.9, "0.0001": 0.6 * 0.95 * 0.1, "5": 0.3})


def test_the_start_of_one_member_only_is_still_settled():
    """`1` of 100 beside 200 can be no other member, however it goes on: `00` is forced."""
    d = dist(("1", 0.7, [("1", 0.7), ("2", 0.2)]), ("00", 0.9, [("00", 0.9), ("e2", 0.1)]))
    assert leaf_of(d, {"enum": [100, 200]}).forced_positions == (2,)


HUNDRED = [("1", 0.7, [("1", 0.7), ("2", 0.2)]), ("00", 0.8, [("00", 0.8), ("e2", 0.2)])]
ONE = [("1", 0.7, [("1", 0.7), ("true", 0.1)])]


@pytest.mark.parametrize(
    ("node", "positions", "members"),
    [
        pytest.param({"enum": [100, 100.0, 200]}, HUNDRED, {"100": 100, "200": 200}, id="enum"),
        pytest.param(
            {"anyOf": [{"const": 100}, {"const": 1e2}, {"const": 200}]},
            HUNDRED,
            {"100": 100, "200": 200},
            id="const-in-branches",
        ),
        pytest.param(
            {"enum": [1, True, 0, False]},
            ONE,
            {"1": 1, "true": True, "0": 0, "false": False},
            id="booleans-stay-distinct",
        ),
    ],
)
def test_a_value_listed_twice_by_value_is_one_member(node, positions, members):
    """`100` and `100.0` are one value to JSON Schema: one member (the first listed)."""
    dec = leaf_of(dist(*positions), node).decision
    assert dec.members == members
    assert [type(v) for v in dec.members.values()] == [type(v) for v in members.values()]


def test_a_const_spelled_another_way_is_forced():
    """`const: 100` and the text `1e2`: the one value allowed, forced, no warning."""
    leaf = leaf_of(dist(("1e2", 0.7, [("1e2", 0.7)])), {"const": 100})
    assert leaf.value == 100
    assert leaf.forced
    assert leaf.decision is None


def test_true_is_not_one():
    """`true` where the schema allows 1 and 2 counts for no number (Python's `True == 1`)."""
    dec = leaf_of(dist(("1", 0.6, [("1", 0.6), ("true", 0.3)])), {"enum": [1, 2]}).decision
    assert dec.labels.raw == pytest.approx({"1": 0.6, "2": 0.0})
    assert dec.labels.unmatched == pytest.approx(0.3)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        pytest.param(100, 100.0, True, id="int-and-float"),
        pytest.param(1, True, False, id="one-is-not-true"),
        pytest.param(0, False, False, id="zero-is-not-false"),
        pytest.param([1, {"a": 2}], [1.0, {"a": 2.0}], True, id="nested-numbers"),
        pytest.param([1], [True], False, id="nested-boolean"),
        pytest.param({"a": 1}, {"a": 1, "b": 2}, False, id="other-keys"),
        pytest.param("1", 1, False, id="string-is-not-number"),
        pytest.param(None, None, True, id="null"),
    ],
)
def test_json_schema_equality(a, b, same):
    """Numbers by value, a boolean only to a boolean, arrays and objects item by item."""
    assert same_value(a, b) is same
    assert same_value(b, a) is same
