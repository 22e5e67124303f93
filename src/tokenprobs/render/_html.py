"""`to_html`: the notebook view, self-contained HTML with CSS-only popups (no script)."""

from __future__ import annotations

import html
import math
import re
from typing import TYPE_CHECKING

import numpy as np

from tokenprobs._said import a_type, check_flag
from tokenprobs.models import TokenDistribution, TokenLogprob
from tokenprobs.models._expect import expect_distribution
from tokenprobs.render._cells import (
    ALPHA,
    COOL,
    EMPTY,
    TEXT_MARKED,
    WARM,
    Mode,
    alternative_rows,
    bin_labels,
    canonical_mode,
    cell_shade,
    group_cells,
    metric,
    mode_bins,
    mode_title,
    num,
    pct,
    plural,
    shade_names,
    short_pct,
    shortened,
    visible,
)

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["HTMLView", "to_html", "token_to_html"]

_POPUP_FONT_PX = 12
_POPUP_LINE = 1.45
_POPUP_PAD_PX = 12  # 4 px padding and a 1 px border above and below, and 2 px to spare
_POPUP_TOKEN = 40
"""Characters of a token a popup line shows: a longer one (a server may send 2,000 characters,
or a run of 300 newlines) is cut there and its length said, so the popup stays a few lines tall
(the view's text shows the sampled token whole, the Playground's panel every alternative)."""
_POPUP_WRAP = 60
"""Characters a popup line holds (a 450 px view): a longer line is reserved room for the lines
it wraps to (a token cut at `_POPUP_TOKEN` makes a line of about 70)."""


def _rgba(rgb: tuple[int, int, int], alpha: float) -> str:
    return f"rgba({rgb[0]},{rgb[1]},{rgb[2]},{alpha:g})"


def _shade_css() -> str:
    """One rule per shade: the fill's opacity grows with the level; solid fills set the text."""
    rules = []
    for prefix, rgb, ink in (("w", WARM, "#000"), ("c", COOL, "#fff")):
        for level in range(1, 7):
            alpha = ALPHA[level]
            if alpha < 1:
                rules.append(f".tpv .{prefix}{level}{{background:{_rgba(rgb, alpha)}}}")
            else:
                solid = "#{:02x}{:02x}{:02x}".format(*rgb)
                rules.append(
                    f".tpv .{prefix}{level}{{background:{solid};color:{ink};font-weight:700}}"
                )
    return "".join(rules)


_CSS = "".join(
    [
        (
            ".tpv{position:relative;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"
            "monospace;font-size:13px;line-height:1.9;text-align:left}"
        ),
        ".tpv .tx{white-space:pre-wrap;overflow-wrap:anywhere}",
        (
            ".tpv [data-p]{border-radius:3px;padding:1px 0;cursor:default;"
            "box-shadow:inset 0 0 0 1px rgba(128,128,128,.35)}"
        ),
        ".tpv [data-p]:focus{outline:2px solid #0072b2;outline-offset:1px}",
        ".tpv .na{box-shadow:none;outline:1px dashed rgba(128,128,128,.7)}",
        ".tpv .z{opacity:.45}",
        ".tpv .sp{opacity:.5;font-style:italic;box-shadow:none}",
        # The alternatives live in an attribute and show through ::after: one element per token,
        # no scripts, and only a hovered/focused token builds a pseudo-element. Tokens are not
        # positioned, so the popup's containing block is the view itself: `left:0` and
        # `max-width:100%` keep it inside the view's width, and with `top` left auto it opens
        # just below the token's line (its static position). The view reserves room below the
        # text (padding-bottom, the tallest popup's height) for the last line's popups, so no
        # popup ever leaves the view's box: nothing an ancestor clips (Jupyter's output area
        # has overflow auto/hidden; VS Code sizes each output to its content).
        (
            ".tpv [data-p]:hover::after,.tpv [data-p]:focus::after{content:attr(data-p);"
            "display:block;position:absolute;left:0;z-index:1000;box-sizing:border-box;"
            "width:max-content;max-width:100%;white-space:pre-wrap;overflow-wrap:anywhere;"
            "background:#1f1f1f;color:#f2f2f2;font-weight:400;padding:4px 6px;border-radius:4px;"
            "border:1px solid #8c8c8c;"
            f"font-size:{_POPUP_FONT_PX}px;line-height:{_POPUP_LINE};"
            "box-shadow:0 2px 6px rgba(0,0,0,.45)}"
        ),
        (
            ".tpv .lg{display:flex;flex-wrap:wrap;gap:4px;align-items:center;margin:0 0 6px;"
            "font-size:12px}"
        ),
        (
            ".tpv .lg>span{padding:0 5px;border-radius:3px;"
            "box-shadow:inset 0 0 0 1px rgba(128,128,128,.35)}"
        ),
        ".tpv .lg>.lt{box-shadow:none;padding-left:0}",
        _shade_css(),
    ]
)


class HTMLView(str):
    """The HTML of a view: a `str`, which a notebook displays as the view itself.

    Returned by `to_html` and `TokenDistribution.view`; everything a string does still works
    (writing it to a file, `in`, slicing), and Jupyter and VS Code call `_repr_html_`.
    """

    __slots__ = ()

    def _repr_html_(self) -> str:
        return str(self)


def _e(s: str) -> str:
    return html.escape(s.encode("utf-8", "replace").decode("utf-8"), quote=True)


_MARKED = re.compile(f"([{TEXT_MARKED}]+)")


def _html_text(text: str) -> str:
    r"""A cell's text: whitespace-only runs, newlines and what the page would obey or hide marked.

    Each gets a faint visible mark. A bidi override or isolate is drawn as its escape
    (`\u202e`), not obeyed: in the page it would reorder every cell after it. A carriage return
    is `␍`: the page would read it as one more line break. Other control characters (`\x1b`,
    a NUL, which the HTML parser drops), line separators and lone surrogates are their escapes:
    the page would draw nothing, and a cell of nothing cannot be hovered.
    """
    if not text:
        return f'<span class="z">{EMPTY}</span>'
    if text.strip(" \t") == "":
        return f'<span class="z">{_e(visible(text))}</span>'
    out = []
    for k, line in enumerate(text.split("\n")):
        if k:
            out.append('<span class="z">↵</span>\n')
        for j, piece in enumerate(_MARKED.split(line)):
            out.append(f'<span class="z">{_e(visible(piece))}</span>' if j % 2 else _e(piece))
    return "".join(out)


def _popup(d: TokenDistribution, i: int, stats: NDArray[np.float64]) -> list[str]:
    """Position `i` as plain-text lines: a header, then one line per alternative."""
    entropy, margin, tail = (float(v) for v in stats[i])
    lines = [
        (
            f"#{i} {_short(d.tokens[i])}  p {pct(float(d.probs[i]))}  "
            f"logprob {num(float(d.logprobs[i]))}"
        ),
        f"H {num(entropy)} nats  margin {num(margin)}  tail {short_pct(tail)}",
    ]
    if not d.top_tokens[i]:
        lines.append("no alternatives returned")
        return lines
    for sampled, p, _, tok in alternative_rows(d, i):
        line = f"{'▸' if sampled else ' '}{short_pct(p):>5} {_short(tok)}"
        if sampled and not d.sampled_in_top[i]:
            line += "  (not in top-k)"
        lines.append(line)
    return lines


def _short(token: str) -> str:
    """`visible(token)`, cut to `_POPUP_TOKEN` characters with the token's length after it."""
    return shortened(token, _POPUP_TOKEN)


def _height(lines: list[str]) -> int:
    """The lines a popup takes: each line, and the lines a long one wraps to."""
    return sum(max(1, math.ceil(len(line) / _POPUP_WRAP)) for line in lines)


def _html_legend(mode: str) -> str:
    swatches = [f'<span class="lt">{_e(mode_title(mode))}</span>']
    for shade, label in zip(shade_names(mode), bin_labels(mode), strict=True):
        cls = f' class="{shade}"' if shade else ""
        swatches.append(f"<span{cls}>{_e(label)}</span>")
    swatches.append('<span class="lt z">· hover or focus (Tab) a token for its alternatives</span>')
    return '<div class="lg">' + "".join(swatches) + "</div>"


def _reserve_px(lines: int) -> int:
    """The height of a popup of `lines` lines (one more for a line that wraps)."""
    return math.ceil((lines + 1) * _POPUP_FONT_PX * _POPUP_LINE + _POPUP_PAD_PX)


def to_html(
    d: TokenDistribution, *, mode: Mode | str = "least-likely", standalone: bool = False
) -> HTMLView:
    """The notebook view: shaded tokens, each one's alternatives on hover and keyboard focus.

    Self-contained (one `<style>`, no scripts, no external resources), so it works where
    notebooks strip scripts. Every token is HTML-escaped. Each drawn cell is one
    `span[tabindex=0]` whose `data-p` holds its popup; a character split over several tokens is
    one cell listing all of them. The popup opens below the token's line, inside room the view
    reserves below its text, so no output area clips it (see docs/views.md).

    Args:
        d: The distribution to draw.
        mode: What stands out: `"least-likely"` (default: the less probable the sampled token,
            the stronger its fill), `"most-likely"` (the more probable, the stronger),
            `"full-spectrum"` (vermillion for unlikely, blue for likely), `"entropy"` (of the
            renormalised top-k: the higher, the stronger) or `"margin"` (p(top1) - p(top2):
            the smaller, the stronger). `"prob"` is the old name of `"least-likely"`.
        standalone: Return a whole HTML page (with a restrictive Content-Security-Policy)
            rather than a fragment.

    Returns:
        The HTML: a `str` that a notebook displays as the view.

    Raises:
        ValueError: `mode` is not one of the above.
        TypeError: `d` is not a `TokenDistribution` (`tp.parse` the response first), or
            `standalone` is not a bool.
    """
    d = expect_distribution(d, "to_html(d)")
    name = canonical_mode(mode)
    check_flag(standalone, "standalone", "a whole page, or a fragment")
    bins, shades = mode_bins(d, name), shade_names(name)
    stats = np.stack([metric(d, "entropy"), metric(d, "margin"), metric(d, "tail_mass")], 1)
    text = d.text
    cells, tallest = [], 0
    for start, stop, c0, c1 in group_cells(d.char_spans()):
        shade = cell_shade(d, bins, shades, start, stop)
        lines = [line for i in range(start, stop) for line in [*_popup(d, i, stats), "────"]][:-1]
        tallest = max(tallest, _height(lines))
        cls = f' class="{shade}"' if shade else ""
        cells.append(
            f'<span tabindex="0"{cls} data-p="{_e(chr(10).join(lines))}">'
            f"{_html_text(text[c0:c1])}</span>"
        )
    body = (
        f'<div class="tpv" data-mode="{name}" style="padding-bottom:{_reserve_px(tallest)}px">'
        f"<style>{_CSS}</style>{_html_legend(name)}"
        f'<div class="tx">{"".join(cells)}</div></div>'
    )
    if not standalone:
        return HTMLView(body)
    # the source is the caller's (`from_columns(source=...)`): shown, not obeyed, as in the text
    title = _e(f"tokenprobs · {visible(d.source, keep=' ')} · {plural(len(d), 'token')}")
    return HTMLView(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{title}</title>"
        "<style>:root{color-scheme:light dark}body{margin:2em;max-width:60em}</style>"
        f"</head><body>\n{body}\n</body></html>\n"
    )


def token_to_html(t: TokenLogprob) -> HTMLView:
    """The notebook view of one token and its alternatives (see `to_html`).

    Raises:
        TypeError: `t` is not a `TokenLogprob` (a position, `d[i]`; a whole distribution is
            drawn by `to_html`).
    """
    given: object = t  # typed, but called with what users pass
    if not isinstance(given, TokenLogprob):
        whole = (
            "; a whole distribution is drawn by to_html(d)"
            if isinstance(given, TokenDistribution)
            else ""
        )
        msg = (
            f"token_to_html(t) takes a TokenLogprob (a position, d[i]): got {a_type(given)}{whole}"
        )
        raise TypeError(msg)
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
