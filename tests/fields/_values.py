"""One JSON field's value spelt by given tokens: what the value-matching tests build on."""

from __future__ import annotations

import math

import tokenprobs as tp
from tokenprobs.testing import chat_completion


def value_dist(before: str, after: str, *positions: tuple) -> tp.TokenDistribution:
    """`before`, the positions `(token, prob, [(alt, prob), ...])`, then `after`, forced (p = 1).

    `value_dist('{"v":', "}", ...)` spells a bare value (a number), `'{"v":"'` and `'"}'` a
    string's characters.
    """
    log = math.log
    return tp.parse(
        chat_completion(
            [
                (before, 0.0, []),
                *[(t, log(p), [(a, log(q)) for a, q in alts]) for t, p, alts in positions],
                (after, 0.0, []),
            ],
            finish_reason="stop",
        )
    )
