"""The sampled path of a label that spans several tokens: the chain rule, position by position.

When the sampled token at the answer position is only a prefix of a label, its mass is split by
what the next positions returned (`p(t1) p(t2|t1) ...`), while the sampled continuation is still a
prefix. `follow` gives that correction for one row; `Labels` adds it to the row's masses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from tokenprobs.labels._match import Kind, Normaliser, Outcome, decode, is_mark, is_special
from tokenprobs.labels._position import token_bytes
from tokenprobs.models._identity import token_key

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from tokenprobs.models import TokenDistribution

__all__ = ["Chain", "candidates", "follow", "mark_follows"]

_ENDED = frozenset({"stop", "completed"})
"""How an answer that ended by itself says so: Chat's and Completions' `finish_reason` "stop",
the Responses status "completed" (cut off: "length", "incomplete")."""


@dataclass
class Chain:
    """What following the sampled path adds to one row (and the sampled candidate it replaces)."""

    C: int
    raw: NDArray[np.float64] = field(init=False)
    lo: NDArray[np.float64] = field(init=False)
    hi: NDArray[np.float64] = field(init=False)
    amb: dict[frozenset[int], float] = field(default_factory=dict)
    unmatched: float = 0.0
    tail: float = 0.0
    multi: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.raw, self.lo, self.hi = np.zeros(self.C), np.zeros(self.C), np.zeros(self.C)

    def add(self, out: Outcome, mass: float) -> None:
        ks = list(out.classes)
        if out.kind is Kind.FULL:
            self.raw[ks] += mass
            self.lo[ks] += mass
        elif out.kind is Kind.PREFIX:
            self.raw[ks] += mass
        elif out.kind is Kind.AMBIGUOUS:
            self.amb[out.classes] = self.amb.get(out.classes, 0.0) + mass
        else:
            self.unmatched += mass

    def settle(self, end: Outcome, state: Outcome, mass: float) -> None:
        """The sampled path stopped (`end`) where it was `state`: the estimate, not the bounds.

        The sampled end decides `raw` (a label the path spells gets the mass, as a committed
        prefix does, not `lo`), but the end position's probabilities are not returned: what
        else could follow is unknown, so the mass stays in the upper bound of every label
        `state` could still become.
        """
        if end.kind is Kind.FULL:
            self.raw[list(end.classes)] += mass
        else:
            self.add(end, mass)
        self.add(state, -mass)
        self.hi[sorted(state.classes - end.classes)] += mass


def follow(
    norm: Normaliser, classes: int, d: TokenDistribution, i: int, first: Outcome
) -> Chain | None:
    """Follow the sampled path from `i` while it is a label prefix (the chain rule).

    Returns the row's correction: the sampled candidate's mass is moved out of its bucket
    at `i` and split by what the next position says (`p(t1) p(t2|t1) ...`), the next
    position's tail included, and so on while the sampled continuation is still a prefix.
    `None` when nothing moves.
    """
    chain = Chain(classes)
    m = math.exp(min(float(d.logprobs[i]), 0.0))
    if not m > 0:
        return None
    acc, state, j = token_bytes(d, i), first, i + 1
    while True:
        complete = norm.classify(*decode(acc), terminated=True)
        if j == len(d):
            if d.finish_reason not in _ENDED or d.incomplete or complete == state:
                return chain if j > i + 1 else None
            chain.settle(complete, state, m)
            return chain
        sampled_key = token_bytes(d, j)
        chain.add(state, -m)
        next_state: Outcome | None = None
        p_next = 0.0
        marked = mark_follows(d, j)
        for tok, raw, lp in candidates(d, j):
            p = math.exp(min(lp, 0.0))
            cand = token_key(tok, raw)
            if is_special(tok) or not cand:
                out = complete
            else:
                out = norm.classify(*decode(acc + cand), marked=marked and cand == sampled_key)
                if out.kind is Kind.FULL and out != complete:
                    chain.multi.update(out.classes)
            chain.add(out, m * p)
            if cand == sampled_key and next_state is None:
                next_state, p_next = out, p
        tail = m * float(d.tail_mass[j])
        chain.tail += tail
        chain.hi[list(state.classes)] += tail
        if next_state is None or next_state.kind not in (Kind.PREFIX, Kind.AMBIGUOUS):
            return chain
        # the sampled continuation is still a prefix: its mass is split one step further
        m *= p_next
        acc += sampled_key
        state = next_state
        j += 1


def mark_follows(d: TokenDistribution, i: int) -> bool:
    """Whether the sampled text after position `i`'s token starts with a combining mark.

    The character after the token's last complete one: the rest of a character it splits, or
    the next tokens' first (`"a"` then `"\u0300"` is `"à"`, which the token alone does not
    show).
    """
    if i + 1 >= len(d):
        return False
    here, after = d.token_bytes[i], d.token_bytes[i + 1]
    if here and here[-1] < 0x80 and after and after[0] < 0x80:  # noqa: PLR2004 - ASCII
        return False  # the common case, decided without decoding
    _, raw = decode(token_bytes(d, i))
    for j in range(i + 1, min(len(d), i + 5)):  # a character is at most four bytes
        raw += token_bytes(d, j)
        text, _ = decode(raw)
        if text:
            return is_mark(text[0])
    return False


def candidates(d: TokenDistribution, j: int) -> list[tuple[str, list[int] | None, float]]:
    """The distinct returned tokens at `j` (the support): token, bytes, logprob."""
    support = d.support_logprobs[j]
    width = support.shape[0] - 1
    out = [
        (d.top_tokens[j][c], d.top_bytes[j][c], float(support[c]))
        for c in range(len(d.top_tokens[j]))
        if support[c] > -math.inf
    ]
    if support[width] > -math.inf:
        out.append((d.tokens[j], d.token_bytes[j], float(support[width])))
    return out
