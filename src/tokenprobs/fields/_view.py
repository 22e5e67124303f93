"""Views of `FieldConfidences`: the JSON as written, each value coloured by its probability.

Pure functions of the result; the colour goes from clear (p = 1) to red as p falls, on a log
scale (`-log10 p`, saturating at p = 1e-3), so 0.9 and 0.99 look different.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

from tokenprobs._optional import require

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tokenprobs.fields._result import FieldConfidence, FieldConfidences

__all__ = ["strength", "to_html", "to_rich", "to_text"]

_SATURATE = 3.0


def strength(p: float) -> float:
    """How strongly to colour a value of probability `p`: 0 at p = 1, 1 at p <= 1e-3."""
    if not p > 0:
        return 1.0
    return min(1.0, max(0.0, -math.log10(p) / _SATURATE))


def _segments(fc: FieldConfidences) -> Iterator[tuple[str, FieldConfidence | None]]:
    a, b = fc.document
    text = fc.text
    at = a
    for leaf in fc:
        s, e = leaf.char_span
        if s > at:
            yield text[at:s], None
        yield text[s:e], leaf
        at = e
    if b > at:
        yield text[at:b], None


def _label(leaf: FieldConfidence) -> str:
    forced = " (forced)" if leaf.forced else ""
    bound = "≤ " if not leaf.exact else ""
    return (
        f"{leaf.pointer or '/'}: p {bound}{leaf.prob:.4g}{forced}, min token p {leaf.min_prob:.3g}"
    )


def to_html(fc: FieldConfidences) -> str:
    """The document as `<pre>`, each value in a `<span>` shaded by its probability (tooltip)."""
    out = ['<pre class="tokenprobs-fields" style="white-space: pre-wrap; line-height: 1.5">']
    for text, leaf in _segments(fc):
        if leaf is None:
            out.append(html.escape(text))
            continue
        alpha = 0.08 + 0.72 * strength(leaf.prob)
        out.append(
            f'<span style="background: rgba(220, 50, 47, {alpha:.3f}); border-radius: 3px" '
            f'title="{html.escape(_label(leaf))}">{html.escape(text)}</span>'
        )
    out.append("</pre>")
    return "".join(out)


def _ansi(p: float) -> str:
    s = strength(p)
    g = round(255 * (1 - s))
    return f"\x1b[48;2;255;{g};{g}m\x1b[30m"


def to_text(fc: FieldConfidences, *, color: bool = True) -> str:
    """The document for a terminal: values on a background from white (sure) to red (ANSI).

    Without `color`, each value is followed by its probability in brackets.
    """
    out: list[str] = []
    for text, leaf in _segments(fc):
        if leaf is None:
            out.append(text)
        elif color:
            out.append(f"{_ansi(leaf.prob)}{text}\x1b[0m")
        else:
            out.append(f"{text}⟨{leaf.prob:.3g}⟩")
    return "".join(out)


def to_rich(fc: FieldConfidences) -> Any:  # noqa: ANN401 - rich is optional
    """The document as a `rich.text.Text`, values styled by their probability.

    Raises:
        MissingDependencyError: Without rich (`pip install 'pytokenprobs[rich]'`).
    """
    rich_text = require("rich.text", extra="rich", feature="the rich view of FieldConfidences")
    out = rich_text.Text()
    for text, leaf in _segments(fc):
        if leaf is None:
            out.append(text)
        else:
            g = round(255 * (1 - strength(leaf.prob)))
            out.append(text, style=f"black on rgb(255,{g},{g})")
    return out
