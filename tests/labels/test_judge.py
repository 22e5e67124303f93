"""Judge scores (G-Eval): the expected score at the score token, one row per rule."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tokenprobs as tp
from tokenprobs.labels import Char, LabelPositionError, expected_score
from tokenprobs.testing import chat_completion

LN = math.log


def dist(*positions, finish_reason="stop"):
    """A chat distribution from `(token, prob, [(alt, prob), ...])` positions (probabilities)."""
    return tp.parse(
        chat_completion(
            [(t, LN(p), [(a, LN(q)) for a, q in alts]) for t, p, alts in positions],
            finish_reason=finish_reason,
        )
    )


SEVEN = [("7", 0.6, [("7", 0.6), ("8", 0.3), ("6", 0.1)])]
REASONING = [
    ("There", 1.0, []),
    (" are", 1.0, []),
    (" 3", 0.9, [(" 3", 0.9), (" 2", 0.1)]),
    (" issues", 1.0, []),
    (".", 1.0, []),
    (" Score", 1.0, []),
    (":", 1.0, []),
    (" 7", 0.6, [(" 7", 0.6), (" 8", 0.3), (" 6", 0.1)]),
]

UNNAMED = [
    ("There", 1.0, []),
    (" are", 1.0, []),
    (" 3", 0.9, [(" 3", 0.9), (" 2", 0.1)]),
    (" issues", 1.0, []),
    (", so", 1.0, []),
    (" 7", 0.6, [(" 7", 0.6), (" 8", 0.3), (" 6", 0.1)]),
]

SCORED = [("Score", 1.0, []), (": ", 1.0, []), ("7", 0.5, [("7", 0.5), ("8", 0.5)])]
EIGHT_NINE = [("8", 0.5), ("9", 0.5)]

ROWS = [
    pytest.param(SEVEN, {}, 7 * 0.6 + 8 * 0.3 + 6 * 0.1, id="expectation-over-the-scale"),
    pytest.param(
        REASONING,
        {},
        7 * 0.6 + 8 * 0.3 + 6 * 0.1,
        id="deepeval-reads-the-final-score-not-reasoning",
    ),
    pytest.param(UNNAMED, {"at": "first"}, 3 * 0.9 + 2 * 0.1, id="first-score-when-asked"),
    pytest.param(UNNAMED, {}, 7 * 0.6 + 8 * 0.3 + 6 * 0.1, id="last-number-when-none-is-named"),
    pytest.param(REASONING, {"at": "first"}, 7 * 0.6 + 8 * 0.3 + 6 * 0.1, id="first-named-score"),
    pytest.param(
        [*SCORED, (". Reason: misses ", 1.0, []), ("2", 0.9, [("2", 0.9), ("3", 0.1)])],
        {},
        7.5,
        id="a-digit-of-the-reason-after-the-score-is-not-read",
    ),
    pytest.param(
        [
            ('{"score": ', 1.0, []),
            ("8", 0.5, EIGHT_NINE),
            (', "reason": "The answer misses ', 1.0, []),
            ("2", 0.9, [("2", 0.9), ("3", 0.1)]),
            (' facts."}', 1.0, []),
        ],
        {},
        8.5,
        id="json-score-then-reason",
    ),
    pytest.param(
        [
            ('{"helpfulness": ', 1.0, []),
            ("8", 0.5, EIGHT_NINE),
            (', "why": "2 facts are missing"}', 1.0, []),
        ],
        {},
        8.5,
        id="a-keys-value-before-a-number-in-prose",
    ),
    pytest.param(
        [("I give it a score of ", 1.0, []), ("8", 0.5, EIGHT_NINE), (".", 1.0, [])],
        {},
        8.5,
        id="a-score-of-8-is-no-denominator",
    ),
    pytest.param(
        [
            ("**Rating:** ", 1.0, []),
            ("8", 0.5, EIGHT_NINE),
            (" (", 1.0, []),
            ("2", 1.0, []),
            (" minor issues)", 1.0, []),
        ],
        {},
        8.5,
        id="markdown-rating",
    ),
    pytest.param(
        [("7", 0.5, [("7", 0.5), ("8", 0.25), ("The", 0.25)])],
        {},
        (7 * 0.5 + 8 * 0.25) / 0.75,
        id="mass-outside-the-scale-not-counted",
    ),
    pytest.param(
        [("10", 0.7, [("10", 0.7), ("9", 0.3)])],
        {},
        10 * 0.7 + 9 * 0.3,
        id="ten-as-one-token",
    ),
    pytest.param(
        [("1", 0.7, [("1", 0.7), ("9", 0.3)]), ("0", 1.0, [("0", 1.0)])],
        {},
        10 * 0.7 + 9 * 0.3,
        id="ten-as-one-then-zero-by-chain-rule",
    ),
    pytest.param(
        [("Grade", 1.0, []), (": ", 1.0, []), ("B", 0.5, [("B", 0.5), ("A", 0.5)])],
        {"scale": {"A": 4, "B": 3, "C": 2}},
        3.5,
        id="letter-grades-by-mapping",
    ),
    pytest.param(
        [
            ("Score", 1.0, []),
            (": ", 1.0, []),
            ("8", 0.5, [("8", 0.5), ("9", 0.5)]),
            ("/10", 1.0, []),
        ],
        {},
        8.5,
        id="denominator-of-8-over-10-is-not-the-score",
    ),
    pytest.param(
        [("4", 0.5, [("4", 0.5), ("5", 0.5)])],
        {"scale": range(1, 6)},
        4.5,
        id="a-one-to-five-scale",
    ),
    pytest.param(
        [*SCORED, (" out", 1.0, []), (" of", 1.0, []), (" ", 1.0, []), ("10", 1.0, [])],
        {},
        7.5,
        id="seven-out-of-ten-is-a-seven-not-its-denominator",
    ),
    pytest.param(
        [*SCORED, (" of", 1.0, []), (" 10", 1.0, []), (".", 1.0, [])],
        {},
        7.5,
        id="seven-of-ten",
    ),
    pytest.param(
        [*SCORED, (" (", 1.0, []), ("1", 1.0, []), ("-", 1.0, []), ("10", 1.0, []), (")", 1.0, [])],
        {},
        7.5,
        id="a-range-after-the-score-states-the-scale",
    ),
    pytest.param(
        [("On a scale from 1 to 10:", 1.0, []), (" ", 1.0, []), ("8", 0.5, EIGHT_NINE)],
        {"at": "first"},
        8.5,
        id="first-skips-a-range-before-the-score",
    ),
    pytest.param(REASONING, {"at": 7}, 7 * 0.6 + 8 * 0.3 + 6 * 0.1, id="a-position"),
    pytest.param(REASONING, {"at": Char(10)}, 3 * 0.9 + 2 * 0.1, id="a-char-offset"),
]


@pytest.mark.parametrize(("positions", "kwargs", "expected"), ROWS)
def test_expected_score(positions, kwargs, expected):
    """Each rule gives G-Eval's expectation over the allowed scores."""
    assert expected_score(dist(*positions), **kwargs).expected == pytest.approx(expected)


def test_outside_mass_reported():
    """The mass that is no score is reported, not renormalised away silently."""
    res = expected_score(dist(("7", 0.5, [("7", 0.5), ("8", 0.25), ("The", 0.15)])))
    assert res.outside == pytest.approx(0.25)
    assert res.probs["7"] == pytest.approx(0.5 / 0.75)


def test_ambiguous_one_left_open_by_max_tokens():
    """A "1" cut off by max_tokens could start "10": bounds span both readings."""
    res = expected_score(dist(("1", 0.8, [("1", 0.8), ("9", 0.2)]), finish_reason="length"))
    assert res.raw["1"] == 0
    assert res.raw["10"] == 0
    assert res.expected == pytest.approx(9.0)
    assert res.bounds == pytest.approx((0.8 * 1 + 0.2 * 9, 0.8 * 10 + 0.2 * 9))


def test_bounds_contain_the_estimate():
    """The expected score lies inside its bounds; the bounds are within the scale."""
    res = expected_score(dist(*SEVEN))
    lo, hi = res.bounds
    assert 1 <= lo <= res.expected <= hi <= 10


def test_only_the_scale_written_is_no_score():
    """A text holding only the scale ("out of 10") is a LabelPositionError, not a guess."""
    d = dist(("Out", 0.9, []), (" of", 1.0, []), (" 10", 0.8, []), (".", 1.0, []))
    with pytest.raises(LabelPositionError, match=r"'out of 10'.* is not read as one"):
        expected_score(d)


def test_no_score_in_text():
    """A text with no score is an error naming the fix."""
    with pytest.raises(LabelPositionError, match="pass at="):
        expected_score(dist(("Fine", 0.9, [])))


def test_empty_scale():
    """An empty scale is refused."""
    with pytest.raises(ValueError, match="no scores"):
        expected_score(dist(*SEVEN), scale=[])


@pytest.mark.parametrize(
    ("scale", "error", "message"),
    [
        pytest.param([7, 8, math.nan], ValueError, "score 2 of the scale is nan", id="nan"),
        pytest.param([7, 8, math.inf], ValueError, "score 2 of the scale is inf", id="inf"),
        pytest.param({"7": 7, "9": -math.inf}, ValueError, "score '9' is -inf", id="mapping-inf"),
        pytest.param([True, 8], TypeError, r"score 0 of the scale is a bool", id="bool"),
        pytest.param({"A": False}, TypeError, "score 'A' is a bool", id="mapping-bool"),
        pytest.param(["7", "8"], TypeError, "score 0 of the scale is a str", id="strings"),
        pytest.param("78", TypeError, "scale must be a list of numbers", id="one-string"),
        pytest.param(10, TypeError, "scale must be a list of numbers", id="an-int"),
        pytest.param([7, 7, 8], ValueError, r"scores \['7'\] are given more", id="repeated"),
        pytest.param([7, 7.0], ValueError, r"scores \['7'\] are given more", id="same-text"),
        pytest.param({"7": 7, 7: 8}, ValueError, r"scores \['7'\] are given more", id="keys"),
        pytest.param(
            [7, 10**400], ValueError, r"score 1 of the scale is an int past a float", id="huge-int"
        ),
        pytest.param(
            {"7": 7, "8": 10**400}, ValueError, r"score '8' is an int past a float", id="huge-value"
        ),
    ],
)
def test_a_scale_that_is_not_distinct_finite_numbers_is_refused(scale, error, message):
    """NaN gave NaN, inf a RuntimeWarning, True the score 1, a repeat was merged: now errors."""
    with pytest.raises(error, match=message):
        expected_score(dist(*SEVEN), scale=scale)


def test_grades_may_share_a_value():
    """A mapping is labels to values: two grades with one value are two labels."""
    res = expected_score(dist(("A", 0.6, [("A", 0.6), ("B", 0.4)])), scale={"A": 4, "B": 4})
    assert res.expected == pytest.approx(4.0)


def test_number_keys_are_written_as_a_list_of_numbers_is():
    """`{7.0: 7, 8.0: 8}` looked for the text "7.0" (no score found); as `[7.0, 8.0]` it is "7"."""
    d = tp.parse(chat_completion([("7", -0.1, [("7", -0.1), ("8", -2.5)])]))
    want = expected_score(d, [7, 8]).expected
    assert expected_score(d, {7.0: 7, 8.0: 8}).expected == want
    assert expected_score(d, {"7": 7, "8": 8}).expected == want
    assert set(expected_score(d, {7.0: 7, 8.0: 8}).values) == {"7", "8"}


@pytest.mark.parametrize("key", [None, True, (7,)], ids=["none", "bool", "tuple"])
def test_a_score_key_that_is_no_text_or_number_is_refused(key):
    """`{None: 1}` was the score written "None"; now a TypeError naming the key."""
    d = tp.parse(chat_completion([("7", -0.1, [("7", -0.1), ("8", -2.5)])]))
    with pytest.raises(TypeError, match=r"a score of the scale is .*the texts the answer writes"):
        expected_score(d, {key: 1.0, "7": 7.0})


def test_numpy_score_texts_are_plain_strings():
    """A scale keyed by numpy strings kept `np.str_` keys in `.values` and `.probs`."""
    d = tp.parse(chat_completion([("7", -0.1, [("7", -0.1), ("8", -2.5)])]))
    res = expected_score(d, dict(zip(np.array(["7", "8"]), [7.0, 8.0], strict=True)))
    assert [type(k) for k in res.values] == [str, str]
    assert [type(k) for k in res.probs] == [str, str]
