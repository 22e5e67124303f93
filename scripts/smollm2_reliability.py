# ruff: noqa: INP001
"""Classify yes/no questions with SmolLM2-135M-Instruct, calibrate, draw the reliability diagram.

`make integration` starts SmolLM2 on a llama-cpp-python server; with its URL,

    .venv/bin/python scripts/smollm2_reliability.py http://127.0.0.1:PORT/v1 \
        docs/img/labels-reliability.png

runs `tp.classify` over `QUESTIONS` (through /v1/completions, the ChatML prompt written out so
the in-process ground truth in tests/integration sees the very same tokens), fits temperature
scaling on the answers, and draws the reliability diagram before and after. The image in
docs/img/ was made this way; tests/integration/test_smollm2_labels.py runs the same pipeline.
The fit is in-sample on 32 questions: it shows the pipeline, it does not certify a calibrator
(tokenprobs warns below 300 examples).
"""

from __future__ import annotations

import argparse
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import openai

import tokenprobs as tp
from tokenprobs import metrics
from tokenprobs.labels import CalibrationWarning, LabelResults, TemperatureScaling

if TYPE_CHECKING:
    from collections.abc import Sequence

MODEL = "smollm2"
"""The alias scripts/integration.sh gives SmolLM2 (`--model_alias smollm2`)."""
SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
"""SmolLM2-Instruct's default system prompt (its chat template's)."""

QUESTIONS: tuple[tuple[str, str], ...] = (
    ("Is Paris the capital of France?", "yes"),
    ("Is the sun a star?", "yes"),
    ("Do fish live in water?", "yes"),
    ("Is water wet?", "yes"),
    ("Is ice cold?", "yes"),
    ("Do birds have feathers?", "yes"),
    ("Is two plus two equal to four?", "yes"),
    ("Is the Earth round?", "yes"),
    ("Do cats have four legs?", "yes"),
    ("Is grass green?", "yes"),
    ("Is London in England?", "yes"),
    ("Does the sun rise in the east?", "yes"),
    ("Is a dog an animal?", "yes"),
    ("Is English a language?", "yes"),
    ("Is fire hot?", "yes"),
    ("Do humans need air to breathe?", "yes"),
    ("Is the moon made of cheese?", "no"),
    ("Can a fish climb a tree?", "no"),
    ("Is two plus two equal to five?", "no"),
    ("Is Paris the capital of Germany?", "no"),
    ("Do cats have wings?", "no"),
    ("Is ice hot?", "no"),
    ("Is the sun a planet?", "no"),
    ("Do rocks eat food?", "no"),
    ("Is a car an animal?", "no"),
    ("Can humans breathe under water without help?", "no"),
    ("Is the ocean made of sand?", "no"),
    ("Is snow black?", "no"),
    ("Do trees walk?", "no"),
    ("Is London in France?", "no"),
    ("Is one larger than ten?", "no"),
    ("Does the sun rise in the west?", "no"),
)
"""32 yes/no questions with their true answers (16 each)."""


def chatml(user: str) -> str:
    """The prompt SmolLM2's chat template makes for one user turn, ready for the answer.

    Without its first `<|im_start|>`: that is SmolLM2's BOS token, which the server adds (it is
    started with `--kv_overrides tokenizer.ggml.add_bos_token=bool:true`, which echo logprobs
    need), so writing it too would start the prompt with two.
    """
    return (
        f"system\n{SYSTEM}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"
    )


def yes_no(question: str) -> str:
    """The prompt of one yes/no question."""
    return chatml(f"{question} Answer with yes or no.")


@dataclass(frozen=True)
class Run:
    """One pass: the raw results, the fitted temperature, the calibrated results, the truth."""

    results: LabelResults
    calibrator: TemperatureScaling
    calibrated: LabelResults
    y: list[str]


def run(client: openai.OpenAI, questions: Sequence[tuple[str, str]] = QUESTIONS) -> Run:
    """Classify `questions`, fit temperature scaling on them (in-sample), and transform."""
    results = tp.classify(
        [q for q, _ in questions],
        ["yes", "no"],
        model=MODEL,
        client=client,
        prompt=yes_no,
        endpoint="completions",
        top_logprobs=20,
        max_tokens=2,
        at=0,
        profile="llama.cpp",
        progress=False,
        concurrency=2,
    )
    y = [a for _, a in questions]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)  # 32 < 300: said in the docstring
        calibrator = TemperatureScaling().fit(results, y)
    return Run(results, calibrator, calibrator.transform(results), y)


def draw(r: Run, out: Path) -> None:
    """The reliability diagram before and after temperature scaling, side by side, as a PNG."""
    import matplotlib as mpl  # noqa: PLC0415 - the [plot] extra

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    from tokenprobs.labels import reliability_diagram  # noqa: PLC0415

    fig, (before, after) = plt.subplots(1, 2, figsize=(9, 4), sharey=True)
    reliability_diagram(r.results, r.y, bins=5, ax=before)
    before.set_title("SmolLM2-135M-Instruct, raw")
    reliability_diagram(r.calibrated, r.y, bins=5, ax=after)
    after.set_title(f"temperature scaling, T = {r.calibrator.temperature:.2f}")
    fig.suptitle(f"tp.classify on {len(r.y)} yes/no questions (in-sample fit)")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100, metadata={"Software": None})
    plt.close(fig)


def summary(r: Run) -> str:
    """Accuracy, ECE and NLL before and after, one line."""
    idx = [r.results.labels.index(a) for a in r.y]
    before, after = r.results.matrix(), r.calibrated.matrix()
    acc = sum(res.label == a for res, a in zip(r.results, r.y, strict=True)) / len(r.y)  # type: ignore[union-attr]
    return (
        f"accuracy {acc:.3f}; ECE {metrics.ece(before, idx, bins=5):.3f} -> "
        f"{metrics.ece(after, idx, bins=5):.3f}; NLL {metrics.nll(before, idx):.3f} -> "
        f"{metrics.nll(after, idx):.3f}; T = {r.calibrator.temperature:.3f}"
    )


def main() -> None:
    """Run against the server at the URL given, write the PNG, print the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    with openai.OpenAI(base_url=args.url, api_key="sk-local", max_retries=0) as client:
        r = run(client)
    draw(r, args.out)
    print(summary(r))  # noqa: T201
    print(f"wrote {args.out}")  # noqa: T201


if __name__ == "__main__":
    main()
