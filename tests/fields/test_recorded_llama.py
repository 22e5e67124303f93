"""A real grammar-constrained output: llama-cpp-python + SmolLM2-135M, `top_logprobs=5`.

Recorded once (tests/fields/recorded/SOURCES.md). Its logprobs are the model's before the
grammar mask, so the decisions carry mass on grammar-illegal alternatives: it goes to
`unmatched`, and `probs` (normalised over the allowed values) is the renormalisation over them.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import tokenprobs as tp
from tokenprobs import fields

HERE = Path(__file__).resolve().parent / "recorded"
NAME = "llama-cpp-python-0.3.36_smollm2-135m-q4_1_chat_json_schema_top5"
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
    """The fields of the recorded response, read with its schema."""
    return fields.confidence(BODY, schema=SCHEMA)


def test_leaves_are_json_loads_of_the_content(fc):
    """Every leaf, in order, with the value `json.loads` gives the content."""
    content = BODY["choices"][0]["message"]["content"]
    assert {f.pointer[1:]: f.value for f in fc} == json.loads(content)
    assert fc["summary"].value == "The café was lovely, would visit again!"


def test_joint_logprob_is_the_tokens_sum(fc):
    """The joint is the sum of the covering tokens' logprobs, as the server gave them."""
    for f in fc:
        assert f.logprob == pytest.approx(sum(ENTRIES[i]["logprob"] for i in f.positions))
    assert fc["rating"].positions == range(12, 13)
    assert fc["would_return"].shared_positions == (19,)  # ` true`: a space, then the value


def test_enum_decision_counts_illegal_alternatives_as_unmatched(fc):
    """`Positive` (not in the enum) is unmatched; `positive` is the enum member's mass."""
    dec = fc["sentiment"].decision
    assert dec.position == 6  # past ` "`, which only opens the string
    assert dec.labels.raw["positive"] == pytest.approx(p(6, "positive"))
    assert dec.labels.unmatched >= p(6, "Positive")
    assert dec.labels.label == "positive"
    assert dec.labels.tail == pytest.approx(1 - sum(dec.options.values()))


def test_boolean_decision_reads_past_the_leading_space(fc):
    """At ` true`, the alternatives ` false` and ` "` are read after the shared space."""
    dec = fc["would_return"].decision
    assert dec.labels.raw["true"] == pytest.approx(p(19, " true"))
    assert dec.labels.raw["false"] == pytest.approx(p(19, " false"))
    assert dec.options['"'] == pytest.approx(p(19, ' "'))
    assert dec.labels.probs["true"] == pytest.approx(
        p(19, " true") / (p(19, " true") + p(19, " false"))
    )


def test_number_decision_is_the_branch_over_digits(fc):
    """An integer leaf: the returned digits, most likely first."""
    dec = fc["rating"].decision
    assert dec.labels is None
    assert list(dec.options)[:3] == ["5", "4", "3"]
    assert dec.options["4"] == pytest.approx(p(12, "4"))


def test_no_token_is_forced_before_the_grammar_mask(fc):
    """llama.cpp's logprobs are taken before the grammar mask: nothing is exactly 0, none forced."""
    assert all(not f.forced_positions for f in fc)


def test_the_stream_reads_the_same(fc):
    """The recorded stream (`bytes: null`) gives the same leaves and numbers."""
    streamed = fields.confidence(tp.parse((HERE / f"{NAME}_stream.sse").read_text()), schema=SCHEMA)
    assert [(f.path, f.value, f.positions, f.logprob) for f in streamed] == [
        (f.path, f.value, f.positions, f.logprob) for f in fc
    ]
