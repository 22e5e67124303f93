"""Time tokenprobs.metrics on a (4096, 20) logprob array, in one run, against two baselines.

Every variant computes the same five quantities per position: probabilities, renormalised
probabilities, tail mass, entropy of the renormalised head, and the top-2 margin.

* `metrics.summary`: one fused call, the way `TokenDistribution` computes its columns (it also
  computes `log_margin`, which the others do not);
* the five separate public calls (`probs`, `renormalize`, `tail_mass`, `entropy`, `margin`);
* a hand-written numpy reference (what a careful user writes inline: one `exp`, no input
  checks, no edge cases). Target: `summary` no slower than it;
* the OpenAI cookbook's per-token loop as the cookbook writes it (examples/Using_logprobs.ipynb):
  iterate the SDK's `ChatCompletionTokenLogprob` / `TopLogprob` objects and call
  `np.exp(logprob.logprob)` per token, extended to the five quantities in the same style.
  Target: `summary` at least 20x faster;
* an extra, faster-than-cookbook loop over plain lists of floats with `math.exp`, so the
  comparison does not rest on the cookbook's slow `np.exp` on scalars.

The SDK objects and lists are built once, outside the timing. The variants are first checked to
agree, then timed in interleaved rounds (each round times every variant once, so a burst of load
from other jobs hits all of them); the ratios use the best round of each (min), the median is
printed alongside. Exit status 1 names each missed target.

Run: `.venv/bin/python bench/bench_metrics.py [--rounds N]` (prints the table
docs/performance.md quotes).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
import timeit
from typing import TYPE_CHECKING, Any

import numpy as np
from openai.types.chat import ChatCompletionTokenLogprob
from openai.types.chat.chat_completion_token_logprob import TopLogprob

from tokenprobs import metrics

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

T, K = 4096, 20
Five = tuple[Any, Any, Any, Any, Any]


def make_logprobs(seed: int = 0) -> np.ndarray:
    """Realistic heads: sorted log-softmax of random logits over a 50k vocabulary, top 20."""
    rng = np.random.default_rng(seed)
    logits = rng.gumbel(size=(T, K)) * rng.uniform(0.5, 4.0, size=(T, 1))
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True) + 5.0)  # leave some tail
    return -np.sort(-logp, axis=-1)


def make_sdk_content(x: np.ndarray) -> list[ChatCompletionTokenLogprob]:
    """`response.choices[0].logprobs.content` as the SDK gives it: the sampled token is the top
    alternative, so the support is exactly the K alternatives."""
    return [
        ChatCompletionTokenLogprob(
            token="t0",
            bytes=None,
            logprob=row[0],
            top_logprobs=[
                TopLogprob(token=f"t{k}", bytes=None, logprob=v) for k, v in enumerate(row)
            ],
        )
        for row in x.tolist()
    ]


def tokenprobs_summary(x: np.ndarray) -> Five:
    """The five quantities from one `metrics.summary` call."""
    s = metrics.summary(x)
    return s.probs, s.renormalized, s.tail_mass, s.entropy, s.margin


def tokenprobs_separate(x: np.ndarray) -> Five:
    """The five quantities from five separate public calls."""
    return (
        metrics.probs(x),
        metrics.renormalize(x, log=False),
        metrics.tail_mass(x),
        metrics.entropy(x),
        metrics.margin(x),
    )


def numpy_reference(x: np.ndarray) -> Five:
    """The same quantities, hand-written numpy with no input checks or edge cases."""
    p = np.exp(x)
    total = p.sum(axis=-1, keepdims=True)
    q = p / total
    h = -(q * np.log(q)).sum(axis=-1)
    top2 = np.partition(p, K - 2, axis=-1)[:, K - 2 :]
    return p, q, 1.0 - total[:, 0], h, top2[:, 1] - top2[:, 0]


def cookbook_loop(content: list[ChatCompletionTokenLogprob]) -> list[Five]:
    """The cookbook's per-token style: SDK objects, `np.exp(logprob.logprob)` per alternative."""
    out = []
    for token in content:
        probs = [np.exp(logprob.logprob) for logprob in token.top_logprobs]
        total = sum(probs)
        renormalized = [p / total for p in probs]
        entropy = -sum(q * np.log(q) for q in renormalized if q > 0)
        first, second = sorted(probs, reverse=True)[:2]
        out.append((probs, renormalized, 1.0 - total, entropy, first - second))
    return out


def float_loop(rows: list[list[float]]) -> list[Five]:
    """Faster than the cookbook: plain lists of floats and `math.exp`, no SDK objects."""
    out = []
    for row in rows:
        p = [math.exp(lp) for lp in row]
        total = sum(p)
        q = [pi / total for pi in p]
        h = -sum(qi * math.log(qi) for qi in q if qi > 0)
        first, second = sorted(p, reverse=True)[:2]
        out.append((p, q, 1.0 - total, h, first - second))
    return out


def as_arrays(result: Five | list[Five]) -> list[np.ndarray]:
    """The five quantities as float arrays, whichever variant produced them."""
    if isinstance(result, list):
        return [np.array([r[i] for r in result], dtype=np.float64) for i in range(5)]
    return [np.asarray(a, dtype=np.float64) for a in result]


def check_agree(results: dict[str, Five | list[Five]]) -> None:
    """Every variant gives the reference's five quantities (rtol 1e-9), or AssertionError."""
    names = ("probs", "renormalized", "tail_mass", "entropy", "margin")
    want = as_arrays(results["numpy reference"])
    for label, result in results.items():
        for name, got, ref in zip(names, as_arrays(result), want, strict=True):
            np.testing.assert_allclose(
                got, ref, rtol=1e-9, atol=1e-12, err_msg=f"{label}: {name} disagrees"
            )


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
"""`wall` (timeit's default) or `cpu`: this process's CPU time, not inflated by other jobs."""


def time_interleaved(
    variants: Sequence[tuple[str, Callable[[Any], object], object, int]],
    rounds: int,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, list[float]]:
    """Per-call seconds of each variant in each round; every round times every variant once."""
    times: dict[str, list[float]] = {label: [] for label, *_ in variants}
    for _ in range(rounds):
        for label, fn, arg, number in variants:
            elapsed = timeit.timeit(lambda fn=fn, arg=arg: fn(arg), number=number, timer=clock)
            times[label].append(elapsed / number)
    return times


def main(argv: Sequence[str] | None = None) -> int:
    """Check the variants agree, time them, print the table; exit 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="timing rounds (default 15)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall", help="default wall")
    args = parser.parse_args(argv)

    x = make_logprobs()
    content, rows = make_sdk_content(x), x.tolist()
    variants = [
        ("metrics.summary", tokenprobs_summary, x, 20),
        ("five separate calls", tokenprobs_separate, x, 20),
        ("numpy reference", numpy_reference, x, 20),
        ("cookbook loop (SDK objects, np.exp)", cookbook_loop, content, 1),
        ("float loop (lists, math.exp)", float_loop, rows, 1),
    ]
    check_agree({label: fn(arg) for label, fn, arg, _ in variants})  # type: ignore[misc]
    times = time_interleaved(variants, args.rounds, CLOCKS[args.clock])
    best = {label: min(t) for label, t in times.items()}
    median = {label: statistics.median(t) for label, t in times.items()}

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"machine: {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, numpy {np.__version__}, load average {load:.1f}"
    )
    print(
        f"input ({T}, {K}) float64; {args.rounds} interleaved rounds, {args.clock} clock; "
        "ratios use the best round"
    )
    ours = best["metrics.summary"]
    print(f"{'variant':38} {'best':>9} {'median':>9}   best / summary's best")
    for label, t in best.items():
        print(f"{label:38} {t * 1e3:7.2f}ms {median[label] * 1e3:7.2f}ms   {t / ours:6.2f}x")
    separate = best["five separate calls"] / best["numpy reference"]
    print(f"five separate calls / numpy reference = {separate:.2f}x (no target: summary's row)")
    print(f"float loop / summary = {best['float loop (lists, math.exp)'] / ours:.1f}x (no target)")

    vs_ref = ours / best["numpy reference"]
    vs_loop = best["cookbook loop (SDK objects, np.exp)"] / ours
    missed = []
    if vs_ref > 1.0:
        over = f"over by {vs_ref - 1:.0%}"
        missed.append(f"summary takes {vs_ref:.2f}x the numpy reference (target <= 1x, {over})")
    if vs_loop < 20.0:
        short = f"short by {1 - vs_loop / 20:.0%}"
        missed.append(
            f"summary only {vs_loop:.1f}x faster than the cookbook loop (>= 20x, {short})"
        )
    for line in missed:
        print("MISSED:", line)
    if not missed:
        print(f"targets met: summary / reference = {vs_ref:.2f}x (<= 1x), ", end="")
        print(f"cookbook loop / summary = {vs_loop:.1f}x (>= 20x)")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
