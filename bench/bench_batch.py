"""Reading a large Batch API output file with tp.batch.read_results: throughput and peak memory.

Run: `python bench/bench_batch.py [--size-mb 1024] [--tokens 512] [--top 20]`. Writes a
synthetic output file (chat completions, `--tokens` positions with `--top` alternatives per line,
some failed lines) under the temp directory, then reads it in a fresh child process, which
reports wall time, throughput and its peak RSS (`ru_maxrss`). Target: peak RSS under 300 MB
whatever the file size.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared _data

from _data import top_logprobs

import tokenprobs as tp
from tokenprobs import batch

RSS_TARGET_MB = 300


def body(rng: random.Random, tokens: int, top: int) -> dict[str, object]:
    """A chat completion body with logprobs (word-like tokens, some multi-byte)."""
    words = [" the", " model", " token", " prob", "ing", " of", ".", ",", " 한", " é", "\n", " 🙂"]

    def entry(tok: str, lp: float) -> dict[str, object]:
        return {"token": tok, "logprob": lp, "bytes": list(tok.encode())}

    content = []
    for _ in range(tokens):
        alts = rng.sample(words * 2, top)
        lps = top_logprobs(rng, top)
        content.append(
            {
                **entry(alts[0], lps[0]),
                "top_logprobs": [entry(a, v) for a, v in zip(alts, lps, strict=True)],
            }
        )
    text = "".join(c["token"] for c in content)  # type: ignore[misc]
    return {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 0,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": {"content": content, "refusal": None},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": tokens, "total_tokens": tokens + 10},
    }


def generate(path: Path, size: int, tokens: int, top: int) -> int:
    """Write output lines (8 distinct bodies, 1 line in 200 failed) until `size` bytes."""
    rng = random.Random(0)  # noqa: S311 - synthetic data
    bodies = [json.dumps(body(rng, tokens, top), separators=(",", ":")) for _ in range(8)]
    failed = json.dumps({"error": {"message": "bad", "type": "invalid_request_error"}})
    written = lines = 0
    with path.open("w", encoding="utf-8") as out:
        while written < size:
            ok = lines % 200 != 199
            status, b = (200, bodies[lines % 8]) if ok else (400, failed)
            line = (
                f'{{"id":"batch_req_{lines}","custom_id":"tp-{lines:07d}",'
                f'"response":{{"status_code":{status},"request_id":"req_{lines}","body":{b}}},'
                f'"error":null}}\n'
            )
            written += out.write(line)
            lines += 1
    return lines


def read(path: Path) -> None:
    """Read the file with read_results (in this child process) and print the measurements."""
    start = time.perf_counter()
    ok = failed = positions = 0
    for _cid, result in batch.read_results(path):
        if isinstance(result, Exception):
            failed += 1
        else:
            ok += 1
            positions += len(result)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_mb = peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024
    size = path.stat().st_size
    print(
        json.dumps(
            {
                "bytes": size,
                "seconds": seconds,
                "ok": ok,
                "failed": failed,
                "positions": positions,
                "mb_per_s": size / 1e6 / seconds,
                "lines_per_s": (ok + failed) / seconds,
                "peak_rss_mb": peak_mb,
            }
        )
    )


def main() -> int:
    """Generate, then read in a child process; print a summary; exit 1 if the target is missed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=float, default=1024)
    parser.add_argument("--tokens", type=int, default=512)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the generated file")
    parser.add_argument("--read", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read:
        read(args.read)
        return 0
    path = Path(tempfile.gettempdir()) / f"tokenprobs-bench-batch-{os.getpid()}.jsonl"
    try:
        t0 = time.perf_counter()
        lines = generate(path, int(args.size_mb * 1e6), args.tokens, args.top)
        print(
            f"generated {path.stat().st_size / 1e6:.0f} MB, {lines} lines "
            f"({args.tokens} tokens x top-{args.top}) in {time.perf_counter() - t0:.1f} s"
        )
        child = subprocess.run(  # noqa: S603 - our own script
            [sys.executable, __file__, "--read", str(path)],
            check=True,
            capture_output=True,
            text=True,
        )
        r = json.loads(child.stdout)
        print(
            f"python {platform.python_version()}, {platform.machine()}, tokenprobs {tp.__version__}"
        )
        print(
            f"read {r['bytes'] / 1e6:.0f} MB in {r['seconds']:.1f} s: "
            f"{r['mb_per_s']:.1f} MB/s, {r['lines_per_s']:.0f} lines/s, "
            f"{r['positions'] / r['seconds'] / 1e3:.0f}k positions/s; "
            f"{r['ok']} ok, {r['failed']} failed"
        )
        peak = r["peak_rss_mb"]
        if peak >= RSS_TARGET_MB:
            over = f"{peak - RSS_TARGET_MB:.0f} MB over"
            print(f"MISSED: peak RSS of the reader {peak:.0f} MB (< {RSS_TARGET_MB} MB, {over})")
            return 1
        print(f"met: peak RSS of the reader {peak:.0f} MB (target < {RSS_TARGET_MB} MB)")
        return 0
    finally:
        if not args.keep:
            path.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
