"""Collection throughput: a Batch output file → Parquet shards, against batch.read_results.

Run: `python bench/bench_distill.py [--size-mb 50] [--large-mb 2000] [--parallel]`.
Writes the synthetic Batch output file of `bench_batch.py`, then in fresh child processes:
reads it with `tp.batch.read_results` (parse only), and collects it with `distill.collect` into
`distill.write_parquet` shards; prints each one's wall and CPU time, the throughput ratio
(target >= 0.8 per core: CPU time, which other processes on the machine do not inflate the way
they do wall time) and peak RSS. `--large-mb` also collects a file that large (peak RSS flat:
target the same as at `--size-mb`), deleted after. `--parallel` collects two copies with
`collect_to_parquet` on 1 and 2 processes (`--parallel-mb`: their size; target speed-up >= 1.6x
on 2 cores; the CPU time, workers' included, is printed too, to tell a saturated machine from a
slow pipeline). It exits 1, printing `MISSED:` with the ratio, the target and how far it is
missed, when a target is missed (`make bench` then fails).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
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


def child(mode: str, path: Path, out: Path) -> None:
    """One measurement in this (fresh) process; prints JSON."""
    warmup = 0.0
    if mode != "read":
        import pyarrow as pa  # noqa: PLC0415 - a one-off import, not per-file work
        import pyarrow.parquet  # noqa: PLC0415

        # pyarrow's first conversion of a Python list imports pandas when it is installed
        # (≈ 0.4 s of CPU here): once per process, like the import; printed, not counted
        warmup = _cpu(resource.RUSAGE_SELF)
        pa.array([0])
        warmup = _cpu(resource.RUSAGE_SELF) - warmup
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


def run(mode: str, path: Path, out: Path) -> dict[str, float]:
    """Run `child(mode)` in a fresh interpreter."""
    shutil.rmtree(out, ignore_errors=True)
    done = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, __file__, "--child", mode, str(path), str(out)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _line(name: str, size: int, r: dict[str, float]) -> None:
    print(
        f"{name:>22}: {size / 1e6:5.0f} MB, wall {r['seconds']:6.1f} s, CPU {r['cpu']:6.1f} s "
        f"({size / 1e6 / r['cpu']:4.1f} MB/s per core), peak RSS {r['peak_rss_mb']:4.0f} MB"
    )


RATIO_TARGET, SPEEDUP_TARGET = 0.8, 1.6


def _verdict(what: str, value: float, target: float) -> bool:
    """Print whether `value` (at least `target`) is met; True when it is."""
    if value >= target:
        print(f"met:    {what} = {value:.2f} (target >= {target})")
        return True
    print(f"MISSED: {what} = {value:.2f} (target >= {target}, short by {1 - value / target:.0%})")
    return False


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
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, path, out = args.child
        child(mode, Path(path), Path(out))
        return 0
    met = True
    work = Path(tempfile.mkdtemp(prefix="tokenprobs-bench-distill-"))
    try:
        path = work / "out.jsonl"
        lines = generate(path, int(args.size_mb * 1e6), args.tokens, args.top)
        size = path.stat().st_size
        print(f"{lines} lines of {args.tokens} positions x top-{args.top}; {os.cpu_count()} cores")
        read = run("read", path, work / "kd")
        coll = run("collect", path, work / "kd")
        _line("read_results", size, read)
        _line("collect -> Parquet", size, coll)
        print(f"(not counted: pyarrow's one-off start-up, {coll['warmup_cpu']:.2f} s of CPU)")
        print(
            f"ratio collect / read_results: CPU {read['cpu'] / coll['cpu']:.2f}, "
            f"wall {read['seconds'] / coll['seconds']:.2f} (target >= 0.8 per core)"
        )
        met &= _verdict("collect / read_results, CPU", read["cpu"] / coll["cpu"], RATIO_TARGET)
        if args.parallel:
            if args.parallel_mb:
                generate(path, int(args.parallel_mb * 1e6), args.tokens, args.top)
            shutil.copy(path, work / "out-copy.jsonl")
            one = run("parallel-1", path, work / "kd")
            two = run("parallel-2", path, work / "kd")
            (work / "out-copy.jsonl").unlink()
            print(
                f"two files of {path.stat().st_size / 1e6:.0f} MB: 1 process wall "
                f"{one['seconds']:.1f} s (CPU {one['cpu']:.1f} s), "
                f"2 processes wall {two['seconds']:.1f} s (CPU {two['cpu']:.1f} s); speed-up "
                f"{one['seconds'] / two['seconds']:.2f}x (target >= 1.6x)"
            )
            speedup = one["seconds"] / two["seconds"]
            met &= _verdict("speed-up on 2 processes, wall", speedup, SPEEDUP_TARGET)
        if args.large_mb:
            path.unlink()
            big = work / "big.jsonl"
            generate(big, int(args.large_mb * 1e6), args.tokens, args.top)
            large = run("collect", big, work / "kd")
            _line("collect -> Parquet", big.stat().st_size, large)
            print(
                f"peak RSS {coll['peak_rss_mb']:.0f} MB at {size / 1e6:.0f} MB, "
                f"{large['peak_rss_mb']:.0f} MB at {big.stat().st_size / 1e6:.0f} MB"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
