"""What every view of a `TokenDistribution` shares: cells, modes, shades, labels, alternatives.

A *cell* is a run of positions whose character spans overlap (a character split over two
tokens, such as an emoji or a Hangul syllable, is drawn once, spanning both). A cell falls in
one of seven bins of its least certain position (0 the least certain, 6 the most), and the
*mode* gives each bin a *shade*: doubt is what stands out by default (`"least-likely"`: no fill
for a confident token, a stronger warm fill as the probability drops). Shades vary in strength,
not in hue, so they read without colour vision and on light and dark backgrounds alike.
"""

from __future__ import annotations

import functools
import itertools
import math
import unicodedata
from typing import TYPE_CHECKING, Literal

import numpy as np

from tokenprobs._said import a_value

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from tokenprobs.models import TokenDistribution

Mode = Literal["least-likely", "most-likely", "full-spectrum", "entropy", "margin", "prob"]
"""What the colour shows; `"prob"` is the old name of `"least-likely"` (still accepted)."""
MODES: tuple[str, ...] = ("least-likely", "most-likely", "full-spectrum", "entropy", "margin")
"""The canonical modes; spaces or underscores may stand for the hyphens (`"least likely"`)."""
_ALIASES = {"prob": "least-likely"}

# The shade of each bin (0 = least certain ... 6 = most certain): "w1" to "w6" a warm
# (vermillion) highlight of growing strength, "c1" to "c6" a cool (blue) one, "" none.
_DOUBT = ("w6", "w5", "w4", "w3", "w2", "w1", "")
_SHADES: dict[str, tuple[str, ...]] = {
    "least-likely": _DOUBT,
    "most-likely": ("", "c1", "c2", "c3", "c4", "c5", "c6"),
    "full-spectrum": ("w6", "w4", "w2", "", "c2", "c4", "c6"),
    "entropy": _DOUBT,
    "margin": _DOUBT,
}
_METRIC = {
    "least-likely": "prob",
    "most-likely": "prob",
    "full-spectrum": "prob",
    "entropy": "entropy",
    "margin": "margin",
}
WARM = (213, 94, 0)
"""Okabe-Ito vermillion: the highlight of doubt."""
COOL = (0, 114, 178)
"""Okabe-Ito blue: the highlight of confidence (`"most-likely"`, `"full-spectrum"`)."""
ALPHA = (0.0, 0.08, 0.18, 0.3, 0.44, 0.6, 1.0)
"""The opacity of shade level 0 (none) to 6 (solid) over the page's own background."""
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
# Control characters (escape sequences), surrogates, format characters (bidi controls, zero-width
# ones, tags) and line/paragraph separators: what a token must not hide or have obeyed.
_HIDDEN = frozenset({"Cc", "Cs", "Cf", "Zl", "Zp"})
# The bidi embeddings, overrides and isolates: in running text they reorder what follows them
# (the "Trojan Source" characters); the other format characters (joiners) shape text and stay.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_TEXT_HIDDEN = frozenset({"Cc", "Cs", "Zl", "Zp"})
TEXT_MARKED = "\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff" + "".join(
    sorted(BIDI_CONTROLS)
)
"""What running text shows rather than obeys or hides, as the body of a regex `[...]`: control
characters but tab and newline (`\r`, `\x1b`, NUL), line and paragraph separators, lone
surrogates and bidi controls, i.e. exactly the characters `safe` changes."""


def canonical_mode(mode: str) -> str:
    """The canonical name of `mode` (`"prob"` and `"least likely"` give `"least-likely"`).

    Raises:
        ValueError: `mode` is not a mode.
    """
    name = str(mode).strip().lower().replace(" ", "-").replace("_", "-")
    name = _ALIASES.get(name, name)
    if name not in _SHADES:
        allowed = ", ".join(repr(m) for m in MODES)
        msg = f"`mode` must be one of {allowed} ('prob' is 'least-likely'); got {mode!r}"
        raise ValueError(msg)
    return name


def check_top(top: int) -> int:
    """`top` (how many positions a view details) when it is an int of at least 0.

    Raises:
        TypeError: `top` is not an int (a bool, a float, a string).
        ValueError: `top` is negative (it is a count, not a slice end).
    """
    return check_count(top, "top", "how many positions to detail", least=0, note="0 lists none")


def check_count(value: object, name: str, what: str, *, least: int, note: str = "") -> int:
    """`value` when it is an int (not a bool) of at least `least`; `what` says what it counts.

    Raises:
        TypeError: `value` is not an int (a bool, a float, a string).
        ValueError: `value` is below `least`.
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        msg = f"`{name}` must be an int ({what}), got {a_value(value)}"
        raise TypeError(msg)
    if value < least:
        why = f"{what}; {note}" if note else what
        msg = f"`{name}` must be at least {least} ({why}), got {value}"
        raise ValueError(msg)
    return int(value)


def plural(n: int, noun: str) -> str:
    """`"1 token"`, `"2 tokens"`, `"4,096 tokens"`.

    Raises:
        TypeError: If `n` is not an int or `noun` not a str.
    """
    count: object = n  # typed, but a caller may pass anything
    if isinstance(count, bool) or not isinstance(count, int | np.integer):
        msg = f"plural: n is the count, an int, got {a_value(count, width=40)}"
        raise TypeError(msg)
    word: object = noun
    if not isinstance(word, str):
        msg = f"plural: noun is the word to count, a str, got {a_value(word, width=40)}"
        raise TypeError(msg)
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def metric_name(mode: str) -> str:
    return _METRIC[canonical_mode(mode)]


def mode_values(d: TokenDistribution, mode: str) -> NDArray[np.float64]:
    name = metric_name(mode)
    values: NDArray[np.float64] = {"prob": d.probs, "entropy": d.entropy, "margin": d.margin}[name]
    return values


def mode_bins(d: TokenDistribution, mode: str) -> NDArray[np.intp]:
    """Per position: 0 (least certain) to 6 (most certain), -1 where the value is undefined."""
    name = metric_name(mode)
    values = mode_values(d, mode)
    bins = np.digitize(np.nan_to_num(values, nan=0.0), _EDGES[name])
    if name == "entropy":
        bins = len(_EDGES[name]) - bins
    return np.where(np.isnan(values), -1, bins).astype(np.intp)


def shade_names(mode: str) -> tuple[str, ...]:
    return _SHADES[canonical_mode(mode)]


def mode_title(mode: str) -> str:
    name = canonical_mode(mode)
    title = _TITLES[_METRIC[name]]
    return title if name in {"entropy", "margin"} else f"{title}, {name.replace('-', ' ')}"


def _fmt_edge(x: float, metric: str) -> str:
    return f"{x * 100:g}%" if metric == "prob" else f"{x:g}"


def bin_labels(mode: str) -> list[str]:
    """The legend's label of each bin, bin 0 first."""
    metric = metric_name(mode)
    edges = _EDGES[metric]
    fmt = functools.partial(_fmt_edge, metric=metric)
    inner = [f"{fmt(a)}\u2013{fmt(b)}" for a, b in itertools.pairwise(edges)]
    labels = [f"<{fmt(edges[0])}", *inner, f"≥{fmt(edges[-1])}"]
    return labels[::-1] if metric == "entropy" else labels


def group_cells(spans: NDArray[np.intp]) -> list[tuple[int, int, int, int]]:
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


def cell_bin(bins: NDArray[np.intp], start: int, stop: int) -> int:
    group = bins[start:stop]
    defined = group[group >= 0]
    return int(defined.min()) if defined.size else -1


def cell_shade(
    d: TokenDistribution, bins: NDArray[np.intp], shades: tuple[str, ...], start: int, stop: int
) -> str:
    """A cell's shade: `"sp"` (dimmed) for control tokens, `"na"` where the metric is undefined.

    Control tokens (`d.special`: `<|im_end|>`, a harmony header ...) are not text a user reads:
    they are drawn dimmed whatever their probability, their popup still open on hover.
    """
    if stop > start and bool(d.special[start:stop].all()):
        return "sp"
    k = cell_bin(bins, start, stop)
    return "na" if k < 0 else shades[k]


def _escaped(ch: str) -> str:
    r"""One character as its Python escape: `\x1b`, `\u202e`, `\U000e0041`."""
    code = ord(ch)
    if code < 0x100:  # noqa: PLR2004
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"  # noqa: PLR2004


EMPTY = "∅"
"""How a token without text is drawn (a piece of a character split over tokens, which
llama-cpp-python streams as `""`; some special tokens): as nothing it could not be seen."""


def token_label(token: str) -> str:
    """`visible(token)`, or `EMPTY` for a token without text."""
    return visible(token) if token else EMPTY


def visible(token: str, *, keep: str = "") -> str:
    r"""A token with its whitespace and invisible characters made visible (`" a\n"` → `"␣a↵"`).

    Whitespace becomes a mark (`␣ ↵ ⇥ ␍`); control characters, format characters (bidi
    controls, zero-width spaces and joiners, a byte order mark) and line separators become
    their escapes (`\x1b`, `\u202e`, `\u200b`), so a terminal or a page shows them instead of
    obeying them. Characters in `keep` pass through unchanged.

    Raises:
        TypeError: If `token` or `keep` is not a str.
    """
    given: dict[str, object] = {"token": token, "keep": keep}
    for name, value in given.items():
        if not isinstance(value, str):
            msg = f"visible: {name} is a str, got {a_value(value, width=40)}"
            raise TypeError(msg)
    return _visible(token, keep)


@functools.lru_cache(maxsize=4096)
def _visible(token: str, keep: str) -> str:
    out = []
    for ch in token:
        if ch in keep:
            out.append(ch)
        elif ch in _VISIBLE:
            out.append(_VISIBLE[ch])
        elif unicodedata.category(ch) in _HIDDEN:
            out.append(_escaped(ch))
        else:
            out.append(ch)
    return "".join(out)


def shortened(token: str, limit: int) -> str:
    """`token_label(token)`, cut to `limit` characters with the token's length after it.

    The cut falls between characters, never inside an escape: `xxxx… (2,000 characters)`.
    """
    shown = token_label(token)
    if len(shown) <= limit:
        return shown
    kept, used = [], 0
    for ch in token:
        piece = visible(ch)
        if used + len(piece) > limit:
            break
        kept.append(piece)
        used += len(piece)
    return f"{''.join(kept)}… ({plural(len(token), 'character')})"


def safe(text: str) -> str:
    r"""Running text for a terminal: what would steer it (escapes, bidi controls) is shown.

    Spaces, newlines and tabs stay; a carriage return is `␍`; other control characters, bidi
    embeddings, overrides and isolates, and line separators become their escapes (`\x1b`,
    `\u202e`). The joiners that shape emoji and scripts are kept.
    """
    return "".join(map(_in_text, text))


@functools.lru_cache(maxsize=4096)
def _in_text(ch: str) -> str:
    if ch in " \n\t":
        return ch
    if ch in _VISIBLE:
        return _VISIBLE[ch]
    if ch in BIDI_CONTROLS or unicodedata.category(ch) in _TEXT_HIDDEN:
        return _escaped(ch)
    return ch


def metric(d: TokenDistribution, name: str) -> NDArray[np.float64]:
    """`d.<name>`, or NaN everywhere while `tokenprobs.metrics` cannot compute it."""
    try:
        values: NDArray[np.float64] = getattr(d, name)
    except NotImplementedError:
        return np.full(len(d), np.nan)
    return values


def short_pct(p: float) -> str:
    """A probability in at most six characters, three significant digits: `72.8%`, `0.51%`."""
    if math.isnan(p):
        return "n/a"
    if p in {0.0, 1.0}:
        return f"{p * 100:.0f}%"
    if p < 5e-5:  # noqa: PLR2004
        return "<0.01%"
    if p < 0.01:  # noqa: PLR2004
        return f"{p * 100:.2f}%"
    if p >= 0.9995:  # noqa: PLR2004
        return ">99.9%"
    return f"{p * 100:.3g}%"


def pct(p: float) -> str:
    if math.isnan(p):
        return "n/a"
    if 0 < p < 5e-5:  # noqa: PLR2004
        return "<0.01%"
    if 0.99995 <= p < 1:  # noqa: PLR2004
        return ">99.99%"
    return f"{p * 100:.2f}%"


def num(x: float) -> str:
    """A logprob, an entropy or a margin: three decimals, or two significant digits (`-3.4e+38`).

    A tiny value, or one of 1,000 or more, is written with an exponent: at most 8 characters,
    a table's column (in fixed point the float32 minimum that servers send for a masked token
    took 45 and pushed the columns apart).
    """
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return "-inf" if x < 0 else "inf"
    return f"{x:.3f}" if x == 0 or 1e-3 <= abs(x) < 1e3 else f"{x:.1e}"  # noqa: PLR2004


def alternative_rows(d: TokenDistribution, i: int) -> list[tuple[bool, float, float, str]]:
    """`(is_sampled, prob, logprob, token)` per returned alternative, as returned.

    The sampled token is the candidate `d.candidates` marks (one row); it is added at the end when
    it is not among the alternatives.
    """
    count = len(d.top_tokens[i])
    lps = d.top_logprobs[i, :count]
    probs = np.exp(np.minimum(lps, 0.0))
    sampled = int(d.candidates.sampled[i])
    rows = [
        (j == sampled, float(p), float(lp), t)
        for j, (t, p, lp) in enumerate(zip(d.top_tokens[i], probs, lps, strict=True))
    ]
    if not d.candidates.in_top[i]:
        rows.append((True, float(d.probs[i]), float(d.logprobs[i]), d.tokens[i]))
    return rows
