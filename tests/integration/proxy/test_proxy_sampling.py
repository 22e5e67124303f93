"""Speculative sampling against the real server: the output distribution is the proxy-tuned one.

One step (`max_tokens=1`, `draft=1`), `support="base"`: the SmolLM2 server samples a token at
temperature 1 with every truncation off (`top_k` 0, `top_p` 1, `min_p` 0, no repeat penalty),
seeded per draw; `generate(sample=True)` accepts it with probability `min(1, q/p_B)` or draws
from the residual. If the server samples from the distribution it reports, the result is
distributed exactly as q: proxy-tuning over the base's 20 returned alternatives, renormalised.
The truth q is computed here from full logits in-process (the base GGUF and the tuned twin),
without tokenprobs, and the counts of `DRAWS` draws are compared with it by a chi-square test
at `ALPHA_TEST` = 1e-3: a correct implementation fails one run in a thousand.
"""

from __future__ import annotations

import numpy as np
import openai
import pytest
from scipy import stats
from tests.integration._float32 import CROSS_MACHINE_ATOL
from tests.integration.proxy.proxy_env import SMOLLM2, proxy_env

from tokenprobs import proxy

pytestmark = pytest.mark.integration

MODEL = "proxy-base"
PROMPT = "My favourite animal is the"
K = 20
DRAWS = 200
"""~0.4 s each: llama-cpp-python's server sorts the whole vocabulary for the top-k."""
ALPHA_TEST = 1e-3
UNTRUNCATED = {"top_k": 0, "top_p": 1.0, "min_p": 0.0, "repeat_penalty": 1.0}


def _chi2(counts: np.ndarray, expected_p: np.ndarray) -> tuple[float, int]:
    """Pearson's chi-square p-value; bins expected below 5 pooled into one (Cochran's rule)."""
    expected = expected_p * counts.sum()
    small = expected < 5  # Cochran's rule
    obs = [*counts[~small], counts[small].sum()] if small.any() else list(counts)
    exp = [*expected[~small], expected[small].sum()] if small.any() else list(expected)
    obs_a, exp_a = np.array(obs, dtype=float), np.array(exp, dtype=float)
    stat = float(((obs_a - exp_a) ** 2 / exp_a).sum())
    return float(stats.chi2.sf(stat, len(obs) - 1)), len(obs)


def test_speculative_sampling_draws_from_the_proxy_distribution():
    """Chi-square of DRAWS seeded draws against q from full logits: p > 1e-3."""
    url, *paths = proxy_env(SMOLLM2)
    base, expert, anti = (proxy.LlamaCppScorer(p, n_threads=2) for p in paths)
    ids = base.tokenize(PROMPT)
    # the truth, from the full logits of all three models at the prompt's next position
    lb, le, la = (m.score(ids).logprobs[0] for m in (base, expert, anti))
    keys = base.score(ids).keys
    counts: dict[bytes, int] = {}
    returned: set[frozenset[bytes]] = set()
    with openai.OpenAI(base_url=url, api_key="sk-local") as client:
        for seed in range(DRAWS):
            drafter = proxy.CompletionsDrafter(
                client,
                MODEL,
                top_logprobs=K,
                token_ids=False,
                vocab=base.vocab,
                temperature=1.0,
                extra_body={**UNTRUNCATED, "seed": seed},
            )
            g = proxy.generate(
                ids,
                base=drafter,
                expert=expert,
                anti=anti,
                support="base",
                max_tokens=1,
                draft=1,
                sample=True,
                seed=10_000 + seed,
            )
            row = g.drafts[0].candidates.row(0)  # the top 20, and the drawn token if outside
            returned.add(frozenset(sorted(row, key=lambda k: -row[k])[:K]))
            for k, v in row.items():  # the server reports the raw softmax
                assert abs(v - float(lb[keys.index(k)])) <= CROSS_MACHINE_ATOL, k
            counts[g.pieces[0]] = counts.get(g.pieces[0], 0) + 1
    col = [int(j) for j in np.argsort(-lb, kind="stable")[:K]]  # the in-process top 20
    support = [keys[j] for j in col]
    assert returned == {frozenset(support)}, "the server's top 20 is not the model's"
    s = lb[col] + (le[col] - la[col])
    q = np.exp(s - np.logaddexp.reduce(s))
    p_b = np.exp(lb[col] - np.logaddexp.reduce(lb[col]))
    assert set(counts) <= set(support), set(counts) - set(support)
    observed = np.array([counts.get(k, 0) for k in support])
    p_value, bins = _chi2(observed, q)
    p_unsteered, _ = _chi2(observed, p_b)
    tv = 0.5 * float(np.abs(q - p_b).sum())
    print(  # noqa: T201 - the measured test, for docs/proxy.md
        f"\n{DRAWS} draws over {len(support)} candidates ({bins} bins): chi-square p = "
        f"{p_value:.3f} against q; p = {p_unsteered:.2e} against the unsteered base "
        f"(TV(q, p_B) = {tv:.3f}); most drawn {sorted(counts.items(), key=lambda x: -x[1])[:4]}"
    )
    assert observed.sum() == DRAWS
    assert p_value > ALPHA_TEST
