"""Parsing a 4,096-token, top-20 chat response, then reading its metrics: tp.parse vs the others.

Run: `python bench/bench_parse.py [--rounds N]` (or `make bench`). In one process and one run,
interleaved (every round times every row once with the cyclic GC off, timeit's convention, and
once with it on, the users' default), best and median of each:

* the SDK's `ChatCompletion.model_validate_json(body)`, `json.loads(body)`, and each faster JSON
  decoder that is installed (`orjson`, `msgspec`: the dev extra);
* `tp.parse(body)` on the raw bytes, alone and with every metric read (`entropy`, `margin`,
  `tail_mass`, `perplexity`, `probs`, `sampled_in_top`), with the msgspec accelerator (the
  `fast` extra, in the dev extra) and without it (the regex split alone);
* `tp.parse(sdk_object)` on the object the SDK built, alone and with the same metrics;
* the peer agentuq (`json.loads`, its chat adapter's `capture`, `Analyzer.analyze_step`; in the
  dev extra), or a line saying why it could not run;
* two floors under `tp.parse(sdk_object)`, no tokenprobs code in them: every field of every
  entry read once with C-level maps, and the same plus the cheapest complete check of those
  values (what bounds the SDK-object target: `floor_reads`, `floor_checked`).

It prints a markdown table (what docs/performance.md quotes) and the ratios the performance
contract names, each from the rows' best rounds; it exits 1 naming every target missed and by
how much.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import statistics
import sys
import time
from itertools import chain
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import openai
from openai.types.chat import ChatCompletion

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared _data

from _data import top_logprobs

import tokenprobs as tp
from tokenprobs.adapters import _fast_typed

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

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
        lps = top_logprobs(rng, K)
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


def read_metrics(d: tp.TokenDistribution) -> tuple[object, ...]:
    """Every per-position metric a user reads (each computed on first access)."""
    return d.entropy, d.margin, d.tail_mass, d.perplexity, d.probs, d.sampled_in_top


def decoders() -> dict[str, Callable[[bytes], object]]:
    """The faster JSON decoders that are installed (the dev extra has both)."""
    out: dict[str, Callable[[bytes], object]] = {}
    try:
        import orjson  # noqa: PLC0415 - optional
    except ImportError:
        pass
    else:
        out["orjson.loads"] = orjson.loads
    try:
        import msgspec  # noqa: PLC0415 - optional
    except ImportError:
        pass
    else:
        out["msgspec.json.decode"] = msgspec.json.Decoder().decode
    return out


def split_only(fn: Callable[[], object]) -> Callable[[], object]:
    """`fn` run as without msgspec installed: the raw fast path's regex split alone."""

    def run() -> object:
        saved, _fast_typed.DECODE = _fast_typed.DECODE, None
        try:
            return fn()
        finally:
            _fast_typed.DECODE = saved

    return run


def agentuq_row(raw: bytes) -> Callable[[], object] | str:
    """The peer agentuq from the raw bytes, or why it cannot run here."""
    try:
        from agentuq import Analyzer, UQConfig  # noqa: PLC0415 - optional peer
        from agentuq.adapters.openai_chat import OpenAIChatAdapter  # noqa: PLC0415
    except ImportError as exc:
        return f"agentuq is not installed ({exc})"
    meta = {
        "model": "gpt-4o",
        "temperature": 0.0,
        "top_p": 1.0,
        "logprobs": True,
        "top_logprobs": K,
    }
    adapter, analyzer = OpenAIChatAdapter(), Analyzer(UQConfig())

    def run() -> object:
        return analyzer.analyze_step(adapter.capture(json.loads(raw), meta))

    try:
        run()
    except Exception as exc:  # noqa: BLE001 - a peer's failure is reported, not fatal
        return f"agentuq failed on this body ({type(exc).__name__}: {exc})"
    return run


_TOKEN, _LOGPROB, _BYTES = attrgetter("token"), attrgetter("logprob"), attrgetter("bytes")
_TOP = attrgetter("top_logprobs")


def floor_reads(sdk: ChatCompletion) -> Callable[[], tuple[list[object], ...]]:
    """Each entry's and alternative's `token`, `logprob` and `bytes` read once, nothing else.

    The least any reader of the SDK's objects does: three C-level `attrgetter` maps over the
    alternatives (faster than one three-field map, `zip(*...)` or `vars()`), the rows' lengths.
    """
    content = sdk.choices[0].logprobs.content if sdk.choices[0].logprobs else None
    entries = content or []

    def run() -> tuple[list[object], ...]:
        tops = list(map(_TOP, entries))
        flat = list(chain.from_iterable(tops))
        return (
            list(map(_TOKEN, entries)),
            list(map(_LOGPROB, entries)),
            list(map(_BYTES, entries)),
            list(map(len, tops)),
            list(map(_TOKEN, flat)),
            list(map(_LOGPROB, flat)),
            list(map(_BYTES, flat)),
        )

    return run


def floor_checked(sdk: ChatCompletion) -> Callable[[], bool]:
    """`floor_reads` plus the cheapest check that the values are what a chat completion holds.

    The SDK's client builds its objects without validating them (`construct`), so the values
    are whatever the JSON held: strings, numbers (no NaN or +inf: one `sum`), and byte lists
    (one `bytes()` pass, which rejects a value over 255 or a float). Bools and nulls, which
    the parser must also tell apart, are not even looked for here.
    """
    reads = floor_reads(sdk)

    def run() -> bool:
        tokens, logprobs, own, _, alt_tokens, alt_logprobs, alt_bytes = reads()
        ok = set(map(type, tokens)) | set(map(type, alt_tokens)) <= {str}
        ok &= set(map(type, logprobs)) | set(map(type, alt_logprobs)) <= {float, int}
        total = sum(logprobs) + sum(alt_logprobs)  # type: ignore[arg-type]
        ok &= total == total and total != float("inf")  # noqa: PLR0124 - the NaN test
        ok &= set(map(type, own)) | set(map(type, alt_bytes)) <= {list}
        for lists in (own, alt_bytes):  # raises on a value over 255, a float or a string
            bytes(chain.from_iterable(lists))  # type: ignore[call-overload]
        return ok

    return run


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
"""`wall` (timeit's clock) or `cpu`: this process's CPU time, which other jobs on a loaded
machine do not inflate (they still disturb its caches)."""


def timed(fn: Callable[[], object], *, collect: bool, clock: Callable[[], float]) -> float:
    """Seconds for one call, the cyclic GC off inside it (timeit's way) unless `collect`."""
    gc.collect()
    was = gc.isenabled()
    if collect:
        gc.enable()
    else:
        gc.disable()
    try:
        start = clock()
        fn()
        return clock() - start
    finally:
        if was:
            gc.enable()


def timings(
    fns: dict[str, Callable[[], object]], *, rounds: int, clock: Callable[[], float]
) -> dict[tuple[str, bool], list[float]]:
    """Per-call seconds of each row, GC off and on, over interleaved rounds (after a warm-up).

    Every round times every row once each way, so a burst of load from other jobs on the
    machine hits all of them alike; the ratios use each row's best round (the least disturbed).
    """
    for fn in fns.values():
        fn()
    times: dict[tuple[str, bool], list[float]] = {(n, c): [] for n in fns for c in (False, True)}
    for _ in range(rounds):
        for name, fn in fns.items():
            for collect in (False, True):
                times[name, collect].append(timed(fn, collect=collect, clock=clock))
    return times


def check_agree(raw: bytes, sdk: ChatCompletion) -> None:
    """The tokenprobs paths give one distribution and the same metrics, or AssertionError."""
    a, b, c = tp.parse(raw), tp.parse(sdk), split_only(lambda: tp.parse(raw))()
    assert isinstance(c, tp.TokenDistribution)
    assert a.top_logprobs.shape == (T, K)
    assert a == b == c
    for x, y, z in zip(read_metrics(a), read_metrics(b), read_metrics(c), strict=True):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
        np.testing.assert_array_equal(np.asarray(x), np.asarray(z))


FLOOR_READS = "floor: the SDK objects' fields read"
FLOOR_CHECKED = "floor: read, then checked"
PEER = "agentuq (`json.loads` + capture + analyze)"
SDK_NAME, LOADS = "SDK `ChatCompletion.model_validate_json`", "`json.loads`"
RAW_M, SDK_M = "`tp.parse(raw)` + metrics", "`tp.parse(sdk_obj)` + metrics"


def print_other_ratios(ratio: Callable[..., float], *, peer: bool) -> None:
    """The ratios without a target, from `ratio(a, b, collect=...)` of the rows' best rounds."""
    split_m = "`tp.parse(raw)` + metrics, no accelerator"
    print("other ratios (no target):")
    print(
        f"  tp.parse(raw) + metrics, no accelerator / json.loads, GC off: "
        f"{ratio(split_m, LOADS, collect=False):.2f}"
    )
    print(f"  tp.parse(raw) + metrics / json.loads, GC on: {ratio(RAW_M, LOADS, collect=True):.2f}")
    print(f"  tp.parse(sdk_obj) + metrics / SDK, GC on: {ratio(SDK_M, SDK_NAME, collect=True):.3f}")
    if peer:
        print(
            "  agentuq from raw / tp.parse(raw) + metrics: "
            f"{ratio(PEER, RAW_M, collect=False):.1f}x with GC off, "
            f"{ratio(PEER, RAW_M, collect=True):.1f}x with GC on"
        )
    print(
        "  floors under parse(sdk_obj) / SDK, GC off: fields read "
        f"{ratio(FLOOR_READS, SDK_NAME, collect=False):.3f}, read and checked "
        f"{ratio(FLOOR_CHECKED, SDK_NAME, collect=False):.3f} (no column, candidate set or metric)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Measure, print the table and ratios; exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=11, help="timing rounds (default 11)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall", help="default wall")
    args = parser.parse_args(argv)

    raw = body()
    sdk = ChatCompletion.model_validate_json(raw)
    check_agree(raw, sdk)
    fast = decoders()
    fns: dict[str, Callable[[], object]] = {
        "SDK `ChatCompletion.model_validate_json`": lambda: ChatCompletion.model_validate_json(raw),
        "`json.loads`": lambda: json.loads(raw),
        **{f"`{name}`": (lambda f=f: f(raw)) for name, f in fast.items()},
        "`tp.parse(raw)`": lambda: tp.parse(raw),
        "`tp.parse(raw)` + metrics": lambda: read_metrics(tp.parse(raw)),
        "`tp.parse(raw)`, no accelerator": split_only(lambda: tp.parse(raw)),
        "`tp.parse(raw)` + metrics, no accelerator": split_only(
            lambda: read_metrics(tp.parse(raw))
        ),
        "`tp.parse(sdk_obj)`": lambda: tp.parse(sdk),
        "`tp.parse(sdk_obj)` + metrics": lambda: read_metrics(tp.parse(sdk)),
        FLOOR_READS: floor_reads(sdk),
        FLOOR_CHECKED: floor_checked(sdk),
    }
    peer = agentuq_row(raw)
    if not isinstance(peer, str):
        fns[PEER] = peer
    times = timings(fns, rounds=args.rounds, clock=CLOCKS[args.clock])
    best = {key: min(ts) for key, ts in times.items()}
    med = {key: statistics.median(ts) for key, ts in times.items()}

    sdk_name, loads = SDK_NAME, LOADS
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"# parse: {T} tokens x top-{K} ({T * K:,} alternatives), body {len(raw) / 1e6:.1f} MB")
    print(
        f"Python {platform.python_version()}, openai {openai.__version__}, numpy "
        f"{np.__version__}, {platform.machine()} {platform.system()}, {os.cpu_count()} CPUs, "
        f"load average {load:.1f}; {args.rounds} interleaved rounds, {args.clock} clock; "
        "ratios use best rounds"
    )
    if isinstance(peer, str):
        print(f"peer not timed: {peer}")
    print()
    print("| | GC off: best | median | / `json.loads` | / SDK parse | GC on: best | median |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in fns:
        off, on = best[name, False], best[name, True]
        print(
            f"| {name} | {off * 1e3:.1f} ms | {med[name, False] * 1e3:.1f} ms "
            f"| {off / best[loads, False]:.2f} | {off / best[sdk_name, False]:.2f} "
            f"| {on * 1e3:.1f} ms | {med[name, True] * 1e3:.1f} ms |"
        )
    print()
    if fast:
        quickest = min(fast, key=lambda n: best[f"`{n}`", False])
        print(
            f"fastest JSON decoder installed: {quickest}, "
            f"{best[f'`{quickest}`', False] / best[loads, False]:.2f}x json.loads (GC off)"
        )

    def ratio(a: str, b: str, *, collect: bool) -> float:
        return best[a, collect] / best[b, collect]

    raw_m, sdk_m = RAW_M, SDK_M
    sdk_p, raw_p = "`tp.parse(sdk_obj)`", "`tp.parse(raw)`"
    targets = [  # (what, ratio of best rounds, at most)
        ("parse(raw) + metrics / json.loads, GC off", ratio(raw_m, loads, collect=False), 1.0),
        ("parse(sdk_obj) + metrics / SDK, GC off", ratio(sdk_m, sdk_name, collect=False), 0.15),
        ("parse(sdk_obj) / SDK, GC on", ratio(sdk_p, sdk_name, collect=True), 0.10),
        ("parse(raw) / SDK, GC on (SDK >= 3x slower)", ratio(raw_p, sdk_name, collect=True), 1 / 3),
    ]
    print_other_ratios(ratio, peer=PEER in fns)
    missed = 0
    for what, value, limit in targets:
        if value <= limit:
            print(f"met:    {what} = {value:.3f} (target <= {limit:.3f})")
        else:
            missed += 1
            over = value / limit - 1
            print(f"MISSED: {what} = {value:.3f} (target <= {limit:.3f}, over by {over:.0%})")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
