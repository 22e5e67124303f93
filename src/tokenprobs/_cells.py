"""What every view of a `TokenDistribution` shares: cells, colour bins, labels, alternatives.

A *cell* is a run of positions whose character spans overlap (a character split over two
tokens, such as an emoji or a Hangul syllable, is drawn once, spanning both). A cell is coloured
by the least certain of its positions, in one of seven bins of a viridis scale (perceptually
ordered and colour-blind safe); the most certain bin has no fill.
"""

from __future__ import annotations

import functools
import itertools
import math
import unicodedata
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from tokenprobs.models import TokenDistribution

Mode = Literal["prob", "entropy", "margin"]


# bin 0 is the least certain; the last bin (most certain) has no fill: (background, text)
_PALETTE: tuple[tuple[str, str] | None, ...] = (
    ("#440154", "#ffffff"),
    ("#414487", "#ffffff"),
    ("#2a788e", "#ffffff"),
    ("#22a884", "#000000"),
    ("#7ad151", "#000000"),
    ("#fde725", "#000000"),
    None,
)
# bin edges, ascending; for entropy a higher value is less certain
_EDGES: dict[str, tuple[float, ...]] = {
    "prob": (0.1, 0.25, 0.5, 0.75, 0.9, 0.99),
    "margin": (0.1, 0.25, 0.5, 0.75, 0.9, 0.99),
    "entropy": (0.05, 0.2, 0.5, 1.0, 1.5, 2.0),
}
_TITLES = {
    "prob": "p(sampled token)",
    "entropy": "entropy of the top-k (nats)",
    "margin": "margin p(top1) - p(top2)",
}
_VISIBLE = {" ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍"}


def _values(d: TokenDistribution, mode: Mode) -> NDArray[np.float64]:
    if mode not in _EDGES:
        msg = f"`mode` must be one of 'prob', 'entropy', 'margin' (got {mode!r})"
        raise ValueError(msg)
    values: NDArray[np.float64] = {"prob": d.probs, "entropy": d.entropy, "margin": d.margin}[mode]
    return values


def _bins(d: TokenDistribution, mode: Mode) -> NDArray[np.intp]:
    """Per position: 0 (least certain) to 6 (most certain), -1 where the value is undefined."""
    values = _values(d, mode)
    bins = np.digitize(np.nan_to_num(values, nan=0.0), _EDGES[mode])
    if mode == "entropy":
        bins = len(_EDGES[mode]) - bins
    return np.where(np.isnan(values), -1, bins).astype(np.intp)


def _fmt_edge(x: float, mode: Mode) -> str:
    return f"{x * 100:g}%" if mode == "prob" else f"{x:g}"


def _labels(mode: Mode) -> list[str]:
    edges = _EDGES[mode]
    fmt = functools.partial(_fmt_edge, mode=mode)
    inner = [f"{fmt(a)}\u2013{fmt(b)}" for a, b in itertools.pairwise(edges)]
    labels = [f"<{fmt(edges[0])}", *inner, f"≥{fmt(edges[-1])}"]
    return labels[::-1] if mode == "entropy" else labels


def _cells(spans: NDArray[np.intp]) -> list[tuple[int, int, int, int]]:
    """Group positions whose spans overlap: `(first, last + 1, char_start, char_end)` per cell."""
    cells = []
    i, n = 0, len(spans)
    while i < n:
        j, end = i + 1, int(spans[i, 1])
        while j < n and spans[j, 0] < end:
            end = max(end, int(spans[j, 1]))
            j += 1
        cells.append((i, j, int(spans[i, 0]), end))
        i = j
    return cells


def _cell_bin(bins: NDArray[np.intp], start: int, stop: int) -> int:
    group = bins[start:stop]
    defined = group[group >= 0]
    return int(defined.min()) if defined.size else -1


@functools.lru_cache(maxsize=4096)
def visible(token: str, *, keep: str = "") -> str:
    r"""A token with its whitespace and control characters made visible (`" a\n"` → `"␣a↵"`).

    Characters in `keep` pass through unchanged.
    """
    out = []
    for ch in token:
        if ch in keep:
            out.append(ch)
        elif ch in _VISIBLE:
            out.append(_VISIBLE[ch])
        elif unicodedata.category(ch) in {"Cc", "Cs"}:
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")  # noqa: PLR2004
        else:
            out.append(ch)
    return "".join(out)


def _safe(text: str) -> str:
    """Text for a terminal: control characters (escape sequences) shown, not obeyed."""
    return visible(text, keep=" \n\t")


def _metric(d: TokenDistribution, name: str) -> NDArray[np.float64]:
    """`d.<name>`, or NaN everywhere while `tokenprobs.metrics` cannot compute it."""
    try:
        values: NDArray[np.float64] = getattr(d, name)
    except NotImplementedError:
        return np.full(len(d), np.nan)
    return values


def _pct(p: float) -> str:
    if math.isnan(p):
        return "n/a"
    if 0 < p < 5e-5:  # noqa: PLR2004
        return "<0.01%"
    if 0.99995 <= p < 1:  # noqa: PLR2004
        return ">99.99%"
    return f"{p * 100:.2f}%"


def _num(x: float) -> str:
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return "-inf" if x < 0 else "inf"
    return f"{x:.3f}" if x == 0 or abs(x) >= 1e-3 else f"{x:.1e}"  # noqa: PLR2004


def _alternatives(d: TokenDistribution, i: int) -> list[tuple[bool, float, float, str]]:
    """`(is_sampled, prob, logprob, token)` per returned alternative.

    The sampled token is added at the end when it is not among them.
    """
    count = len(d.top_tokens[i])
    lps = d.top_logprobs[i, :count]
    probs = np.exp(np.minimum(lps, 0.0))
    tok, tb = d.tokens[i], d.token_bytes[i]
    rows = [
        (t == tok and (tb is None or b is None or b == tb), float(p), float(lp), t)
        for t, b, p, lp in zip(d.top_tokens[i], d.top_bytes[i], probs, lps, strict=True)
    ]
    if not d.sampled_in_top[i]:
        rows.append((True, float(d.probs[i]), float(d.logprobs[i]), tok))
    return rows


# --- HTML -----------------------------------------------------------------------------------
