"""Comparing a live llama.cpp answer with one recorded on another machine, honestly.

llama.cpp computes in float32 with kernels chosen for the CPU it runs on (AVX2, AVX-512, AMX;
their summation orders differ, and so does the split across threads). Float32 rounds to about
6e-8 relative per operation; through a forward pass the logprobs move by ~1e-5 between CPUs
(3.9e-5 was seen between two machines of this kind: -2.1335957 live vs -2.1335571 recorded).
So a recorded-vs-live comparison allows `CROSS_MACHINE_ATOL` on each logprob, and an order or a
greedy choice may flip only between values that are tied within that noise. Everything that is
exact stays exact: the token strings, their order where not tied, the number of positions.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tokenprobs as tp

__all__ = ["CROSS_MACHINE_ATOL", "assert_same_answer"]

CROSS_MACHINE_ATOL = 5e-4
"""An order of magnitude over the largest cross-CPU drift seen (3.9e-5), still far below any
difference a test here draws a conclusion from (the tiny model's alternatives are ~0.1 apart)."""


def _alternatives_agree(i: int, live: tp.TokenDistribution, rec: tp.TokenDistribution) -> None:
    tie = 2 * CROSS_MACHINE_ATOL
    have = dict(zip(live.top_tokens[i], live.top_logprobs[i].tolist(), strict=False))
    want = dict(zip(rec.top_tokens[i], rec.top_logprobs[i].tolist(), strict=False))
    for side, mine, other in (("live", have, want), ("recorded", want, have)):
        if not other:
            continue
        cutoff = min(other.values())
        for token, value in mine.items():
            # only a token at the edge of the top-k may fall in or out of it on another CPU
            assert token in other or abs(value - cutoff) <= tie, (
                f"position {i}: {side} alternative {token!r} ({value}) is not on the other "
                f"side and not tied with its cut-off {cutoff}"
            )
    common = [t for t in rec.top_tokens[i] if t in have]
    for token in common:
        assert abs(have[token] - want[token]) <= CROSS_MACHINE_ATOL, (
            f"position {i}, alternative {token!r}: live {have[token]} vs recorded {want[token]}"
        )
    live_order = [t for t in live.top_tokens[i] if t in want]
    for a, b in zip(live_order, common, strict=True):
        assert a == b or abs(want[a] - want[b]) <= tie, (
            f"position {i}: alternatives in another order ({live_order} vs {common}) "
            "between values that are not tied"
        )


def assert_same_answer(live: tp.TokenDistribution, recorded: tp.TokenDistribution) -> int:
    """Assert that `live` is `recorded` up to float32 noise; return the positions compared.

    Tokens, their alternatives and the length are compared exactly, logprobs within
    `CROSS_MACHINE_ATOL`. A sampled token may differ only where the two candidates were tied
    within that noise in the recording; the answers then diverge legitimately and the comparison
    stops there.
    """
    for i in range(len(recorded)):
        assert i < len(live), f"live answer ends at {i} tokens, the recording has {len(recorded)}"
        _alternatives_agree(i, live, recorded)
        if live.tokens[i] != recorded.tokens[i]:
            scores = dict(
                zip(recorded.top_tokens[i], recorded.top_logprobs[i].tolist(), strict=False)
            )
            flipped = live.tokens[i] in scores and math.isclose(
                scores[live.tokens[i]], float(recorded.logprobs[i]), abs_tol=2 * CROSS_MACHINE_ATOL
            )
            assert flipped, (
                f"position {i}: live token {live.tokens[i]!r}, recorded {recorded.tokens[i]!r}, "
                "and they were not tied"
            )
            return i
        a, b = float(live.logprobs[i]), float(recorded.logprobs[i])
        assert (math.isnan(a) and math.isnan(b)) or abs(a - b) <= CROSS_MACHINE_ATOL, (
            f"position {i}, token {recorded.tokens[i]!r}: live {a} vs recorded {b}"
        )
    assert len(live) == len(recorded)
    assert math.isclose(live.perplexity, recorded.perplexity, rel_tol=CROSS_MACHINE_ATOL)
    return len(recorded)
