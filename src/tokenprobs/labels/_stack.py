"""Many distributions' positions stacked once, and the per-position terms the scores reduce.

`flatten` stacks every position of every distribution into flat arrays with a segment index
(which distribution a position belongs to); the `segment_*` reductions turn a per-position
array into one value per distribution with `np.bincount` (no Python loop over positions).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np

from tokenprobs import metrics
from tokenprobs._said import a_type, check_items
from tokenprobs.models import TokenDistribution

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "Flat",
    "Many",
    "flatten",
    "margins",
    "negentropies",
    "partial_entropy",
    "segment_mean",
    "segment_min",
    "segment_sum",
    "shaped",
]

Many = Sequence[TokenDistribution]
_MIN_K = 2  # 1 - H / log k needs k >= 2 members


@dataclass(frozen=True)
class Flat:
    """Many distributions' positions stacked: `(P,)` logprobs, `(P, K)` alternatives, segments."""

    n: int
    seg: NDArray[np.intp]
    logprobs: NDArray[np.float64]
    alts: NDArray[np.float64]
    sampled_outside: NDArray[np.float64]
    cap: NDArray[np.float64]
    """`(P,)`: each position's `Candidates.cap` (NaN where nothing was returned)."""


def flatten(ds: TokenDistribution | Many) -> tuple[Flat, bool]:
    """The positions of one or many distributions, stacked; and whether one was given."""
    one = isinstance(ds, TokenDistribution)
    given: object = ds
    if not one and (isinstance(given, str | bytes | Mapping) or not isinstance(given, Iterable)):
        msg = (
            f"expected a TokenDistribution or a list of them, got {a_type(given)}: "
            "`tp.parse(response)` makes one from a response"
        )
        raise TypeError(msg)
    items: list[object] = [ds] if isinstance(ds, TokenDistribution) else list(ds)
    check_items(
        items,
        TokenDistribution,
        lambda n: f"item {n}",
        ", not a TokenDistribution: filter failed requests out first, e.g. "
        "[d for d in ds if not isinstance(d, Exception)]",
    )
    return _stack(cast("list[TokenDistribution]", items)), one


def _stack(items: list[TokenDistribution]) -> Flat:
    lengths = np.fromiter((len(d) for d in items), dtype=np.intp, count=len(items))
    total = int(lengths.sum())
    width = max((d.support_logprobs.shape[1] - 1 for d in items), default=0)
    alts = np.full((total, width), -np.inf)
    outside = np.empty(total)
    logprobs = np.empty(total)
    cap = np.empty(total)
    start = 0
    for d in items:  # one slice copy per distribution, never per position
        end = start + len(d)
        sup = d.support_logprobs
        alts[start:end, : sup.shape[1] - 1] = sup[:, :-1]
        outside[start:end] = sup[:, -1]
        logprobs[start:end] = d.logprobs
        cap[start:end] = d.candidates.cap
        start = end
    seg = np.repeat(np.arange(len(items), dtype=np.intp), lengths)
    return Flat(len(items), seg, logprobs, alts, outside, cap)


def segment_mean(values: NDArray[np.float64], f: Flat) -> NDArray[np.float64]:
    """Per distribution, the mean of its positions' values (NaN left out; none: NaN)."""
    ok = ~np.isnan(values)
    total = np.bincount(f.seg[ok], weights=values[ok], minlength=f.n)
    count = np.bincount(f.seg[ok], minlength=f.n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def segment_sum(values: NDArray[np.float64], f: Flat) -> NDArray[np.float64]:
    """Per distribution, the sum of its positions' values (`-inf` wins; none: NaN)."""
    ok = ~np.isnan(values)
    total = np.bincount(
        f.seg[ok], weights=np.where(np.isinf(values[ok]), 0.0, values[ok]), minlength=f.n
    )
    minus_inf = np.bincount(f.seg[ok], weights=np.isneginf(values[ok]), minlength=f.n) > 0
    count = np.bincount(f.seg[ok], minlength=f.n)
    return np.where(count > 0, np.where(minus_inf, -np.inf, total), np.nan)


def segment_min(values: NDArray[np.float64], f: Flat) -> NDArray[np.float64]:
    """Per distribution, the least of its positions' values (NaN left out; none: NaN)."""
    ok = ~np.isnan(values)
    out = np.full(f.n, np.inf)
    np.minimum.at(out, f.seg[ok], values[ok])
    return np.where(np.isposinf(out), np.nan, out)


def negentropies(f: Flat, top_k: int | None) -> NDArray[np.float64]:
    r"""Per position $1 - \hat H_t / \log k$, NaN where the position has not exactly k members."""
    given: object = top_k
    if given is not None:
        if not isinstance(given, (int, np.integer)) or isinstance(given, bool):
            msg = f"top_k must be an int >= 2 (the top_logprobs asked for) or None, got {top_k!r}"
            raise TypeError(msg)
        if given < _MIN_K:
            msg = (
                f"top_k must be an int >= 2, got {given}: negentropy 1 - H / log k needs at least "
                "two alternatives (log 1 = 0); pass the top_logprobs asked for, or None"
            )
            raise ValueError(msg)
    members = np.sum(f.alts > -np.inf, axis=-1)
    if top_k is None:
        k = np.zeros(f.n, dtype=np.intp)
        np.maximum.at(k, f.seg, members)
        want = k[f.seg]
    else:
        want = np.full(f.seg.shape, top_k)
    h = metrics.entropy(f.alts) if f.alts.shape[1] else np.full(f.seg.shape, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        neg = 1.0 - h / np.log(np.maximum(members, 1))
    return np.where((members == want) & (members >= _MIN_K) & ~np.isnan(f.logprobs), neg, np.nan)


def partial_entropy(f: Flat) -> NDArray[np.float64]:
    r"""Per position $-\sum_{i \in S_t} p_i \log p_i$ over the distinct returned tokens $S_t$."""
    sup = np.concatenate([f.alts, f.sampled_outside[:, None]], axis=-1)
    member = sup > -np.inf
    p = np.exp(sup)
    terms = np.where(member, -p * np.where(member, sup, 0.0), 0.0)
    return np.where(member.any(axis=-1) & ~np.isnan(f.logprobs), terms.sum(axis=-1), np.nan)


def margins(f: Flat) -> NDArray[np.float64]:
    """Per position p(1) - p(2) over the alternatives; NaN with fewer than two."""
    if f.alts.shape[1] < 2:  # noqa: PLR2004 - the top two
        return np.full(f.seg.shape, np.nan)
    top2 = -np.sort(-f.alts, axis=-1)[:, :2]
    margin = np.where(top2[:, 1] > -np.inf, np.exp(top2[:, 0]) - np.exp(top2[:, 1]), np.nan)
    return np.where(np.isnan(f.logprobs), np.nan, margin)


def shaped(values: NDArray[np.float64], one: bool) -> float | NDArray[np.float64]:  # noqa: FBT001
    """A float for one distribution given, else the array."""
    return float(values[0]) if one else values
