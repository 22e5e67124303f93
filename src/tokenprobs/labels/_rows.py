"""The label results of many rows at once: the arithmetic of `Labels._result` on whole arrays.

Rows whose answer position needs no sampled-path correction (the chain rule) are all computed
together here; `Labels._read` builds only the others one at a time.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from tokenprobs import metrics
from tokenprobs.labels._result import CLOSED, LabelResult

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["plain_results", "tails_at"]


def tails_at(supports: list[NDArray[np.float64]]) -> NDArray[np.float64]:
    """`TokenDistribution.tail_mass` at each row's answer position, in one call for all rows."""
    width = max((len(s) for s in supports), default=0)
    stacked = np.full((len(supports), width), -np.inf)
    for r, s in enumerate(supports):
        stacked[r, : len(s)] = s
    return metrics.tail_mass(stacked) if width else np.ones(len(supports))


def plain_results(
    names: tuple[str, ...],
    positions: list[int],
    *,
    raw: NDArray[np.float64],
    lo: NDArray[np.float64],
    amb_mass: NDArray[np.float64],
    amb_sets: list[frozenset[int]],
    blank: NDArray[np.float64],
    none: NDArray[np.float64],
    tail: NDArray[np.float64],
    multi: NDArray[np.bool_],
) -> list[LabelResult]:
    """`Labels._result` for many rows without a sampled-path correction, as whole-array steps.

    The same arithmetic as `_result` and `build`, row for row (elementwise, so the same
    numbers), with only the `LabelResult`s built one by one.
    """
    n, c = raw.shape
    member = np.zeros((len(amb_sets), c))
    for a, s in enumerate(amb_sets):
        member[a, list(s)] = 1.0
    amb_mass = np.where(amb_mass > 0, amb_mass, 0.0)
    raw, lo = np.maximum(raw, 0.0), np.maximum(lo, 0.0)
    hi = raw + (blank + tail)[:, None] + amb_mass @ member
    hi = np.minimum(hi, 1.0 - (lo.sum(axis=1, keepdims=True) - lo))
    hi = np.clip(np.maximum(hi, lo), 0.0, 1.0)
    lo = np.minimum(lo, 1.0)
    close = np.all(np.abs(raw - lo) <= 1e-12 + 1e-5 * np.abs(lo), axis=1)  # np.allclose's
    all_seen = ~(amb_mass > 0).any(axis=1) & np.all(raw > 0, axis=1) & close
    exact = np.all(hi - lo <= CLOSED, axis=1)
    total = raw.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        probs = np.where(total > 0, raw / np.where(total > 0, total, 1.0), np.nan)
    defined: NDArray[np.bool_] = np.logical_not(np.isnan(probs).any(axis=1))
    top = np.argmax(np.where(defined[:, None], probs, 0.0), axis=1) if c else np.zeros(n, int)
    if c > 1:
        ranked = -np.sort(-np.where(defined[:, None], probs, 0.0), axis=1)
        margin = ranked[:, 0] - ranked[:, 1]
    else:
        margin = probs[:, 0] if c else np.full(n, np.nan)
    margin = np.where(defined, margin, np.nan)
    unmatched = blank + none
    amb_rows = [np.flatnonzero(row) for row in amb_mass > 0]
    return [
        LabelResult(
            labels=names,
            probs=dict(zip(names, p, strict=True)),
            raw=dict(zip(names, w, strict=True)),
            unmatched=u,
            ambiguous=math.fsum(amb_mass[r, a] for a in amb_rows[r]),
            ambiguous_sets={
                frozenset(names[k] for k in amb_sets[a]): float(amb_mass[r, a]) for a in amb_rows[r]
            },
            tail=t,
            bounds={k: (a, b) for k, a, b in zip(names, lo_r, hi_r, strict=True)},
            exact=e,
            position=pos,
            label=names[j] if ok else None,
            margin=m,
            multi_token=frozenset(names[k] for k in np.flatnonzero(multi[r])),
            all_seen=s,
        )
        for r, (pos, p, w, u, t, lo_r, hi_r, e, s, j, ok, m) in enumerate(
            zip(
                positions,
                probs.tolist(),
                raw.tolist(),
                unmatched.tolist(),
                tail.tolist(),
                lo.tolist(),
                hi.tolist(),
                exact.tolist(),
                all_seen.tolist(),
                top.tolist(),
                defined.tolist(),
                margin.tolist(),
                strict=True,
            )
        )
    ]
