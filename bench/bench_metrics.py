"""Time tokenprobs.metrics on a (4096, 20) logprob array, in one run, against two baselines.

* a hand-written numpy reference (what a careful user writes inline): target <= 2x its time;
* the OpenAI cookbook's per-token Python loop (math.exp per token, entropy by a Python sum):
  target >= 20x faster.

All three compute the same five quantities per position: probabilities, renormalised
probabilities, tail mass, entropy of the renormalised head, and the top-2 margin.

Run: `.venv/bin/python bench/bench_metrics.py` (prints the table docs/performance.md quotes).
"""

from __future__ import annotations

import math
import platform
import sys
import timeit

import numpy as np

from tokenprobs import metrics

T, K = 4096, 20


def make_logprobs(seed: int = 0) -> np.ndarray:
    """Realistic heads: sorted log-softmax of random logits over a 50k vocabulary, top 20."""
    rng = np.random.default_rng(seed)
    logits = rng.gumbel(size=(T, K)) * rng.uniform(0.5, 4.0, size=(T, 1))
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True) + 5.0)  # leave some tail
    return -np.sort(-logp, axis=-1)


def tokenprobs_metrics(x: np.ndarray) -> tuple[np.ndarray, ...]:
    """The five quantities through tokenprobs.metrics."""
    return (
        metrics.probs(x),
        metrics.renormalize(x, log=False),
        metrics.tail_mass(x),
        metrics.entropy(x),
        metrics.margin(x),
    )


def numpy_reference(x: np.ndarray) -> tuple[np.ndarray, ...]:
    """The same quantities, hand-written numpy with no input checks or edge cases."""
    p = np.exp(x)
    total = p.sum(axis=-1, keepdims=True)
    q = p / total
    h = -(q * np.log(q)).sum(axis=-1)
    top2 = np.partition(p, K - 2, axis=-1)[:, K - 2 :]
    return p, q, 1.0 - total[:, 0], h, top2[:, 1] - top2[:, 0]


def cookbook_loop(rows: list[list[float]]) -> list[tuple[object, ...]]:
    """The per-token loop of the OpenAI cookbook: math.exp per token, entropy by a Python sum."""
    out = []
    for row in rows:
        p = [math.exp(lp) for lp in row]
        total = sum(p)
        q = [pi / total for pi in p]
        h = -sum(qi * math.log(qi) for qi in q if qi > 0)
        first, second = sorted(p, reverse=True)[:2]
        out.append((p, q, 1.0 - total, h, first - second))
    return out


def best(fn: object, arg: object, number: int, repeat: int = 7) -> float:
    """Best per-call time in seconds over `repeat` runs of `number` calls."""
    timer = timeit.Timer(lambda: fn(arg))  # type: ignore[operator]
    return min(timer.repeat(repeat=repeat, number=number)) / number


def main() -> int:
    """Check the three agree, time them, print the ratios; exit 1 if a target is missed."""
    x = make_logprobs()
    rows = x.tolist()
    ours, ref, loop = tokenprobs_metrics(x), numpy_reference(x), cookbook_loop(rows)
    for a, b in zip(ours, ref, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours[3], [r[3] for r in loop], rtol=1e-9, atol=1e-12)

    t_ours = best(tokenprobs_metrics, x, number=50)
    t_ref = best(numpy_reference, x, number=50)
    t_loop = best(cookbook_loop, rows, number=2)
    vs_ref, vs_loop = t_ours / t_ref, t_loop / t_ours
    print(f"machine: {platform.system()} {platform.machine()}, Python {sys.version.split()[0]}")
    print(f"numpy {np.__version__}; input ({T}, {K}) float64; best of 7 runs")
    print(f"tokenprobs.metrics   {t_ours * 1e3:8.3f} ms")
    print(f"numpy reference      {t_ref * 1e3:8.3f} ms   tokenprobs / reference = {vs_ref:.2f}x")
    print(f"cookbook loop        {t_loop * 1e3:8.3f} ms   loop / tokenprobs = {vs_loop:.0f}x")
    ok = vs_ref <= 2.0 and vs_loop >= 20.0
    print("targets (<= 2x reference, >= 20x loop):", "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
