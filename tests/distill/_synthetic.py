"""Teachers whose full next-token distributions are known: for checks against dense truth."""

from __future__ import annotations

import json
import math

import numpy as np

from tokenprobs import batch
from tokenprobs.distill import StudentVocab
from tokenprobs.testing import chat_completion

V = 24
WORDS = [f" w{i}" for i in range(V)]
VOCAB = StudentVocab({w.encode(): i for i, w in enumerate(WORDS)}, name="synthetic")


def teacher_positions(rng, t, k):
    """`t` positions: each a full distribution, its top-`k` as alternatives, a sampled token."""
    dists, positions = [], []
    for _ in range(t):
        p = rng.dirichlet(np.full(V, 0.4))
        p = np.maximum(p, 1e-12)
        p /= p.sum()
        sampled = int(rng.choice(V, p=p))
        top = np.argsort(-p, kind="stable")[:k]
        positions.append(
            (WORDS[sampled], math.log(p[sampled]), [(WORDS[j], math.log(p[j])) for j in top])
        )
        dists.append(p)
    return np.array(dists), positions


def batch_files(tmp_path, prompts, bodies, *, temperature=1.0, top_logprobs=5, fail=()):
    """A Batch input file for `prompts` and the output file the API would write (reversed)."""
    ids = batch.write_requests(
        tmp_path / "in.jsonl",
        prompts,
        model="gpt-4o-mini",
        top_logprobs=top_logprobs,
        temperature=temperature,
    )
    with (tmp_path / "out.jsonl").open("w", encoding="utf-8") as out:
        for n, (cid, body) in reversed(list(enumerate(zip(ids, bodies, strict=True)))):
            if cid in fail:
                resp = {"status_code": 400, "body": {"error": {"message": "bad", "type": "x"}}}
            else:
                resp = {"status_code": 200, "request_id": f"req_{n}", "body": body}
            line = {"id": f"batch_req_{n}", "custom_id": cid, "response": resp, "error": None}
            out.write(json.dumps(line) + "\n")
    return ids


def body(positions):
    """A chat completion body of these positions."""
    return chat_completion(positions)
