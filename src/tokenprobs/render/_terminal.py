"""The terminal views of a `TokenDistribution`: plain (optionally ANSI-coloured) text and rich.

A terminal has no transparency and may be light or dark, so the shades are drawn by *kind* of
emphasis, in an order that holds on both: a solid fill, a light fill, bold coloured text,
coloured text, underline, plain. Level 6 (the least likely token, by default) is bold black on
solid vermillion.
"""

from __future__ import annotations

import os
import shutil
import sys
import unicodedata
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from tokenprobs._optional import require
from tokenprobs._said import check_flag
from tokenprobs.models._expect import expect_distribution
from tokenprobs.render._cells import (
    Mode,
    alternative_rows,
    bin_labels,
    canonical_mode,
    cell_shade,
    check_count,
    check_top,
    group_cells,
    metric,
    metric_name,
    mode_bins,
    mode_title,
    mode_values,
    num,
    pct,
    plural,
    safe,
    shade_names,
    token_label,
    visible,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tokenprobs.models import TokenDistribution


class _Style(NamedTuple):
    bold: bool = False
    underline: bool = False
    italic: bool = False
    fg: str | None = None
    bg: str | None = None


_TOKEN_COLUMN = 24
"""The token column's widest: a longer token (a run of spaces in code) is cut with `…`."""
_ZERO_WIDTH = frozenset({"Mn", "Me", "Cf"})
"""Combining marks and format characters: they take no column of their own."""

_WARM, _WARM_LIGHT, _COOL, _COOL_LIGHT, _COOL_TEXT = (
    "#d55e00",
    "#eda46c",
    "#0072b2",
    "#7fb8d8",
    "#2a8ccc",
)


def _scale(name: str, *, strong: str, light: str, text: str, on_strong: str) -> dict[str, _Style]:
    """One colour's six shades, strongest first: solid, light fill, bold text, text, underline."""
    return {
        f"{name}6": _Style(bold=True, fg=on_strong, bg=strong),
        f"{name}5": _Style(fg="#000000", bg=light),
        f"{name}4": _Style(bold=True, fg=text),
        f"{name}3": _Style(fg=text),
        f"{name}2": _Style(underline=True),
        f"{name}1": _Style(),
    }


_STYLES: dict[str, _Style] = {
    **_scale("w", strong=_WARM, light=_WARM_LIGHT, text=_WARM, on_strong="#000000"),
    **_scale("c", strong=_COOL, light=_COOL_LIGHT, text=_COOL_TEXT, on_strong="#ffffff"),
    "": _Style(),
    "na": _Style(italic=True),
    "sp": _Style(italic=True, fg="#808080"),
}


def _rgb(color: str) -> str:
    n = int(color[1:], 16)
    return f"{n >> 16};{(n >> 8) & 255};{n & 255}"


def _ansi(shade: str) -> tuple[str, str]:
    """The escape that starts `shade` and the one that ends it (both empty for no style)."""
    s = _STYLES[shade]
    codes = [
        *(["1"] if s.bold else []),
        *(["3"] if s.italic else []),
        *(["4"] if s.underline else []),
        *([f"38;2;{_rgb(s.fg)}"] if s.fg else []),
        *([f"48;2;{_rgb(s.bg)}"] if s.bg else []),
    ]
    return (f"\x1b[{';'.join(codes)}m", "\x1b[0m") if codes else ("", "")


def _rich_style(shade: str) -> str:
    s = _STYLES[shade]
    words = [
        *(["bold"] if s.bold else []),
        *(["italic"] if s.italic else []),
        *(["underline"] if s.underline else []),
        *([s.fg] if s.fg else []),
        *([f"on {s.bg}"] if s.bg else []),
    ]
    return " ".join(words)


def color_allowed() -> bool:
    """Whether output to standard output is coloured: the informal standards, in CPython's order.

    `NO_COLOR` set and not empty (any value) turns colour off (no-color.org); else `FORCE_COLOR`
    set and not empty, whatever its value (`0` too, as force-color.org says and rich and CPython
    read it), turns it on, on a pipe or a dumb terminal too (Emacs' shell is one that shows
    colour); else `TERM=dumb` turns it off; else colour when standard output is a terminal.
    """
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM", "").lower() == "dumb":
        return False
    return sys.stdout.isatty()


def _width(s: str) -> int:
    """The columns `s` takes: two for a wide character, none for a combining mark."""
    return sum(map(_char_width, s))


def _char_width(c: str) -> int:
    if unicodedata.category(c) in _ZERO_WIDTH:
        return 0
    return 2 if unicodedata.east_asian_width(c) in "WF" else 1


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


def _least_certain(d: TokenDistribution, mode: str, top: int) -> list[int]:
    values = mode_values(d, mode)
    order = -values if metric_name(mode) == "entropy" else values
    if canonical_mode(mode) == "most-likely":
        order = -order
    keep = np.flatnonzero(~np.isnan(order))
    chosen = keep[np.argsort(order[keep], kind="stable")[:top]]
    return sorted(int(i) for i in chosen)


def _rows(d: TokenDistribution, mode: str, top: int) -> list[tuple[str, str, str, str, str]]:
    """`(pos, token, prob, logprob, alternatives)` for the `top` positions the mode picks."""
    rows = []
    for i in _least_certain(d, mode, top):
        alts = "  ".join(
            f"{'▸' if s else ''}{token_label(t)} {pct(p)}"
            for s, p, _, t in alternative_rows(d, i)
            if d.top_tokens[i]
        )
        tail = float(metric(d, "tail_mass")[i])
        alts += f"  (tail {pct(tail)})" if d.top_tokens[i] else "\u2014"
        rows.append(
            (
                str(i),
                token_label(d.tokens[i]),
                pct(float(d.probs[i])),
                num(float(d.logprobs[i])),
                alts,
            )
        )
    return rows


def _header(d: TokenDistribution) -> str:
    """`chat · gpt-4o-mini · 9 tokens · top-2`, and `refusal` when the model refused.

    The model name is the server's: its control characters are shown, not obeyed.
    """
    k = d.top_logprobs.shape[1] if d.top_logprobs.ndim == 2 else 0  # noqa: PLR2004
    names = [visible(name, keep=" ") for name in (d.source, d.model) if name]
    head = [*names, plural(len(d), "token"), f"top-{k}"]
    if d.refusal:
        head.append("refusal")
    return " · ".join(head)


def _table_title(d: TokenDistribution, mode: str, rows: int) -> str:
    which = "most likely" if canonical_mode(mode) == "most-likely" else "least certain"
    by = {"prob": "probability"}.get(metric_name(mode), metric_name(mode))
    return f"{rows} {which} of {plural(len(d), 'position')} (by {by})"


def to_text(
    d: TokenDistribution,
    *,
    color: bool | None = None,
    mode: Mode | str = "least-likely",
    top: int = 5,
    width: int | None = None,
) -> str:
    """The terminal view: a summary line, the text, and the least certain positions.

    Args:
        d: The distribution to show.
        color: Colour the tokens with ANSI escapes. `None` decides as the `tokenprobs` command
            does: off when `NO_COLOR` is set, on when `FORCE_COLOR` is, else off for
            `TERM=dumb` and when standard output is not a terminal.
        mode: What stands out and which positions the table lists, as in
            `tokenprobs.render.to_html` (`"most-likely"` lists the most probable).
        top: How many positions to list with their alternatives.
        width: Cut table lines to this many columns, at least 1 (default `None`: the
            terminal's width).

    Returns:
        The view as lines, ending with a newline.

    Raises:
        ValueError: `mode` is not a mode, `top` is negative or `width` is below 1.
        TypeError: `d` is not a `TokenDistribution` (`tp.parse` the response first), `top` or
            `width` is not an int, or `color` is not True, False or None.
    """
    d = expect_distribution(d, "to_text(d)")
    name = canonical_mode(mode)
    top = check_top(top)
    check_flag(color, "color", "colour the tokens with ANSI escapes", none="decides")
    if width is not None:
        width = check_count(width, "width", "the columns a table line may take", least=1)
    if color is None:
        color = color_allowed()
    width = width or shutil.get_terminal_size((100, 24)).columns
    lines = [_header(d), ""]
    if color:
        bins, shades, text, out = mode_bins(d, name), shade_names(name), d.text, []
        for start, stop, c0, c1 in group_cells(d.char_spans()):
            on, off = _ansi(cell_shade(d, bins, shades, start, stop))
            out.append("\n".join(on + p + off if p else p for p in safe(text[c0:c1]).split("\n")))
        lines.append("".join(out))
        legend = " ".join(
            f"{_ansi(s)[0]} {label} {_ansi(s)[1]}"
            for s, label in zip(shades, bin_labels(name), strict=True)
        )
        lines += ["", f"{mode_title(name)}: {legend}"]
    else:
        lines.append(safe(d.text))
    rows = _rows(d, name, top)
    if rows:
        header = ("pos", "token", "prob", "logprob", "alternatives")
        tokens = [_fit(r[1], _TOKEN_COLUMN) for r in [header, *rows]]
        tw = max(map(_width, tokens))
        pw = max([5, *(len(r[0]) for r in rows)])  # position 100,000 and on: still one column
        lines += ["", f"{_table_title(d, name, len(rows))}:"]
        for r, token in zip([header, *rows], tokens, strict=True):
            line = (
                f"{r[0]:>{pw}}  {token}{' ' * (tw - _width(token))}  {r[2]:>7}  {r[3]:>8}  {r[4]}"
            )
            lines.append(_fit(line.rstrip(), width))
    return "\n".join(lines) + "\n"


def to_rich(d: TokenDistribution, *, mode: Mode | str = "least-likely", top: int = 5) -> Any:  # noqa: ANN401 - rich is optional
    """The rich view, as one renderable: the header line, the shaded text, a legend, a table.

    The same layout as `to_text` in every mode; `console.print(to_rich(d, top=10))`.

    Raises:
        MissingDependencyError: rich is not installed.
        ValueError: `mode` is not a mode, or `top` is negative.
        TypeError: `d` is not a `TokenDistribution` (`tp.parse` the response first), or `top`
            is not an int.
    """
    name = canonical_mode(mode)
    top = check_top(top)
    feature = "the rich view"
    Group = require("rich.console", extra="rich", feature=feature).Group  # noqa: N806 - a class
    Table = require("rich.table", extra="rich", feature=feature).Table  # noqa: N806 - a class
    Text = require("rich.text", extra="rich", feature=feature).Text  # noqa: N806 - a class
    d = expect_distribution(d, "to_rich(d)")
    bins, shades, text, out = mode_bins(d, name), shade_names(name), d.text, Text()
    for start, stop, c0, c1 in group_cells(d.char_spans()):
        out.append(safe(text[c0:c1]), style=_rich_style(cell_shade(d, bins, shades, start, stop)))
    legend = Text()
    legend.append(f"{mode_title(name)}: ", style="dim")
    for shade, label in zip(shades, bin_labels(name), strict=True):
        legend.append(f" {label} ", style=_rich_style(shade))
        legend.append(" ")
    parts: list[Any] = [Text(_header(d)), Text(""), out, Text(""), legend]
    rows = _rows(d, name, top)
    if rows:
        table = Table(title=_table_title(d, name, len(rows)), title_justify="left")
        columns = [("pos", "right"), ("token", "left"), ("prob", "right"), ("logprob", "right")]
        for col, justify in [*columns, ("alternatives", "left")]:
            table.add_column(col, justify=justify)
        for row in rows:
            table.add_row(*map(Text, row))  # as text: a token's `[/]` is not rich markup
        parts += [Text(""), table]
    return Group(*parts)


def rich_console(d: TokenDistribution, console: Any, options: Any) -> Iterator[Any]:  # noqa: ANN401 - rich is optional
    """Yield the rich view (`to_rich` with its defaults): what `rich.print(d)` shows.

    rich itself honours `NO_COLOR` and non-terminal output.

    Raises:
        MissingDependencyError: rich is not installed.
    """
    del console, options
    yield to_rich(d)
