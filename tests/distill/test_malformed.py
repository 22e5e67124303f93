"""Files that are not what the writers write: a DistillError naming the line, file and field."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tokenprobs import distill
from tokenprobs.testing import chat_completion

BODY = chat_completion(
    [("Hi", -0.2, [("Hi", -0.2), ("Hey", -2.5)]), ("!", -0.1, [("!", -0.1), (".", -2.4)])]
)


def _record():
    (record,) = distill.collect([BODY], teacher=distill.Teacher(logprob_semantics="raw"))
    return record


def _first(obj):
    """The first candidate of position 0, and the same object as its sampled token."""
    return obj["positions"][0]["top"][0], obj["positions"][0]["sampled"]


def _set_candidate(name, value):
    def edit(obj):
        for c in _first(obj):
            c[name] = value

    return edit


def _set_position(name, value):
    def edit(obj):
        obj["positions"][0][name] = value

    return edit


def _set(name, value):
    def edit(obj):
        obj[name] = value

    return edit


def _drop(name):
    def edit(obj):
        del obj[name]

    return edit


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        pytest.param(
            _set_candidate("id", 1.5),
            r"positions\[0\]\.top\[0\]\.id is a token id \(an int from 0 to 2\*\*63 - 1\) or null "
            r".*got a float",
            id="id-float",
        ),
        pytest.param(
            _set_candidate("id", 2**64),
            r"positions\[0\]\.top\[0\]\.id is a token id .*got an int \(18446744073709551616\)",
            id="id-past-int64",
        ),
        pytest.param(
            _set_candidate("logprob", -(10**400)),
            r"positions\[0\]\.top\[0\]\.logprob is a finite number or null .*got an int of 1329",
            id="logprob-past-a-float",
        ),
        pytest.param(
            _set_position("cutoff_logprob", -(10**400)),
            r"positions\[0\]\.cutoff_logprob is a finite number or null",
            id="cap-past-a-float",
        ),
        pytest.param(
            lambda obj: obj["positions"][0]["top"].reverse(),
            r"position 0, candidate 1: its logprob -0\.2 comes after -2\.5, but a position's top "
            r"is most likely first",
            id="top-least-likely-first",
        ),
        pytest.param(
            _set("teacher", {"seed": 2**63}),
            r"teacher: Teacher\.seed must be an int64, from -2\*\*63 to 2\*\*63 - 1",
            id="teacher-seed-past-int64",
        ),
        pytest.param(
            _set_candidate("id", value=True),
            r"positions\[0\]\.top\[0\]\.id .*got a bool",
            id="id-bool",
        ),
        pytest.param(
            _set_candidate("id", "5"), r"positions\[0\]\.top\[0\]\.id .*got a str", id="id-str"
        ),
        pytest.param(
            _set_candidate("logprob", 5.0),
            r"position 0, candidate 0: its logprob 5\.0 is above 0",
            id="logprob-positive",
        ),
        pytest.param(
            _set_candidate("logprob", value=True),
            r"positions\[0\]\.top\[0\]\.logprob is a finite number or null",
            id="logprob-bool",
        ),
        pytest.param(
            _set_position("tail_logprob", 0.5),
            r"position 0: its tail_logprob 0\.5 is not <= 0",
            id="tail-positive",
        ),
        pytest.param(
            _set_position("tail_logprob", -0.1),
            r"position 0: its candidates' mass .* and its tail's 0\.904837 sum to .*, not 1",
            id="tail-too-large",
        ),
        pytest.param(
            _set_position("tail_logprob", None),
            r"its tail_logprob says no mass is left \(null\), but its candidates hold only",
            id="tail-none-left",
        ),
        pytest.param(
            _set_position("cutoff_logprob", 1.0),
            r"position 0: its cutoff_logprob 1\.0 is above 0",
            id="cap-positive",
        ),
        pytest.param(
            _set("positions", {}),
            r"positions is a list \(one object per completion token\), got a dict",
            id="positions-dict",
        ),
        pytest.param(
            _set("positions", [5]),
            r"positions\[0\] is an object \{sampled, top, cutoff_logprob, tail_logprob\}, got an",
            id="position-int",
        ),
        pytest.param(
            _drop("positions"), r"it has no positions field \(a record has id, ", id="no-positions"
        ),
        pytest.param(_drop("id"), "it has no id field", id="no-id"),
        pytest.param(
            _set_position("top", []), r"positions\[0\]\.top is a non-empty list", id="top-empty"
        ),
        pytest.param(
            _set_position("sampled", {"bytes": [1], "id": None, "logprob": -0.2}),
            r"positions\[0\]\.sampled \(b'\\x01'\) is not one of positions\[0\]\.top",
            id="sampled-not-in-top",
        ),
        pytest.param(
            _set_candidate("bytes", 5),
            r"positions\[0\]\.top\[0\]\.bytes is a list of byte values \(ints 0 to 255\)",
            id="bytes-int",
        ),
        pytest.param(
            _set_candidate("bytes", [72, 300]),
            r"positions\[0\]\.top\[0\]\.bytes is a list of byte values",
            id="bytes-out-of-range",
        ),
        pytest.param(
            _set("teacher", None),
            r"teacher is an object \(with provider, model, .*\), got None",
            id="teacher-null",
        ),
        pytest.param(
            _set("teacher", {"modle": "m"}),
            r"teacher has the unknown field 'modle' \(its fields are provider, model",
            id="teacher-unknown-field",
        ),
        pytest.param(
            _set("teacher", {"top_k": "x"}),
            r"teacher: Teacher\.top_k must be an int",
            id="teacher-bad-field",
        ),
    ],
)
def test_read_jsonl_refuses_what_write_jsonl_never_writes(tmp_path, edit, match):
    """Each was read lossily (id 1.5 as 1, positions {} as none) or failed quoting Python."""
    obj = distill.to_json(_record())
    edit(obj)
    path = tmp_path / "kd.jsonl"
    path.write_text(json.dumps(obj) + "\n", encoding="utf-8")
    with pytest.raises(distill.DistillError, match=rf"^line 1 of '.*kd\.jsonl': .*{match}"):
        list(distill.read_jsonl(path))


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_read_jsonl_refuses_a_bare_nan(tmp_path, constant):
    """Python's NaN literal is no JSON: it was read as a logprob (null stands for no value)."""
    line = json.dumps(distill.to_json(_record())).replace(
        '"logprob": -0.2', f'"logprob": {constant}'
    )
    path = tmp_path / "kd.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(distill.DistillError, match=rf"line 1 .* is not JSON: {constant} is no"):
        list(distill.read_jsonl(path))


def test_read_jsonl_of_no_path_is_refused_by_the_call():
    """read_jsonl(5) failed only when iterated, with Python's TypeError from Path()."""
    with pytest.raises(TypeError, match=r"^read_jsonl reads a file: path must be a str or "):
        distill.read_jsonl(5)  # type: ignore[arg-type]


def test_the_writers_refuse_values_the_readers_refuse(tmp_path):
    """A record with a positive logprob is not written, so every file written is readable."""
    record = _record()
    bad = distill.KDRecord(**{**vars(record), "cand_logprobs": record.cand_logprobs + 3.0})
    with pytest.raises(
        distill.DistillError, match=r"^write_jsonl: record .* is above 0\): a record built by hand"
    ):
        distill.write_jsonl([bad], tmp_path / "kd.jsonl")
    assert not (tmp_path / "kd.jsonl").exists()


@pytest.mark.extras
def test_write_parquet_refuses_values_the_readers_refuse(tmp_path):
    """The Parquet writer (pyarrow: the extras run) refuses the same record."""
    record = _record()
    bad = distill.KDRecord(**{**vars(record), "cand_logprobs": record.cand_logprobs + 3.0})
    with pytest.raises(
        distill.DistillError, match=r"^write_parquet: record .* make it with collect"
    ):
        distill.write_parquet([bad], tmp_path / "kd")
    assert not list((tmp_path / "kd").glob("*.parquet"))


@pytest.mark.extras
@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"garbage", id="garbage"),
        pytest.param(b"", id="empty"),
        pytest.param(b'{"schema": "tokenprobs.kd/1"}\n', id="jsonl-renamed"),
    ],
)
def test_read_parquet_names_a_file_that_is_no_parquet(tmp_path, content):
    """A corrupt, empty or renamed shard raised pyarrow's ArrowInvalid, naming no file."""
    distill.write_parquet([_record()], tmp_path / "kd")
    (tmp_path / "kd" / "kd-00001.parquet").write_bytes(content)
    with pytest.raises(distill.DistillError, match=r"'.*kd-00001\.parquet' is not a Parquet file"):
        list(distill.read_parquet(tmp_path / "kd"))


@pytest.mark.extras
@pytest.mark.parametrize(
    ("column", "value", "match"),
    [
        pytest.param("cand_logprob", 5.0, "its logprob 5.0 is above 0", id="logprob-positive"),
        pytest.param("tail_logprob", 0.5, "its tail_logprob 0.5 is not <= 0", id="tail-positive"),
        pytest.param("cand_id", -7, "its id -7 is below -1", id="id-negative"),
        pytest.param("sampled_index", 9, "sampled index 9 is not one of its", id="sampled"),
        pytest.param(
            "cand_logprob", -3.0, "candidate 1: its logprob -2.5 comes after -3.0", id="unordered"
        ),
    ],
)
def test_read_parquet_refuses_the_values_read_jsonl_refuses(tmp_path, column, value, match):
    """A shard edited to hold a positive logprob was read as it was (targets of mass > 1)."""
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.parquet as pq  # noqa: PLC0415

    (path,) = distill.write_parquet([_record()], tmp_path / "kd")
    table = pq.read_table(path)
    values = table.column(column).to_pylist()
    values[0][0] = value
    edited = table.set_column(
        table.schema.get_field_index(column),
        table.schema.field(column),
        pa.array(values, type=table.schema.field(column).type),
    )
    pq.write_table(edited, path)
    with pytest.raises(distill.DistillError, match=rf"kd-00000\.parquet', row 0: .*{match}"):
        list(distill.read_parquet(path))


def test_every_real_record_passes_the_checks(tmp_path):
    """The checks refuse nothing collect makes: a sentinel's NaN, a tail of none left, ids."""
    raw = chat_completion([("no", -9999.0, [("iveness", 0.0), ("iven", -19.625)])])
    (sentinel,) = distill.collect([raw])
    records = [_record(), sentinel]
    distill.write_jsonl(records, tmp_path / "kd.jsonl")
    assert list(distill.read_jsonl(tmp_path / "kd.jsonl")) == records
    assert np.isnan(sentinel.cand_logprobs).any()
