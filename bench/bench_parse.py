"""Parsing a 4,096-token, top-20 chat response: the SDK's parse vs tp.parse (object and bytes).

Run: `python bench/bench_parse.py` (or `make bench`). Prints the medians and the two ratios the
performance contract names, measured in one process, one run.
"""

from __future__ import annotations

import json
import platform
import random
import statistics
import sys
import time
from typing import TYPE_CHECKING

from openai.types.chat import ChatCompletion

import tokenprobs as tp

if TYPE_CHECKING:
    from collections.abc import Callable

T, K = 4096, 20


def body(seed: int = 0) -> bytes:
    """A realistic response body: word-like tokens, 20 alternatives each, some split UTF-8."""
    rng = random.Random(seed)  # noqa: S311 - benchmark data, not secrets
    words = [" the", " model", " token", " probability", "ing", " of", ".", ",", " 한", " é", "\n"]

    def entry(tok: str, lp: float) -> dict[str, object]:
        return {"token": tok, "logprob": lp, "bytes": list(tok.encode())}

    content = []
    for _ in range(T):
        alts = rng.sample(words * 2, K)
        lps = sorted((-rng.expovariate(0.5) for _ in range(K)), reverse=True)
        content.append(
            {
                **entry(alts[0], lps[0]),
                "top_logprobs": [entry(a, v) for a, v in zip(alts, lps, strict=True)],
            }
        )
    text = "".join(c["token"] for c in content)
    return json.dumps(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": 0,
            "model": "gpt-4o",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "length",
                    "logprobs": {"content": content},
                    "message": {"role": "assistant", "content": text},
                }
            ],
        }
    ).encode()


def timings(fns: dict[str, Callable[[], object]], *, rounds: int) -> dict[str, list[float]]:
    """Wall times of each function over `rounds` interleaved rounds (after one warm-up each).

    Interleaving spreads the machine's noise over all of them alike; the ratios use each one's
    best round (the least disturbed), the medians are printed beside them.
    """
    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times


def main() -> int:
    """Measure and print; exit 1 when a target is missed."""
    raw = body()
    sdk = ChatCompletion.model_validate_json(raw)
    d = tp.parse(raw)
    assert d.top_logprobs.shape == (T, K)
    assert tp.parse(sdk) == d
    times = timings(
        {
            "SDK ChatCompletion.model_validate_json": lambda: ChatCompletion.model_validate_json(
                raw
            ),
            "tp.parse(sdk_object)": lambda: tp.parse(sdk),
            "tp.parse(raw_bytes)": lambda: tp.parse(raw),
        },
        rounds=11,
    )
    import openai  # noqa: PLC0415

    print(f"# parse: {T} tokens x top-{K} ({T * K:,} alternatives), body {len(raw) / 1e6:.1f} MB")
    print(
        f"python {platform.python_version()}, openai {openai.__version__}, "
        f"{platform.machine()} {platform.system()}, {len(times['tp.parse(raw_bytes)'])} rounds"
    )
    print(f"{'':40s} {'best':>9s} {'median':>9s}")
    for name, ts in times.items():
        print(f"{name:40s} {min(ts) * 1e3:7.1f}ms {statistics.median(ts) * 1e3:7.1f}ms")
    t_sdk, t_obj, t_raw = (min(ts) for ts in times.values())
    obj_ratio, raw_ratio = t_obj / t_sdk, t_sdk / t_raw
    print(f"parse(sdk_object) / SDK parse = {obj_ratio:.1%}  (target <= 10%)")
    print(f"SDK parse / parse(raw_bytes)  = {raw_ratio:.1f}x  (target >= 3x)")
    return 0 if obj_ratio <= 0.10 and raw_ratio >= 3 else 1


if __name__ == "__main__":
    sys.exit(main())
