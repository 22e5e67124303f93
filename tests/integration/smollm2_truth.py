"""Ground truth from SmolLM2's full logits, in-process: run by the llama-cpp-python venv's Python.

`python tests/integration/smollm2_truth.py MODEL.gguf < request.json > truth.json`, where the
request is `{"prompts": [...], "labels": {"name": ["variant", ...]}, "top": 40}`. For each
prompt it evaluates the prompt with `Llama(..., logits_all=True)` (tokenised as the server does
for /v1/completions: special tokens parsed, BOS added, which the server is told to do with the
same `--kv_overrides`), takes the next-token logits of the last position (float32, the whole
vocabulary), and writes, computed in float64:

- `labels`: per label, the total probability of the vocabulary tokens that *are* the label
  (`full`: a variant, optionally followed by a non-word character), that are a proper prefix of
  one of its variants (`prefix`), and the whitespace-only tokens (`blank`, shared by all labels);
  the true label probability lies in `[full, full + prefix + blank]`;
- `tokens`: `[token bytes as hex, logprob]` for the `top` most likely tokens, to compare with
  what the server returned; `full` and `prefix`: per label, those of them counted so.

The matching rule here is written out independently of tokenprobs (leading whitespace and an
opening quote stripped, case folded), so the test does not grade tokenprobs with its own code.
This file imports llama_cpp, which only the server's venv has; pytest never imports it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parents[2] / "scripts"))
# llama_pieces is beside this file: a script's own directory is on sys.path
from llama_pieces import pieces as read_pieces
from llama_server_noamx import disable_extra_bufts


def _norm(text: str) -> str:
    text = text.lstrip()
    if text[:1] in "\"'`":
        text = text[1:].lstrip()
    return text.casefold()


def _kind(text: str, variants: list[str]) -> str | None:
    n = _norm(text)
    for v in variants:
        if n == v or (n.startswith(v) and not (n[len(v)].isalnum() or n[len(v)] == "_")):
            return "full"
    if n and any(v.startswith(n) for v in variants):
        return "prefix"
    return None


def main() -> None:
    """Read the request on stdin, write the truth on stdout."""
    disable_extra_bufts()
    from llama_cpp import Llama  # noqa: PLC0415 - after the patch

    request = json.load(sys.stdin)
    llm = Llama(
        model_path=sys.argv[1],
        n_ctx=2048,
        n_threads=2,
        logits_all=True,
        verbose=False,
        kv_overrides={"tokenizer.ggml.add_bos_token": True},
    )
    n_vocab = llm.n_vocab()
    texts = []
    pieces = read_pieces(llm, special=True)
    for raw in pieces:
        try:
            texts.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            texts.append(None)  # a partial UTF-8 character: no label starts there
    labels = {k: [_norm(v).rstrip() for v in vs] for k, vs in request["labels"].items()}
    kinds = {
        k: np.array([t is not None and _kind(t, vs) == "full" for t in texts])
        for k, vs in labels.items()
    }
    prefixes = {
        k: np.array([t is not None and _kind(t, vs) == "prefix" for t in texts])
        for k, vs in labels.items()
    }
    # empty after normalisation (whitespace, a lone quote): could still lead to any label
    blank = np.array([t is not None and t != "" and not _norm(t).strip() for t in texts])
    out = []
    for prompt in request["prompts"]:
        tokens = llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)
        llm.reset()
        llm.eval(tokens)
        logits = np.asarray(llm.scores[llm.n_tokens - 1], dtype=np.float64)
        lp = logits - np.logaddexp.reduce(logits)
        p = np.exp(lp)
        top = np.argsort(-lp)[: request.get("top", 40)]
        out.append(
            {
                "n_prompt_tokens": len(tokens),
                "labels": {
                    k: {
                        "full": float(p[kinds[k]].sum()),
                        "prefix": float(p[prefixes[k]].sum()),
                        "blank": float(p[blank].sum()),
                    }
                    for k in labels
                },
                "tokens": [[pieces[i].hex(), float(lp[i])] for i in top],
                "full": {k: [texts[i] for i in top if kinds[k][i]] for k in labels},
                "prefix": {k: [texts[i] for i in top if prefixes[k][i]] for k in labels},
            }
        )
    json.dump({"n_vocab": n_vocab, "results": out}, sys.stdout)


if __name__ == "__main__":
    main()
