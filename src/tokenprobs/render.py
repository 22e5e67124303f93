"""Views of a `TokenDistribution`: notebook HTML, terminal text, rich, matplotlib.

Pure functions; the models' `_repr_html_`, `to_text`, `__rich_console__` and `plot` delegate
here. rich and matplotlib are imported only inside the function that needs them.

Every view draws *cells*: a run of positions whose character spans overlap (a character split
over two tokens, such as an emoji or a Hangul syllable, is drawn once, spanning both). A cell is
coloured by the least certain of its positions, in one of seven bins of a viridis scale
(perceptually ordered and colour-blind safe); the most certain bin has no fill.
"""

from __future__ import annotations

import functools
import html
import itertools
import math
import os
import shutil
import sys
import unicodedata
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from tokenprobs.exceptions import MissingDependencyError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from numpy.typing import NDArray

    from tokenprobs.models import TokenDistribution, TokenLogprob

__all__ = ["Mode", "plot", "rich_console", "to_html", "to_text", "token_to_html"]

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


def _color_allowed() -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _fit(s: str, width: int) -> str:
    if _width(s) <= width:
        return s
    out, used = [], 0
    for c in s:
        w = _width(c)
        if used + w > width - 1:
            break
        out.append(c)
        used += w
    return "".join(out) + "…"


def _least_certain(d: TokenDistribution, mode: Mode, top: int) -> list[int]:
    values = _values(d, mode)
    order = -values if mode == "entropy" else values
    keep = np.flatnonzero(~np.isnan(order))
    chosen = keep[np.argsort(order[keep], kind="stable")[:top]]
    return sorted(int(i) for i in chosen)


def _rows(d: TokenDistribution, mode: Mode, top: int) -> list[tuple[str, str, str, str, str]]:
    """`(pos, token, prob, logprob, alternatives)` for the `top` least certain positions."""
    rows = []
    for i in _least_certain(d, mode, top):
        alts = "  ".join(
            f"{'▸' if s else ''}{visible(t)} {_pct(p)}"
            for s, p, _, t in _alternatives(d, i)
            if d.top_tokens[i]
        )
        tail = float(_metric(d, "tail_mass")[i])
        alts += f"  (tail {_pct(tail)})" if d.top_tokens[i] else "\u2014"
        rows.append(
            (
                str(i),
                visible(d.tokens[i]),
                _pct(float(d.probs[i])),
                _num(float(d.logprobs[i])),
                alts,
            )
        )
    return rows


def _ansi(k: int) -> tuple[str, str]:
    colors = _PALETTE[k] if k >= 0 else None
    if colors is None:
        return ("\x1b[4m", "\x1b[0m") if k < 0 else ("", "")
    bg, fg = (int(c[1:], 16) for c in colors)
    rgb = [(bg >> 16, (bg >> 8) & 255, bg & 255), (fg >> 16, (fg >> 8) & 255, fg & 255)]
    return ("\x1b[48;2;{};{};{}m\x1b[38;2;{};{};{}m".format(*rgb[0], *rgb[1]), "\x1b[0m")


def to_text(
    d: TokenDistribution,
    *,
    color: bool | None = None,
    mode: Mode = "prob",
    top: int = 5,
    width: int | None = None,
) -> str:
    """The terminal view: a summary line, the text, and the least certain positions.

    Args:
        d: The distribution to show.
        color: Colour the tokens with ANSI escapes. `None` decides: off when `NO_COLOR` is set
            or standard output is not a terminal.
        mode: What the colour and the choice of "least certain" use: `"prob"`, `"entropy"` or
            `"margin"`.
        top: How many of the least certain positions to list with their alternatives.
        width: Cut table lines to this many columns (default: the terminal's width).

    Returns:
        The view as lines, ending with a newline.
    """
    if color is None:
        color = _color_allowed()
    width = width or shutil.get_terminal_size((100, 24)).columns
    width_k = d.top_logprobs.shape[1] if d.top_logprobs.ndim == 2 else 0  # noqa: PLR2004
    head = [d.source, *([d.model] if d.model else []), f"{len(d)} tokens", f"top-{width_k}"]
    if d.refusal:
        head.append("refusal")
    lines = [" · ".join(head), ""]
    if color:
        bins, text, out = _bins(d, mode), d.text, []
        for start, stop, c0, c1 in _cells(d.char_spans()):
            on, off = _ansi(_cell_bin(bins, start, stop))
            out.append("\n".join(on + p + off if p else p for p in _safe(text[c0:c1]).split("\n")))
        lines.append("".join(out))
        legend = " ".join(
            f"{_ansi(k)[0]} {label} {_ansi(k)[1]}" for k, label in enumerate(_labels(mode))
        )
        lines += ["", f"{_TITLES[mode]}: {legend}"]
    else:
        lines.append(_safe(d.text))
    rows = _rows(d, mode, top)
    if rows:
        header = ("pos", "token", "prob", "logprob", "alternatives")
        tw = max(_width(r[1]) for r in [header, *rows])
        lines += ["", f"{len(rows)} least certain of {len(d)} positions (by {mode}):"]
        for r in [header, *rows]:
            line = f"{r[0]:>5}  {r[1]}{' ' * (tw - _width(r[1]))}  {r[2]:>7}  {r[3]:>8}  {r[4]}"
            lines.append(_fit(line.rstrip(), width))
    return "\n".join(lines) + "\n"


def rich_console(d: TokenDistribution, console: Any, options: Any) -> Iterator[Any]:  # noqa: ANN401 - rich is optional
    """Yield rich renderables: the coloured text, a legend and a table of the least certain.

    rich itself honours `NO_COLOR` and non-terminal output.

    Raises:
        MissingDependencyError: rich is not installed.
    """
    del console, options
    try:
        from rich.table import Table  # noqa: PLC0415
        from rich.text import Text  # noqa: PLC0415
    except ImportError:
        feature = "the rich view"
        raise MissingDependencyError(feature, "rich", "rich") from None
    mode: Mode = "prob"
    bins, text, out = _bins(d, mode), d.text, Text()
    for start, stop, c0, c1 in _cells(d.char_spans()):
        k = _cell_bin(bins, start, stop)
        colors = _PALETTE[k] if k >= 0 else None
        style = f"{colors[1]} on {colors[0]}" if colors else ("underline" if k < 0 else "")
        out.append(text[c0:c1], style=style)
    yield out
    legend = Text()
    legend.append(f"{_TITLES[mode]}: ", style="dim")
    for k, label in enumerate(_labels(mode)):
        colors = _PALETTE[k]
        legend.append(f" {label} ", style=f"{colors[1]} on {colors[0]}" if colors else "")
        legend.append(" ")
    yield legend
    table = Table(title=f"least certain of {len(d)} positions", title_justify="left")
    columns = [("pos", "right"), ("token", "left"), ("prob", "right"), ("logprob", "right")]
    for name, justify in [*columns, ("alternatives", "left")]:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in _rows(d, mode, 5):
        table.add_row(*row)
    yield table


# --- plots ----------------------------------------------------------------------------------


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
