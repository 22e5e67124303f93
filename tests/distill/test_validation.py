"""Bad arguments to the distill API: typed errors that name the parameter and the fix."""

from __future__ import annotations

import functools
import json
import math
import warnings

import numpy as np
import pytest

import tokenprobs as tp
from tokenprobs import distill
from tokenprobs.testing import chat_completion

BODY = chat_completion(
    [("Hi", -0.1, [("Hi", -0.1), ("Hey", -2.5), ("Yo", -5.0)]), ("!", -0.2, [("!", -0.2)])]
)
VOCAB = distill.StudentVocab({b"Hi": 7, b"Hey": 9, b"!": 3})
RAW = distill.Teacher(logprob_semantics="raw")


def _record(teacher=RAW):
    (record,) = distill.collect([BODY], teacher=teacher)
    return record


@pytest.mark.parametrize(
    ("options", "name"),
    [
        pytest.param({"kd_temperature": 0}, "kd_temperature", id="kd-zero"),
        pytest.param({"kd_temperature": -1.0}, "kd_temperature", id="kd-negative"),
        pytest.param({"kd_temperature": math.nan}, "kd_temperature", id="kd-nan"),
        pytest.param({"kd_temperature": math.inf}, "kd_temperature", id="kd-inf"),
        pytest.param(
            {"kd_temperature": 2.0, "generation_temperature": 0.0},
            "generation_temperature",
            id="generation-zero",
        ),
        pytest.param(
            {"kd_temperature": 2.0, "generation_temperature": math.inf},
            "generation_temperature",
            id="generation-inf",
        ),
        pytest.param(
            {"kd_temperature": 2.0, "generation_temperature": math.nan},
            "generation_temperature",
            id="generation-nan",
        ),
        pytest.param(
            {"kd_temperature": 2.0, "generation_temperature": -1.0},
            "generation_temperature",
            id="generation-negative",
        ),
    ],
)
def test_temperatures_must_be_finite_and_positive(options, name):
    """kd_temperature / generation_temperature of 0, < 0, nan or inf: DistillError naming it."""
    with pytest.raises(distill.DistillError, match=rf"{name} must be finite and > 0"):
        distill.to_arrays(_record(), k=2, vocab=VOCAB, **options)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        pytest.param({"kd_temperature": "1"}, "kd_temperature must be a number", id="kd-str"),
        pytest.param({"kd_temperature": True}, "kd_temperature must be a number", id="kd-bool"),
        pytest.param(
            {"kd_temperature": 2.0, "generation_temperature": "1"},
            "generation_temperature must be a number",
            id="generation-str",
        ),
        pytest.param({"k": "2"}, "k must be an int", id="k-str"),
        pytest.param({"k": 2.5}, "k must be an int", id="k-float"),
        pytest.param({"k": None}, "k must be an int", id="k-none"),
    ],
)
def test_non_numeric_options_are_type_errors(options, match):
    """A temperature or k that is not a number: TypeError naming the parameter."""
    with pytest.raises(TypeError, match=match):
        distill.to_arrays(_record(), **{"k": 2, "vocab": VOCAB, **options})


def test_processed_logprobs_at_temperature_zero_cannot_be_rescaled():
    """A greedy teacher's processed logprobs give no temperature to rescale from: DistillError."""
    greedy = _record(distill.Teacher(logprob_semantics="processed", temperature=0.0))
    with pytest.raises(distill.DistillError, match="generation_temperature"):
        distill.to_arrays(greedy, k=2, vocab=VOCAB, kd_temperature=2.0)


@pytest.mark.parametrize(
    ("fields", "error", "name"),
    [
        pytest.param({"temperature": -1.0}, distill.DistillError, "temperature", id="temp-neg"),
        pytest.param({"temperature": math.nan}, distill.DistillError, "temperature", id="temp-nan"),
        pytest.param({"temperature": math.inf}, distill.DistillError, "temperature", id="temp-inf"),
        pytest.param({"temperature": "x"}, TypeError, "temperature", id="temp-str"),
        pytest.param(
            {"logprob_semantics": "weird"},
            distill.DistillError,
            "logprob_semantics",
            id="semantics",
        ),
        pytest.param({"top_k": -5}, distill.DistillError, "top_k", id="top-k-negative"),
        pytest.param({"top_k": "x"}, TypeError, "top_k", id="top-k-str"),
        pytest.param({"top_k": 2.0}, TypeError, "top_k", id="top-k-float"),
        pytest.param({"top_k": True}, TypeError, "top_k", id="top-k-bool"),
        pytest.param({"top_p": 1.5}, distill.DistillError, "top_p", id="top-p-above-one"),
        pytest.param({"top_p": -0.1}, distill.DistillError, "top_p", id="top-p-negative"),
        pytest.param({"top_p": math.nan}, distill.DistillError, "top_p", id="top-p-nan"),
        pytest.param({"top_p": "0.9"}, TypeError, "top_p", id="top-p-str"),
        pytest.param({"seed": 1.5}, TypeError, "seed", id="seed-float"),
        pytest.param({"seed": "7"}, TypeError, "seed", id="seed-str"),
        pytest.param({"seed": 2**63}, distill.DistillError, "seed", id="seed-past-int64"),
        pytest.param({"seed": -(2**63) - 1}, distill.DistillError, "seed", id="seed-below-int64"),
        pytest.param({"top_k": 2**63}, distill.DistillError, "top_k", id="top-k-past-int64"),
        pytest.param({"temperature": 10**400}, distill.DistillError, "temperature", id="temp-huge"),
        pytest.param({"top_p": -(10**400)}, distill.DistillError, "top_p", id="top-p-huge"),
        pytest.param({"model": 4}, TypeError, "model", id="model-int"),
        pytest.param({"tokenizer": b"o200k_base"}, TypeError, "tokenizer", id="tokenizer-bytes"),
    ],
)
def test_teacher_validates_its_fields(fields, error, name):
    """Teacher rejects a bad field (temperature, top_p, top_k, seed, names ...), naming it."""
    with pytest.raises(error, match=rf"Teacher\.{name}"):
        distill.Teacher(**fields)


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({}, id="unknown"),
        pytest.param({"temperature": 0.0, "top_k": 0}, id="greedy-top0"),
        pytest.param({"temperature": 1, "top_k": np.int64(5)}, id="numpy-int"),
        pytest.param({"logprob_semantics": "processed", "temperature": 0.7}, id="processed"),
        pytest.param({"top_p": 0, "seed": np.int64(7), "model": "gpt-4o"}, id="top-p-zero"),
        pytest.param({"top_p": 1, "seed": -3, "provider": "vllm"}, id="top-p-one"),
        pytest.param({"seed": 2**63 - 1, "top_k": 2**63 - 1}, id="int64-max"),
        pytest.param({"seed": -(2**63)}, id="int64-min"),
    ],
)
def test_teacher_accepts_what_a_request_can_ask(fields):
    """Temperature 0 (greedy), top_logprobs 0 and numpy integers are valid teacher settings."""
    assert distill.Teacher(**fields).top_k == fields.get("top_k")


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda d: distill.to_arrays(d, k=2, vocab=VOCAB), id="to_arrays"),
        pytest.param(lambda d: distill.coverage([d], VOCAB), id="coverage"),
        pytest.param(distill.to_json, id="to_json"),
        pytest.param(lambda d: distill.to_axolotl(d, k=2, vocab=VOCAB), id="to_axolotl"),
        pytest.param(
            lambda d: distill.to_tinker(d, k=2, prompt_ids=[1], vocab=VOCAB), id="to_tinker"
        ),
        pytest.param(
            lambda d: distill.to_distillkit(d, k=2, prompt_ids=[1], vocab=VOCAB),
            id="to_distillkit",
        ),
        pytest.param(
            lambda d: distill.to_student_arrays(d, k=2, vocab=VOCAB, encode=list),
            id="to_student_arrays",
        ),
    ],
)
def test_a_distribution_is_not_a_record(call):
    """A TokenDistribution where a KDRecord belongs: TypeError saying how to make the record."""
    with pytest.raises(TypeError, match=r"got a TokenDistribution.*distill\.collect"):
        call(tp.parse(BODY))


def test_write_jsonl_of_distributions_says_it_writes_records(tmp_path):
    """write_jsonl([TokenDistribution]): TypeError saying it writes KDRecords; no file is left."""
    with pytest.raises(TypeError, match="write_jsonl takes a distill KDRecord"):
        distill.write_jsonl([tp.parse(BODY)], tmp_path / "kd.jsonl")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(json.dumps(distill.to_json(_record())), id="json-string"),
        pytest.param(None, id="none"),
        pytest.param([1, 2], id="list"),
    ],
)
def test_from_json_takes_the_parsed_object(obj):
    """from_json of a string or None: TypeError saying it takes json.loads of one line."""
    with pytest.raises(TypeError, match=r"json\.loads"):
        distill.from_json(obj)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("id", 5, r"id is a string or null, got an int \(5\)"),
        ("completion_text", None, "completion_text is a string, got None"),
        ("input", "hi", r"input is an object or null, got a str \('hi'\)"),
        ("extra", [1], r"extra is an object or null, got a list \(\[1\]\)"),
    ],
)
def test_from_json_checks_the_fields_a_writer_needs(field, value, words):
    """A JSONL id 5 was read, then write_parquet failed with Arrow's 'Expected bytes, got int'."""
    obj = {**distill.to_json(_record()), field: value}
    with pytest.raises(distill.DistillError, match=f"malformed tokenprobs.kd/1 record: {words}"):
        distill.from_json(obj)


def test_read_jsonl_names_a_line_that_is_not_an_object(tmp_path):
    """A JSONL line that is valid JSON but not an object: DistillError with its line number."""
    path = tmp_path / "kd.jsonl"
    path.write_text(json.dumps(distill.to_json(_record())) + "\n5\n", encoding="utf-8")
    with pytest.raises(distill.DistillError, match="line 2"):
        list(distill.read_jsonl(path))


def test_student_with_fewer_columns_than_a_target_id():
    """topk_loss with a student vocabulary smaller than the largest target id: DistillError."""
    a = distill.to_arrays(_record(), k=2, tail="bucket", vocab=VOCAB)
    with pytest.raises(distill.DistillError, match=r"2 columns.*largest target id is 9"):
        distill.topk_loss(np.log(np.full((2, 2), 0.3)), a)


@pytest.mark.parametrize(
    ("student", "sums"),
    [
        pytest.param(
            [[3.0, 1.0, 0.5, -1.0] + [-1.0] * 6] * 2, "row 0 sums to 27.0277", id="logits"
        ),
        pytest.param([[math.nan] + [math.log(0.1)] * 9] * 2, "row 0 sums to nan", id="nan"),
    ],
)
def test_topk_loss_needs_the_students_log_softmax(student, sums):
    """Logits gave a meaningless (even negative) KL, NaN a NaN loss: DistillError saying so."""
    a = distill.to_arrays(_record(), k=2, tail="bucket", vocab=VOCAB)
    with pytest.raises(distill.DistillError, match=rf"{sums}.*apply log_softmax to the logits"):
        distill.topk_loss(np.array(student), a)
    uniform = np.log(np.full((2, 10), 0.1, dtype=np.float32))  # float32 rounding is accepted
    assert np.isfinite(distill.topk_loss(uniform, a)).all()


@pytest.mark.parametrize(
    "targets",
    [
        pytest.param(None, id="none"),
        pytest.param(np.zeros((2, 2)), id="array"),
    ],
)
def test_topk_loss_targets_must_be_kd_arrays(targets):
    """topk_loss(student, not-KDArrays): TypeError saying targets come from to_arrays."""
    with pytest.raises(TypeError, match="to_arrays"):
        distill.topk_loss(np.zeros((2, 10)), targets)


@pytest.mark.parametrize(
    ("prompt_ids", "error", "match"),
    [
        pytest.param("12", TypeError, "not a string", id="str"),
        pytest.param(None, TypeError, "sequence of token ids", id="none"),
        pytest.param([1.5], TypeError, "float", id="float-id"),
        pytest.param([True], TypeError, "bool", id="bool-id"),
        pytest.param([-1], distill.DistillError, "non-negative", id="negative-id"),
        pytest.param([], distill.DistillError, "empty", id="empty"),
    ],
)
@pytest.mark.parametrize("writer", [distill.to_tinker, distill.to_distillkit])
def test_prompt_ids_are_non_negative_ints(writer, prompt_ids, error, match):
    """to_tinker / to_distillkit check prompt_ids: a sequence of ints >= 0, not a string."""
    with pytest.raises(error, match=rf"prompt_ids.*{match}|{match}.*prompt_ids"):
        writer(_record(), k=2, prompt_ids=prompt_ids, vocab=VOCAB)


def test_prompt_ids_may_be_a_numpy_array():
    """A numpy array of ids is a valid prompt: model_input is plain ints."""
    datum = distill.to_tinker(_record(), k=2, prompt_ids=np.array([1, 2]), vocab=VOCAB)
    assert datum["model_input"] == [1, 2, 7]
    assert all(type(i) is int for i in datum["model_input"])


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        pytest.param(
            lambda: distill.collect(None),
            TypeError,
            r"collect reads a list of responses.*got None",
            id="sources-none",
        ),
        pytest.param(
            lambda: distill.collect(BODY),
            TypeError,
            r"got a dict \(a single response: collect\(\[response\]\)\)",
            id="sources-one-dict",
        ),
        pytest.param(
            lambda: distill.collect([BODY], on_error="ignore"),
            ValueError,
            "on_error is 'raise' or 'skip', got 'ignore'",
            id="on-error",
        ),
        pytest.param(
            lambda: distill.collect([BODY], teacher={"model": "gpt-4o"}),
            TypeError,
            "teacher is a distill.Teacher or None, got a dict",
            id="teacher-dict",
        ),
        pytest.param(
            lambda: distill.collect([BODY], inputs=3),
            TypeError,
            "inputs is the Batch input file's path",
            id="inputs-int",
        ),
    ],
)
def test_collect_checks_its_arguments_when_called(call, error, match):
    """Bad arguments raise at the call, not at the first record (collect's records are lazy).

    Before: `collect(None)` raised Python's "'NoneType' object is not iterable" at the first
    `next`, `collect(body)` parsed the dict's keys, and `on_error="ignore"` skipped silently.
    """
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda r: distill.to_arrays(r, k=2, vocab={b"Hi": 7}), id="to_arrays"),
        pytest.param(lambda r: distill.coverage([r], {b"Hi": 7}), id="coverage"),
        pytest.param(
            lambda r: distill.to_student_arrays(r, k=2, vocab={b"Hi": 7}, encode=lambda _: [7]),
            id="to_student_arrays",
        ),
    ],
)
def test_a_mapping_as_vocab_says_to_wrap_it(call):
    """A dict where a StudentVocab goes: TypeError saying to wrap it (an AttributeError before)."""
    with pytest.raises(TypeError, match=r"StudentVocab as vocab, got a dict \(wrap the mapping"):
        call(_record())


def test_coverage_of_none_is_a_type_error():
    """coverage(None, vocab): TypeError naming what it takes, not 'NoneType is not iterable'."""
    with pytest.raises(TypeError, match=r"iterable of KDRecords \(collect\(\.\.\.\)\), got None"):
        distill.coverage(None, VOCAB)


_COLLECTORS = [
    pytest.param(
        functools.partial(distill.collect_to_parquet, processes=2), id="collect_to_parquet"
    ),
    pytest.param(
        distill.dask_collect_to_parquet, id="dask_collect_to_parquet", marks=pytest.mark.extras
    ),
]


@pytest.mark.parametrize("collector", _COLLECTORS)
@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            ("out.jsonl", {}),
            TypeError,
            r"a list of Batch output files, got a str \(.*\): pass \[path\]",
        ),
        (([1], {}), TypeError, "files are paths"),
        ((["out.jsonl"], {"on_error": "ignore"}), ValueError, "on_error is 'raise' or 'skip'"),
        ((["out.jsonl"], {"teacher": {"model": "m"}}), TypeError, "teacher is a distill.Teacher"),
        ((["out.jsonl"], {"inputs": [1]}), TypeError, "inputs is the Batch input file"),
        ((["out.jsonl"], {"rows_per_shard": "2"}), TypeError, "rows_per_shard must be an int"),
    ],
)
def test_collectors_check_their_arguments_before_any_work(tmp_path, collector, call, error, match):
    """Checked in the caller, before a worker is spawned or a task sent (no file is read)."""
    files, given = call
    with pytest.raises(error, match=match):
        collector(files, tmp_path / "kd", **given)
    assert not (tmp_path / "kd").exists()


@pytest.mark.parametrize(
    ("processes", "error"),
    [(0, distill.DistillError), (-1, distill.DistillError), ("2", TypeError), (1.5, TypeError)],
)
def test_processes_is_a_positive_int(tmp_path, processes, error):
    """processes=0 used every core, -1 failed inside the pool, '2' at a subtraction."""
    with pytest.raises(error, match="processes must be"):
        distill.collect_to_parquet(["out.jsonl"], tmp_path / "kd", processes=processes)


def test_numpy_settings_are_stored_as_python_numbers(tmp_path):
    """A float32 temperature made write_jsonl fail ('float32 is not JSON serializable')."""
    teacher = distill.Teacher(temperature=np.float32(0.5), top_p=np.float64(0.9), seed=np.int64(3))
    assert [type(v) for v in (teacher.temperature, teacher.top_p, teacher.seed)] == [
        float,
        float,
        int,
    ]
    record = _record(teacher)
    distill.write_jsonl([record], tmp_path / "kd.jsonl")
    assert list(distill.read_jsonl(tmp_path / "kd.jsonl")) == [record]


@pytest.mark.parametrize(
    ("ids", "error", "match"),
    [
        ({"Hi": 7}, TypeError, r"keys are token bytes, got a str \('Hi'\): use b'Hi'"),
        ({b"Hi": "7"}, TypeError, "ids are ints, got a str"),
        ({b"Hi": -1}, distill.DistillError, r"ids are from 0 to 2\*\*63 - 1 .*got -1"),
        ({b"Hi": 2**70}, distill.DistillError, r"ids are from 0 to 2\*\*63 - 1 .*got 1180591"),
        ([b"Hi"], TypeError, "a mapping of token bytes to ids, got a list"),
    ],
)
def test_student_vocab_maps_bytes_to_int_ids(ids, error, match):
    """A str key matched no candidate (all unmapped, silently); '7' was read as 7."""
    with pytest.raises(error, match=match):
        distill.StudentVocab(ids)


def _batch_output(tmp_path):
    """A Batch output file of one line, custom_id c1."""
    line = {"id": "b1", "custom_id": "c1", "response": {"status_code": 200, "body": BODY}}
    path = tmp_path / "out.jsonl"
    path.write_text(json.dumps({**line, "error": None}) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("body", ["x", [1]])
def test_an_input_body_that_is_no_object_is_named(tmp_path, body):
    """A request body that is a string or a list gave 'str' object has no attribute 'get'."""
    inputs = tmp_path / "in.jsonl"
    inputs.write_text(json.dumps({"custom_id": "c1", "body": body}) + "\n", encoding="utf-8")
    with pytest.raises(distill.DistillError, match=r"line 1 .* body is .* not a JSON object"):
        list(distill.collect([_batch_output(tmp_path)], inputs=inputs))
    with pytest.raises(distill.DistillError, match=r"inputs\['c1'\] is .* not a request body"):
        list(distill.collect([_batch_output(tmp_path)], inputs={"c1": body}))


def test_a_bad_setting_in_an_input_body_names_its_request(tmp_path):
    """A temperature Teacher refuses says which request it came from."""
    with pytest.raises(distill.DistillError, match="temperature must be finite") as info:
        list(distill.collect([_batch_output(tmp_path)], inputs={"c1": {"temperature": -1}}))
    assert info.value.__notes__ == ["in the request body of 'c1' (collect's inputs=)"]


@pytest.mark.extras
@pytest.mark.parametrize("processes", [1, 2])
def test_a_missing_file_is_found_before_any_is_collected(tmp_path, processes):
    """processes=1 wrote the first file's shards before failing on the second, 2 wrote none."""
    out = tmp_path / "kd"
    with pytest.raises(FileNotFoundError, match="no such Batch output file") as info:
        distill.collect_to_parquet(
            [_batch_output(tmp_path), tmp_path / "missing.jsonl"], out, processes=processes
        )
    assert info.value.filename == str(tmp_path / "missing.jsonl")
    assert not out.exists()
    with pytest.raises(IsADirectoryError, match="this is a folder"):
        distill.collect_to_parquet([tmp_path], out, processes=processes)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        pytest.param(
            lambda: distill.KDRecord.from_distribution(
                chat_completion([("a", -0.1, [])]),  # type: ignore[arg-type]
                teacher=distill.Teacher(model="m"),
            ),
            r"^KDRecord.from_distribution takes a TokenDistribution, got a dict; parse",
            id="record-of-a-body",
        ),
        pytest.param(
            lambda: distill.StudentVocab.from_tiktoken("o200k_base"),
            r"tiktoken.Encoding, got a str: pass tiktoken.get_encoding\('o200k_base'\)",
            id="tiktoken-name",
        ),
        pytest.param(
            lambda: distill.StudentVocab.from_tokenizers(None),
            "tokenizers.Tokenizer, got None",
            id="tokenizers-none",
        ),
        pytest.param(
            lambda: distill.StudentVocab.from_tokenizers(
                type("Fast", (), {"backend_tokenizer": None})()
            ),
            r"got a Fast: pass its \.backend_tokenizer",
            id="tokenizers-transformers",
        ),
        pytest.param(
            lambda: distill.StudentVocab({b"a": 0}, name=3),  # type: ignore[arg-type]
            r"StudentVocab.name is a str or None, got an int \(3\)",
            id="vocab-name",
        ),
    ],
)
def test_a_wrong_input_to_a_distill_builder_is_named(call, match):
    """Each was an AttributeError ("'dict' object has no attribute 'candidates'") or accepted."""
    with pytest.raises(TypeError, match=match):
        call()


@pytest.mark.parametrize(
    ("options", "match"),
    [
        pytest.param({"teacher": "gpt-4o"}, r"teacher is a distill.Teacher .*got a str", id="t"),
        pytest.param({"input": "hi"}, "input is the request's body", id="input"),
        pytest.param({"id": 7}, r"id is a str or None, got an int \(7\)", id="id"),
    ],
)
def test_from_distribution_names_a_wrong_teacher_input_or_id(options, match):
    """Each was written into the record as given (and failed later, in a writer, or never)."""
    d = tp.parse(chat_completion([("a", -0.1, [])]))
    with pytest.raises(TypeError, match=rf"^KDRecord.from_distribution: {match}"):
        distill.KDRecord.from_distribution(d, **{"teacher": distill.Teacher(), **options})


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda r, k: distill.to_arrays(r, k=k, vocab=VOCAB), id="to_arrays"),
        pytest.param(
            lambda r, k: distill.to_student_arrays(r, k=k, vocab=VOCAB, encode=lambda _: [7, 3]),
            id="to_student_arrays",
        ),
        pytest.param(lambda r, k: distill.to_axolotl(r, k=k, vocab=VOCAB), id="to_axolotl"),
        pytest.param(
            lambda r, k: distill.to_tinker(r, k=k, prompt_ids=[1], vocab=VOCAB), id="to_tinker"
        ),
        pytest.param(
            lambda r, k: distill.to_distillkit(r, k=k, prompt_ids=[1], vocab=VOCAB),
            id="to_distillkit",
        ),
    ],
)
@pytest.mark.parametrize("k", [4, 10**9, 10**12])
def test_k_is_at_most_the_student_vocabularys_ids(call, k):
    """k=10**9 was OOM-killed, 10**12 a bare MemoryError: (T, k) arrays of a 3-id vocabulary."""
    with pytest.raises(distill.DistillError, match=rf"k={k} is more .* has ids \(3\): .*k <= 3"):
        call(_record(), k)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(
            lambda path, k: distill.write_axolotl([_record()], path, k=k, vocab=VOCAB),
            id="write_axolotl",
        ),
        pytest.param(
            lambda path, k: distill.write_distillkit(
                [_record()], path, k=k, prompt_ids=lambda _: [1], vocab=VOCAB
            ),
            id="write_distillkit",
            marks=pytest.mark.extras,
        ),
    ],
)
def test_the_trainer_writers_check_k_before_writing(tmp_path, call):
    """The writers take the same k: refused by the call, no file written."""
    with pytest.raises(distill.DistillError, match=r"k=10 is more targets per position"):
        call(tmp_path / "rows", 10)
    assert not list(tmp_path.iterdir())


def test_k_without_a_vocabulary_is_at_most_the_largest_one():
    """Without vocab=, k is bounded by more ids than any tokenizer has (2**20)."""
    vllm = chat_completion([("token_id:5", -0.1, [("token_id:5", -0.1), ("token_id:9", -2.5)])])
    (record,) = distill.collect([vllm])
    assert distill.to_arrays(record, k=3).target_ids.shape == (1, 3)  # k past the candidates
    with pytest.raises(
        distill.DistillError, match=r"k=1048577 .*\(at most 1048576 without vocab=\)"
    ):
        distill.to_arrays(record, k=2**20 + 1)


def test_topk_loss_of_a_student_with_zero_probabilities_warns_nothing():
    """A log-softmax with -inf entries is valid: an inf or finite loss, and no RuntimeWarning."""
    a = distill.to_arrays(_record(), k=2, tail="bucket", vocab=VOCAB)
    student = np.full((2, 10), -np.inf)
    student[:, 7] = 0.0  # all the student's mass on "Hi", none on the rest
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        forward = distill.topk_loss(student, a)
        reverse = distill.topk_loss(student, a, kind="reverse")
    assert forward.tolist() == [np.inf, np.inf]
    assert np.isfinite(reverse).all()
