"""`Labels.score` on the tiny random-weight llama-cpp-python server, against its logits.

The truth is `llama_truth.py` (the same GGUF in-process, run by the server venv's Python), each
variant's tokens chosen by the seam rule written out in `test_scoring._expected`. Random weights
spread the mass thinly, so the labels sit deep in the tail: top-5 bounds are wide, the exact
values must still lie inside them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from tests.integration.test_scoring import FLOAT32, QUESTION, _expected, truth

import tokenprobs as tp

pytestmark = pytest.mark.integration

__all__ = ["truth"]  # the in-process truth fixture, shared with test_scoring

LABELS = {"the": [" the", " The"], "his": [" his", " her"], "fish": [" fish fish"]}


def test_exact_label_probabilities_on_the_tiny_model(client, truth):
    """Each label's exact probability is the in-process product; inside the top-5 bounds."""
    labels = tp.Labels(LABELS)
    res = labels.score(QUESTION, model="tiny", client=client, concurrency=2)
    variants = [v for vs in LABELS.values() for v in vs]
    want = iter([_expected(t, QUESTION) for t in truth([QUESTION + v for v in variants])])
    d = tp.get_token_distribution(
        QUESTION,
        model="tiny",
        client=client,
        endpoint="completions",
        top_logprobs=5,
        max_tokens=3,
        temperature=0,
        profile="llama.cpp",
    )
    bounded = labels.probs(d, at=0)
    multi = 0
    for name, vs in LABELS.items():
        parts = [next(want) for _ in vs]
        for (tokens, _), v in zip(parts, vs, strict=True):
            assert "".join(tokens) == v, (tokens, v)  # the premise: no token crosses the seam
            multi += len(tokens) > 1
        # one logprob agrees to FLOAT32 (1e-5); a variant of n tokens to n * 1e-5 in its sum
        p = math.fsum(math.exp(sum(lps)) for _, lps in parts)
        n = max(len(t) for t, _ in parts)
        assert res.raw[name] == pytest.approx(p, rel=n * FLOAT32 * 1.01, abs=1e-15), name
        lo, hi = bounded.bounds[name]
        assert lo - 1e-6 <= res.raw[name] <= hi + 1e-6, (name, res.raw[name], (lo, hi))
    assert multi > 0, "no multi-token variant: the product over tokens never ran"
    assert res.exact
    assert res.tail == pytest.approx(1 - sum(res.raw.values()), abs=1e-12)
    assert np.isfinite(list(res.probs.values())).all()
