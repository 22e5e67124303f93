"""`choose`: one-step multiple choice by proxy-tuning, as the paper did over GPT-3.5's top 5 (§7).

The prediction is the option token with the highest combined score `l_B + alpha (l_E - l_A)`,
over the options only. The paper dropped the questions where no option was in the base's top
5 (1.8 % of RealtimeQA); here every question is answered, and `covered` says which ones the
paper would have dropped, with the base's value of an unseen option at its cap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tokenprobs._said import a_type, check_flag
from tokenprobs.models import TokenDistribution
from tokenprobs.proxy._columns import log_normalised, possible
from tokenprobs.proxy._combine import Side, Value, bounds, scaled, side
from tokenprobs.proxy._dense import DenseLogprobs
from tokenprobs.proxy._strength import check_strength

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["MultipleChoice", "choose"]

Source = TokenDistribution | DenseLogprobs
"""One model's next-token answer: an API's top-k or a dense scorer's logprobs."""


@dataclass(frozen=True)
class MultipleChoice:
    """The proxy-tuned choice among options, and how much of it the base's top-k covered."""

    option: str
    """The chosen option."""
    probs: dict[str, float]
    """Each option's combined probability, renormalised over the options."""
    base_option: str | None
    """The base's own choice among the options it returned (`None`: it returned none)."""
    covered: bool
    """Some option was among the base's returned tokens (the paper kept only these)."""
    base_coverage: float
    """The base's probability on the option tokens it returned."""
    imputed: tuple[str, ...]
    """Options whose base value was not returned and was imputed at the cap."""
    certified: bool
    """The choice is the full-vocabulary one whatever the unseen values are (within `floor`)."""


def _answer(model: Source | Callable[[str], Source], prompt: str, name: str) -> Source:
    """`model`'s answer at the first position, refused in words when there is none.

    Raises:
        TypeError: `model` is no answer and no callable, or its call returns no answer.
        ValueError: The answer has no position.
    """
    given: object = model  # checked as a caller may pass anything
    if isinstance(given, TokenDistribution | DenseLogprobs):
        got: object = given
    elif callable(given):
        got = given(prompt)
    else:
        got = given
    kinds = (TokenDistribution,) if name == "base" else (TokenDistribution, DenseLogprobs)
    if not isinstance(got, kinds):
        what = "a TokenDistribution (an API's top-k)" if name == "base" else _SMALL
        msg = f"choose(): {name} must be {what} or a callable returning one, got {a_type(got)}"
        raise TypeError(msg)
    if not len(got):
        msg = f"choose(): {name}'s answer has no position: it needs the next-token distribution"
        raise ValueError(msg)
    return got


_SMALL = "a DenseLogprobs or a TokenDistribution (a scorer's .next, an API's top-k)"


def choose(
    prompt: str,
    options: Sequence[str],
    /,
    *,
    base: Source | Callable[[str], Source],
    expert: Source | Callable[[str], Source],
    anti: Source | Callable[[str], Source],
    alpha: float = 1.0,
    floor: float | None = None,
    leading_space: bool = True,
) -> MultipleChoice:
    """Pick an option by proxy-tuning the base's next-token distribution over the option tokens.

    Args:
        prompt: The question, as given to each model (a callable formats it its own way).
        options: The option tokens (`["A", "B", "C", "D"]`); each must be one token.
        base: The base's answer at the first position: a `TokenDistribution`, or a callable
            from the prompt to one (e.g. a chat call with `top_logprobs=5`, `max_tokens=1`).
        expert: The tuned small model: a `DenseLogprobs` / `TokenDistribution` at that
            position, or a callable giving one (`LlamaCppScorer.next`).
        anti: The untuned small model, likewise; it may be of the other kind than `expert`
            (one dense, one an API's top-k): each model's value of an option is exact or within
            its own `[floor, cap]`, whatever the other is, so the scores and `certified` hold.
        alpha: The strength of the delta.
        floor: For sparse small models, the lowest logprob an unseen token may have.
        leading_space: Also count `" A"` as option `"A"` (their probabilities add up). A
            spelling the base returned but the small pair has no token for is scored with the
            pair's delta for the option (over the spellings it has), so its base mass counts.

    Returns:
        A `MultipleChoice`.

    Raises:
        ValueError: Fewer than two options, an empty option, two options that count one token
            (`"A"` twice, or `"A"` and `" A"` with `leading_space`), a non-finite `alpha`, or
            a `floor` that is no logprob, or an option none of whose spellings is a token of
            the dense small pair's vocabulary, or a model's answer with no position.
        TypeError: `options` is one str or holds something that is no str, `leading_space` is
            no bool, `alpha` is no number, or a model (or what its callable returns) is not an
            answer of its kind (a `TokenDistribution` for `base`; that or `DenseLogprobs` for
            the small pair).
    """
    spellings = _spellings(options, leading_space=leading_space)
    check_strength(alpha, floor)
    b_d = _answer(base, prompt, "base")
    e_d, a_d = _answer(expert, prompt, "expert"), _answer(anti, prompt, "anti")
    lo = -math.inf if floor is None else float(floor)
    b, e, a = side(b_d[:1], 0, -math.inf), side(_first(e_d), 0, lo), side(_first(a_d), 0, lo)
    point: dict[str, float] = {}
    least: dict[str, float] = {}
    most: dict[str, float] = {}
    imputed: list[str] = []
    seen_mass = 0.0
    for option, spelt in spellings.items():
        valued = [v for v in spelt if _knows(e, v) and _knows(a, v)]
        if not valued:
            msg = f"option {option!r} is not one token of the dense small models' vocabulary"
            raise ValueError(msg)
        scored = {v: _score(alpha, b.value(v), e.value(v), a.value(v)) for v in valued}
        # A spelling the base returned but the pair has no token for gets the pair's delta of
        # the option (over the spellings it has): the base's mass on it is seen, not dropped.
        e_opt, a_opt = _pooled(e, valued), _pooled(a, valued)
        borrowed = [v for v in spelt if v in b.row and v not in scored]
        scored |= {v: _score(alpha, b.value(v), e_opt, a_opt) for v in borrowed}
        shown = [v for v in scored if v in b.row]
        seen_mass += sum(math.exp(b.row[v]) for v in shown)
        if not shown:
            imputed.append(option)
        points = [scored[v][0] for v in shown or valued]
        # unseen: one imputed token, not one per spelling
        point[option] = float(np.logaddexp.reduce(points) if shown else max(points))
        least[option] = float(np.logaddexp.reduce([scored[v][1] for v in shown or valued]))
        most[option] = float(np.logaddexp.reduce([hi for _, _, hi in scored.values()]))
    names = list(point)
    kept, _, scores = possible(
        names, names, np.array(list(point.values())), where="among the options"
    )
    lq = dict(zip(kept, log_normalised(scores).tolist(), strict=True))
    best = max(lq, key=lq.__getitem__)
    returned = {o: p for o, p in point.items() if o not in imputed}
    base_scores = {o: _base_score(b.row, spellings[o]) for o in returned}
    return MultipleChoice(
        option=best,
        probs={o: math.exp(lq[o]) if o in lq else 0.0 for o in point},
        base_option=max(base_scores, key=base_scores.__getitem__) if base_scores else None,
        covered=bool(returned),
        base_coverage=seen_mass,
        imputed=tuple(imputed),
        certified=best not in imputed and all(most[o] < least[best] for o in point if o != best),
    )


def _spellings(options: Sequence[str], *, leading_space: bool) -> dict[str, list[bytes]]:
    """Each option's token bytes (`"A"`: `b"A"`, and `b" A"` with `leading_space`), checked.

    Every token counts for one option at most: a repeated option, or `"A"` beside `" A"` when
    `" A"` already counts as `"A"`, would add the base's probability of one token twice.
    """
    check_flag(leading_space, "leading_space", "also count ' A' as option 'A'")
    given: object = options  # checked as a caller may pass anything
    if not isinstance(given, Sequence) or isinstance(given, str | bytes):
        msg = f"choose() takes options as a list of str (['A', 'B']), got {options!r}"
        raise TypeError(msg)
    if not all(isinstance(o, str) for o in options):
        msg = f"choose() takes options as a list of str (['A', 'B']), got {options!r}"
        raise TypeError(msg)
    if len(options) < 2:  # noqa: PLR2004
        msg = f"choose() needs at least two options, got {list(options)}"
        raise ValueError(msg)
    owner: dict[bytes, str] = {}
    out: dict[str, list[bytes]] = {}
    for option in options:
        if not option:
            msg = "an option is the empty string: each option is one non-empty token"
            raise ValueError(msg)
        if option in out:
            msg = f"option {option!r} is given twice: give each option once"
            raise ValueError(msg)
        out[option] = [option.encode()] + ([b" " + option.encode()] if leading_space else [])
        for key in out[option]:
            if key in owner:
                msg = (
                    f"options {owner[key]!r} and {option!r} both count the token {key!r} "
                    "(leading_space=True counts a space and the option as the option too): give "
                    "options that are distinct tokens, or pass leading_space=False"
                )
                raise ValueError(msg)
            owner[key] = option
    return out


def _knows(side: Side, key: bytes) -> bool:
    return side.index is None or key in side.index


def _base_score(row: dict[bytes, float], spellings: list[bytes]) -> float:
    values = [row[v] for v in spellings if v in row]
    return float(np.logaddexp.reduce(values))


def _pooled(side: Side, keys: list[bytes]) -> Value:
    """One model's logprob of the option as a whole: its spellings' values added up."""
    values = [side.value(k) for k in keys]
    return Value(
        float(np.logaddexp.reduce([v.point for v in values])),
        float(np.logaddexp.reduce([v.lo for v in values])),
        float(np.logaddexp.reduce([v.hi for v in values])),
        imputed=any(v.imputed for v in values),
    )


def _first(d: Source) -> Source:
    return d[:1]


def _score(alpha: float, b: Value, e: Value, a: Value) -> tuple[float, float, float]:
    lo, hi = bounds(alpha, b, e, a)
    return b.point + scaled(alpha, e.point - a.point), lo, hi
