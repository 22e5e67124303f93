"""Greedy proxy-tuned generation when the small pair tokenises differently from the base.

The same speculative loop as `generate`, in bytes: the base drafts from the text so far (sent as
text: no shared ids), each drafted position's candidates are valued by the small models' byte-
prefix probabilities (`BytePrefix`), and a drafted token is accepted while it is the combined
argmax. Certification needs a bound on every unseen base token's small-model values, which
byte-prefix probabilities do not give, so nothing is certified without a `floor`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tokenprobs.proxy._combine import Support, combine
from tokenprobs.proxy._drafter import Record, checked_draft

if TYPE_CHECKING:
    from collections.abc import Collection

    from tokenprobs.models import TokenDistribution
    from tokenprobs.proxy._bytes import BytePrefix
    from tokenprobs.proxy._drafter import Drafter, Generation

__all__ = ["generate_bytes"]


def _known(d: TokenDistribution) -> int:
    """How many drafted tokens have bytes (a lossy empty string has none), up to the first gap."""
    for j in range(len(d)):
        if not d.candidates.sampled_key(j):
            return j
    return len(d)


def generate_bytes(
    prompt: str | bytes,
    *,
    base: Drafter,
    expert: BytePrefix,
    anti: BytePrefix,
    alpha: float,
    max_tokens: int,
    draft: int,
    support: Support,
    stop: Collection[bytes],
    floor: float | None,
) -> Generation:
    """`generate` over bytes: the base's text continued, its candidates scored by byte prefix."""
    context = prompt.encode() if isinstance(prompt, str) else bytes(prompt)
    rec = Record()
    pieces = rec.pieces
    finish = "length"
    while len(pieces) < max_tokens:
        so_far = context + b"".join(pieces)
        d = checked_draft(
            base, so_far.decode("utf-8", errors="replace"), min(draft, max_tokens - len(pieces))
        )
        if not len(d):
            finish = "base"
            break
        known = _known(d)
        d = d[: known + 1] if known < len(d) else d
        step = combine(
            d, expert.at(so_far, d), anti.at(so_far, d), alpha=alpha, support=support, floor=floor
        )
        rec.steps.append(step)
        rec.drafts.append(d)
        taken = 0
        for j in range(len(d)):
            choice = bytes(step.distribution.token_bytes[j] or b"")
            drawn = d.candidates.sampled_key(j)
            rec.token(step, j, choice, drafted=choice == drawn)
            if choice != drawn:
                break
            taken += 1
            if choice in stop or len(pieces) >= max_tokens:
                break
        rec.accepted.append(taken)
        if pieces[-1] in stop:
            finish = "stop"
            break
        if taken == len(d) and d.finish_reason == "stop" and len(d) < draft:
            finish = "base"
            break
    return rec.generation(finish)
