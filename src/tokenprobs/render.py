"""Views of a `TokenDistribution`: notebook HTML, terminal text, rich, matplotlib.

Pure functions; the models' `_repr_html_`, `to_text`, `__rich_console__` and `plot` delegate
here. rich and matplotlib are imported only inside the function that needs them.

Every view draws *cells*: a run of positions whose character spans overlap (a character split
over two tokens, such as an emoji or a Hangul syllable, is drawn once, spanning both). A cell is
coloured by the least certain of its positions, in one of seven bins of a viridis scale
(perceptually ordered and colour-blind safe); the most certain bin has no fill.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import numpy as np

from tokenprobs._cells import (
    _PALETTE,
    _TITLES,
    Mode,
    _alternatives,
    _bins,
    _cell_bin,
    _cells,
    _labels,
    _metric,
    _num,
    _pct,
    visible,
)
from tokenprobs._terminal import rich_console, to_text
from tokenprobs.exceptions import MissingDependencyError

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from tokenprobs.models import TokenDistribution, TokenLogprob

__all__ = ["Mode", "plot", "rich_console", "to_html", "to_text", "token_to_html"]


_CSS = "".join(
    [
        (
            ".tp-view{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;"
            "font-size:13px;line-height:1.9}"
        ),
        ".tp-text{white-space:pre-wrap;overflow-wrap:anywhere}",
        (
            ".tp-t{position:relative;border-radius:3px;padding:1px 0;cursor:default;"
            "box-shadow:inset 0 0 0 1px rgba(128,128,128,.35)}"
        ),
        ".tp-t:focus{outline:2px solid #e8590c;outline-offset:1px}",
        ".tp-na{box-shadow:none;outline:1px dashed rgba(128,128,128,.7)}",
        ".tp-w{opacity:.45}",
        # the alternatives live in an attribute and show through ::after: one element per token
        # and no scripts. Only hovered/focused tokens match an ::after rule, so the browser
        # builds no pseudo-element for the other 4,095 (this halves the load time).
        (
            ".tp-t:hover::after,.tp-t:focus::after{content:attr(data-p);display:block;"
            "position:absolute;left:0;top:100%;z-index:1000;white-space:pre;background:#1f1f1f;"
            "color:#f2f2f2;font-weight:normal;padding:4px 6px;border-radius:4px;font-size:12px;"
            "line-height:1.45;box-shadow:0 2px 8px rgba(0,0,0,.45)}"
        ),
        (
            ".tp-legend{display:flex;flex-wrap:wrap;gap:4px;align-items:center;margin:0 0 6px;"
            "font-size:12px}"
        ),
        (
            ".tp-legend>span{padding:0 5px;border-radius:3px;"
            "box-shadow:inset 0 0 0 1px rgba(128,128,128,.35)}"
        ),
        ".tp-legend>.tp-lt{box-shadow:none;padding-left:0}",
    ]
    + [
        f".tp-b{k}{{background:{c[0]};color:{c[1]}}}"
        for k, c in enumerate(_PALETTE)
        if c is not None
    ]
)


def _e(s: str) -> str:
    return html.escape(s.encode("utf-8", "replace").decode("utf-8"), quote=True)


def _html_text(text: str) -> str:
    """A cell's text: whitespace-only runs and newlines get a faint visible mark."""
    if not text:
        return '<span class="tp-w">∅</span>'
    if text.strip(" \t") == "":
        return f'<span class="tp-w">{_e(visible(text))}</span>'
    out = []
    for k, line in enumerate(text.split("\n")):
        if k:
            out.append('<span class="tp-w">↵</span>\n')
        out.append(_e(line))
    return "".join(out)


def _popup(d: TokenDistribution, i: int, stats: NDArray[np.float64]) -> str:
    """Position `i` as plain-text lines: a header, then one line per alternative."""
    entropy, margin, tail = (float(v) for v in stats[i])
    lines = [
        (
            f"#{i} {visible(d.tokens[i])} · p {_pct(float(d.probs[i]))} · "
            f"logprob {_num(float(d.logprobs[i]))}"
        ),
        f"H {_num(entropy)} nats · margin {_num(margin)} · tail {_pct(tail)}",
    ]
    if not d.top_tokens[i]:
        lines.append("no alternatives returned")
        return "\n".join(lines)
    for sampled, p, lp, tok in _alternatives(d, i):
        pct = f"{p * 100:.2f}%" if 5e-5 <= p < 0.99995 else _pct(p)  # noqa: PLR2004
        num = f"{lp:.3f}" if lp <= -1e-3 else _num(lp)  # noqa: PLR2004
        lines.append(f"{'▸' if sampled else ' '} {pct:>7} {num:>8}  {visible(tok)}")
        if sampled and not d.sampled_in_top[i]:
            lines[-1] += "  (sampled, not in top-k)"
    return "\n".join(lines)


def _html_legend(mode: Mode) -> str:
    swatches = [f'<span class="tp-lt">{_e(_TITLES[mode])}</span>']
    for k, label in enumerate(_labels(mode)):
        swatches.append(f'<span class="tp-b{k}">{_e(label)}</span>')
    swatches.append(
        '<span class="tp-lt tp-w">· hover or focus (Tab) a token for alternatives</span>'
    )
    return '<div class="tp-legend">' + "".join(swatches) + "</div>"


def to_html(d: TokenDistribution, *, mode: Mode = "prob", standalone: bool = False) -> str:
    """The notebook view: tokens coloured by `mode`, alternatives on hover and keyboard focus.

    Self-contained (inline CSS, no scripts, no external resources), so it works where notebooks
    strip scripts. Every token is HTML-escaped. Each drawn cell is one `span.tp-t` element with
    `tabindex="0"`; a character split over several tokens is one cell listing all of them.

    Args:
        d: The distribution to draw.
        mode: What the colour encodes: `"prob"` (the sampled token's probability), `"entropy"`
            (of the renormalised top-k) or `"margin"` (p(top1) - p(top2)).
        standalone: Return a whole HTML page (with a restrictive Content-Security-Policy)
            rather than a fragment.

    Returns:
        The HTML, as a string.

    Raises:
        ValueError: `mode` is not one of the three above.
    """
    bins = _bins(d, mode)
    stats = np.stack([_metric(d, "entropy"), _metric(d, "margin"), _metric(d, "tail_mass")], 1)
    text = d.text
    parts = [f'<div class="tp-view" data-mode="{mode}"><style>{_CSS}</style>', _html_legend(mode)]
    parts.append('<div class="tp-text">')
    for start, stop, c0, c1 in _cells(d.char_spans()):
        k = _cell_bin(bins, start, stop)
        cls = "tp-na" if k < 0 else f"tp-b{k}"
        pos = str(start) if stop - start == 1 else f"{start}-{stop - 1}"
        popup = "\n────\n".join(_popup(d, i, stats) for i in range(start, stop))
        parts.append(
            f'<span class="tp-t {cls}" tabindex="0" data-pos="{pos}" data-p="{_e(popup)}">'
            f"{_html_text(text[c0:c1])}</span>"
        )
    parts.append("</div></div>")
    body = "".join(parts)
    if not standalone:
        return body
    title = _e(f"tokenprobs · {d.source} · {len(d)} tokens")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{title}</title>"
        "<style>:root{color-scheme:light dark}body{margin:2em;max-width:60em}</style>"
        f"</head><body>\n{body}\n</body></html>\n"
    )


def token_to_html(t: TokenLogprob) -> str:
    """The notebook view of one token and its alternatives (see `to_html`)."""
    from tokenprobs.models import TokenDistribution  # noqa: PLC0415 - models imports us lazily

    d = TokenDistribution.from_columns(
        source="token",
        tokens=[t.token],
        token_bytes=[t.bytes],
        logprobs=[t.logprob],
        top_tokens=[[a.token for a in t.top_logprobs]],
        top_bytes=[[a.bytes for a in t.top_logprobs]],
        top_logprobs_flat=[a.logprob for a in t.top_logprobs],
    )
    return to_html(d)


# --- terminal -------------------------------------------------------------------------------


def plot(d: TokenDistribution, *, ax: Any = None, max_labels: int = 40) -> Any:  # noqa: ANN401 - matplotlib is optional
    """Probability (bars) and entropy (line, right axis) per position.

    Args:
        d: The distribution to plot.
        ax: The matplotlib Axes to draw on (default: a new figure's).
        max_labels: Label the x axis with the tokens when there are at most this many.

    Returns:
        The Axes holding the probabilities (the entropy is on its twin).

    Raises:
        MissingDependencyError: matplotlib is not installed.
    """
    try:
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError:
        feature = "TokenDistribution.plot()"
        raise MissingDependencyError(feature, "matplotlib", "plot") from None
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6.0, min(len(d), max_labels) * 0.3), 3.0))
    x = np.arange(len(d))
    ax.bar(x, d.probs, color=_PALETTE[2][0], label="p(sampled)")  # type: ignore[index]
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("p(sampled token)")
    ax.set_xlabel("position")
    twin = ax.twinx()
    twin.plot(x, d.entropy, color=_PALETTE[5][0], marker=".", label="entropy")  # type: ignore[index]
    twin.set_ylabel("entropy of the top-k (nats)")
    if 0 < len(d) <= max_labels:
        ax.set_xticks(x, [visible(t) for t in d.tokens], rotation=90)
    return ax
