"""`fields.confidence` on a 4,096-token, top-20 structured output vs `json.loads` + `tp.parse`.

Run: `python bench/bench_fields.py`. Prints best and median times and the ratio the performance
contract names: `fields.confidence(d)` in under 2x the time of `json.loads(content)` plus
`tp.parse(raw_bytes)`. Decisions are computed on first access; the second figure touches every
leaf's `.decision` as well, so the cost of reading them all is shown too. One process, one run.
"""

from __future__ import annotations

import itertools
import json
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared _data

from _data import top_logprobs

import tokenprobs as tp
from tokenprobs import fields

if TYPE_CHECKING:
    from collections.abc import Callable

T, K = 4096, 20
KINDS = ["invoice", "receipt", "credit note", "other"]
SCHEMA = {
    "type": "object",
    "properties": {
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "kind": {"enum": KINDS},
                    "total": {"type": "number"},
                    "paid": {"type": "boolean"},
                    "vendor": {"type": "string"},
                    "note": {"type": ["string", "null"]},
                },
            },
        }
    },
}


def document(rng: random.Random, *, size: int) -> bytes:
    """A JSON document of invoices, of about `size` bytes."""
    vendors = ["Müller GmbH", "한국 상사", 'Acme "Best" Co', "Café 💙", "Smith & Sons"]
    items: list[dict[str, object]] = []
    while len(json.dumps({"items": items}, ensure_ascii=False).encode()) < size:
        items.append(
            {
                "kind": rng.choice(KINDS),
                "total": round(rng.uniform(0, 10_000), 2),
                "paid": rng.random() < 0.5,
                "vendor": rng.choice(vendors),
                "note": None if rng.random() < 0.5 else "due in 30 days",
            }
        )
    return json.dumps({"items": items}, ensure_ascii=False).encode()


def body(seed: int = 0) -> bytes:
    """A chat body whose T tokens spell a JSON document (cut anywhere, UTF-8 split too)."""
    rng = random.Random(seed)  # noqa: S311 - benchmark data, not secrets
    raw = document(rng, size=3 * T)
    points = [0, *sorted(rng.sample(range(1, len(raw)), T - 1)), len(raw)]
    pieces = [raw[a:b] for a, b in itertools.pairwise(points)]

    def entry(tok: bytes, lp: float) -> dict[str, object]:
        try:
            text = tok.decode()
        except UnicodeDecodeError:
            text = "".join(f"\\x{b:02x}" for b in tok)
        return {"token": text, "logprob": lp, "bytes": list(tok)}

    content = []
    for piece in pieces:
        lps = top_logprobs(rng, K - 1, mass=0.04)  # beside the sampled token's 0.95
        alts = [piece[: rng.randint(1, len(piece))] + bytes([rng.randint(97, 122)]) for _ in lps]
        top = [entry(piece, -0.05), *(entry(a, v) for a, v in zip(alts, lps, strict=True))]
        content.append({**entry(piece, -0.05), "top_logprobs": top})
    return json.dumps(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": 0,
            "model": "gpt-4o",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "logprobs": {"content": content},
                    "message": {"role": "assistant", "content": raw.decode()},
                }
            ],
        }
    ).encode()


def timings(fns: dict[str, Callable[[], object]], *, rounds: int) -> dict[str, list[float]]:
    """Wall times of each function over `rounds` interleaved rounds (after one warm-up each)."""
    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times


def all_decisions(d: tp.TokenDistribution) -> int:
    """`fields.confidence` with every leaf's decision read."""
    return sum(leaf.decision is not None for leaf in fields.confidence(d, schema=SCHEMA))


def main() -> int:
    """Measure and print; exit 1 when the target is missed."""
    raw = body()
    d = tp.parse(raw)
    assert d.content is not None
    content = d.content
    assert len(d) == T, len(d)
    fc = fields.confidence(d, schema=SCHEMA)
    assert [f.value for f in fc] == [
        v for item in json.loads(content)["items"] for v in item.values()
    ]
    times = timings(
        {
            "json.loads(content)": lambda: json.loads(content),
            "tp.parse(raw_bytes)": lambda: tp.parse(raw),
            "fields.confidence(d, schema=)": lambda: fields.confidence(d, schema=SCHEMA),
            "... and every .decision read": lambda: all_decisions(d),
        },
        rounds=9,
    )
    print(f"# fields: {T} tokens x top-{K}, {len(fc)} leaves, content {len(content):,} chars")
    print(f"python {platform.python_version()}, {platform.machine()} {platform.system()}")
    print(f"{'':34s} {'best':>9s} {'median':>9s}")
    for name, ts in times.items():
        print(f"{name:34s} {min(ts) * 1e3:7.1f}ms {statistics.median(ts) * 1e3:7.1f}ms")
    t_json, t_parse, t_fields, t_all = (min(ts) for ts in times.values())
    ratio = t_fields / (t_json + t_parse)
    print(f"confidence / (json.loads + tp.parse) = {ratio:.2f}x  (target < 2x)")
    print(f"with every decision read              = {t_all / (t_json + t_parse):.2f}x  (no target)")
    return 0 if ratio < 2 else 1


if __name__ == "__main__":
    sys.exit(main())
