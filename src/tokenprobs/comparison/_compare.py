"""`compare`: two outputs of the same text, position by position, as divergence intervals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tokenprobs import metrics
from tokenprobs.exceptions import TokenprobsError
from tokenprobs.models import align
from tokenprobs.models._expect import expect_distribution
from tokenprobs.models._identity import token_key

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from tokenprobs.models import AlignedPosition, TokenDistribution

__all__ = ["Comparison", "ComparisonError", "compare"]


class ComparisonError(TokenprobsError, ValueError):
    """The two distributions are not of one text, so their positions do not correspond."""


@dataclass(frozen=True, eq=False, repr=False)
class Comparison:
    """Per position, how far apart two next-token distributions can be, as `[lo, hi]`.

    Each interval contains the true divergence between the two full distributions for every
    completion of what the APIs returned (see docs/compare.md). Rows are positions.
    """

    tv: NDArray[np.float64]
    """Shape `(T, 2)`: total variation, in `[0, 1]`; both ends attained (the tightest interval)."""
    js: NDArray[np.float64]
    """Shape `(T, 2)`: Jensen-Shannon divergence in nats, at most `ln 2`."""
    kl: NDArray[np.float64]
    """Shape `(T, 2)`: KL(first ‖ second) in nats; `hi` is `inf` unless `floor` was given."""
    floor: float | None
    """The assumed least logprob of an unreturned token under the second distribution, or None."""
    shared: NDArray[np.intp]
    """Shape `(T,)`: how many candidates both returned."""
    tail: NDArray[np.float64]
    """Shape `(T, 2)`: each distribution's tail mass (what its top-k did not see)."""
    positions: list[AlignedPosition]
    """The aligned candidate sets the intervals were computed from (`tokenprobs.models.align`)."""

    def __len__(self) -> int:
        """The number of positions."""
        return len(self.positions)

    def __repr__(self) -> str:
        """The intervals (numpy summarises long ones) and the number of aligned positions.

        The aligned rows themselves are left out: written out, those of a 10,000-token answer
        made a repr of megabytes.
        """
        arrays = ", ".join(
            f"{name}={getattr(self, name)!r}" for name in ("tv", "js", "kl", "shared", "tail")
        )
        n = len(self)
        rows = f"{n:,} aligned position{'' if n == 1 else 's'}"
        return f"Comparison({arrays}, floor={self.floor!r}, positions=<{rows}>)"


def compare(
    d1: TokenDistribution, d2: TokenDistribution, /, *, floor: float | None = None
) -> Comparison:
    """Compare two outputs of the same text (two models, two temperatures) position by position.

    The candidate sets are laid over the union of their bytes (`tokenprobs.models.align`); at
    each position TV, JS and KL(d1 ‖ d2) are bracketed by `tokenprobs.metrics.tv_bounds`,
    `js_bounds` and `kl_bounds`, with each side's cap (its least likely returned alternative).
    A positive logprob (a server's rounding, which `tp.parse` warns of) is read as 0, as
    `d.probs` reads it; a cap of probability 0 (a logprob below about -745) caps nothing.

    Args:
        d1: The first distribution (P).
        d2: The second (Q), of the same text: the same sampled tokens' bytes at every position.
        floor: Assume every token `d2` did not return has at least this logprob under it (e.g.
            `-30.0`); it gives KL a finite upper end, valid only as far as the assumption is.

    Returns:
        A `Comparison` with `.tv`, `.js`, `.kl`, each `(T, 2)` `[lo, hi]`.

    Raises:
        TypeError: `d1` or `d2` is not a `TokenDistribution` (`tp.parse(response)` makes one).
        ComparisonError: The two are of different lengths or texts.
        ValueError: `floor` is not a finite logprob <= 0 (a bool is refused), or is above what
            `d2`'s returned values allow (`log min(cap, tail)`) at a position where `d1` has
            mass `d2` did not return; the message names the position and the largest floor.

    Examples:
        >>> import tokenprobs as tp
        >>> from tokenprobs.testing import chat_completion
        >>> a = tp.parse(chat_completion([("Yes", -0.2, [("Yes", -0.2), ("No", -1.8)])]))
        >>> b = tp.parse(chat_completion([("Yes", -0.5, [("Yes", -0.5), ("Maybe", -1.5)])]))
        >>> c = tp.compare(a, b)
        >>> c.tv.round(3).tolist(), c.shared.tolist()
        ([[0.212, 0.393]], [1])
    """
    d1, d2 = expect_distribution(d1, "compare(d1, d2)"), expect_distribution(d2, "compare(d1, d2)")
    _check_one_text(d1, d2)
    c1, c2 = d1.candidates, d2.candidates
    rows = align(c1, c2)
    width = max((len(r.keys) for r in rows), default=0)
    table = np.full((2, len(rows), width), np.nan)
    for i, row in enumerate(rows):
        table[:, i, : len(row.keys)] = row.logprobs
    # a positive logprob (a server's rounding: parse warns) is read as 0, as `d.probs` and the
    # metrics read it; as a cap the metrics would refuse it, naming `cap_p`, which no caller passed
    p, q = np.minimum(table, 0.0)  # NaN (not returned) stays NaN
    cap_p, cap_q = _usable(c1.cap), _usable(c2.cap)
    both = ~np.isnan(p) & ~np.isnan(q)
    kl = metrics.kl_bounds(p, q, cap_p=cap_p, cap_q=cap_q, floor=floor)  # checks the floor
    return Comparison(
        tv=metrics.tv_bounds(p, q, cap_p=cap_p, cap_q=cap_q),
        js=metrics.js_bounds(p, q, cap_p=cap_p, cap_q=cap_q),
        kl=kl,
        floor=None if floor is None else float(floor),  # -30 or np.float32(-30.5): a float
        shared=both.sum(axis=-1).astype(np.intp),
        tail=np.stack([c1.tail, c2.tail], axis=-1),
        positions=rows,
    )


def _check_one_text(d1: TokenDistribution, d2: TokenDistribution) -> None:
    """Refuse two outputs whose positions do not correspond, naming the first that differs.

    Positions correspond when the sampled tokens' bytes agree at every one. Two outputs that
    spell one text in different tokens (two tokenizers, or a generated output against a scored
    one, which a model may tokenise another way) have no corresponding positions past the
    first split: the message says so, rather than call them different texts.

    Raises:
        ComparisonError: The sampled tokens differ at a position, or one output is longer.
    """
    keys1 = list(map(token_key, d1.tokens, d1.token_bytes))
    keys2 = list(map(token_key, d2.tokens, d2.token_bytes))
    n = min(len(keys1), len(keys2))
    at = next((i for i in range(n) if keys1[i] != keys2[i]), None)
    if at is None and len(keys1) == len(keys2):
        return
    shared = (
        f"slice both to the positions they share (d1[:{at}], d2[:{at}]) to compare those"
        if at
        else ""
    )
    if at is None and n == 0:  # one output has no positions: there is nothing to slice to
        msg = (
            f"compare() needs two outputs of the same text, got {len(keys1)} and {len(keys2)} "
            "positions: an output without positions has nothing to compare (it asked for no "
            "tokens, or was sliced empty); compare two outputs of one text, or score one text "
            "with both models (tp.score)"
        )
        raise ComparisonError(msg)
    if at is None:  # the shorter is a prefix of the longer
        msg = (
            f"compare() needs two outputs of the same text, got {len(keys1)} and {len(keys2)} "
            f"positions, the shorter a prefix of the longer: slice both to it (d1[:{n}], "
            f"d2[:{n}]), or score one text with both models (tp.score)"
        )
        raise ComparisonError(msg)
    if b"".join(keys1) == b"".join(keys2):
        msg = (
            f"compare() needs the two outputs' positions to correspond, but they spell the same "
            f"text in different tokens from position {at} ({keys1[at]!r} against "
            f"{keys2[at]!r}; {len(keys1)} and {len(keys2)} positions): "
            + (f"{shared}, or " if shared else "")
            + "score the text with both models (tp.score), which tokenises it one way for models "
            "that share a tokenizer; outputs of two tokenizers have no positions in common"
        )
        raise ComparisonError(msg)
    lengths = "" if len(keys1) == len(keys2) else f", of {len(keys1)} and {len(keys2)} positions"
    msg = (
        f"compare() needs two outputs of the same text; they differ at position {at} "
        f"({keys1[at]!r} against {keys2[at]!r}){lengths}: "
        + (f"{shared}, or " if shared else "")
        + "score one text with both models (tp.score)"
    )
    raise ComparisonError(msg)


def _usable(cap: NDArray[np.float64]) -> NDArray[np.float64]:
    """A side's caps as the metrics take them: at most 0, NaN (no cap) where one bounds nothing.

    A cap whose probability underflows to 0 (a logprob below about -745, such as the float32
    minimum a server sends for a masked token) would say the unreturned tokens have no mass:
    against a tail above 0 the metrics refuse it, and with a floor their message overflows.
    Like `-inf` and the sentinel, which are no cap, it is dropped: that side's tail alone
    bounds them.
    """
    capped = np.minimum(cap, 0.0)
    with np.errstate(under="ignore"):
        return np.where(np.exp(capped) > 0.0, capped, np.nan)  # NaN stays NaN
