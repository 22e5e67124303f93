"""Exact label probabilities from scoring calls: each variant scored as the continuation.

What "exact" means here: for each variant string `s` *as written*, `P(s) = exp(sum of the
server's logprobs of the tokens of s after context)`, the server's own tokenisation of
`context + s` (the probability that the answer's first tokens are exactly those); a label's
probability is the sum over its variants. As in the chain rule of `Labels.probs`, a label ends
at the token boundary where its text ends: what comes after (`"Yes."`, `"Yes!"`) is not looked
at. The variants must be disjoint events, so none may be a prefix of another (`"New"` with
`"New York"`: the chance of starting with `"New"` contains the other's; deciding between them
needs the whole next-token distribution, which a score does not give). Nothing is bounded:
`.bounds` collapse to the value, `.tail` is everything else the model might write,
`1 - sum(raw)`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from tokenprobs.client import DEFAULT_RETRY
from tokenprobs.exceptions import ScoringError
from tokenprobs.labels._result import LabelResult, build
from tokenprobs.scoring import score_many

if TYPE_CHECKING:
    import openai

    from tokenprobs.client import RetryPolicy
    from tokenprobs.guards import GuardMode, GuardProfile
    from tokenprobs.models import TokenDistribution

__all__ = ["score_labels"]

_SEAM_HINT = (
    "end the context where a token ends (after the chat template's newline, or before the "
    "space that starts the answer, with the space written into each variant: ' Yes')"
)


def _disjoint(variants: list[str]) -> None:
    for a in variants:
        for b in variants:
            if a != b and b.startswith(a):
                msg = (
                    f"variant {a!r} is a prefix of {b!r}: the probability of an answer starting "
                    f"with {a!r} contains the answers starting with {b!r}, and only the whole "
                    "next-token distribution could tell them apart; score disjoint strings, or "
                    "use Labels.probs (the chain rule along the sampled path)"
                )
                raise ValueError(msg)


def _logprob(d: TokenDistribution, variant: str, context: str) -> float:
    if d.text != variant or np.isnan(d.logprobs).any():
        what = (
            f"the server's tokens of the context and {variant!r} cross the seam: the scored "
            f"positions spell {d.text!r}, so their logprobs are not those of {variant!r} after "
            f"the context (…{context[-20:]!r})"
        )
        raise ScoringError(what, hint=_SEAM_HINT)
    return math.fsum(d.logprobs.tolist())


def score_labels(
    names: tuple[str, ...],
    variants: dict[str, tuple[str, ...]],
    context: str,
    *,
    model: str,
    client: openai.OpenAI | None,
    top_logprobs: int = 1,
    concurrency: int = 8,
    retry: RetryPolicy | None = DEFAULT_RETRY,
    guards: GuardMode = "strict",
    profile: str | GuardProfile | None = None,
    create_kwargs: dict[str, object],
) -> LabelResult:
    """The exact `LabelResult` of a label set after `context` (see the module docstring)."""
    if not context:
        msg = "Labels.score needs the prompt as context: the first token of a text has no logprob"
        raise ValueError(msg)
    flat = [(v, k) for k, name in enumerate(names) for v in variants[name]]
    strings = [v for v, _ in flat]
    _disjoint(strings)
    results = score_many(
        strings,
        model=model,
        context=context,
        client=client,
        top_logprobs=top_logprobs,
        concurrency=concurrency,
        progress=False,
        retry=retry,
        guards=guards,
        profile=profile,
        **create_kwargs,
    )
    logprobs = np.full(len(names), -math.inf)
    multi: set[str] = set()
    for (v, k), result in zip(flat, results, strict=True):
        if isinstance(result, Exception):
            raise result
        logprobs[k] = np.logaddexp(logprobs[k], _logprob(result, v, context))
        if len(result) > 1:
            multi.add(names[k])
    raw = np.exp(logprobs)
    return build(
        names,
        raw,
        raw,
        raw,
        unmatched=0.0,
        ambiguous_sets={},
        tail=max(0.0, 1.0 - math.fsum(raw.tolist())),
        position=0,
        exact=True,
        multi_token=frozenset(multi),
    )
