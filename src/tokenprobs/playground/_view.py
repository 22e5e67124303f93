"""The page's view of a distribution: `render.to_html`, cut into cells the page can stream.

The playground draws exactly what the notebook view draws. `to_html` gives one `div.tpv` holding
a style, a legend and a `div.tx` of cells, one `span[tabindex]` per cell; `ViewFrames` keeps the
cells it has sent and, for each new state of a growing answer, sends only the cells that changed
(usually the last one) and the new ones, so a 4,096-token answer never re-sends, or makes the
browser re-build, what it already shows.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tokenprobs import render
from tokenprobs.playground._fork import position_problem, whole_text

if TYPE_CHECKING:
    from tokenprobs.models import TokenDistribution

__all__ = ["ViewFrames", "cell_starts", "position_panel", "split_view"]

_TEXT_OPEN = '<div class="tx">'
_TEXT_CLOSE = "</div></div>"
_CELL = '<span tabindex="0"'
"""How every cell opens. Inside a cell, token text and popups are escaped (`<` is `&lt;`), so
this string marks cell boundaries and nothing else."""


def split_view(html: str) -> tuple[str, list[str], str]:
    """`to_html`'s fragment as `(head, cells, tail)`; `head + "".join(cells) + tail == html`.

    Raises:
        ValueError: The HTML is not a `to_html` fragment (the renderer's markup changed).
    """
    open_at = html.find(_TEXT_OPEN)
    if open_at < 0 or not html.endswith(_TEXT_CLOSE):
        msg = "not a render.to_html fragment: no div.tx of cells"
        raise ValueError(msg)
    head_end = open_at + len(_TEXT_OPEN)
    body = html[head_end : len(html) - len(_TEXT_CLOSE)]
    parts = body.split(_CELL)
    if parts[0]:
        msg = "not a render.to_html fragment: text outside the cells"
        raise ValueError(msg)
    return html[:head_end], [_CELL + p for p in parts[1:]], _TEXT_CLOSE


def cell_starts(d: TokenDistribution) -> list[int]:
    """The first position of each drawn cell (positions whose characters overlap share one).

    The renderer's rule (see `tokenprobs.render`): a cell runs on while the next position starts
    before the cell's last character ends.
    """
    spans = d.char_spans()
    starts: list[int] = []
    end = -1
    for i in range(len(d)):
        lo, hi = int(spans[i, 0]), int(spans[i, 1])
        if not starts or lo >= end:
            starts.append(i)
            end = hi
        else:
            end = max(end, hi)
    return starts


@dataclass
class ViewFrames:
    """What one branch's view in the page holds, and the change that brings it to a new state.

    Each frame renders only the positions from the last cell on (`to_html` of that slice, its
    popups' position numbers shifted to the answer's), so a frame costs what is new, not the
    whole answer: the last cell is re-drawn because the next token may complete its character.
    The result is the view `to_html` draws of the whole answer, cell for cell (a test checks it).
    """

    mode: str = "least-likely"
    head: str = ""
    cells: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)

    def frame(self, d: TokenDistribution) -> dict[str, object]:
        """The change from what was sent to the view of `d` (what was sent, and more), as fields.

        `cut` is the number of cells kept, `cells` the cells that follow them, `starts` each new
        cell's first position, `n` the positions drawn, and `head` the view's opening markup when
        it changed (else None).
        """
        keep = max(0, len(self.cells) - 1)
        offset = self.starts[keep] if self.cells else 0
        if offset > len(d):
            keep = offset = 0
        part = d[offset:]
        head, cells, _ = split_view(render.to_html(part, mode=self.mode))
        if offset:
            cells = [_renumber(c, offset) for c in cells]
        new_cells = self.cells[:keep] + cells
        new_starts = self.starts[:keep] + [s + offset for s in cell_starts(part)]
        cut = keep
        limit = min(len(new_cells), len(self.cells))
        while cut < limit and new_cells[cut] == self.cells[cut]:
            cut += 1
        head = _taller(self.head, head) if keep else head
        changed_head = head if head != self.head else None
        self.head, self.cells, self.starts = head, new_cells, new_starts
        return {
            "head": changed_head,
            "tail": _TEXT_CLOSE,
            "cut": cut,
            "cells": new_cells[cut:],
            "starts": new_starts[cut:],
            "n": len(d),
        }


_NUMBER = re.compile(r"(^|\n)#(\d+) ")
"""A popup's position header: first in the popup, or after a newline (no other popup line starts
with `#`: alternatives start with a space or the sampled mark)."""
_POPUP = 'data-p="'
_RESERVE = re.compile(r"padding-bottom:(\d+)px")


def _renumber(cell: str, offset: int) -> str:
    """The cell with its popup's position numbers shifted by `offset` (its text untouched).

    The popup is the `data-p` attribute, escaped: it ends at the first `"` after it opens.
    """
    start = cell.index(_POPUP) + len(_POPUP)
    end = cell.index('"', start)
    popup = _NUMBER.sub(lambda m: f"{m[1]}#{int(m[2]) + offset} ", cell[start:end])
    return cell[:start] + popup + cell[end:]


def _taller(old: str, new: str) -> str:
    """The head that reserves more room below the text (the view's tallest popup so far)."""
    a, b = _RESERVE.search(old), _RESERVE.search(new)
    if a is None or b is None:
        return new
    return old if int(a[1]) >= int(b[1]) else new


def _p(logprob: float) -> float | None:
    return None if math.isnan(logprob) else math.exp(min(logprob, 0.0))


def position_panel(d: TokenDistribution, i: int) -> dict[str, object]:
    """Position `i` for the page's alternatives panel (the page escapes it: textContent).

    `tail` is the mass the returned tokens leave (`d.tail_mass`: what the top-k could not
    see, as the popup's `tail`), None where it is undefined.
    """
    why = position_problem(d, i)
    tail = float(d.tail_mass[i])
    sampled = int(d.candidates.sampled[i])
    alternatives = []
    for j, token in enumerate(d.top_tokens[i]):
        alternatives.append(
            {
                "j": j,
                "token": render.visible(token),
                "p": _p(float(d.top_logprobs[i, j])),
                "sampled": j == sampled and bool(d.candidates.in_top[i]),
                # whole_text None (half a character) or "" (no text): nothing to force
                "branch": why is None and bool(whole_text(token, d.top_bytes[i][j])),
            }
        )
    return {
        "i": i,
        "token": render.visible(d.tokens[i]),
        "p": _p(float(d.logprobs[i])),
        "in_top": bool(d.candidates.in_top[i]),
        "tail": None if math.isnan(tail) else tail,
        "alternatives": alternatives,
        "why": why,  # why no alternative here can be forced (None: each says, `branch`)
    }
