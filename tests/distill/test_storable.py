"""What the writers can store: lone surrogates, ids past int32, numbers past int64, top order."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tokenprobs import distill
from tokenprobs.testing import chat_completion

BODY = chat_completion([("Hi", -0.2, [("Hi", -0.2), ("Hey", -2.5)])])
VOCAB = distill.StudentVocab({b"Hi": 0, b"Hey": 1})


def _record(content="Greet me.", body=BODY):
    (record,) = distill.collect([([{"role": "user", "content": content}], body)])
    return record


def _with(record, **fields):
    """`record` with its JSON object's top-level `fields` replaced (read back by from_json)."""
    return distill.from_json({**distill.to_json(record), **fields})


def test_a_lone_surrogate_in_the_input_is_written_as_its_escape_and_read_back(tmp_path):
    """write_jsonl raised UnicodeEncodeError on half an emoji; it is its JSON escape now."""
    record = _record("bad \ud800 half, é")
    assert distill.write_jsonl([record], tmp_path / "kd.jsonl") == 1
    text = (tmp_path / "kd.jsonl").read_text(encoding="utf-8")  # UTF-8 throughout
    assert "bad \\ud800 half, é" in text  # only the surrogate escaped
    assert list(distill.read_jsonl(tmp_path / "kd.jsonl")) == [record]


@pytest.mark.extras
def test_a_lone_surrogate_in_the_input_round_trips_through_parquet(tmp_path):
    """The `input` column is JSON text: the escape keeps the record as it was."""
    record = _with(_record("bad \ud800 half"), extra={"note": "\udcff"})
    distill.write_parquet([record], tmp_path / "kd")
    assert list(distill.read_parquet(tmp_path / "kd")) == [record]


@pytest.mark.extras
def test_a_batch_input_files_escaped_surrogate_reaches_both_stores(tmp_path):
    """An input file's escaped half emoji (valid JSON) failed both writers after collect."""
    request = {
        "custom_id": "r1",
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": "m", "messages": [{"role": "user", "content": "x\ud83d"}]},
    }
    (tmp_path / "in.jsonl").write_text(json.dumps(request) + "\n", encoding="utf-8")
    line = {"id": "b1", "custom_id": "r1", "response": {"status_code": 200, "body": BODY}}
    (tmp_path / "out.jsonl").write_text(json.dumps({**line, "error": None}) + "\n")
    records = list(distill.collect([tmp_path / "out.jsonl"], inputs=tmp_path / "in.jsonl"))
    assert records[0].input == {"messages": [{"role": "user", "content": "x\ud83d"}]}
    distill.write_jsonl(records, tmp_path / "kd.jsonl")
    assert list(distill.read_jsonl(tmp_path / "kd.jsonl")) == records
    distill.collect_to_parquet(
        [tmp_path / "out.jsonl"], tmp_path / "kd", inputs=tmp_path / "in.jsonl", processes=1
    )
    assert list(distill.read_parquet(tmp_path / "kd")) == records


def test_a_lone_surrogate_in_the_completion_text_round_trips_through_jsonl(tmp_path):
    """The completion's text may end in half an emoji: JSONL keeps it."""
    record = _with(_record(), completion_text="H\ud800")
    distill.write_jsonl([record], tmp_path / "kd.jsonl")
    assert list(distill.read_jsonl(tmp_path / "kd.jsonl")) == [record]


@pytest.mark.extras
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"completion_text": "H\ud800"}, "completion_text", id="completion-text"),
        pytest.param({"id": "r\udc80"}, "id", id="id"),
        pytest.param({"teacher": {"model": "m\ud83d"}}, r"teacher\.model", id="teacher-model"),
    ],
)
def test_write_parquet_refuses_a_lone_surrogate_in_a_string_column(tmp_path, fields, field):
    """A UTF-8 string column cannot hold one: a DistillError naming it, not UnicodeEncodeError."""
    record = _with(_record(), **fields)
    with pytest.raises(
        distill.DistillError,
        match=rf"^write_parquet: record .*: its {field} holds a lone surrogate \('\\u.*' at "
        r"index 1\), which a Parquet string column \(UTF-8\) cannot hold: write the records "
        r"with write_jsonl",
    ):
        distill.write_parquet([_record(), record], tmp_path / "kd")
    assert not list((tmp_path / "kd").glob("*.parquet"))


def test_write_axolotl_refuses_a_lone_surrogate_naming_its_place(tmp_path):
    """Axolotl's loader (pyarrow's JSON reader) refuses the escape, so no such file is written."""
    with pytest.raises(
        distill.DistillError,
        match=r"^write_axolotl: record .*: messages\[0\]\['content'\] holds a lone surrogate",
    ):
        distill.write_axolotl([_record("bad \ud800")], tmp_path / "ax.jsonl", k=2, vocab=VOCAB)
    assert not (tmp_path / "ax.jsonl").exists()


@pytest.mark.parametrize(
    "writer",
    [
        pytest.param(distill.write_jsonl, id="jsonl"),
        pytest.param(distill.write_parquet, id="parquet", marks=pytest.mark.extras),
    ],
)
def test_a_surrogate_pair_held_as_two_code_points_is_refused(tmp_path, writer):
    """JSON reads the two escapes back as the one emoji they pair to: no equal record is read."""
    record = _record("\ud83d\ude00")
    with pytest.raises(
        distill.DistillError,
        match=r"record .*: input\['messages'\]\[0\]\['content'\] holds a high and a low "
        r"surrogate as two code points",
    ):
        writer([record], tmp_path / "kd")


@pytest.mark.extras
def test_write_parquet_refuses_an_id_past_int32_and_write_jsonl_stores_it(tmp_path):
    """The token_id:3000000000 of vLLM was wrapped to -1294967296, a shard no reader took back."""
    big = "token_id:3000000000"
    body = chat_completion([(big, -0.2, [(big, -0.2), ("token_id:5", -2.5)])])
    (record,) = distill.collect([body])
    with pytest.raises(
        distill.DistillError,
        match=r"^write_parquet: record .*: position 0, candidate 0: its id 3000000000 is above "
        r"2147483647, the most a shard's cand_id column \(int32\) holds: write the records "
        r"with write_jsonl",
    ):
        distill.write_parquet([record], tmp_path / "kd")
    assert not list((tmp_path / "kd").glob("*.parquet"))
    distill.write_jsonl([record], tmp_path / "kd.jsonl")
    assert list(distill.read_jsonl(tmp_path / "kd.jsonl")) == [record]


def test_a_top_out_of_order_is_refused_and_collects_order_passes(tmp_path):
    """to_arrays(k=1) of a reversed top kept the least likely; ties and a NaN last still pass."""
    shuffled = chat_completion(
        [
            ("b", -0.8, [("c", -3.0), ("b", -0.8), ("a", -0.8)]),  # a tie, listed unsorted
            ("x", -9999.0, [("z", -2.0), ("y", -0.2)]),  # the sampled sentinel: NaN, last
        ]
    )
    (record,) = distill.collect([shuffled])
    keys = np.nan_to_num(record.cand_logprobs, nan=-np.inf)
    assert [c.bytes for c in record.candidates(0)] == [b"b", b"a", b"c"]
    assert all(np.diff(keys[lo:hi]).max() <= 0 for lo, hi in ((0, 3), (3, 6)))
    distill.write_jsonl([record], tmp_path / "kd.jsonl")
    assert list(distill.read_jsonl(tmp_path / "kd.jsonl")) == [record]
    obj = distill.to_json(record)
    obj["positions"][1]["top"].reverse()
    with pytest.raises(
        distill.DistillError,
        match=r"position 1, candidate 1: its logprob -2\.0 comes after one without a logprob",
    ):
        distill.from_json(obj)


def test_a_kd_temperature_past_a_floats_range_is_named():
    """kd_temperature=10**400 raised OverflowError from float()."""
    with pytest.raises(distill.DistillError, match=r"^kd_temperature must be a finite number"):
        distill.to_arrays(_record(), k=1, vocab=VOCAB, kd_temperature=10**400)


def test_from_json_refuses_a_logprob_past_a_floats_range():
    """-(10**400) raised OverflowError from math.isfinite, which read_jsonl did not wrap."""
    obj = distill.to_json(_record())
    obj["positions"][0]["tail_logprob"] = -(10**400)
    with pytest.raises(distill.DistillError, match=r"positions\[0\]\.tail_logprob is a finite"):
        distill.from_json(obj)


@pytest.mark.extras
def test_a_seed_at_int64s_end_is_stored_by_both_writers(tmp_path):
    """2**63 is refused by Teacher (as by OpenAI and vLLM), so JSONL and Parquet agree."""
    with pytest.raises(distill.DistillError, match=r"^Teacher\.seed must be an int64"):
        distill.Teacher(seed=2**63)
    teacher = distill.Teacher(seed=2**63 - 1)
    (record,) = distill.collect([BODY], teacher=teacher)
    distill.write_jsonl([record], tmp_path / "kd.jsonl")
    distill.write_parquet([record], tmp_path / "kd")
    assert list(distill.read_jsonl(tmp_path / "kd.jsonl")) == [record]
    assert list(distill.read_parquet(tmp_path / "kd")) == [record]
