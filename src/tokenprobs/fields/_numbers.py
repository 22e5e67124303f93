"""JSON numbers matched by value: `1e2`, `100.0` and `100` are one member of `enum: [100]`.

JSON Schema compares numbers by their mathematical value (`enum`, `const`), so a finite set's
numeric members are not matched on one text: a candidate read from the value's start is scanned
as a JSON number (or the start of one) and compared with each member's value. A complete number
(`1e2`, or `1e2` then a non-word character such as `}`) is the member it equals; the start of one
is the prefix of every member some continuation of it equals, as a label's prefix is: `1` of
`100` (`100`, `1e2`, `1.0e2` ...), `1e` of `100` and `10`, `-` of every negative member, but `1.`
of no integer other than 1. As the labels read an accent only when written, an exponent is
assumed only where the candidate starts no member without one (`1` of `0.00001`, for `1e-5`): `5`
beside `0.5` is 5, not the start of `5e-1`. A boolean is never a number (`true` is no 1).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from tokenprobs.labels import Labels
from tokenprobs.labels._match import Matches, Normaliser, is_word

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "NumberNormaliser",
    "NumberSpellings",
    "ValueLabels",
    "is_number",
    "same_value",
    "spells",
]

_DIGITS = "0123456789"


def is_number(v: object) -> bool:
    """A JSON number: an int or a finite float, not a bool (JSON's `true` is no 1)."""
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        return False
    return isinstance(v, numbers.Integral) or math.isfinite(float(v))


def same_value(a: object, b: object) -> bool:
    """JSON Schema's equality: numbers by value (`1 == 1.0`), a boolean only to a boolean.

    Arrays and objects are equal item by item (`[1]` is `[1.0]`, not `[true]`); Python's own
    `True == 1` and `[True] == [1]` are not JSON's.
    """
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, numbers.Real) and isinstance(b, numbers.Real):
        return a == b
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@dataclass(frozen=True, slots=True)
class _Written:
    """The start of a JSON number as scanned: its sign, digits, fraction and exponent so far."""

    negative: bool
    whole: str
    """The integer part's digits (`""` after a lone `-`)."""
    fraction: str | None
    """The fraction's digits after the point (`""` right after it), `None` without a point."""
    exponent: tuple[str, str] | None
    """The exponent's sign (`""`, `+`, `-`) and digits, `None` without an `e`."""

    @property
    def complete(self) -> bool:
        """Whether it is a whole JSON number (`1`, `1.5`, `1e2`; not `-`, `1.`, `1e`, `1e-`)."""
        return (
            bool(self.whole)
            and self.fraction != ""
            and (self.exponent is None or bool(self.exponent[1]))
        )


def _scan(c: str) -> tuple[int, _Written]:
    """The longest start of `c` that begins a JSON number (RFC 8259), and what it holds."""
    n = len(c)
    i = 1 if c.startswith("-") else 0
    j = i
    if c[j : j + 1] == "0":
        j += 1
    else:
        while j < n and c[j] in _DIGITS:
            j += 1
    whole = c[i:j]
    if not whole:
        return j, _Written(i == 1, "", None, None)
    fraction: str | None = None
    if c[j : j + 1] == ".":
        k = j + 1
        while k < n and c[k] in _DIGITS:
            k += 1
        fraction, j = c[j + 1 : k], k
        if not fraction:  # `1.` takes a digit next, not an exponent
            return j, _Written(i == 1, whole, "", None)
    exponent: tuple[str, str] | None = None
    if j < n and c[j] in "eE":
        k = j + 1
        sign = c[k] if k < n and c[k] in "+-" else ""
        k += len(sign)
        m = k
        while m < n and c[m] in _DIGITS:
            m += 1
        exponent, j = (sign, c[k:m]), m
    return j, _Written(i == 1, whole, fraction, exponent)


def _plain(v: object) -> int | float:
    """A JSON number (`is_number`) as a Python int or float (numpy's too)."""
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, numbers.Real):
        return float(v)
    msg = f"{v!r} is no number"
    raise TypeError(msg)


def _power_of_ten(q: Fraction) -> int | None:
    """`e` where `q == 10**e`, else None."""
    if q.numerator == 1:
        text, sign = str(q.denominator), -1
    elif q.denominator == 1:
        text, sign = str(q.numerator), 1
    else:
        return None
    if text[0] != "1" or text[1:].strip("0"):
        return None
    return sign * (len(text) - 1)


@dataclass(frozen=True, slots=True)
class _Member:
    """A numeric member: its value, exact (an int's, a float's shortest decimal), and digits."""

    value: int | float
    """The member as the schema gives it."""
    exact: Decimal
    whole: str
    """The integer part's digits of its magnitude (`"0"` below 1)."""
    fraction: str
    """The fraction's digits, without trailing zeros (`""` for an integer)."""
    significant: str
    """Its digits without leading or trailing zeros (`"1"` for 100 and 0.01, `""` for 0)."""

    @classmethod
    def of(cls, value: int | float) -> _Member:  # noqa: PYI041 - an int is read exactly
        """The member of `value` (an int or a finite float)."""
        exact = Decimal(int(value)) if isinstance(value, int) else Decimal(repr(value))
        whole, _, fraction = format(abs(exact), "f").partition(".")
        fraction = fraction.rstrip("0")
        return cls(value, exact, whole, fraction, (whole + fraction).strip("0"))

    def equals(self, text: str) -> bool:
        """Whether the complete JSON number `text` is this member.

        An integer member is equal to the text's exact value (`1e2`, `100.0`); a float member
        to the text read as a float (as `json.loads` reads it: `0.10000000000000001` is 0.1).
        """
        if isinstance(self.value, int):
            return Decimal(text) == self.exact
        return float(text) == self.value

    def signed_as(self, w: _Written) -> bool:
        """Whether the sign written allows this member (`-0` is 0)."""
        return self.exact <= 0 if w.negative else self.exact >= 0

    def reached(self, w: _Written) -> bool:
        """Whether some continuation of `w` (one character or more, no new exponent) is it."""
        if not self.signed_as(w):
            return False
        if w.exponent is not None:
            return self._by_exponent(w)
        if w.fraction is None:  # the integer part may go on (unless it is 0), then a fraction
            return (
                not w.whole
                or self.whole == w.whole
                or (w.whole != "0" and self.whole.startswith(w.whole))
            )
        return self.whole == w.whole and (self.fraction + "0" * len(w.fraction)).startswith(
            w.fraction
        )

    def reached_with_exponent(self, w: _Written) -> bool:
        """Whether `w`, with more digits and an exponent it does not show yet, can be it.

        The exponent sets the magnitude, so only the digits must agree: `1` is 0.00001 as
        `1e-5`, `25` is 2.5 as `25e-1`; zero is reached without one (`0.0`).
        """
        if w.exponent is not None or not self.signed_as(w) or self.exact == 0:
            return False
        typed = (w.whole + (w.fraction or "")).lstrip("0")
        return (self.significant + "0" * len(typed)).startswith(typed)

    def _by_exponent(self, w: _Written) -> bool:
        """Whether `w`, exponent begun (`1e`, `1e-`, `1e2`), reaches it with more digits."""
        assert w.exponent is not None  # noqa: S101 - the caller's case
        sign, digits = w.exponent
        mantissa = Decimal(w.whole + (f".{w.fraction}" if w.fraction else ""))
        if mantissa == 0 or self.exact == 0:
            return mantissa == self.exact  # `0e5` is 0 whatever the exponent
        e = _power_of_ten(Fraction(abs(self.exact)) / Fraction(mantissa))
        if e is None or (sign == "-" and e > 0) or (sign == "+" and e < 0):
            return False
        if sign == "" and digits and e < 0:
            return False  # `1e2` can take no minus sign any more
        typed = digits.lstrip("0")
        if not typed:  # `1e`, `1e-`, `1e0`: any exponent's digits may follow
            return True
        need = str(abs(e))
        return need.startswith(typed) and len(need) > len(typed)


def spells(literal: bytes, value: object) -> bool:
    """Whether the JSON number `literal` is the number `value`: exactly, for an integer.

    `1e30` is 10**30, which its float (`json.loads`) is not; for a float `value`, the literal
    read as a float is compared, as `json.loads` reads it.
    """
    if not is_number(value) or not literal.isascii():
        return False
    text = literal.decode("ascii")
    end, w = _scan(text)
    return end == len(text) and w.complete and _Member.of(_plain(value)).equals(text)


class NumberSpellings:
    """Numeric members, and which of them a value's text so far may still spell."""

    def __init__(self, members: Mapping[int, object]) -> None:
        """The members by their key (`is_number` values)."""
        self.members = [(k, _Member.of(_plain(v))) for k, v in members.items()]

    def started(self, head: bytes) -> set[int]:
        """The members some JSON number starting with `head` equals (`head` included)."""
        if not self.members or not head.isascii():
            return set()
        c = head.decode("ascii")
        end, w = _scan(c)
        if end < len(c):
            return set()
        return {
            k
            for k, member in self.members
            if (w.complete and member.equals(c))
            or member.reached(w)
            or member.reached_with_exponent(w)
        }


class NumberNormaliser(Normaliser):
    """The labels' matching rule, with the numeric members matched by value (module docstring)."""

    def __init__(
        self,
        variants: list[tuple[str, int]],
        members: Mapping[int, object],
        *,
        case_sensitive: bool,
        strip_whitespace: bool,
        quotes: bool,
    ) -> None:
        """Match the classes in `members` by their number, the others by their variants.

        The variants are JSON texts, compared as their code points (JSON Schema compares
        strings so: `"é"` and `"e\u0301"` are two strings), not composed as labels are.
        """
        super().__init__(
            [(v, k) for v, k in variants if k not in members],
            case_sensitive=case_sensitive,
            strip_whitespace=strip_whitespace,
            quotes=quotes,
            compose=False,
        )
        self.members = [(k, _Member.of(_plain(v))) for k, v in members.items()]

    def _matches(self, c: str, partial: bytes, *, terminated: bool, marked: bool) -> Matches:
        m = super()._matches(c, partial, terminated=terminated, marked=marked)
        if c and c[0] in "-0123456789":
            self._numbers(m, c, partial, terminated=terminated, marked=marked)
        return m

    def _numbers(
        self, m: Matches, c: str, partial: bytes, *, terminated: bool, marked: bool
    ) -> None:
        end, w = _scan(c)
        text = c[:end]
        equal = [k for k, member in self.members if w.complete and member.equals(text)]
        if end < len(c):  # a character follows: the number ends there, if it is one
            if not terminated and not is_word(c[end]):
                for k in equal:
                    m.add_complete(k, end)
        elif partial:  # a split character follows (no ASCII one): it may still end the number
            if not terminated:
                m.prefix_of.update(equal)
        else:
            if not marked:
                for k in equal:
                    m.add_complete(k, end)
            if not terminated:
                m.prefix_of.update(k for k, member in self.members if member.reached(w))
                m.unwritten.update(
                    k for k, member in self.members if member.reached_with_exponent(w)
                )


class ValueLabels(Labels):
    """A finite set of JSON values as labels: strings and literals by text, numbers by value.

    Text is compared as its code points, not composed to NFC: JSON Schema's `"é"` (U+00E9) is
    not the JSON string `"e\u0301"`.
    """

    def __init__(self, classes: Mapping[str, Sequence[str]], numbers: Mapping[str, object]) -> None:
        """`classes` as `Labels` reads them; `numbers` the numeric members by label name."""
        self._numbers = dict(numbers)
        super().__init__(classes, case_sensitive=True, quotes=False)

    def _normaliser(self, pairs: list[tuple[str, int]]) -> Normaliser:
        index = {name: k for k, name in enumerate(self.names)}
        members = {index[name]: v for name, v in self._numbers.items()}
        return NumberNormaliser(pairs, members, **self.options)
