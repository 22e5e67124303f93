"""The terminal views of a `TokenDistribution`: plain (optionally ANSI-coloured) text and rich."""

from __future__ import annotations

import os
import shutil
import sys
import unicodedata
from typing import TYPE_CHECKING, Any

import numpy as np

from tokenprobs.exceptions import MissingDependencyError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tokenprobs.models import TokenDistribution

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
    _safe,
    _values,
    visible,
)


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
