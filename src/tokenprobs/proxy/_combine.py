r"""`combine`: proxy-tuning at aligned positions, over what the base's API returned.

At each position the combined score of a candidate token `t` is

    s(t) = l_B(t) + alpha · (l_E(t) - l_A(t))

with `l_B`, `l_E`, `l_A` the logprobs of the base, the expert and the anti-expert (Liu et al.,
"Tuning Language Models by Proxy", 2024, Eq. 1 with DExperts' strength alpha). Logprobs and logits
differ by a per-model constant that cancels in the softmax, so `softmax(s)` over the candidate set
is the paper's distribution restricted to it. A value a sparse model did not return is imputed at
its *cap* (its least likely returned logprob, an upper bound on every token it did not return):
the smallest promotion or demotion the data allows. `certified` says where the greedy choice
cannot change whatever the unseen values are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tokenprobs._said import a_type
from tokenprobs.models import TokenDistribution
from tokenprobs.models._arrays import readonly
from tokenprobs.models._expect import expect_distribution
from tokenprobs.proxy._bytes import PrefixLogprobs
from tokenprobs.proxy._columns import Columns, log_normalised, possible
from tokenprobs.proxy._dense import DenseLogprobs
from tokenprobs.proxy._strength import Support, check_strength, check_support

if TYPE_CHECKING:
    from collections.abc import Collection

    from numpy.typing import NDArray

    from tokenprobs.models import Candidates

__all__ = ["TAIL_SLACK", "ProxyStep", "Support", "combine"]

Scores = TokenDistribution | DenseLogprobs | PrefixLogprobs
"""What the expert and the anti-expert may be: an API's top-k, a dense scorer's logprobs, or a
dense scorer's byte-prefix logprobs of the base's candidates (another tokenizer)."""


@dataclass(frozen=True, eq=False)
class ProxyStep:
    """The proxy-tuned distribution at each position, with how much of it rests on guesses."""

    distribution: TokenDistribution
    """The combined distribution over the candidate set, renormalised (no tail by
    construction): at each position the token is the combined argmax, the alternatives are the
    candidates, most likely first."""
    certified: NDArray[np.bool_]
    """Shape `(T,)`: the combined argmax is the argmax of full-vocabulary proxy-tuning whatever
    the values no model returned are (within `floor` for sparse small models)."""
    imputed_mass: NDArray[np.float64]
    """Shape `(T,)`: the combined probability of candidates with at least one imputed value."""
    base_coverage: NDArray[np.float64]
    """Shape `(T,)`: the base's probability mass on the tokens it returned (`1 - tail`)."""
    unmatched_mass: NDArray[np.float64]
    """Shape `(T,)`: the base's probability on returned tokens whose bytes the dense scorer's
    vocabulary does not have (a server that decodes partial UTF-8 lossily and sends no bytes,
    such as llama-cpp-python's): left out of the candidates, and counted as unseen tokens as
    likely as returned when certifying. Always 0 with a sparse small pair."""
    changed: NDArray[np.bool_]
    """Shape `(T,)`: the combined argmax differs from the base's most likely token."""
    support: Support
    """The candidate-set rule used."""
    alpha: float
    """The strength alpha of the expert - anti-expert delta."""
    floor: float | None
    """The lowest logprob assumed for a token a sparse small model did not return (`None`: no
    assumption)."""

    def __len__(self) -> int:
        """The number of positions."""
        return len(self.distribution)


@dataclass(frozen=True)
class Value:
    """One model's logprob of one token: the value used, what it can truly be, and if guessed."""

    point: float
    lo: float
    hi: float
    imputed: bool


@dataclass(frozen=True)
class Side:
    """One small (or the base) model at one position."""

    row: dict[bytes, float]
    """What it returned (sparse), or nothing (dense)."""
    cap: float
    """The upper bound on what it did not return (sparse)."""
    floor: float
    """The lower bound on what it did not return (sparse; `-inf` without a floor)."""
    dense: NDArray[np.float64] | None
    index: dict[bytes, int] | None

    def value(self, key: bytes) -> Value:
        if self.dense is not None and self.index is not None:
            j = self.index.get(key)
            if j is None:
                msg = (
                    f"the token {key!r} is not one token of the dense scorer's vocabulary: "
                    "combine() needs the base and the small pair to share a tokenizer"
                )
                raise ValueError(msg)
            v = float(self.dense[j])
            return Value(v, v, v, imputed=False)
        if key in self.row:
            v = self.row[key]
            return Value(v, v, v, imputed=False)
        return Value(self.cap, min(self.floor, self.cap), self.cap, imputed=True)

    def returned(self, k: int, keys: tuple[bytes, ...] | None) -> list[bytes]:
        if self.dense is not None and keys is not None:
            row = self.dense
            k = min(k, row.shape[0])
            part = np.argpartition(-row, k - 1)[:k]
            return [keys[j] for j in part[np.lexsort((part, -row[part]))]]
        return list(self.row)


TAIL_SLACK = 1e-4
"""Added to a tail before it bounds an unseen token: returned probabilities are rounded (float32
on llama.cpp, coarser on some APIs), so their sum can overshoot the truth by a little."""


def _upper(cap: float, tail: float) -> float:
    """The most a token a model did not return can have: its cap, or its tail mass if smaller.

    Both hold when the server returns its true top-k: an unseen token is no more likely than the
    least likely returned one, and no more likely than all the unseen tokens together.
    """
    bound = math.log(min(tail + TAIL_SLACK, 1.0))
    return bound if math.isnan(cap) else min(cap, bound)


def _sparse(c: Candidates, i: int, floor: float) -> Side:
    return Side(c.row(i), _upper(float(c.cap[i]), float(c.tail[i])), floor, None, None)


def scaled(alpha: float, delta: float) -> float:
    """`alpha * delta` (0 for `alpha = 0`); `-inf` for NaN, `-inf - -inf`: both models mask it."""
    if alpha == 0:
        return 0.0
    return -math.inf if math.isnan(delta) else alpha * delta


def bounds(alpha: float, b: Value, e: Value, a: Value) -> tuple[float, float]:
    """The least and the greatest score the token can truly have."""
    if alpha >= 0:
        return b.lo + scaled(alpha, e.lo - a.hi), b.hi + scaled(alpha, e.hi - a.lo)
    return b.lo + scaled(alpha, e.hi - a.lo), b.hi + scaled(alpha, e.lo - a.hi)


def _check(
    base: TokenDistribution,
    expert: Scores,
    anti: Scores,
    *,
    support: str,
    alpha: float,
    floor: float | None,
) -> None:
    expect_distribution(base, "combine(base, ...)")
    check_support(support)
    check_strength(alpha, floor)
    scores = (TokenDistribution, DenseLogprobs, PrefixLogprobs)
    sides: tuple[tuple[str, object], ...] = (("expert", expert), ("anti", anti))
    for name, m in sides:
        if not isinstance(m, scores):
            msg = (
                f"combine(): {name} is a TokenDistribution, DenseLogprobs or PrefixLogprobs "
                f"(a scorer's .next / .score / BytePrefix.at), got {a_type(m)}"
            )
            raise TypeError(msg)
    kinds = {type(m).__name__ for m in (expert, anti)}
    if len(kinds) > 1:
        msg = (
            "expert and anti must be of one kind (both DenseLogprobs, both PrefixLogprobs or "
            f"both TokenDistributions), got {' and '.join(sorted(kinds))}"
        )
        raise TypeError(msg)
    keys = {m.keys for m in (expert, anti) if isinstance(m, DenseLogprobs)}
    if len(keys) > 1:
        msg = "the dense expert and anti-expert must share one vocabulary (one tokenizer)"
        raise ValueError(msg)
    lengths = {"base": len(base), "expert": len(expert), "anti": len(anti)}
    if len(set(lengths.values())) != 1:
        msg = f"combine() needs aligned positions (one length), got {lengths}"
        raise ValueError(msg)


def combine(
    base: TokenDistribution,
    expert: TokenDistribution | DenseLogprobs | PrefixLogprobs,
    anti: TokenDistribution | DenseLogprobs | PrefixLogprobs,
    /,
    *,
    alpha: float = 1.0,
    support: Support = "union",
    floor: float | None = None,
) -> ProxyStep:
    r"""Proxy-tune the base's top-k with a small expert / anti-expert pair, position by position.

    `s(t) = l_B(t) + alpha·(l_E(t) - l_A(t))` on a candidate set keyed by token bytes, renormalised:
    `q(t) = exp(s(t)) / Σ_{u∈C} exp(s(u))`. A value a sparse model did not return is its cap
    (its least likely returned logprob). With dense small models (`DenseLogprobs`) the only
    unknowns are the base's values outside its top-k, each at most its cap `c_B`, and position
    `i` is certified exactly when the argmax `t*` was returned by the base and
    `s(t*) > c_B + alpha·max_{u∉S_B} Δ(u)`. With sparse small models an unseen value lies in
    `[floor, cap]`; `floor=None` assumes nothing, so no choice that a promotion of an unseen token
    could overturn is certified.

    Args:
        base: The base model's distribution (an API's top-k), `T` positions.
        expert: The tuned small model at the same positions: a `TokenDistribution` (top-k),
            `DenseLogprobs` (every token, the base's tokenizer) or `PrefixLogprobs` (another
            tokenizer: the byte-prefix logprob of each base candidate, `BytePrefix.at`; the
            candidates are then the base's, and an unseen base token's small values lie in
            `[floor, 0]`).
        anti: The untuned small model, the same kind as `expert`.
        alpha: The strength of the delta (1.0 is the paper's main setting).
        support: `"union"` (base + expert top-k; a dense expert contributes as many tokens as the
            base returned), `"base"` (the base's tokens only), or `"intersection"` (the tokens all
            three returned; a known-biased baseline, kept to reproduce it).
        floor: The lowest logprob a sparse small model's unseen token is assumed to have (an
            explicit assumption, e.g. -30); `None` assumes nothing.

    Returns:
        A `ProxyStep`: the combined `distribution`, `certified`, `imputed_mass`,
        `base_coverage` and `changed`, each `(T,)`.

    Raises:
        ValueError: Positions that do not align, an unknown `support`, a non-finite `alpha`, a
            `floor` that is no logprob, a position where none of the base's returned tokens is
            in the dense scorer's vocabulary (another tokenizer: use `BytePrefix`) or valued
            by the `PrefixLogprobs`, or a position whose every candidate the small models mask
            (`-inf`).
        TypeError: The expert and the anti-expert of different kinds, or an `alpha` that is no
            number.

    Examples:
        >>> import tokenprobs as tp
        >>> from tokenprobs.testing import chat_completion
        >>> def one(*alts):
        ...     return tp.parse(chat_completion([(alts[0][0], alts[0][1], list(alts))]))
        >>> base = one(("Paris", -0.1), ("Lyon", -2.5))
        >>> expert = one(("Lyon", -0.2), ("Paris", -1.8))
        >>> anti = one(("Paris", -0.3), ("Lyon", -1.5))
        >>> step = combine(base, expert, anti)
        >>> step.distribution.tokens, step.certified.tolist(), step.imputed_mass.tolist()
        (['Lyon'], [False], [0.0])
    """
    _check(base, expert, anti, support=support, alpha=alpha, floor=floor)
    lo = -math.inf if floor is None else float(floor)
    cb = base.candidates
    dense = isinstance(expert, DenseLogprobs) and isinstance(anti, DenseLogprobs)
    keys = expert.keys if isinstance(expert, DenseLogprobs) else None
    columns = Columns()
    for i in range(len(base)):
        returned = b = _sparse(cb, i, -math.inf)
        lost = 0.0
        if isinstance(expert, DenseLogprobs):
            b, lost = _matched(b, expert.index)
        elif isinstance(expert, PrefixLogprobs):  # keys both small models valued
            b, lost = _matched(b, expert.rows[i].keys() & _row(anti, i).keys())
        if returned.row and not b.row:
            raise ValueError(_none_matched(list(returned.row), i, expert))
        e, a = (side(m, i, lo) for m in (expert, anti))
        names = _names(cb, i, expert)
        chosen = _candidates(support, b, e, a, keys)
        vals = [(b.value(k), e.value(k), a.value(k)) for k in chosen]
        s = np.array([vb.point + scaled(alpha, ve.point - va.point) for vb, ve, va in vals])
        chosen, vals, s = possible(chosen, vals, s, where=f"at position {i}")
        lq = log_normalised(s)
        q = np.exp(lq)
        best = int(np.argmax(s))
        imputed = np.array([vb.imputed or ve.imputed or va.imputed for vb, ve, va in vals])
        if dense:
            ok = _certified_dense(chosen[best], float(s[best]), alpha, b, e, a)
        else:
            ok = _certified_sparse(chosen[best], alpha, b, e, a, floor=lo)
        columns.add(chosen, names, lq, certified=ok, imputed=float(q[imputed].sum()))
        columns.changed.append(bool(b.row) and chosen[best] != next(iter(b.row)))
        columns.unmatched.append(lost)
    return ProxyStep(
        distribution=columns.distribution(),
        certified=readonly(np.array(columns.certified, dtype=np.bool_)),
        imputed_mass=readonly(np.array(columns.imputed, dtype=np.float64)),
        base_coverage=readonly(1.0 - np.asarray(cb.tail, dtype=np.float64)),
        unmatched_mass=readonly(np.array(columns.unmatched, dtype=np.float64)),
        changed=readonly(np.array(columns.changed, dtype=np.bool_)),
        support=support,
        alpha=float(alpha),
        floor=floor,
    )


def _matched(b: Side, index: Collection[bytes]) -> tuple[Side, float]:
    """The base without the tokens the dense vocabulary lacks; the bound raised to cover them."""
    lost = {k: v for k, v in b.row.items() if not k or k not in index}  # b"": no identity
    if not lost:
        return b, 0.0
    row = {k: v for k, v in b.row.items() if k not in lost}
    bound = max(b.cap, *lost.values())
    return Side(row, bound, b.floor, None, None), float(np.exp(list(lost.values())).sum())


def _none_matched(returned: list[bytes], i: int, expert: Scores) -> str:
    """Why no token the base returned at position `i` is left once the small pair's are matched."""
    if not any(returned):
        return (
            f"the base's returned tokens at position {i} all have no bytes (a server that "
            "decodes a partial UTF-8 character lossily sends none), so the small pair can value "
            "none of them: nothing is left to combine; ask a server that returns each token's "
            "bytes"
        )
    shown = [k for k in returned if k]
    named = ", ".join(repr(k) for k in shown[:3])
    if len(shown) > 3:  # noqa: PLR2004 - a few are enough to see the spellings
        named += f" and {len(shown) - 3} more"
    if isinstance(expert, DenseLogprobs):
        return (
            f"none of the base's returned tokens at position {i} ({named}) is a token of the "
            "dense scorer's vocabulary: the base's tokenizer is not the small pair's; value the "
            "base's tokens by their bytes with proxy.BytePrefix(scorer).at(context, base) "
            "(another tokenizer), or give a small pair with the base's tokenizer"
        )
    return (
        f"the small pair's byte-prefix values at position {i} hold none of the base's returned "
        f"tokens ({named}): build them from this base with BytePrefix.at(context, base); after "
        "a produced token with no bytes (a lossy string) the context is unknown and "
        "BytePrefix.at leaves the later positions empty"
    )


def _row(model: Scores, i: int) -> dict[bytes, float]:
    return model.rows[i] if isinstance(model, PrefixLogprobs) else {}


def side(model: Scores, i: int, floor: float) -> Side:
    if isinstance(model, DenseLogprobs):
        return Side({}, math.nan, floor, model.logprobs[i], model.index)
    if isinstance(model, PrefixLogprobs):  # a prefix probability is at most 1: cap 0
        return Side(model.rows[i], 0.0, floor, None, None)
    return _sparse(model.candidates, i, floor)


def _candidates(
    support: str, b: Side, e: Side, a: Side, keys: tuple[bytes, ...] | None
) -> list[bytes]:
    """The candidate set in a stable order: the base's tokens by its logprob, then the others."""
    base_keys = list(b.row)
    if not base_keys:
        msg = "the base returned no token at this position: nothing to combine"
        raise ValueError(msg)
    k = len(base_keys)
    if support == "base":
        return base_keys
    if support == "union":
        extra = [t for t in e.returned(k, keys) if t not in b.row]
        return base_keys + extra
    both = set(e.returned(k, keys)) & set(a.returned(k, keys))
    return [t for t in base_keys if t in both] or base_keys[:1]


def _certified_dense(  # noqa: PLR0917 - one private call site, the three sides in order
    best: bytes, score: float, alpha: float, b: Side, e: Side, a: Side
) -> bool:
    """Dense pair: only base values outside its top-k are unknown, each at most its cap."""
    if best not in b.row or e.dense is None or a.dense is None or e.index is None:
        return False
    with np.errstate(invalid="ignore"):  # a token both mask: NaN, steered to -inf as `scaled`
        delta = e.dense - a.dense
    index = e.index
    known = np.zeros(delta.shape[0], dtype=np.bool_)
    known[[index[k] for k in b.row]] = True
    for k, lb in b.row.items():  # the base's other returned tokens, exactly known
        if k != best and lb + scaled(alpha, float(delta[index[k]])) >= score:
            return False
    if known.all():
        return True
    steer = np.where(np.isnan(delta), -np.inf, delta * alpha)[~known] if alpha else np.zeros(1)
    return score > b.cap + float(steer.max())


def _certified_sparse(
    best: bytes, alpha: float, b: Side, e: Side, a: Side, *, floor: float
) -> bool:
    """Sparse pair: every unseen small-model value lies in [floor, cap]."""
    vb, ve, va = b.value(best), e.value(best), a.value(best)
    if vb.imputed:
        return False
    least, _ = bounds(alpha, vb, ve, va)
    others = {*b.row, *e.row, *a.row} - {best}
    for k in others:
        _, most = bounds(alpha, b.value(k), e.value(k), a.value(k))
        if most >= least:
            return False
    unseen = Value(b.cap, -math.inf, b.cap, imputed=True)
    _, rest = bounds(
        alpha,
        unseen,
        Value(e.cap, min(floor, e.cap), e.cap, imputed=True),
        Value(a.cap, min(floor, a.cap), a.cap, imputed=True),
    )
    return bool(rest < least)


def _names(cb: Candidates, i: int, expert: Scores) -> dict[bytes, str]:
    """Token strings for the keys: the base's spelling first, then the expert's."""
    out: dict[bytes, str] = {}
    sources = [cb, expert.candidates] if isinstance(expert, TokenDistribution) else [cb]
    for c in sources:
        for k, t in zip(c.keys(i), c.tokens(i), strict=True):
            out.setdefault(k, t)
    return out
