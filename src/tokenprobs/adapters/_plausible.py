"""Values that are not probabilities: placeholders (every logprob 0 or -9999) and impossible ones.

`parse` warns (`TokenprobsWarning`) rather than refuses: the tokens and text are still worth
reading, but what is computed from the values (tail mass, bounds, `exact` flags) is not.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from tokenprobs.exceptions import TokenprobsWarning

if TYPE_CHECKING:
    from tokenprobs.models import TokenDistribution

__all__ = ["SLACK", "checked", "impossible", "not_the_top"]


def checked(out: list[TokenDistribution]) -> list[TokenDistribution]:
    """Warn about distributions whose values are placeholders (every one 0 or -9999, no alts)."""
    for d in out:
        lp = d.logprobs
        if len(d) and not any(d.top_tokens) and bool(((lp == 0) | np.isneginf(lp)).all()):
            msg = (
                f"choice {d.choice}: all {len(d)} logprobs are 0 or -9999 and no alternatives "
                "were returned: the server sent placeholder values that carry no probability "
                "information (probs, entropy and perplexity mean nothing here)"
            )
            warnings.warn(msg, TokenprobsWarning, stacklevel=3)
        elif len(d) and (why := impossible(d)):
            warnings.warn(why, TokenprobsWarning, stacklevel=3)
    return out


SLACK = 1e-3
"""How far above 0 a logprob (and above 1 a position's returned mass) may be before it is not a
rounding of a probability: a server that rounds logprobs to 4 decimals is off by about 1e-4."""


def impossible(d: TokenDistribution) -> str | None:
    """Why the values cannot be trusted, if they cannot.

    They are not probabilities (a logprob above 0, alternatives summing above 1), or the
    alternatives are not the most likely tokens (`not_the_top`).
    """
    return _not_probabilities(d) or not_the_top(d)


def not_the_top(d: TokenDistribution) -> str | None:
    """Why the alternatives are not the k most likely tokens, if they are not.

    A sampled token the server did not return among the alternatives is one it left out, so no
    more likely than the least likely one it did return (`Candidates.cap`); one above the cap
    (by more than `SLACK`) says the alternatives are not the top k, and the bounds that assume
    so (every unseen token at most the cap) would exclude the truth.
    """
    top, lp = d.top_logprobs, d.logprobs
    if top.ndim != 2 or not top.shape[1] or not len(d):  # noqa: PLR2004
        return None
    finite = np.isfinite(top)
    cap = np.where(finite.any(axis=1), np.where(finite, top, np.inf).min(axis=1), np.nan)
    with np.errstate(invalid="ignore"):
        above = np.flatnonzero(lp > cap + SLACK)
    # by text first (cheap; a text among them is almost always the same token), then by bytes
    suspects = [int(t) for t in above if d.tokens[t] not in d.top_tokens[t]]
    if not suspects:
        return None
    outside = [t for t in suspects if not d.candidates.in_top[t]]
    if not outside:
        return None
    t, count = outside[0], len(outside)
    return (
        f"choice {d.choice}: position {t} ({d.tokens[t]!r}) was sampled with logprob "
        f"{float(lp[t]):.4f}, above the least likely alternative returned ({float(cap[t]):.4f}), "
        f"yet it is not among them ({count} such position{'s' * (count != 1)}): the "
        "alternatives are not the k most likely tokens, so what is computed from them (tail "
        "mass, bounds, `exact` flags) cannot be trusted"
    )


def _not_probabilities(d: TokenDistribution) -> str | None:
    lp, top = d.logprobs, d.top_logprobs
    with np.errstate(invalid="ignore"):
        high = np.flatnonzero(lp > SLACK)
        mass = np.exp(top).sum(axis=1) if top.ndim == 2 else np.zeros(len(d))  # noqa: PLR2004
    over = np.flatnonzero(mass > 1.0 + SLACK)
    if not high.size and not over.size:
        return None
    if high.size:
        t = int(high[0])
        what = f"position {t} ({d.tokens[t]!r}) has logprob {float(lp[t])!r} > 0"
    else:
        t = int(over[0])
        what = f"the alternatives at position {t} ({d.tokens[t]!r}) sum to {float(mass[t]):.4f}"
    count = len(np.union1d(high, over))
    clipped = "; a positive logprob is read as probability 1" if high.size else ""
    return (
        f"choice {d.choice}: {what} ({count} such position{'s' * (count != 1)}): these are not "
        "the logprobs of a probability distribution, so what is computed from them (tail mass, "
        f"bounds, `exact` flags) cannot be trusted{clipped}"
    )
