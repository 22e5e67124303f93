"""What `Labels.probs` returns: one `LabelResult` per distribution, `LabelResults` for many."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, SupportsIndex, overload

import numpy as np

from tokenprobs._optional import require
from tokenprobs._said import a_type

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import NDArray

__all__ = ["CLOSED", "LabelResult", "LabelResults"]

CLOSED = 1e-6
"""The width under which a label's bounds count as closed (`LabelResult.exact`): the API's
rounding of logprobs leaves a tail of about this much where the returned tokens hold it all."""


@dataclass(frozen=True, slots=True)
class LabelResult:
    """The label probabilities at one answer position, with what top-k could not see.

    The masses add up: `sum(raw.values()) + ambiguous + unmatched + tail == 1` (up to the API's
    rounding), all raw probabilities, not renormalised.
    """

    labels: tuple[str, ...]
    """The label classes, in the order they were given."""
    probs: dict[str, float]
    """Normalised over the labels: `raw[k] / sum(raw)` (NaN when no mass matched a label)."""
    raw: dict[str, float]
    """The mass matched to each label: tokens that spell it, tokens that start only it, and
    along the sampled path the chain rule `p(t1) p(t2|t1) ...`."""
    unmatched: float
    """Returned mass that matches no label (`"The"`, `"**"`, whitespace-only tokens)."""
    ambiguous: float
    """Returned mass that could belong to several labels (see `ambiguous_sets`)."""
    ambiguous_sets: dict[frozenset[str], float]
    """The ambiguous mass by the set of labels it could belong to."""
    tail: float
    """Mass top-k could not see: the answer position's tail, plus, along a sampled multi-token
    label, each later position's tail times the path's probability."""
    bounds: dict[str, tuple[float, float]]
    """Per label, `[lo, hi]` on its true probability: `lo` counts only complete labels, `hi`
    adds prefixes, the ambiguous mass it shares, whitespace-only tokens and the tail (and a
    sampled path that stopped where the label could still have gone on)."""
    exact: bool
    """True when the bounds closed: `hi - lo <= CLOSED` (1e-6) for every label, so each label's
    probability is known, not only bounded. Top-k leaves them open wherever mass it could not
    place remains (the tail, a whitespace-only token, an ambiguous or undecided prefix); scoring
    calls and requested ids (`Labels.score`, `Labels.requested`) always close them."""
    position: int
    """The answer position the result was read at."""
    label: str | None
    """The most probable label (`None` when no mass matched a label)."""
    margin: float
    """`probs` of the most probable label minus the runner-up's (NaN with no label mass)."""
    multi_token: frozenset[str] = field(default_factory=frozenset)
    """Labels whose returned mass was only a prefix (not a single token for this model)."""
    all_seen: bool = False
    """True when the returned tokens settle every label they can: each label was seen complete,
    nothing is ambiguous, no prefix is left undecided (`raw == lo`). The tail and
    whitespace-only tokens may still hold more of a label, so the bounds can be open (`exact`
    False) while this is True."""

    @property
    def mass(self) -> float:
        """The matched label mass, `sum(raw)`: below ~0.5, `probs` is not to be trusted."""
        return math.fsum(self.raw.values())

    def __repr__(self) -> str:
        """The label, its probability and the matched mass."""
        shown = ", ".join(f"{k}={v:.3f}" for k, v in self.probs.items())
        return f"LabelResult(label={self.label!r}, probs={{{shown}}}, mass={self.mass:.3f})"


def build(
    labels: tuple[str, ...],
    raw: NDArray[np.float64],
    lo: NDArray[np.float64],
    hi: NDArray[np.float64],
    *,
    unmatched: float,
    ambiguous_sets: dict[frozenset[str], float],
    tail: float,
    position: int,
    all_seen: bool,
    multi_token: frozenset[str],
    probs: NDArray[np.float64] | None = None,
) -> LabelResult:
    """One `LabelResult` from its row of arrays (`exact` when the bounds closed)."""
    total = float(raw.sum())
    if probs is None:
        probs = raw / total if total > 0 else np.full(raw.shape, np.nan)
    if np.isnan(probs).any():
        label, margin = None, math.nan
    else:
        order = np.argsort(-probs, kind="stable")
        label = labels[int(order[0])]
        margin = float(probs[order[0]] - probs[order[1]]) if len(labels) > 1 else float(probs[0])
    return LabelResult(
        labels=labels,
        probs=dict(zip(labels, probs.tolist(), strict=True)),
        raw=dict(zip(labels, raw.tolist(), strict=True)),
        unmatched=unmatched,
        ambiguous=math.fsum(ambiguous_sets.values()),
        ambiguous_sets=ambiguous_sets,
        tail=tail,
        bounds={k: (a, b) for k, a, b in zip(labels, lo.tolist(), hi.tolist(), strict=True)},
        exact=bool(np.all(hi - lo <= CLOSED)),
        position=position,
        label=label,
        margin=margin,
        multi_token=multi_token,
        all_seen=all_seen,
    )


_MATRICES = ("probs", "raw", "lo", "hi")
"""What `LabelResults.matrix` lays out: a number per label."""


class LabelResults(list["LabelResult | Exception"]):
    """Results for many inputs, in input order; a failed input holds its exception in place."""

    def __init__(
        self, items: Iterable[LabelResult | Exception] = (), *, labels: tuple[str, ...]
    ) -> None:
        """Wrap `items` (results of one label set, `labels`).

        Raises:
            TypeError: If `items` is not an iterable of results, or `labels` not a tuple of str.
            ValueError: If an item is a result of other labels (`.matrix()` has one column per
                label of `labels`).
        """
        given: object = items  # typed, but a caller may pass anything
        if not isinstance(given, Iterable) or isinstance(given, str | bytes | Mapping):
            msg = f"LabelResults wraps a list of label results, got {a_type(given)}"
            raise TypeError(msg)
        names: object = labels
        if not isinstance(names, tuple) or not all(isinstance(n, str) for n in names):
            msg = f"LabelResults: labels is the tuple of label names, got {a_type(names)}"
            raise TypeError(msg)
        super().__init__(items)
        held: list[object] = list(self)  # typed, but a caller may pass anything
        for n, item in enumerate(held):
            if isinstance(item, LabelResult) and item.labels != labels:
                msg = (
                    f"LabelResults: item {n} is a result of the labels {list(item.labels)}, not "
                    f"of {list(labels)}: wrap the results of one label set"
                )
                raise ValueError(msg)
            if not isinstance(item, LabelResult | Exception):
                msg = (
                    f"LabelResults: item {n} is {a_type(item)}, not a LabelResult (or the "
                    "exception of a failed input)"
                )
                raise TypeError(msg)
        self.labels = labels

    @overload
    def __getitem__(self, index: SupportsIndex, /) -> LabelResult | Exception: ...
    @overload
    def __getitem__(self, index: slice, /) -> LabelResults: ...
    def __getitem__(
        self, index: SupportsIndex | slice, /
    ) -> LabelResult | Exception | LabelResults:
        """An item, or a slice as `LabelResults` of the same labels (`.matrix()` kept)."""
        if isinstance(index, slice):
            return LabelResults(super().__getitem__(index), labels=self.labels)
        return super().__getitem__(index)

    @property
    def ok(self) -> NDArray[np.bool_]:
        """Per item: True where it is a `LabelResult`, False where it is an exception."""
        return np.fromiter((isinstance(r, LabelResult) for r in self), dtype=bool, count=len(self))

    def matrix(self, what: str = "probs") -> NDArray[np.float64]:
        """`(N, C)` array of `"probs"`, `"raw"`, `"lo"` or `"hi"`; NaN rows for failed items.

        Raises:
            ValueError: If `what` is none of those (a per-result number such as `"tail"` is
                an attribute of each result, or a `to_pandas()` column).
        """
        given: object = what  # checked as a caller may pass anything
        if not isinstance(given, str) or given not in _MATRICES:
            msg = (
                f"matrix takes one of {list(_MATRICES)} (one column per label), got {what!r}; "
                "per-result values such as tail or label are columns of to_pandas()"
            )
            raise ValueError(msg)
        out = np.full((len(self), len(self.labels)), np.nan)
        for n, r in enumerate(self):
            if isinstance(r, LabelResult):
                if what in ("lo", "hi"):
                    j = 0 if what == "lo" else 1
                    out[n] = [r.bounds[k][j] for k in self.labels]
                else:
                    values = r.probs if what == "probs" else r.raw
                    out[n] = [values[k] for k in self.labels]
        return out

    def to_pandas(self) -> Any:  # noqa: ANN401 - pandas is optional
        """One row per input: label, margin, mass, exact, all_seen, tail, `p_`/`lo_`/`hi_`, error.

        The same columns of the same types whether every input was read, some or all failed, or
        there was none: numbers `float64` (NaN for a failed input), `exact` and `all_seen`
        nullable `boolean`, `position` nullable `Int64`, `label` and `error` strings.

        Raises:
            MissingDependencyError: Without pandas (`pip install 'pytokenprobs[pandas]'`).
        """
        pd = require("pandas", extra="pandas", feature="LabelResults.to_pandas")
        read = [r if isinstance(r, LabelResult) else None for r in self]

        def numbers(value: Callable[[LabelResult], float]) -> NDArray[np.float64]:
            return np.array([math.nan if r is None else value(r) for r in read], dtype=float)

        def flags(value: Callable[[LabelResult], bool]) -> Any:  # noqa: ANN401 - pandas'
            return pd.array([None if r is None else value(r) for r in read], dtype="boolean")

        columns: dict[str, Any] = {
            "label": pd.Series([None if r is None else r.label for r in read], dtype="str"),
            "margin": numbers(lambda r: r.margin),
            "mass": numbers(lambda r: r.mass),
            "unmatched": numbers(lambda r: r.unmatched),
            "ambiguous": numbers(lambda r: r.ambiguous),
            "tail": numbers(lambda r: r.tail),
            "exact": flags(lambda r: r.exact),
            "all_seen": flags(lambda r: r.all_seen),
            "position": pd.array([None if r is None else r.position for r in read], dtype="Int64"),
        }
        per_label = {what: self.matrix(what) for what in _MATRICES}  # NaN rows where failed
        for j, k in enumerate(self.labels):
            columns[f"p_{k}"] = per_label["probs"][:, j]
        for j, k in enumerate(self.labels):
            for what in ("raw", "lo", "hi"):
                columns[f"{what}_{k}"] = per_label[what][:, j]
        errors = [f"{type(r).__name__}: {r}" if isinstance(r, Exception) else None for r in self]
        columns["error"] = pd.Series(errors, dtype="str")
        return pd.DataFrame(columns)
