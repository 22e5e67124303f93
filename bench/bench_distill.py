"""Collection throughput: a Batch output file → Parquet shards, against batch.read_results.

Run: `python bench/bench_distill.py [--size-mb 100] [--tokens 512] [--top 20] [--parallel]`.
Writes the synthetic Batch output file of `bench_batch.py`, then in fresh child processes:
reads it with `tp.batch.read_results` (parse only), and collects it with `distill.collect` into
`distill.write_parquet` shards; prints each one's throughput, the ratio (target >= 0.8, per
core) and peak RSS. `--parallel` also collects two copies with `collect_to_parquet` on 1 and 2
processes (target speed-up >= 1.6x on 2 cores).
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


ROWS_PER_SHARD = 16
"""Records per shard: memory is bounded by one shard (16 lines of ~770 KB here)."""


def child(mode: str, path: Path, out: Path) -> None:
    """One measurement in this (fresh) process; prints JSON."""
    start = time.perf_counter()
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
    print(json.dumps({"seconds": seconds, "positions": positions, "peak_rss_mb": _peak_mb()}))


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


def main() -> None:
    """Generate the file, then measure each mode in a child process."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=float, default=100)
    parser.add_argument("--tokens", type=int, default=512)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--parallel", action="store_true")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, path, out = args.child
        child(mode, Path(path), Path(out))
        return
    work = Path(tempfile.mkdtemp(prefix="tokenprobs-bench-distill-"))
    try:
        path = work / "out.jsonl"
        lines = generate(path, int(args.size_mb * 1e6), args.tokens, args.top)
        size = path.stat().st_size
        print(f"file: {size / 1e6:.0f} MB, {lines} lines ({args.tokens} x top-{args.top})")
        read = run("read", path, work / "kd")
        coll = run("collect", path, work / "kd")
        for name, r in (("read_results", read), ("collect → Parquet", coll)):
            print(
                f"{name:>18}: {r['seconds']:.1f} s, {size / 1e6 / r['seconds']:.1f} MB/s, "
                f"peak RSS {r['peak_rss_mb']:.0f} MB"
            )
        print(f"ratio collect / read_results: {read['seconds'] / coll['seconds']:.2f} (>= 0.8)")
        if args.parallel:
            shutil.copy(path, work / "out-copy.jsonl")
            one = run("parallel-1", path, work / "kd")
            two = run("parallel-2", path, work / "kd")
            print(
                f"two files: 1 process {one['seconds']:.1f} s, 2 processes {two['seconds']:.1f} s,"
                f" speed-up {one['seconds'] / two['seconds']:.2f}x (>= 1.6x on {os.cpu_count()})"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
