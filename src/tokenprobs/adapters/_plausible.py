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

__all__ = ["SLACK", "checked", "impossible"]


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
    """Why the values are not probabilities (a logprob above 0, alternatives summing above 1)."""
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
