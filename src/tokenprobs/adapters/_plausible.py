"""Values that are not probabilities: placeholders, impossible ones, a fragment's, a cap's.

Placeholders: every logprob 0 or -9999 (or, over a whole answer, probability 1 with nothing
else returned). Impossible: above 1. A fragment's: logprobs for only a piece of the content.
A cap's (when the request's `top_logprobs` is known): fewer alternatives than asked everywhere.

`parse` warns (`TokenprobsWarning`) rather than refuses: the tokens and text are still worth
reading, but what is computed from the values (tail mass, bounds, `exact` flags) is not.
"""

from __future__ import annotations

import re
import warnings
from typing import TYPE_CHECKING

import numpy as np

from tokenprobs._counts import at_least
from tokenprobs.adapters._offsets import misplaced
from tokenprobs.exceptions import TokenprobsError, TokenprobsWarning
from tokenprobs.metrics._numeric import SENTINEL

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

    from tokenprobs.models import Candidates, TokenDistribution

__all__ = [
    "SEEN_CAP",
    "SLACK",
    "Held",
    "capped",
    "checked",
    "checked_asked",
    "impossible",
    "not_the_top",
]


def checked(out: list[TokenDistribution]) -> list[TokenDistribution]:
    """Warn about placeholder, impossible or fragment values, and offsets placing no token."""
    for d in out:
        if not len(d):
            continue
        if why := placeholder(d) or impossible(d):
            warnings.warn(why, TokenprobsWarning, stacklevel=3)
        if why := partial(d):
            warnings.warn(why, TokenprobsWarning, stacklevel=3)
        if why := misplaced(d):
            warnings.warn(why, TokenprobsWarning, stacklevel=3)
    return out


COLLAPSED = 8
"""How many positions, each certain (probability 1, every other alternative the -9999 sentinel
or none but the sampled token), make placeholder values rather than an answer forced token by
token: one certain token happens (a confident "Yes"), eight in a row are a server's doing."""


def placeholder(d: TokenDistribution) -> str | None:
    """Why the values are placeholders, if they are: every position at probability 1 or 0.

    Every logprob 0 or -9999 and no alternatives; or, over at least `COLLAPSED` positions, the
    same with every other alternative the -9999 sentinel (DeepSeek), or with the sampled token
    the only alternative, at probability 1 (a server that applied `top_p` before returning them:
    TGI, Together). A few forced tokens can be certain; a whole answer is not.
    """
    lp = d.logprobs
    if not bool(((lp == 0) | np.isneginf(lp)).all()):
        return None
    where = f"choice {d.choice}: all {len(d)} logprobs are 0 or -9999"
    nothing = "(probs, entropy and perplexity mean nothing here)"
    if not any(d.top_tokens):
        return (
            f"{where} and no alternatives were returned: the server sent placeholder values "
            f"that carry no probability information {nothing}"
        )
    top = d.top_logprobs
    if len(d) >= COLLAPSED and bool(((top == 0) | np.isneginf(top)).all()):
        c = _distinct(d)  # the -9999 sentinel is no candidate; a repeated token is one
        if c is None:
            return None
        if bool((c.counts <= 1).all()) and bool((c.logprobs[np.isfinite(c.logprobs)] == 0).all()):
            if bool(np.isneginf(top).any()):
                return (
                    f"{where} and every other alternative is the -9999 sentinel: the server "
                    f"sent placeholder values that carry no probability information {nothing}"
                )
            return (
                f"{where} and at each position the only alternative is the sampled token, "
                "at probability 1: the server likely applied top_p (or top_k) before "
                "returning the alternatives (TGI and Together do), so they are what "
                f"sampling kept, not the model's distribution {nothing}; ask with top_p=1"
            )
    return None


def partial(d: TokenDistribution) -> str | None:
    """Why the logprobs cover only part of the content, if they do.

    The tokens, joined, are a shorter piece of `d.content`, and what the content has beyond
    them is more than markup and whitespace (a harmony `<reasoning>` wrapper no token has is
    legitimate). Tokens the content lacks (an EOS, control or reasoning tokens) or tokens that
    are no text (`token_id:` strings) make no piece of it and never warn.
    """
    if d.source.startswith("completions"):  # an echo's text has the prompt; scoring checks it
        return None
    content, joined = d.content, "".join(d.tokens)
    if not content or not joined or len(joined) >= len(content) or (at := content.find(joined)) < 0:
        return None
    rest = f"{content[:at]}\0{content[at + len(joined) :]}"
    missing = sum(map(len, _MARKUP.sub("", rest).split()))
    if not missing:
        return None
    return (
        f"choice {d.choice}: the logprobs cover {len(joined)} of the content's {len(content)} "
        f"characters ({missing} others are no position's): they are for a fragment of the "
        "answer, likely a stream whose chunks lost their logprobs or a proxy, gateway or "
        "framework that kept only some, so perplexity, entropy and the like describe that "
        "fragment, not the answer"
    )


def _once(tokens: list[str], values: NDArray[np.float64]) -> float:
    """The probabilities of a position's alternatives, each (token, value) pair counted once."""
    pairs = {(t, float(v)) for t, v in zip(tokens, values.tolist(), strict=False) if v > -np.inf}
    return float(sum(np.exp(v) for _, v in pairs))


def _distinct(d: TokenDistribution) -> Candidates | None:
    """`d.candidates`, or None when bytes it reads are malformed (an error raised when read)."""
    try:
        return d.candidates
    except TokenprobsError:
        return None


_MARKUP = re.compile(r"<[^<>\0]*>|\0")


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
    usable = np.isfinite(top) & (top > SENTINEL)  # as the candidate set reads them (`clean`)
    cap = np.where(usable.any(axis=1), np.where(usable, top, np.inf).min(axis=1), np.nan)
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
    if over.size:  # an alternative returned twice (same token, same value) counts once
        distinct = np.array([_once(d.top_tokens[t], top[t]) for t in over])
        over, mass = over[distinct > 1.0 + SLACK], mass.copy()
        mass[over] = distinct[distinct > 1.0 + SLACK]
    if not high.size and not over.size:
        return None
    if high.size:
        t = int(high[0])
        what = f"position {t} ({d.tokens[t]!r}) has logprob {float(lp[t])!r} > 0"
    else:
        t = int(over[0])
        what = f"the alternatives at position {t} ({d.tokens[t]!r}) sum to {float(mass[t]):.4f}"
    count = len(np.union1d(high, over))
    clipped = (
        "; a positive logprob is kept as returned in `d.logprobs`, and `d.probs` and the "
        "metrics read it as logprob 0 (probability 1)"
        if high.size
        else ""
    )
    return (
        f"choice {d.choice}: {what} ({count} such position{'s' * (count != 1)}): these are not "
        "the logprobs of a probability distribution, so what is computed from them (tail mass, "
        f"bounds, `exact` flags) cannot be trusted{clipped}"
    )


SEEN_CAP = 2
"""How many positions holding one count below the asked make a cap: one position short may be
two tokens of the same text merged (llama-cpp-python), two alike are a pattern."""


def checked_asked(top_logprobs: object) -> int | None:
    """`parse(top_logprobs=...)`: the k a request asked for, as an int (`None`: not given).

    Raises:
        TypeError: Not an integer (a bool is refused).
        ValueError: Below 0.
    """
    if top_logprobs is None:
        return None
    return at_least(top_logprobs, "top_logprobs", 0, " (the k the request asked for)")


class Held:
    """How many alternatives the positions of some answers hold, counted as they come.

    What `capped` reads, without keeping the answers (a Batch file is read one line at a time).
    """

    def __init__(self) -> None:
        self.positions = 0
        """Positions seen."""
        self.with_some = 0
        """Positions holding at least one alternative."""
        self.least: int | None = None
        """The fewest alternatives of a position holding any (`None`: none did)."""
        self.most = 0
        """The most alternatives of a position."""

    def add(self, d: TokenDistribution) -> None:
        """Count the positions of `d`."""
        counts = [n for n in map(len, d.top_tokens) if n]
        self.positions += len(d.top_tokens)
        if counts:
            self.with_some += len(counts)
            self.least = min(*counts, self.least if self.least is not None else counts[0])
            self.most = max(self.most, *counts)

    def capped(self, asked: int | None) -> str | None:
        """`capped` of the answers added so far."""
        if not asked or not self.positions:
            return None
        if self.least is None:
            return (
                f"top_logprobs={asked} was asked, but no position holds any alternative (only "
                "the sampled tokens' logprobs came back): the server (or a gateway) ignores "
                "top_logprobs, so nothing is known of the tail at any position"
            )
        most = self.most
        if self.with_some < SEEN_CAP or not self.least == most < asked:
            return None
        return (
            f"top_logprobs={asked} was asked, but every position holds {most} alternative(s): "
            "the server (or a gateway) caps them without saying so. The tail mass, bounds and "
            f"exact flags are those of the {most} returned; ask for top_logprobs={most} to "
            "match what it sends"
        )


def capped(answers: Sequence[TokenDistribution], asked: int | None) -> str | None:
    """Why `answers` hold fewer alternatives than the `asked` top_logprobs; `None` if they do not.

    Servers and gateways may cap the alternatives without saying so (Azure takes 20 and returns
    5; LMDeploy returned 4 of 5), or ignore top_logprobs. A cap leaves every position the same
    count; fewer at some positions only is no cap: OpenAI documents that a position may hold
    fewer than asked, and llama-cpp-python, which keys alternatives by their text, merges two
    tokens of the same text (most often at k in the hundreds). So this needs `SEEN_CAP`
    positions or more that hold one count below `asked`, or alternatives at no position at
    all. A position with none among positions with some is left out (an echoed prompt's first).
    """
    if not asked:  # nothing to compare with: no pass over the positions
        return None
    held = Held()
    for d in answers:
        held.add(d)
    return held.capped(asked)
