"""The decision: at a leaf's first free token, what the other returned tokens would have started.

The candidates at that position are re-read from the leaf's own start: a token that began before
the value (`":"` holding the opening quote, `,"` + a key, ` true`) must begin with the same
structural bytes, whitespace before the value being free, for its rest to continue this value;
one that diverges earlier or puts structure where the value starts would have changed the
structure (`other`), one that stops inside those bytes or is only whitespace is undecided (the
same holds for a token that starts exactly where the value does). When the values allowed are a
finite set (a schema's `enum` / `const` / `boolean` / nullable, or `true`/`false`/`null` without a
schema) the candidates are matched to them by `tokenprobs.labels` — its rules, but numbers
compared by value and strings by code point, as JSON Schema compares them; the same `bounds` /
`tail` / `exact`, the sampled path followed by the chain rule for multi-token values.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tokenprobs.fields._numbers import ValueLabels, is_number
from tokenprobs.fields._tokens import candidates
from tokenprobs.models import TokenDistribution

if TYPE_CHECKING:
    from tokenprobs.fields._tokens import Stream
    from tokenprobs.labels import LabelResult, Labels

__all__ = ["Decision", "decide", "labels_for"]

_WS = b" \t\n\r"
_VALUE_START = frozenset(b'"-0123456789tfn{[')


@dataclass(frozen=True, slots=True)
class Decision:
    """Where a value was decided, and the returned alternatives there, mapped to values.

    Masses are raw probabilities (not renormalised): `sum(options) + other + undecided + tail`
    is 1 up to the API's rounding.
    """

    position: int
    """The token position of the decision: the leaf's first token that was not forced."""
    prefix: str
    """The value's text already written before that token (`'"'`, `'12'`, or `''`)."""
    options: dict[str, float]
    """Each returned candidate's text read from the value's start (prefix + its bytes), and its
    probability, most likely first; candidates reading the same are added. Bytes that end
    inside a character are written as escapes (`'"\\xc3'`), so two such candidates stay two."""
    other: float
    """Mass of candidates that diverge before the value starts (a different structure)."""
    undecided: float
    """Mass of candidates that stop inside the structure before the value (could lead anywhere)."""
    tail: float
    """What the top-k could not see at that position: `1 - sum of the returned mass`."""
    labels: LabelResult | None
    """For a leaf whose allowed values are a finite set: their distribution, from
    `tokenprobs.labels` (`.probs`, `.raw`, `.bounds`, `.tail`, `.exact`, `.label`); else `None`."""
    members: dict[str, object]
    """The allowed values by label name (the keys of `labels.probs`), as `json.loads` gives them."""

    @property
    def probs(self) -> dict[str, float]:
        """`labels.probs` when the values are a finite set, else `options` (raw)."""
        return dict(self.labels.probs) if self.labels is not None else dict(self.options)

    @property
    def exact(self) -> bool:
        """True when the values' masses are all known (`labels.exact`); False for open values."""
        return self.labels is not None and self.labels.exact


def _name(v: object, *, quoted: bool) -> str:
    if isinstance(v, str) and not quoted:
        return v
    return json.dumps(v, ensure_ascii=False)


def _texts(v: object) -> list[str]:
    r"""The texts that spell `v` as a JSON value: as written, and with non-ASCII escaped (`\u`).

    A string's text keeps its opening quote, so it never reads as a literal (`"true"` is not
    `true`), and leaves out its closing quote: a candidate that spells the whole string is that
    member before its closing quote comes, as a candidate that spells a whole label is that label.
    The empty string keeps its closing quote (a lone `"` would be complete before any non-word
    character: `"-` read as `""`), and so does a string that ends in whitespace (the labels strip
    a variant's trailing whitespace: `"a ` would be `"a`).
    """
    out: list[str] = []
    for text in (json.dumps(v, ensure_ascii=False), json.dumps(v)):
        if isinstance(v, str) and v and text[:-1] == text[:-1].rstrip():
            text = text[:-1]  # noqa: PLW2901 - the text without its closing quote
        if text not in out:
            out.append(text)
    return out


def labels_for(allowed: tuple[object, ...]) -> tuple[Labels, dict[str, object]] | None:
    """A label set for the allowed values (`None` for fewer than two: nothing to decide).

    Every member is matched on its JSON text (`_texts`: a string with its opening quote, a
    boolean, number or null bare), with the labels' `quotes` rule off: a string and a boolean,
    number or null never read as each other (`"true"` is not `true`, `"2"` not `2`), and a bare
    word that is no JSON value (`no` where the string `"no"` is allowed) matches nothing. As
    JSON Schema compares them, a number is matched by value (`1e2` and `100.0` are `100`:
    `tokenprobs.fields._numbers`) and a string by its code points (not composed to NFC as
    labels are). A string's label is its text (`invoice`), other labels their JSON text (`true`,
    `null`, `2`); when two read the same that way (the string `"true"` beside `true`), every
    label is the member's JSON text.
    """
    if len(allowed) < 2:  # noqa: PLR2004
        return None
    names = [_name(v, quoted=False) for v in allowed]
    if len(set(names)) < len(names):
        names = [_name(v, quoted=True) for v in allowed]
    classes = {name: _texts(v) for name, v in zip(names, allowed, strict=True)}
    members = dict(zip(names, allowed, strict=True))
    if len(classes) < len(allowed):
        return None
    numeric = {name: v for name, v in members.items() if is_number(v)}
    try:
        labels = ValueLabels(classes, numeric)
    except ValueError:
        return None
    return labels, members


def decide(
    d: TokenDistribution,
    s: Stream,
    p: int,
    *,
    start: int,
    end_position: int,
    labels: tuple[Labels, dict[str, object]] | None,
) -> Decision:
    """The decision at position `p` of the leaf whose literal starts at byte `start`."""
    ts = int(s.starts[p])
    struct = s.buf[ts:start] if ts < start else b""
    head = s.buf[start:ts] if ts > start else b""
    kept: list[tuple[bytes, float, bool]] = []
    other = undecided = 0.0
    options: dict[str, float] = {}
    # candidates the labels machinery must count as no value / as undecided get distinct bytes
    # it can never match: NUL (no JSON value text holds one) or a run of spaces
    n_blank = 0
    core = struct.rstrip(_WS)  # whitespace before a value is free: `:false` starts it too
    for b, lp, is_sampled in candidates(d, p, unescape=s.unescaped):
        prob = math.exp(min(lp, 0.0))
        rest = b[len(core) :].lstrip(_WS) if b.startswith(core) else None
        if rest and rest[0] not in _VALUE_START:
            rest = None  # `}` or `,` where a value starts: the structure changed
        if not head and not rest:
            if rest is not None or core.startswith(b) or not b.strip(_WS):
                undecided += prob
                n_blank += 1
                kept.append((b" " * n_blank, lp, is_sampled))
            else:
                other += prob
                kept.append((b"\x00" + b, lp, is_sampled))
            continue
        cand = head + b if head else (rest or b)
        key = cand.decode("utf-8", errors="backslashreplace")
        options[key] = options.get(key, 0.0) + prob
        kept.append((cand, lp, is_sampled))
    values = None
    members: dict[str, object] = {}
    if labels is not None:
        kept = _merged(kept)
        label_set, members = labels
        own = s.buf[start : int(s.ends[p])]  # the sampled token read from the value's start
        values = label_set.probs(_rebased(d, s, p, kept, own, end_position), at=0)
    ordered = dict(sorted(options.items(), key=lambda kv: -kv[1]))
    return Decision(
        position=p,
        prefix=head.decode("utf-8", errors="backslashreplace"),
        options=ordered,
        other=other,
        undecided=undecided,
        tail=float(d.tail_mass[p]),
        labels=values,
        members=members,
    )


def _merged(kept: list[tuple[bytes, float, bool]]) -> list[tuple[bytes, float, bool]]:
    """Candidates that read the same from the value's start (` f` and `f`) as one, masses added.

    The labels count a returned token once per bytes; two tokens rebased to the same bytes are
    two ways to the same value, so their probabilities add.
    """
    mass: dict[bytes, list[float]] = {}
    for b, lp, is_sampled in kept:
        entry = mass.setdefault(b, [0.0, 0.0])
        entry[0] += math.exp(min(lp, 0.0))
        entry[1] = max(entry[1], float(is_sampled))
    return [(b, math.log(m) if m > 0 else -math.inf, bool(flag)) for b, (m, flag) in mass.items()]


def _rebased(  # noqa: PLR0917 - a private helper's positional data
    d: TokenDistribution,
    s: Stream,
    p: int,
    kept: list[tuple[bytes, float, bool]],
    sampled: bytes,
    end_position: int,
) -> TokenDistribution:
    """Positions `p ..` of `d` with position `p`'s candidates read from the value's start.

    `sampled` is the sampled token read the same way (also when its logprob is the sentinel and
    it is no candidate). The later sampled tokens keep their bytes from the stream (checked to
    spell the content). Ends one position past the leaf, so the labels' chain rule sees the
    delimiter that closes it.
    """
    stop = min(end_position + 1, len(d))
    alts = [(b, lp) for b, lp, _ in kept]
    rest = range(p + 1, stop)
    top = d.top_logprobs[p + 1 : stop]
    counts = np.fromiter((len(d.top_tokens[j]) for j in rest), dtype=np.intp, count=len(rest))
    flat = top[np.arange(top.shape[1]) < counts[:, None]] if top.size else np.empty(0)
    return TokenDistribution.from_columns(
        source=d.source,
        tokens=[sampled.decode("utf-8", errors="replace"), *(d.tokens[j] for j in rest)],
        token_bytes=[list(sampled), *(list(s.buf[s.starts[j] : s.ends[j]]) for j in rest)],
        logprobs=d.logprobs[p:stop],
        top_tokens=[
            [b.decode("utf-8", errors="replace") for b, _ in alts],
            *(d.top_tokens[j] for j in rest),
        ],
        top_bytes=[[list(b) for b, _ in alts], *(d.top_bytes[j] for j in rest)],
        top_logprobs_flat=np.concatenate([np.asarray([lp for _, lp in alts]), flat]),
        finish_reason=d.finish_reason if stop == len(d) else None,
    )
