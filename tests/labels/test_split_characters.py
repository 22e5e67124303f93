"""Labels split inside a character: matched on bytes, whatever spelling or case the API used."""

from __future__ import annotations

import math

import pytest

import tokenprobs as tp
from tokenprobs.labels import Labels
from tokenprobs.testing import chat_completion, completion

LN = math.log
HEART = "💙".encode()
HEART_POSITIONS = [
    (HEART[:3], LN(0.8), [(HEART[:3], LN(0.8)), ("A", LN(0.1))]),
    (HEART[3:], LN(0.9), [(HEART[3:], LN(0.9))]),
]


def _bytes_form(body: dict) -> dict:
    r"""The legacy body with OpenAI's own spelling of raw bytes: `bytes:\xf0\x9f\x92`."""
    lp = body["choices"][0]["logprobs"]
    lp["tokens"] = ["bytes:" + t for t in lp["tokens"]]
    lp["top_logprobs"] = [
        {("bytes:" + k if k.startswith("\\x") else k): v for k, v in row.items()}
        for row in lp["top_logprobs"]
    ]
    return body


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(chat_completion(HEART_POSITIONS), id="chat-with-bytes"),
        pytest.param(completion(HEART_POSITIONS), id="legacy-escaped-hex"),
        pytest.param(_bytes_form(completion(HEART_POSITIONS)), id="legacy-bytes-prefix"),
    ],
)
def test_split_character_matches_without_bytes(body):
    r"""A response without `bytes` spells half a character `\xf0\x9f\x92`: it is those bytes."""
    res = Labels(["💙", "A"]).probs(tp.parse(body))
    assert res.raw == pytest.approx({"💙": 0.72, "A": 0.1})
    lo, hi = res.bounds["💙"]
    assert lo == pytest.approx(0.72)
    assert hi == pytest.approx(0.72 + 0.8 * 0.1 + 0.1)
