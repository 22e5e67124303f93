# ruff: noqa: INP001, ANN401, PLR2004
"""Record uqlm's and lm-polygraph's white-box uncertainty scores on fixed inputs, once.

Neither library installs cleanly next to tokenprobs (uqlm needs langchain, transformers and
sentence-transformers; lm-polygraph needs torch, transformers and spacy), so this script runs
their *released code* without their dependencies: it downloads the pinned wheels with
`pip download --no-deps`, and imports the few pure-numpy modules that compute the scores from
the wheels' own files. Only the packages' `__init__` files (which import the heavy parts) are
bypassed, by registering empty package modules whose `__path__` points into the wheel, and
lm-polygraph's `utils.model` / `utils.common` (torch, transformers, PIL) are replaced by the
two names those modules import from them (base classes used only in type hints, and a logging
decorator, copied).

Run (needs numpy, scipy, and PyPI access; not part of `make test`):

    python3 scripts/record_uncertainty_peers.py tests/fixtures/uncertainty_peers.json

What it runs, per input sequence:
- uqlm 0.6.7: `SingleLogprobsScorer(length_normalize=True/False).evaluate` and
  `TopLogprobsScorer(top_k_logprobs=5).evaluate`, on the OpenAI `logprobs.content` dicts;
- lm-polygraph 0.7.0: `BlackboxGreedyTextsCalculator` on a stand-in API model whose
  `.logprobs` holds the same data as OpenAI SDK-like objects, then `EntropyCalculator`, then
  `MaximumSequenceProbability`, `Perplexity` and `MeanTokenEntropy` on its statistics.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import logging
import math
import subprocess
import sys
import tempfile
import types
import zipfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

UQLM = "uqlm==0.6.7"
POLYGRAPH = "lm-polygraph==0.7.0"
TOP_K = 5
WORDS = [
    " the", " a", " cat", " sat", " on", " mat", ".", " Yes", " No", " maybe", ",", " and",
    " dog", " ran", " is", " was", " Paris", " London", " 42", " not", "\n", " it", " very",
    " good", " bad", " true", " false", " of", " to", " in",
]  # fmt: skip

Position = tuple[str, float, list[tuple[str, float]]]


def _inputs() -> list[list[Position]]:
    """Fixed sequences: top-5 of a random softmax over 30 tokens, the sampled token among them.

    Sequence 6 has positions with only 3 alternatives (uqlm leaves those out of negentropy);
    sequence 7 has a near-certain position (p ≈ 1) and one near-uniform over the top 5.
    """
    rng = np.random.default_rng(16)
    out: list[list[Position]] = []
    for n, length in enumerate([1, 3, 7, 12, 20, 5, 4, 9]):
        seq: list[Position] = []
        for t in range(length):
            scale = 3.0
            if n == 7 and t == 0:
                scale = 30.0
            if n == 7 and t == 1:
                scale = 0.01
            logits = rng.normal(0.0, scale, len(WORDS))
            lp = logits - np.logaddexp.reduce(logits)
            order = np.argsort(-lp)
            k = 3 if n == 6 and t % 2 == 0 else TOP_K
            top = [(WORDS[i], round(float(lp[i]), 6)) for i in order[:k]]
            w = np.exp([v for _, v in top])
            pick = int(rng.choice(k, p=w / w.sum()))
            seq.append((top[pick][0], top[pick][1], top))
        out.append(seq)
    return out


def _download(into: Path) -> dict[str, str]:
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--quiet",
            "-d",
            str(into),
            UQLM,
            POLYGRAPH,
        ],
        check=True,
    )
    hashes = {}
    for wheel in sorted(into.glob("*.whl")):
        hashes[wheel.name] = hashlib.sha256(wheel.read_bytes()).hexdigest()
        with zipfile.ZipFile(wheel) as z:
            z.extractall(into / "site")
    return hashes


def _package(name: str, path: Path | None) -> None:
    mod = types.ModuleType(name)
    mod.__path__ = [] if path is None else [str(path)]
    sys.modules[name] = mod


def _load(site: Path) -> dict[str, Any]:
    sys.path.insert(0, str(site))
    for pkg in ("uqlm", "uqlm/white_box", "uqlm/white_box/baseclass"):
        _package(pkg.replace("/", "."), site / pkg)
    for pkg in ("lm_polygraph", "lm_polygraph/estimators", "lm_polygraph/stat_calculators"):
        _package(pkg.replace("/", "."), site / pkg)
    _package("lm_polygraph.utils", None)
    model = types.ModuleType("lm_polygraph.utils.model")
    model.Model = model.WhiteboxModel = model.BlackboxModel = type("Model", (), {})  # type: ignore[attr-defined]
    sys.modules["lm_polygraph.utils.model"] = model
    common = types.ModuleType("lm_polygraph.utils.common")
    log = logging.getLogger("lm_polygraph")

    def polygraph_module_init(func: Any) -> Any:  # copied from lm_polygraph/utils/common.py
        def wrapper(*args: Any, **kwargs: Any) -> None:
            if func.__name__ == "__init__":
                log.info(f"Initializing {args[0].__class__.__name__}")  # noqa: G004
            func(*args, **kwargs)

        return wrapper

    common.polygraph_module_init = polygraph_module_init  # type: ignore[attr-defined]
    sys.modules["lm_polygraph.utils.common"] = common
    return {
        "single": importlib.import_module("uqlm.white_box.single_logprobs").SingleLogprobsScorer,
        "top": importlib.import_module("uqlm.white_box.top_logprobs").TopLogprobsScorer,
        "texts": importlib.import_module(
            "lm_polygraph.stat_calculators.greedy_probs_blackbox"
        ).BlackboxGreedyTextsCalculator,
        "entropy": importlib.import_module(
            "lm_polygraph.stat_calculators.entropy"
        ).EntropyCalculator,
        "msp": importlib.import_module(
            "lm_polygraph.estimators.max_probability"
        ).MaximumSequenceProbability,
        "ppl": importlib.import_module("lm_polygraph.estimators.perplexity").Perplexity,
        "mte": importlib.import_module("lm_polygraph.estimators.token_entropy").MeanTokenEntropy,
    }


def _num(x: Any) -> float | None:
    v = float(x)
    return None if math.isnan(v) else v


def _record(peers: dict[str, Any], seqs: list[list[Position]]) -> dict[str, list[float | None]]:
    uq = [
        [
            {
                "token": tok,
                "logprob": lp,
                "top_logprobs": [{"token": a, "logprob": b} for a, b in top],
            }
            for tok, lp, top in seq
        ]
        for seq in seqs
    ]
    norm = peers["single"](length_normalize=True).evaluate(uq)
    prod = peers["single"](length_normalize=False).evaluate(uq)
    top = peers["top"](top_k_logprobs=TOP_K).evaluate(uq)

    api = SimpleNamespace(
        supports_logprobs=True,
        generate_texts=lambda *_, **__: ["".join(t for t, _, _ in s) for s in seqs],
        logprobs=[
            SimpleNamespace(
                content=[
                    SimpleNamespace(
                        token=tok,
                        logprob=lp,
                        top_logprobs=[SimpleNamespace(token=a, logprob=b) for a, b in alts],
                    )
                    for tok, lp, alts in seq
                ]
            )
            for seq in seqs
        ],
    )
    stats = peers["texts"](top_logprobs=TOP_K)({}, [""] * len(seqs), api)
    stats |= peers["entropy"]()(stats, [""] * len(seqs), None)
    return {
        "uqlm.sequence_probability(length_normalize=True)": [
            _num(v) for v in norm["sequence_probability"]
        ],
        "uqlm.sequence_probability(length_normalize=False)": [
            _num(v) for v in prod["sequence_probability"]
        ],
        "uqlm.min_probability": [_num(v) for v in norm["min_probability"]],
        "uqlm.mean_token_negentropy": [_num(v) for v in top["mean_token_negentropy"]],
        "uqlm.min_token_negentropy": [_num(v) for v in top["min_token_negentropy"]],
        "uqlm.probability_margin": [_num(v) for v in top["probability_margin"]],
        "lm_polygraph.MaximumSequenceProbability": [_num(v) for v in peers["msp"]()(stats)],
        "lm_polygraph.Perplexity": [_num(v) for v in peers["ppl"]()(stats)],
        "lm_polygraph.MeanTokenEntropy": [_num(v) for v in peers["mte"]()(stats)],
    }


def main() -> None:
    """Download, run, write the JSON fixture."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    seqs = _inputs()
    with tempfile.TemporaryDirectory() as tmp:
        wheels = _download(Path(tmp))
        scores = _record(_load(Path(tmp) / "site"), seqs)
    doc = {
        "made_by": "scripts/record_uncertainty_peers.py (see its docstring)",
        "wheels_sha256": wheels,
        "numpy": np.__version__,
        "top_k": TOP_K,
        "inputs": [[[tok, lp, [list(a) for a in top]] for tok, lp, top in s] for s in seqs],
        "scores": scores,
    }
    args.out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: {len(seqs)} sequences, {len(scores)} scores")  # noqa: T201


if __name__ == "__main__":
    main()
