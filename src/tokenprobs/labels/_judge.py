"""Judge scores: G-Eval's expected score over the allowed scores at the score token."""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Literal, TypeGuard

import numpy as np

from tokenprobs._said import a_type, a_value, among
from tokenprobs.labels._labels import Labels
from tokenprobs.labels._position import At, Char, LabelPositionError
from tokenprobs.models._expect import expect_distribution

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from tokenprobs.labels._result import LabelResult
    from tokenprobs.models import TokenDistribution

__all__ = ["ExpectedScore", "expected_score"]

Value = float | Decimal | Fraction
"""A score's value: a real number (an int, a float, a `Decimal`, a `Fraction`, numpy's), read as
the nearest float."""


@dataclass(frozen=True, slots=True)
class ExpectedScore:
    """A judge's score as an expectation over its score token's distribution (G-Eval)."""

    expected: float
    """`Σ p(s)·value(s)` with `p` normalised over the scale (NaN when no score had mass)."""
    probs: dict[str, float]
    """Each score's probability, normalised over the scale."""
    raw: dict[str, float]
    """Each score's matched mass, not normalised (see `LabelResult.raw`)."""
    outside: float
    """Mass that is not a score: other tokens, mass shared by several scores, and the tail."""
    bounds: tuple[float, float]
    """`[lo, hi]` on the expected score given each score's probability bounds."""
    values: dict[str, float]
    """The value of each score."""
    result: LabelResult
    """The underlying label result (bounds, ambiguous sets, position ...)."""

    @property
    def position(self) -> int:
        """The position of the score token."""
        return self.result.position


def _is_number(v: object) -> TypeGuard[numbers.Real | Decimal]:
    """A real number that is no bool: an int, a float, a `Fraction`, a `Decimal`, numpy's."""
    return not isinstance(v, bool | np.bool_) and isinstance(v, numbers.Real | Decimal)


def _value(v: object, what: str) -> float:
    """`v` as a finite float, where it is a real number that is no bool.

    A `Decimal` or a `Fraction` is converted to the nearest float, as an int is.

    Raises:
        TypeError: `v` is a bool or not a real number.
        ValueError: `v` is NaN, infinite or past a float's range.
    """
    if not _is_number(v):
        msg = f"{what} is {a_value(v)}: a score's value must be a number"
        raise TypeError(msg)
    if isinstance(v, Decimal) and not v.is_finite():  # NaN, sNaN (float() refuses it), ±inf
        msg = f"{what} is {v!r}: a score's value must be a finite number"
        raise ValueError(msg)
    try:
        x = float(v)
    except OverflowError:  # an int or a Fraction past the floats' range (10**400)
        x = math.nan
        huge = True
    else:
        huge = isinstance(v, Decimal) and math.isinf(x)  # Decimal("1e400") is inf as a float
    if huge:
        msg = (
            f"{what} is {a_type(v)} past a float's range (1.8e308): a score's value must be a "
            "finite number"
        )
        raise ValueError(msg)
    if not math.isfinite(x):
        msg = f"{what} is {x}: a score's value must be a finite number"
        raise ValueError(msg)
    return x


def _written(score: object) -> str:
    """How the answer writes a score: a str as it is, a number as in a list (`7.0`: "7").

    Raises:
        TypeError: `score` is neither a str nor a number (None, a bool ...).
    """
    if isinstance(score, str):
        return str(score)  # a numpy str_ as a plain str
    if not _is_number(score):
        msg = (
            f"a score of the scale is {a_value(score)}: a scale's scores (a mapping's keys) are "
            "the texts the answer writes, such as {'A': 4.0, 'B': 3.0}, or numbers"
        )
        raise TypeError(msg)
    x = _value(score, f"the score {score!r} of the scale")
    return str(int(x)) if x.is_integer() else repr(x)


def _scale(scale: Iterable[Value] | Mapping[str, Value]) -> dict[str, float]:
    """Each score's text with its value: finite numbers, each score written once.

    Raises:
        TypeError: The scale is not numbers (or a mapping to numbers), or holds a bool.
        ValueError: The scale is empty, a value is not finite, or a score is given twice.
    """
    if isinstance(scale, str | bytes) or not isinstance(scale, Iterable):
        msg = (
            f"scale must be a list of numbers or a mapping from score strings to numbers, got "
            f"{a_value(scale)}"
        )
        raise TypeError(msg)
    if isinstance(scale, Mapping):
        pairs = [(_written(k), _value(v, f"the value of score {k!r}")) for k, v in scale.items()]
    else:
        pairs = []
        for n, s in enumerate(scale):
            x = _value(s, f"score {n} of the scale")
            pairs.append((_written(x), x))
    if not pairs:
        msg = "the scale has no scores"
        raise ValueError(msg)
    values = dict(pairs)
    if len(values) != len(pairs):
        texts = [t for t, _ in pairs]
        repeated = [t for t in values if texts.count(t) > 1]
        msg = f"scores {repeated} are given more than once in the scale: list each score once"
        raise ValueError(msg)
    return values


_BOUND_BEFORE = re.compile(r"(?:\bout\s+of|\d\s*(?:of|-|\u2013|\bto))\s*\Z", re.IGNORECASE)
"""What makes the number after it a bound of the scale: `out of 10`, `7 of 10`, `1-10`, `1 to 10`
(not "a score of 8")."""
_BOUND_AFTER = re.compile(r"\s*(?:-|\u2013|to\b)\s*\d", re.IGNORECASE)
"""What makes the number before it the low end of a range: `1-10`, `1 to 10`."""


def _is_bound(text: str, start: int, end: int) -> bool:
    """Whether the number at `text[start:end]` states the scale (a denominator, a range end)."""
    return (
        _BOUND_BEFORE.search(text[max(0, start - 24) : start]) is not None
        or _BOUND_AFTER.match(text, end) is not None
    )


_NAMED = re.compile(
    r"\b(?:score|rating|grade|rated|mark)s?\b[\"'*_]*\s*(?:[:=]|\bis\b|\bof\b|\bat\b)?"
    r"[\s\"'*_:]*\Z",
    re.IGNORECASE,
)
"""What names the number after it a score: `Score: 8`, `"score": 8`, `**Rating:** 4`,
`score is 8`, `a score of 8`, `rated 8`."""
_KEYED = re.compile(r"[:=][\s\"'*_]*\Z")
"""What makes the number after it the value of a key: `Helpfulness: 4`, `"overall": 4`..."""
_KEYED_END = re.compile(r"[\s\"'*_]*+(?![^\W\d_])")
"""... where no word follows it (`"why": "2 facts are missing"` is prose)."""
_BEFORE = 32
"""How many characters before a number are read to tell whether something names it."""


def _find(d: TokenDistribution, names: Iterable[str], *, last: bool, case_sensitive: bool) -> Char:
    """The offset of the last (or first) score written that is not a bound of the scale.

    A denominator (`7 out of 10`, `7/10`, `7 of 10`) or the end of a range (`1-10`, `1 to
    10`) says what the scale is, not the score: "Score: 7 out of 10" is a 7. A number named a
    score (`Score: 8`, `"score": 8`) is read before any other, then one that is a key's value
    (`Helpfulness: 4`), then any: "Score: 8. Reason: misses 2 facts" is an 8, and so is
    `{"score": 8, "reason": "misses 2 facts"}`.
    """
    alternation = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    pattern = re.compile(
        rf"(?<![\w./])(?:{alternation})(?![\w]|[.,]\d)", 0 if case_sensitive else re.IGNORECASE
    )
    text = d.text
    found = [m for m in pattern.finditer(text) if not _is_bound(text, m.start(), m.end())]

    def before(m: re.Match[str], what: re.Pattern[str]) -> bool:
        return what.search(text[max(0, m.start() - _BEFORE) : m.start()]) is not None

    named = [m for m in found if before(m, _NAMED)]
    keyed = [m for m in found if before(m, _KEYED) and _KEYED_END.match(text, m.end())]
    found = named or keyed or found
    if not found:
        msg = (
            f"no score of the scale ({', '.join(names)}) in the text (a denominator or a "
            "range such as 'out of 10', '/10' or '1-10' is not read as one): pass at= the "
            "score's position, a Char offset or a JSON key"
        )
        raise LabelPositionError(msg)
    return Char((found[-1] if last else found[0]).start())


def _ratio(p: NDArray[np.float64], v: NDArray[np.float64]) -> NDArray[np.float64]:
    total = p.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (p * v).sum(axis=1) / np.where(total > 0, total, 1.0), np.nan)


def _bounds(
    lo: NDArray[np.float64], hi: NDArray[np.float64], v: NDArray[np.float64]
) -> tuple[float, float]:
    """Extremes of `Σ p v / Σ p` for `lo <= p <= hi`.

    A ratio over a box is extreme at a vertex that gives `hi` to the values on one side of a
    threshold and `lo` to the rest (the smallest values for the minimum, the largest for the
    maximum), so the `c + 1` thresholds of the sorted values are all there is to try.
    """
    order = np.argsort(v, kind="stable")
    lo, hi, v = lo[order], hi[order], v[order]
    c = len(v)
    t = np.arange(c + 1)[:, None]
    k = np.arange(c)[None, :]
    low = _ratio(np.where(k < t, hi, lo), v)
    high = _ratio(np.where(k >= c - t, hi, lo), v)
    if not np.isfinite(low).any():
        return math.nan, math.nan
    return float(np.nanmin(low)), float(np.nanmax(high))


def expected_score(
    d: TokenDistribution,
    /,
    scale: Iterable[Value] | Mapping[str, Value] = range(1, 11),
    *,
    at: Literal["last", "first"] | At = "last",
    case_sensitive: bool = True,
) -> ExpectedScore:
    r"""G-Eval's score: the expectation of the score over the score token's distribution.

    `expected = Σ_s p(s)·value(s) / Σ_s p(s)` over the allowed scores `s` (Liu et al., "G-Eval:
    NLG Evaluation using GPT-4 with Better Human Alignment", arXiv 2303.16634, eq. 2), with
    `p(s)` the label mass of `s` at the score token (`Labels.probs`: a score is matched as a
    label, so "10" as one token and "1" then "0" both count, and a "1" that could start "10"
    is ambiguous unless the sampled path decides it). The mass that is no score is reported
    in `outside`, never renormalised away silently.

    Args:
        d: The judge's output.
        scale: The allowed scores (finite numbers, each once: each written as an integer where
            it is one), or a mapping from score strings to values (`{"A": 4, "B": 3, ...}` for
            letter grades; two grades may share a value). A number is an int, a float, a
            `Decimal` or a `Fraction` (numpy's too; not a bool), converted to the nearest float.
        at: Where the score token is: `"last"` (default: the last score written in the text,
            so a digit in the reasoning before it is not read), `"first"`, or any `at=` of
            `Labels.probs` (a position, a `Char` offset, a JSON key). For `"last"` and
            `"first"` a number that states the scale is not a score: a denominator (`7 out of
            10`, `7 of 10`, `7/10` read 7) or a range's ends (`1-10`, `1 to 10`); and a number
            named a score (`Score: 8`, `"score": 8`, `Rating: 4`, `a score of 8`) is read
            before any other, then a key's value (`Helpfulness: 4`), so a digit in a reason
            written after the score (`Score: 8. Reason: misses 2 facts`) is not read either.
        case_sensitive: Whether letter grades must match case.

    Returns:
        An `ExpectedScore`: `.expected`, `.probs`, `.outside`, `.bounds`.

    Raises:
        LabelPositionError: If no score is written in the text (for `"last"` / `"first"`).
        TypeError: If `d` is not a `TokenDistribution` (a raw response: `tp.parse` it), or a
            score's value is a bool or not a number.
        ValueError: If the scale is empty, a value is NaN, infinite or past a float's range
            (`10**400`, `Decimal("1e400")`), or a score is given twice (`[7, 7, 8]`, or `7`
            and `7.0`).

    Examples:
        >>> import math, tokenprobs as tp
        >>> from tokenprobs.testing import chat_completion
        >>> alts = [("8", math.log(0.6)), ("7", math.log(0.3)), ("9", math.log(0.1))]
        >>> d = tp.parse(
        ...     chat_completion([("Score", 0.0, []), (": ", 0.0, []), ("8", math.log(0.6), alts)])
        ... )
        >>> round(tp.labels.expected_score(d).expected, 2)
        7.8
    """
    d = expect_distribution(d, "expected_score(d)")
    values = _scale(scale)
    labels = Labels(list(values), case_sensitive=case_sensitive)
    where: At = (
        _find(d, values, last=at == "last", case_sensitive=case_sensitive)
        if among(at, ("last", "first"))
        else at
    )
    res = labels.probs(d, at=where)
    v = np.array(list(values.values()))
    p = np.array([res.probs[k] for k in values])
    expected = float(p @ v) if not np.isnan(p).any() else math.nan
    lo = np.array([res.bounds[k][0] for k in values])
    hi = np.array([res.bounds[k][1] for k in values])
    return ExpectedScore(
        expected=expected,
        probs=res.probs,
        raw=res.raw,
        outside=max(0.0, 1.0 - res.mass),
        bounds=_bounds(lo, hi, v),
        values=values,
        result=res,
    )
