"""Collection throughput: a Batch output file → Parquet shards, against batch.read_results.

Run: `python bench/bench_distill.py [--size-mb 50] [--repeat 3] [--large-mb 2000] [--parallel]`.
Writes the synthetic Batch output file of `bench_batch.py`, then in fresh child processes:
reads it with `tp.batch.read_results` (parse only), and collects it with `distill.collect` into
`distill.write_parquet` shards; prints each one's wall and CPU time (the median of `--repeat`
runs, the modes interleaved), the throughput ratio (target >= 0.8 per core: CPU time, which other
processes on the machine do not inflate the way they do wall time; the median of the runs'
ratios, each of a read and a collection run side by side) with the cyclic GC on (the default,
what the target is judged on) and off, and peak RSS. `--large-mb` also collects a file that
large (peak RSS flat: target the same as at `--size-mb`), deleted after. `--parallel` collects
two copies with `collect_to_parquet` on 1 and 2 processes, interleaved (`--parallel-mb`: their
size; target speed-up >= 1.6x on 2 cores, the median of `--parallel-repeat` pairs; the CPU
time, workers' included, and the speed-up of two independent processes collecting one file each
at once, the most the machine gives at the time, are printed too, to tell a saturated machine
from a slow pipeline). The
load average is printed before and after. It exits 1, printing `MISSED:` with the ratio, the
target and how far it is missed, when a target is missed (`make bench` then fails).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_batch import generate

from tokenprobs import batch, distill


def _peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


ROWS_PER_SHARD = 16
"""Records per shard: memory is bounded by one shard (16 lines of ~770 KB here)."""


def child(mode: str, path: Path, out: Path, *, gc_on: bool = True) -> None:
    """One measurement in this (fresh) process, the cyclic GC on or off; prints JSON."""
    warmup = 0.0
    if mode != "read":
        import pyarrow as pa  # noqa: PLC0415 - a one-off import, not per-file work
        import pyarrow.parquet  # noqa: PLC0415

        # pyarrow's first conversion of a Python list imports pandas when it is installed
        # (≈ 0.4 s of CPU here): once per process, like the import; printed, not counted
        warmup = _cpu(resource.RUSAGE_SELF)
        pa.array([0])
        warmup = _cpu(resource.RUSAGE_SELF) - warmup
    if not gc_on:
        gc.disable()
    start, cpu = time.perf_counter(), _cpu(resource.RUSAGE_SELF)
    positions = 0
    if mode == "read":
        for _cid, result in batch.read_results(path):
            if not isinstance(result, Exception):
                positions += len(result)
    elif mode == "collect":
        records = distill.collect([path], on_error="skip")
        counted = (r for r in records if not (positions := positions + len(r)) < 0)
        distill.write_parquet(counted, out, rows_per_shard=ROWS_PER_SHARD)
    else:  # parallel-1 / parallel-2: two copies of the file
        copies = [path, path.with_name(path.stem + "-copy.jsonl")]
        distill.collect_to_parquet(
            copies, out, processes=int(mode[-1]), on_error="skip", rows_per_shard=ROWS_PER_SHARD
        )
    seconds = time.perf_counter() - start
    cpu = _cpu(resource.RUSAGE_SELF) - cpu + _cpu(resource.RUSAGE_CHILDREN)  # workers included
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu": cpu,
                "positions": positions,
                "peak_rss_mb": _peak_mb(),
                "warmup_cpu": warmup,
            }
        )
    )


def run(mode: str, path: Path, out: Path, *, gc_on: bool = True) -> dict[str, float]:
    """Run `child(mode)` in a fresh interpreter."""
    shutil.rmtree(out, ignore_errors=True)
    flags = [] if gc_on else ["--gc-off"]
    done = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, __file__, "--child", mode, str(path), str(out), *flags],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    """Each figure's median over the runs."""
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


def _line(name: str, size: int, r: dict[str, float]) -> None:
    print(
        f"{name:>26}: {size / 1e6:5.0f} MB, wall {r['seconds']:6.2f} s, CPU {r['cpu']:6.2f} s "
        f"({size / 1e6 / r['cpu']:4.1f} MB/s per core), peak RSS {r['peak_rss_mb']:4.0f} MB"
    )


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


RATIO_TARGET, SPEEDUP_TARGET = 0.8, 1.6


def _verdict(what: str, value: float, target: float) -> bool:
    """Print whether `value` (at least `target`) is met; True when it is."""
    if value >= target:
        print(f"met:    {what} = {value:.2f} (target >= {target})")
        return True
    print(f"MISSED: {what} = {value:.2f} (target >= {target}, short by {1 - value / target:.0%})")
    return False


def _ratios(path: Path, out: Path, repeat: int) -> tuple[float, float, float]:
    """Collection / reading throughput, GC on and off: median CPU ratios of interleaved runs.

    Returns the ratios, GC on and off, and collection's median peak RSS (GC on).
    """
    runs: dict[tuple[str, bool], list[dict[str, float]]] = {}
    for _ in range(repeat):
        for gc_on in (True, False):
            for mode in ("read", "collect"):
                runs.setdefault((mode, gc_on), []).append(run(mode, path, out, gc_on=gc_on))
    size = path.stat().st_size
    ratios = []
    for gc_on in (True, False):
        state = "GC on" if gc_on else "GC off"
        read, coll = runs["read", gc_on], runs["collect", gc_on]
        _line(f"read_results, {state}", size, _median(read))
        _line(f"collect -> Parquet, {state}", size, _median(coll))
        cpu = [r["cpu"] / c["cpu"] for r, c in zip(read, coll, strict=True)]
        wall = [r["seconds"] / c["seconds"] for r, c in zip(read, coll, strict=True)]
        ratios.append(statistics.median(cpu))
        print(
            f"ratio collect / read_results, {state}: CPU {statistics.median(cpu):.2f} "
            f"(runs: {', '.join(f'{x:.2f}' for x in cpu)}), wall {statistics.median(wall):.2f}"
        )
    warmup = statistics.median(c["warmup_cpu"] for c in runs["collect", True])
    print(f"(not counted: pyarrow's one-off start-up, {warmup:.2f} s of CPU)")
    return ratios[0], ratios[1], _median(runs["collect", True])["peak_rss_mb"]


def _apart(paths: list[Path], out: Path) -> float:
    """Each path collected by its own fresh process, all at once: the slowest one's seconds."""
    children = []
    for n, path in enumerate(paths):
        shutil.rmtree(out / str(n), ignore_errors=True)
        children.append(
            subprocess.Popen(  # noqa: S603 - our own script
                [sys.executable, __file__, "--child", "collect", str(path), str(out / str(n))],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
        )
    seconds = []
    for child_process in children:
        stdout, _ = child_process.communicate()
        seconds.append(json.loads(stdout.strip().splitlines()[-1])["seconds"])
    return max(seconds)


def _speedup(path: Path, out: Path, repeat: int) -> float:
    """Two copies of `path` on 1 and 2 processes, interleaved: the median wall speed-up.

    Also prints the machine's ceiling at the time: the two files collected by two independent
    processes at once (no worker import, nothing sent between processes) against one process.
    """
    copy = path.with_name(path.stem + "-copy.jsonl")
    shutil.copy(path, copy)
    one, two, apart = [], [], []
    for _ in range(repeat):
        one.append(run("parallel-1", path, out))
        two.append(run("parallel-2", path, out))
        apart.append(_apart([path, copy], out))
    copy.unlink()
    speedups = [a["seconds"] / b["seconds"] for a, b in zip(one, two, strict=True)]
    ceiling = [a["seconds"] / b for a, b in zip(one, apart, strict=True)]
    a, b = _median(one), _median(two)
    print(
        f"two files of {path.stat().st_size / 1e6:.0f} MB: 1 process wall "
        f"{a['seconds']:.1f} s (CPU {a['cpu']:.1f} s), "
        f"2 processes wall {b['seconds']:.1f} s (CPU {b['cpu']:.1f} s); speed-up "
        f"{statistics.median(speedups):.2f}x (runs: {', '.join(f'{x:.2f}' for x in speedups)}; "
        "target >= 1.6x)"
    )
    print(
        f"the machine's ceiling then (two independent processes, one file each): "
        f"{statistics.median(ceiling):.2f}x (runs: {', '.join(f'{x:.2f}' for x in ceiling)})"
    )
    return statistics.median(speedups)


def main() -> int:
    """Generate the files, then measure each mode in a child process; 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=float, default=50)
    parser.add_argument("--large-mb", type=float, default=0)
    parser.add_argument("--tokens", type=int, default=512)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--parallel", action="store_true")
    parser.add_argument(
        "--parallel-mb", type=float, default=0, help="copies' size (default: --size-mb)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement")
    parser.add_argument("--parallel-repeat", type=int, default=1, help="pairs of parallel runs")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--gc-off", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, path, out = args.child
        child(mode, Path(path), Path(out), gc_on=not args.gc_off)
        return 0
    met = True
    work = Path(tempfile.mkdtemp(prefix="tokenprobs-bench-distill-"))
    try:
        path = work / "out.jsonl"
        lines = generate(path, int(args.size_mb * 1e6), args.tokens, args.top)
        size = path.stat().st_size
        print(f"{lines} lines of {args.tokens} positions x top-{args.top}; {os.cpu_count()} cores")
        print(f"load average {_load()}; medians of {args.repeat} interleaved runs")
        ratio, _, rss = _ratios(path, work / "kd", args.repeat)
        met &= _verdict("collect / read_results, CPU, GC on", ratio, RATIO_TARGET)
        if args.parallel:
            if args.parallel_mb:
                generate(path, int(args.parallel_mb * 1e6), args.tokens, args.top)
            speedup = _speedup(path, work / "kd", args.parallel_repeat)
            met &= _verdict("speed-up on 2 processes, wall", speedup, SPEEDUP_TARGET)
        if args.large_mb:
            path.unlink()
            big = work / "big.jsonl"
            generate(big, int(args.large_mb * 1e6), args.tokens, args.top)
            large = run("collect", big, work / "kd")
            _line("collect -> Parquet", big.stat().st_size, large)
            print(
                f"peak RSS {rss:.0f} MB at {size / 1e6:.0f} MB, "
                f"{large['peak_rss_mb']:.0f} MB at {big.stat().st_size / 1e6:.0f} MB"
            )
        print(f"load average {_load()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
