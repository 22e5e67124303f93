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


def _split(text: str, cut: int, p: float, alts: list[tuple[str, float]]) -> tp.TokenDistribution:
    """`text` as two tokens cut `cut` bytes in (inside a character), the first with `alts`."""
    raw = text.encode()
    head, rest = raw[:cut], raw[cut:]
    return tp.parse(
        chat_completion(
            [
                (head, LN(p), [(head, LN(p)), *[(a, LN(q)) for a, q in alts]]),
                (rest, LN(0.99), [(rest, LN(0.99))]),
            ]
        )
    )


@pytest.mark.parametrize(
    ("label", "answer"),
    [
        pytest.param("ясно", "Ясно", id="cyrillic-capital-lead-byte-differs"),
        pytest.param("ωραία", "Ωραία", id="greek-capital-lead-byte-differs"),
        pytest.param("kelvin", "\u212aelvin", id="kelvin-sign-folds-to-k"),
        pytest.param("ясно", "ясно", id="same-case"),
    ],
)
def test_split_capital_matches_its_folded_label(label, answer):
    """Case folded (the default): a capital cut after its lead byte matches the lower-case label."""
    res = Labels([label, "ok"]).probs(_split(answer, 1, 0.8, [("ok", 0.1)]))
    assert res.raw[label] == pytest.approx(0.8 * 0.99)
    lo, hi = res.bounds[label]
    assert lo <= 0.8 * 0.99 <= hi


def test_split_capital_is_no_match_when_case_sensitive():
    """Case-sensitive, "Я" split is not "я": no mass, as for the whole token."""
    res = Labels(["ясно", "ok"], case_sensitive=True).probs(_split("Ясно", 1, 0.8, [("ok", 0.1)]))
    assert res.raw == pytest.approx({"ясно": 0.0, "ok": 0.1})


def test_label_then_split_character_is_still_the_label():
    """`"yes"` then half an emoji: the label followed by a non-word character once complete."""
    res = Labels(["yes", "no"]).probs(_split("yes💙", 5, 0.8, [("no", 0.1)]))
    assert res.raw["yes"] == pytest.approx(0.8 * 0.99)
    lo, hi = res.bounds["yes"]
    assert lo <= 0.8 * 0.99 <= hi
