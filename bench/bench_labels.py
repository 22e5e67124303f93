"""Label probabilities over many answers: `Labels.probs_many`, classify's post-processing, and
the sequence uncertainty scores, with the cyclic GC on and off.

Run: `python bench/bench_labels.py [--n 10000] [--top 20] [--rounds 5]`. Builds `--n` chat answers
(a label token, sometimes a prefix or a blank first, `--top` alternatives each, parsed by
`tp.parse` outside the timing) and times, on *fresh* distributions each round (their cached
columns not yet computed, as after a `classify` call):

* `Labels.probs_many(ds)`: the vectorised pass `classify` uses;
* `Labels.probs(d)` in a loop: one distribution at a time, for comparison;
* classify's post-processing: `probs_many`, the multi-token check, `.matrix()` and a fitted
  temperature scaling's `transform`;
* `labels.uncertainty_scores(ds)` (every score in one pass) against the same scores computed
  with one call per distribution.

Each is timed with the GC enabled and disabled (`gc.disable()` around the call). Prints a
Markdown table (best and median of `--rounds`).
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared _data

from _data import top_logprobs

import tokenprobs as tp
from tokenprobs import labels
from tokenprobs.testing import chat_completion

if TYPE_CHECKING:
    from collections.abc import Callable

ANSWERS = ["Yes", " yes", "No", " no", "YES", "Y", "N", "Yes.", "Maybe", "\n"]
OTHER = [" the", " I", " It", " This", "Sure", ",", ".", " Not", " Of", "Absolutely", " a", "!"]


def bodies(n: int, top: int, seed: int = 0) -> list[dict[str, object]]:
    """`n` chat bodies: 1-3 positions, `top` alternatives, a label answer somewhere."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data
    out = []
    pool = list(dict.fromkeys(ANSWERS + OTHER + [f" w{i}" for i in range(40)]))
    for _ in range(n):
        positions = []
        for _ in range(rng.choice((1, 2, 3))):
            alts = rng.sample(pool, top)
            if not alts[0].strip():  # a blank is an alternative, never the whole answer
                alts[0], alts[1] = alts[1], alts[0]
            lps = top_logprobs(rng, top)
            positions.append((alts[0], lps[0], list(zip(alts, lps, strict=True))))
        out.append(chat_completion(positions))
    return out


def timed(fn: Callable[[], object], *, gc_off: bool) -> float:
    """Seconds for one call, the cyclic GC off or on."""
    was = gc.isenabled()
    gc.collect()
    if gc_off:
        gc.disable()
    try:
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0
    finally:
        if was:
            gc.enable()


def main() -> None:
    """Build the answers, time every variant with the GC on and off, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    raw = bodies(args.n, args.top)
    label_set = tp.Labels(["yes", "no"])
    fresh = lambda: [tp.parse(b) for b in raw]  # noqa: E731 - a factory of fresh inputs

    warm = fresh()
    results = label_set.probs_many(warm)
    one_by_one = [label_set.probs(d) for d in warm]
    loop = np.array([[r.probs[k] for k in label_set.names] for r in one_by_one])
    assert np.allclose(results.matrix(), loop, rtol=1e-12, equal_nan=True)  # the same numbers
    y = ["yes" if i % 2 else "no" for i in range(args.n)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", labels.CalibrationWarning)
        cal = labels.TemperatureScaling().fit(results, y)
    many = labels.uncertainty_scores(warm)
    assert np.allclose(
        many.log_perplexity, [labels.log_perplexity(d) for d in warm], rtol=1e-12, equal_nan=True
    )

    def post() -> object:
        res = label_set.probs_many(ds)
        _ = sorted(set().union(*(r.multi_token for r in res if not isinstance(r, Exception))))
        _ = res.matrix()
        return cal.transform(res)

    def per_distribution_scores() -> object:
        return [
            (
                labels.sequence_probability(d),
                labels.sequence_probability(d, length_normalize=False),
                labels.min_probability(d),
                labels.mean_token_negentropy(d),
                labels.min_token_negentropy(d),
                labels.probability_margin(d),
                labels.maximum_sequence_probability(d),
                labels.log_perplexity(d),
                labels.mean_token_entropy(d),
            )
            for d in ds
        ]

    variants: dict[str, Callable[[], object]] = {
        "`Labels.probs_many(ds)`": lambda: label_set.probs_many(ds),
        "`Labels.probs(d)` in a loop": lambda: [label_set.probs(d) for d in ds],
        "classify post-processing": post,
        "`uncertainty_scores(ds)`": lambda: labels.uncertainty_scores(ds),
        "the 9 scores, one call per distribution": per_distribution_scores,
    }
    times: dict[tuple[str, bool], list[float]] = {}
    for _ in range(args.rounds):
        for name, fn in variants.items():
            for gc_off in (False, True):
                ds = fresh()
                times.setdefault((name, gc_off), []).append(timed(fn, gc_off=gc_off))

    print(
        f"{args.n:,} answers, top-{args.top}, best / median of {args.rounds} rounds; "
        f"Python {sys.version.split()[0]}, numpy {np.__version__}, {platform.machine()}\n"
    )
    print("| | GC on: best | median | GC off: best | median | per answer (GC on, best) |")
    print("|---|---|---|---|---|---|")
    for name in variants:
        on, off = times[(name, False)], times[(name, True)]
        print(
            f"| {name} | {min(on) * 1e3:.0f} ms | {statistics.median(on) * 1e3:.0f} ms | "
            f"{min(off) * 1e3:.0f} ms | {statistics.median(off) * 1e3:.0f} ms | "
            f"{min(on) / args.n * 1e6:.1f} µs |"
        )


if __name__ == "__main__":
    main()
