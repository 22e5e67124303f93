"""`expected_score` takes a scale of `Decimal` and `Fraction` values: numbers, read as floats.

Before, a `Decimal` value (what a database or a `json.loads(..., parse_float=Decimal)` gives)
was refused as "not a number"; a `Fraction` passed. Both are real numbers: each is converted
to the nearest float, and refused only where an int or a float would be (NaN, infinite, past a
float's range), with the same words.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction

import pytest

import tokenprobs as tp
from tokenprobs.labels import expected_score
from tokenprobs.testing import chat_completion

LN = math.log
D = tp.parse(
    chat_completion(
        [("Score", 0.0, []), (": ", 0.0, []), ("7", LN(0.6), [("7", LN(0.6)), ("8", LN(0.4))])]
    )
)
WANT = 7 * 0.6 + 8 * 0.4


@pytest.mark.parametrize(
    "scale",
    [
        pytest.param({"7": Decimal(7), "8": Decimal("8.0")}, id="decimal-values"),
        pytest.param([Decimal(7), Decimal("8.00")], id="decimal-list"),
        pytest.param({Decimal(7): 7, Decimal(8): 8}, id="decimal-keys"),
        pytest.param({"7": Fraction(7), "8": Fraction(16, 2)}, id="fraction-values"),
        pytest.param([Fraction(7), Fraction(8)], id="fraction-list"),
        pytest.param({"7": Decimal(7), "8": 8.0}, id="mixed"),
    ],
)
def test_decimal_and_fraction_scales_are_numbers(scale):
    """A scale of `Decimal` or `Fraction` values reads as the same scale of floats."""
    res = expected_score(D, scale)
    assert res.expected == pytest.approx(WANT)
    assert res.values == {"7": 7.0, "8": 8.0}
    assert all(type(v) is float for v in res.values.values())


def test_a_fractional_decimal_is_written_as_its_float():
    """`Decimal("7.5")` is the score written `7.5`, its value 7.5 (a float)."""
    d = tp.parse(
        chat_completion([("Score", 0.0, []), (": ", 0.0, []), ("7.5", LN(0.9), [("7.5", LN(0.9))])])
    )
    res = expected_score(d, [Decimal("7.5"), Decimal(8)])
    assert res.values == {"7.5": 7.5, "8": 8.0}
    assert res.expected == pytest.approx(7.5)


def test_decimal_seven_and_seven_are_the_same_score():
    """`Decimal(7)` and `7` write the same score: given twice, as `7` and `7.0` are."""
    with pytest.raises(ValueError, match=re.escape("scores ['7'] are given more than once")):
        expected_score(D, [Decimal(7), 7, 8])


@pytest.mark.parametrize(
    ("scale", "message"),
    [
        pytest.param(
            {"7": Decimal("NaN"), "8": 8},
            "the value of score '7' is Decimal('NaN'): a score's value must be a finite number",
            id="decimal-nan",
        ),
        pytest.param(
            {"7": Decimal("sNaN"), "8": 8},
            "the value of score '7' is Decimal('sNaN'): a score's value must be a finite number",
            id="decimal-signalling-nan",
        ),
        pytest.param(
            [7, Decimal("-Infinity")],
            "score 1 of the scale is Decimal('-Infinity'): a score's value must be a finite",
            id="decimal-infinity",
        ),
        pytest.param(
            [7, Decimal("1e400")],
            "score 1 of the scale is a Decimal past a float's range (1.8e308)",
            id="decimal-past-a-float",
        ),
        pytest.param(
            {"7": 7, "8": Fraction(10**400, 3)},
            "the value of score '8' is a Fraction past a float's range (1.8e308)",
            id="fraction-past-a-float",
        ),
        pytest.param(
            {Decimal("NaN"): 7, "8": 8},
            "the score Decimal('NaN') of the scale is Decimal('NaN'): a score's value must be",
            id="decimal-nan-key",
        ),
    ],
)
def test_a_decimal_that_is_no_finite_float_is_refused(scale, message):
    """NaN, an infinity or a value past a float's range: a ValueError naming it, as for an int."""
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        expected_score(D, scale)
