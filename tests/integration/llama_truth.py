"""Ground truth for scoring: each token's logprob from the model's full logits, in-process.

Run with the server's interpreter (`.venv-llama/bin/python`, which has llama-cpp-python), never
with tokenprobs: `python llama_truth.py MODEL.gguf < texts.json > truth.json`. For each text it
tokenises the text as the server does (with the model's BOS token), evaluates every position with
`logits_all=True`, and writes each token (BOS left out) with its bytes and its logprob given
everything before it: `log_softmax(logits[i - 1])[token[i]]`, in float64 from the float32
logits.
"""

from __future__ import annotations

import json
import sys

import numpy as np
from llama_cpp import Llama


def truth(llm: Llama, text: str) -> list[dict[str, object]]:
    """`[{"id", "bytes", "logprob"}]` for each token of `text` after the BOS token."""
    ids = llm.tokenize(text.encode("utf-8"), add_bos=True, special=False)
    llm.reset()
    llm.eval(ids)
    logits = np.asarray(llm.scores[: len(ids)], dtype=np.float64)
    shifted = logits - logits.max(axis=1, keepdims=True)
    logsoftmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    start = 1 if ids and ids[0] == llm.token_bos() else 0
    return [
        {
            "id": ids[i],
            "bytes": list(llm.detokenize([ids[i]])),
            "logprob": float(logsoftmax[i - 1, ids[i]]) if i > 0 else None,
        }
        for i in range(start, len(ids))
    ]


def main() -> None:
    """Read a JSON list of texts on stdin; write a JSON list of token lists on stdout."""
    llm = Llama(model_path=sys.argv[1], logits_all=True, n_ctx=512, verbose=False, seed=0)
    texts = json.load(sys.stdin)
    json.dump([truth(llm, t) for t in texts], sys.stdout)


if __name__ == "__main__":
    main()
