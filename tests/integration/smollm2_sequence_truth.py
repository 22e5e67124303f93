"""Ground truth for exact label scores: a string's logprob after a prompt, from SmolLM2's logits.

`python tests/integration/smollm2_sequence_truth.py MODEL.gguf < request.json > truth.json`,
run by the llama-cpp-python venv's Python (never by tokenprobs), where the request is
`{"pairs": [[prompt, continuation], ...]}`. For each pair it tokenises `prompt` and
`prompt + continuation` as the server does for /v1/completions (special tokens parsed, BOS
added, as the server is told with `--kv_overrides`), evaluates every position with
`logits_all=True`, and writes, in float64 from the float32 logits:

- `clean`: whether the prompt's tokens are a prefix of the pair's (the continuation starts on a
  token boundary, so its tokens are its own);
- `tokens`: the continuation's token texts;
- `logprob`: `sum_i log_softmax(logits[i - 1])[token_i]` over the continuation's tokens, the
  probability that the model writes exactly those tokens next.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parents[2] / "scripts"))
from llama_server_noamx import disable_extra_bufts


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
    out = []
    for prompt, continuation in request["pairs"]:
        head = llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)
        ids = llm.tokenize((prompt + continuation).encode("utf-8"), add_bos=True, special=True)
        llm.reset()
        llm.eval(ids)
        logits = np.asarray(llm.scores[: len(ids)], dtype=np.float64)
        lsm = logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)
        n = len(head)
        out.append(
            {
                "clean": ids[:n] == head,
                "tokens": [llm.detokenize([t]).decode("utf-8", "replace") for t in ids[n:]],
                "logprob": float(sum(lsm[i - 1, ids[i]] for i in range(n, len(ids)))),
            }
        )
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
