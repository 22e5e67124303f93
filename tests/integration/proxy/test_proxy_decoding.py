"""proxy.generate and proxy.choose end to end: the base behind a real llama.cpp server.

The same setup as test_proxy_ground_truth.py (SmolLM2-135M-Instruct served, a tuned twin
in-process; scripts/integration-proxy.sh). The truth is computed here from full logits
in-process, token by token, without tokenprobs' combination code.

The server re-evaluates the prefix of each call in one batch, and llama.cpp's batched kernels
round quantised (Q4_1) weights differently from its one-token ones, so the server's logprobs
differ from any one in-process evaluation order by up to a few 1e-2 on likely tokens. The
tolerance for a near-tie is therefore measured, not assumed: twice the largest difference
between the server's returned logprobs and the in-process ones over the accepted positions.
"""

from __future__ import annotations

import math

import numpy as np
import openai
import pytest
from tests.integration.proxy.proxy_env import SMOLLM2, proxy_env
from tests.integration.proxy.test_proxy_ground_truth import _lossy_ambiguous

import tokenprobs as tp
from tokenprobs import proxy

pytestmark = pytest.mark.integration

MODEL = "proxy-base"
BATCH_ROUNDING = 0.5
"""The largest batch-shape difference measured for SmolLM2 Q4_1 (0.49 nats, docs/proxy.md)."""
RAW_GREEDY = {"repeat_penalty": 1.0}
"""llama-cpp-python's server penalises repeats (1.1) by default, even at temperature 0."""
ALPHA = 1.0


@pytest.fixture(scope="module")
def setup():
    """The server's client and the three in-process models (fail in CI when missing)."""
    url, *paths = proxy_env(SMOLLM2)
    models = [proxy.LlamaCppScorer(p, n_threads=2) for p in paths]
    with openai.OpenAI(base_url=url, api_key="sk-local") as client:
        yield client, *models


@pytest.mark.parametrize("prompt", ["The capital of France is", "Once upon a time, a small dog"])
def test_generate_is_greedy_proxy_tuning_where_certified(setup, prompt):
    """Speculative greedy decoding gives full-vocabulary proxy-tuning's tokens where certified."""
    client, base, expert, anti = setup
    drafter = proxy.CompletionsDrafter(
        client, MODEL, token_ids=False, vocab=base.vocab, extra_body=RAW_GREEDY
    )
    ids = base.tokenize(prompt)
    g = proxy.generate(ids, base=drafter, expert=expert, anti=anti, max_tokens=16, draft=8)
    b = base.score(ids, g.ids, one_by_one=True)
    e, a = expert.score(ids, g.ids), anti.score(ids, g.ids)
    # the measured server / in-process difference on what the server returned, per position,
    # over the keys its lossy strings name unambiguously (see test_proxy_ground_truth.py)
    ambiguous = _lossy_ambiguous(base.vocab)
    drift = 0.0
    j = 0
    for d, taken in zip(g.drafts, g.accepted, strict=True):
        for i in range(min(taken + 1, len(d))):
            for key, lp in d.candidates.row(i).items():
                if key in b.index and key not in ambiguous and j + i < len(g.ids):
                    drift = max(drift, abs(lp - float(b.logprobs[j + i, b.index[key]])))
        j += taken + (taken < len(d))
    assert drift < BATCH_ROUNDING, f"server and in-process differ by {drift}"
    tie = 2 * drift
    # the server takes text: from the first call whose prefix re-tokenises differently, it
    # continues other tokens than the pair scored, so only the tokens before it are compared
    produced = [t + (t < len(d)) for d, t in zip(g.drafts, g.accepted, strict=True)]
    seam = sum(produced[: g.seam_ok.index(False)]) if False in g.seam_ok else len(g.ids)
    ok = np.append(g.certified[:seam], False)
    certified_prefix = int(np.argmin(ok))
    # up to the first uncertified token the output is full-vocabulary greedy decoding's; after
    # it, every certified token is still greedy proxy-tuning's given the prefix generated
    for i in np.flatnonzero(g.certified[:seam]):
        s = b.logprobs[i] + ALPHA * (e.logprobs[i] - a.logprobs[i])
        best = int(np.argmax(s))
        ours = b.index[base.vocab[g.ids[i]]]
        assert best == ours or s[best] - s[ours] <= tie, (
            i,
            base.vocab[g.ids[i]],
            s[best] - s[ours],
        )
    assert certified_prefix > 0, "no certified token: a vacuous comparison"
    assert sum(g.accepted) == int(g.from_base.sum())
    assert g.base_calls == len(g.drafts)
    assert g.tokens_per_call > 1, f"one token per call: {g.accepted}"
    print(  # noqa: T201 - the cost report, for docs/proxy.md
        f"\n{prompt!r} -> {g.text!r}: {len(g.ids)} tokens, {g.base_calls} base calls, "
        f"accepted per call {g.accepted}, certified {int(g.certified.sum())}/{len(g.ids)} "
        f"(exact prefix {certified_prefix}), seam breaks {g.seam_mismatches}, "
        f"drift {drift:.2e}"
    )


QUESTIONS = [
    ("What is the capital of France?", ["Berlin", "Paris", "Rome", "Madrid"], "B"),
    ("How many legs does a spider have?", ["Six", "Four", "Eight", "Ten"], "C"),
    ("Which planet is closest to the Sun?", ["Mercury", "Venus", "Mars", "Earth"], "A"),
    ("What colour is the sky on a clear day?", ["Green", "Red", "Yellow", "Blue"], "D"),
]
LETTERS = ["A", "B", "C", "D"]


def _question(text: str, options: list[str]) -> str:
    lines = [f"{letter}. {option}" for letter, option in zip(LETTERS, options, strict=True)]
    return f"{text}\n" + "\n".join(lines) + "\nAnswer with the letter only.\nAnswer:"


def test_choose_runs_the_papers_protocol(setup):
    """§7 end to end: the base's top 5 over chat, the pair in-process, coverage reported."""
    client, _, expert, anti = setup

    def ask(prompt: str) -> tp.TokenDistribution:
        return tp.get_token_distribution(
            [{"role": "user", "content": prompt}],
            model=MODEL,
            client=client,
            top_logprobs=5,
            max_tokens=1,
            temperature=0,
        )

    rows = []
    for text, options, answer in QUESTIONS:
        prompt = _question(text, options)
        d = ask(prompt)
        got = proxy.choose(prompt, LETTERS, base=d, expert=expert.next, anti=anti.next)
        keys = set(d.candidates.keys(0))
        returned = {o for o in LETTERS if o.encode() in keys or b" " + o.encode() in keys}
        assert got.covered == bool(returned)
        assert set(got.imputed) == set(LETTERS) - returned
        assert math.isclose(sum(got.probs.values()), 1.0, rel_tol=1e-9)
        assert got.option in LETTERS
        rows.append((got, answer))
    covered = [g for g, _ in rows if g.covered]
    print(  # noqa: T201 - the protocol's report
        f"\ncovered {len(covered)}/{len(rows)}; base right "
        f"{sum(g.base_option == a for g, a in rows)}, proxy right "
        f"{sum(g.option == a for g, a in rows)}, certified {sum(g.certified for g, _ in rows)}"
    )
    assert covered, "no question had an option in the base's top 5"


def test_the_server_refuses_token_id_prompts(setup):
    """llama-cpp-python 0.3.36 types `prompt` as text (`str | list[str]`): ids get an error.

    A 500 (not a 422: its error handler wraps pydantic's validation error) saying "Input should
    be a valid string". This is why the drafts above send the prefix as text (docs/proxy.md's
    server table); the day the server takes ids, this fails and `token_ids=True` can be used.
    """
    client, base, _, _ = setup
    once = client.with_options(max_retries=0)  # the SDK retries a 500
    ids = base.tokenize("The capital of France is")
    for prompt in (ids, [ids]):
        with pytest.raises(openai.InternalServerError, match="valid string"):
            once.completions.create(model=MODEL, prompt=prompt, max_tokens=1)
    with pytest.raises(openai.InternalServerError, match="valid string"):
        proxy.CompletionsDrafter(once, MODEL, token_ids=True).draft(ids, 1)
    text = proxy.CompletionsDrafter(once, MODEL, token_ids=False, vocab=base.vocab)
    assert len(text.draft(ids, 1)) == 1
