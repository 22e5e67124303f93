import json
import sys

import numpy as np
import pytest
from tests._recorded import RECORDED

import tokenprobs as tp


@pytest.fixture
def apiref() -> tp.TokenDistribution:
    """The API reference's recorded top-2 Chat Completions example."""
    name = "chat_gpt-4o-mini_top2_openai_apiref_example.json"
    content = json.loads((RECORDED / name).read_text(encoding="utf-8"))["choices"][0]["logprobs"][
        "content"
    ]
    return tp.TokenDistribution.from_columns(
        source="chat",
        tokens=[c["token"] for c in content],
        token_bytes=[c["bytes"] for c in content],
        logprobs=[c["logprob"] for c in content],
        top_tokens=[[a["token"] for a in c["top_logprobs"]] for c in content],
        top_bytes=[[a["bytes"] for a in c["top_logprobs"]] for c in content],
        top_logprobs_flat=[a["logprob"] for c in content for a in c["top_logprobs"]],
    )


@pytest.fixture
def split() -> tp.TokenDistribution:
    """A blue heart split over two byte tokens, with a sampled token outside its alternatives."""
    return tp.TokenDistribution.from_columns(
        source="chat",
        tokens=["\\xf0\\x9f\\x92", "\\x99", " Blue"],
        token_bytes=[[240, 159, 146], [153], list(b" Blue")],
        logprobs=[-0.09, 0.0, -9999.0],
        top_tokens=[["\\xf0\\x9f\\x92", "\\xf0\\x9f\\x98"], [], [" Heart"]],
        top_bytes=[[[240, 159, 146], [240, 159, 152]], [], [list(b" Heart")]],
        top_logprobs_flat=[-0.09, -2.5, -0.01],
    )


@pytest.mark.extras
def test_wide_has_one_row_per_position(apiref):
    """The wide table has a row per position and the distribution's own columns."""
    df = apiref.to_pandas()
    assert len(df) == len(apiref)
    assert df.index.name == "position"
    assert list(df.columns) == [
        "token", "text", "char_start", "char_end", "prob", "logprob", "entropy", "margin",
        "tail_mass", "sampled_in_top", "top_tokens", "top_logprobs",
    ]  # fmt: skip
    assert "".join(df["text"]) == apiref.text
    np.testing.assert_array_equal(df["prob"], apiref.probs)
    np.testing.assert_array_equal(df["entropy"], apiref.entropy)
    np.testing.assert_array_equal(df["tail_mass"], apiref.tail_mass)
    assert df["top_tokens"][0] == ["Hello", "Hi"]
    assert df["top_logprobs"][0] == pytest.approx([-0.31725305, -1.3190403])


@pytest.mark.extras
def test_wide_split_character_in_both_rows(split):
    """A character split over two tokens is the text of both rows; the sentinel is -inf."""
    df = split.to_pandas()
    assert list(df["text"]) == ["💙", "💙", " Blue"]
    assert df["logprob"][2] == -np.inf
    assert df["prob"][2] == 0.0
    assert df["top_logprobs"][1] == []


@pytest.mark.extras
def test_long_has_one_row_per_alternative(apiref):
    """The long table has a row per (position, alternative), the sampled one marked."""
    df = apiref.to_pandas(long=True)
    assert len(df) == sum(len(t) for t in apiref.top_tokens)
    assert list(df.columns) == ["position", "rank", "token", "logprob", "prob", "sampled"]
    first = df[df["position"] == 0]
    assert list(first["token"]) == ["Hello", "Hi"]
    assert list(first["rank"]) == [0, 1]
    assert list(first["sampled"]) == [True, False]
    np.testing.assert_allclose(first["prob"], np.exp(first["logprob"]))


@pytest.mark.extras
def test_long_skips_positions_without_alternatives(split):
    """Positions without alternatives have no rows; a sampled token outside them is unmarked."""
    df = split.to_pandas(long=True)
    assert list(df["position"]) == [0, 0, 2]
    assert list(df["sampled"]) == [True, False, False]


@pytest.mark.extras
def test_empty_distribution(split):
    """An empty distribution gives empty tables with the same columns."""
    empty = tp.TokenDistribution.from_columns(
        source="chat", tokens=[], token_bytes=[], logprobs=[], top_tokens=[], top_bytes=[],
        top_logprobs_flat=[],
    )  # fmt: skip
    assert list(empty.to_pandas().columns) == list(split.to_pandas().columns)
    assert len(empty.to_pandas(long=True)) == 0


@pytest.mark.parametrize("long", [False, True])
def test_missing_pandas_raises(monkeypatch, apiref, long):
    """Without pandas, to_pandas raises MissingDependencyError with the install line."""
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(tp.MissingDependencyError, match=r'pip install "pytokenprobs\[pandas\]"'):
        apiref.to_pandas(long=long)
