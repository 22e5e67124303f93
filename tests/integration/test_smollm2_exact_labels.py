"""`Labels.score` (exact label probabilities) on the real SmolLM2 server, against its logits.

The truth is the same GGUF in-process (`smollm2_sequence_truth.py`, run by the server venv's
Python, never by tokenprobs): each variant's logprob as the continuation of the prompt, summed
over its tokens from the full-vocabulary log-softmax. The same questions asked with top-20
alternatives give `Labels.probs` bounds, which the exact values must lie in.
"""

from __future__ import annotations

import json
import math
import subprocess

import pytest
from tests.integration.test_smollm2_labels import RELIABILITY, ROOT, TOL, client, env

import tokenprobs as tp

pytestmark = pytest.mark.integration

__all__ = ["client", "env"]  # the SmolLM2 fixtures, shared with test_smollm2_labels

LABELS = {
    "yes": [" Yes", " yes", " YES", "Yes"],
    "no": [" No", " no", " NO", "No"],
    "unsure": [" I don't know", " Maybe"],
}
"""The surface forms scored: the complete forms SmolLM2 puts in its top 20 after these prompts,
and multi-token ones (`" I don't know"`, `" YES"`), so that the product over tokens runs."""


def _prompt(question: str) -> str:
    # a plain prompt, no chat template: llama-cpp-python 0.3.36 leaves special tokens out of an
    # echo's tokens and offsets but not out of its text, which tp.score cannot align (yet)
    return f"Question: {question}\nAnswer (yes or no):"


REL = 5e-4
"""Server vs in-process, relative, on a label probability. Both are the same llama.cpp build's
float32 logits on this CPU: one token's logprob agrees to `LP_TOL` = 1e-4 at worst (float32
log-softmax ~1e-6, batch split and prompt-cache noise ~5e-7 seen, see conftest.TOLERANCE); a
variant here has at most 4 tokens, so its logprob agrees to 4e-4 and its probability to
`exp(4e-4) - 1 < 5e-4` relative; a label's sum of variants keeps the relative bound."""


def _truth(env: dict[str, str], pairs: list[tuple[str, str]]) -> list[dict]:
    done = subprocess.run(  # noqa: S603 - our helper, run by the server venv's Python
        [
            env["TOKENPROBS_LLAMA_PYTHON"],
            str(ROOT / "tests/integration/smollm2_sequence_truth.py"),
            env["TOKENPROBS_SMOLLM2_GGUF"],
        ],
        input=json.dumps({"pairs": pairs}),
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_exact_label_probabilities_equal_the_logits_and_lie_in_the_top_k_bounds(env, client):
    """Each label's exact probability is the in-process one, and inside the top-20 `.bounds`."""
    labels = tp.Labels(LABELS)
    prompts = [_prompt(q) for q, _ in RELIABILITY.QUESTIONS[:4]]
    pairs = [(p, v) for p in prompts for vs in LABELS.values() for v in vs]
    want = iter(_truth(env, pairs))
    ds = tp.get_token_distributions(
        prompts,
        model=RELIABILITY.MODEL,
        client=client,
        endpoint="completions",
        top_logprobs=20,
        max_tokens=4,
        temperature=0,
        profile="llama.cpp",
        progress=False,
        concurrency=2,
    )
    multi = 0
    for prompt, d in zip(prompts, ds, strict=True):
        assert not isinstance(d, Exception), d
        bounded = labels.probs(d, at=0)
        res = labels.score(prompt, model=RELIABILITY.MODEL, client=client, concurrency=2)
        assert res.exact
        total = 0.0
        for name, variants in LABELS.items():
            truths = [next(want) for _ in variants]
            assert all(t["clean"] for t in truths), truths  # the test's premise: no seam merge
            multi += sum(len(t["tokens"]) > 1 for t in truths)
            p = math.fsum(math.exp(t["logprob"]) for t in truths)
            total += p
            assert res.raw[name] == pytest.approx(p, rel=REL, abs=1e-12), (name, truths)
            assert res.bounds[name] == (res.raw[name], res.raw[name])
            lo, hi = bounded.bounds[name]
            assert lo - TOL <= res.raw[name] <= hi + TOL, (name, res.raw[name], (lo, hi))
        assert res.tail == pytest.approx(1 - total, abs=REL)
        assert res.label == bounded.label
    assert multi > 0, "no multi-token variant: the product over tokens never ran"
