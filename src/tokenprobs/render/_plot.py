"""`plot`: probability bars shaded as the notebook view, and the entropy line (`[plot]` extra)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from tokenprobs._optional import require
from tokenprobs._said import a_type
from tokenprobs.models._expect import expect_distribution
from tokenprobs.render._cells import (
    ALPHA,
    COOL,
    WARM,
    Mode,
    bin_labels,
    canonical_mode,
    check_count,
    mode_bins,
    mode_title,
    shade_names,
    shortened,
)

if TYPE_CHECKING:
    from tokenprobs.models import TokenDistribution

__all__ = ["plot"]

_LABEL = 20
"""Characters of a token an axis label shows: a longer one (a server may send 2,000) is cut there
with its length said, or its label alone would make the figure thousands of pixels tall."""


def _bar_color(shade: str) -> str | tuple[float, float, float, float]:
    """A bar's colour: the shade's fill, or a light grey where the view has none."""
    if not shade or shade == "na":
        return "#c8c8c8"
    rgb = WARM if shade[0] == "w" else COOL
    return (rgb[0] / 255, rgb[1] / 255, rgb[2] / 255, max(ALPHA[int(shade[1])], 0.2))


def plot(
    d: TokenDistribution,
    *,
    mode: Mode | str = "least-likely",
    ax: Any = None,  # noqa: ANN401 - matplotlib is optional
    max_labels: int = 40,
) -> Any:  # noqa: ANN401 - matplotlib is optional
    """Probability (bars, shaded as the notebook view) and entropy (line, right axis).

    Args:
        d: The distribution to plot.
        mode: What the bars' colour shows, as in `to_html` (default `"least-likely"`: the
            less probable, the stronger the vermillion; confident bars are light grey).
        ax: The matplotlib Axes to draw on (default: a new figure's).
        max_labels: Label the x axis with the tokens when there are at most this many (an int,
            at least 0; 0 labels none). A token over 20 characters is labelled by its first 20
            and its length, `xxxx… (3,000 characters)`.

    Returns:
        The Axes holding the probabilities (the entropy is on its twin).

    Raises:
        MissingDependencyError: matplotlib is not installed.
        ValueError: `mode` is not a mode, or `max_labels` is negative.
        TypeError: `d` is not a `TokenDistribution` (`tp.parse` the response first),
            `max_labels` is not an int, or `ax` is not a matplotlib Axes.
    """
    d = expect_distribution(d, "plot(d)")
    name = canonical_mode(mode)
    max_labels = check_count(max_labels, "max_labels", "the most tokens to label", least=0)
    feature = "TokenDistribution.plot()"
    plt = require("matplotlib.pyplot", extra="plot", feature=feature)
    Patch = require("matplotlib.patches", extra="plot", feature=feature).Patch  # noqa: N806 - a class
    Axes = require("matplotlib.axes", extra="plot", feature=feature).Axes  # noqa: N806 - a class
    if ax is not None and not isinstance(ax, Axes):
        msg = f"`ax` must be a matplotlib Axes (or None for a new figure), got {a_type(ax)}"
        raise TypeError(msg)
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6.0, min(len(d), max_labels) * 0.3), 3.0))
    x = np.arange(len(d))
    shades = shade_names(name)
    bins = mode_bins(d, name)
    colors = [_bar_color("na" if k < 0 else shades[k]) for k in bins]
    ax.bar(x, d.probs, color=colors, edgecolor="#808080", linewidth=0.5)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("p(sampled token)")
    ax.set_xlabel("position")
    twin = ax.twinx()
    twin.plot(x, d.entropy, color="#404040", marker=".", linewidth=1, label="entropy")
    twin.set_ylabel("entropy of the top-k (nats)")
    if 0 < len(d) <= max_labels:
        # parse_math off: a token such as "$$" or "$x^2$" is a label, not mathtext to typeset
        labels = [shortened(t, _LABEL) for t in d.tokens]
        ax.set_xticks(x, labels, rotation=90, parse_math=False)
    handles = [
        Patch(facecolor=_bar_color(s), edgecolor="#808080", label=label)
        for s, label in zip(shades, bin_labels(name), strict=True)
    ]
    ax.legend(
        handles=handles,
        title=mode_title(name),
        fontsize="x-small",
        title_fontsize="x-small",
        loc="upper left",
        bbox_to_anchor=(1.08, 1.0),
    )
    return ax
