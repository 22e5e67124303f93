"""The reliability diagram of label results (the `[plot]` extra)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from tokenprobs import metrics
from tokenprobs._optional import require
from tokenprobs._said import a_type
from tokenprobs.labels._calibrate import as_results
from tokenprobs.labels._targets import targets

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from numpy.typing import NDArray

    from tokenprobs.labels._result import LabelResult
    from tokenprobs.metrics import Binning

__all__ = ["reliability_diagram"]


def reliability_diagram(
    results: Iterable[LabelResult | Exception],
    y: Sequence[str | int] | NDArray[np.intp],
    /,
    *,
    bins: int = 10,
    binning: Binning = "width",
    ax: Any = None,  # noqa: ANN401 - a matplotlib Axes; matplotlib is optional
    label: str | None = None,
) -> Any:  # noqa: ANN401 - the matplotlib Axes
    """Accuracy against top-label confidence per bin, with the diagonal and the ECE.

    Draws bars of accuracy per bin (`metrics.reliability`) and the mean confidence as points;
    a calibrated model's bars follow the diagonal. Failed items are left out.

    Args:
        results: Label results (from `classify`, `probs_many` or a calibrator's `transform`).
        y: The true labels, names or indices, one per result.
        bins: The number of bins.
        binning: `"width"` or `"mass"`.
        ax: The matplotlib Axes to draw on (default: a new figure's).
        label: The legend label (default: "ECE = ...").

    Returns:
        The matplotlib Axes.

    Raises:
        MissingDependencyError: Without matplotlib (`pip install "pytokenprobs[plot]"`).
        TypeError: A true label is neither a label name nor an integer index, `ax` is no
            Axes or `label` no str.
        ValueError: `y` does not hold one true label per result, or names no label.
    """
    if ax is not None and not all(hasattr(ax, a) for a in ("bar", "plot", "set_xlim")):
        msg = (
            "reliability_diagram: ax is the matplotlib Axes to draw on (fig, ax = "
            f"plt.subplots()), or None for a new figure's; got {a_type(ax)}"
        )
        raise TypeError(msg)
    legend: object = label  # typed, but a caller may pass anything
    if legend is not None and not isinstance(legend, str):
        msg = (
            f"reliability_diagram: label is the legend's text, a str or None, got {a_type(legend)}"
        )
        raise TypeError(msg)
    plt = require("matplotlib.pyplot", extra="plot", feature="reliability_diagram")
    res = as_results(results)
    p = res.matrix("probs")
    target = targets(y, res.labels, count=len(res))
    ok = np.isfinite(p).all(axis=1)
    table = metrics.reliability(p[ok], target[ok], bins=bins, binning=binning)
    score = metrics.ece(p[ok], target[ok], bins=bins, binning=binning)
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4.5))
    edges = table.edges
    widths = np.diff(edges)
    filled = table.counts > 0
    ax.bar(
        edges[:-1][filled],
        table.accuracy[filled],
        width=widths[filled],
        align="edge",
        alpha=0.6,
        edgecolor="black",
        label=label or f"ECE = {score:.3f} (n = {int(ok.sum())})",
    )
    ax.plot(table.confidence[filled], table.accuracy[filled], "o", color="black", markersize=3)
    ax.plot([0, 1], [0, 1], "--", color="grey", linewidth=1)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (top label)")
    ax.set_ylabel("accuracy")
    ax.legend(loc="upper left")
    return ax
