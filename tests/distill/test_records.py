"""collect(): tokenprobs.kd/1 records from responses and Batch files; JSONL and Parquet."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest
from tests._recorded import RECORDED
from tests.distill._synthetic import batch_files, body, teacher_positions

import tokenprobs as tp
from tokenprobs import distill
from tokenprobs.testing import completion, response

MESSAGES = [{"role": "user", "content": "Say something."}]
RECORDINGS = [
    "chat_gpt-4o-mini_top2_openai_apiref_example.json",
    "chat_gpt-4o-2024-08-06_structured_output_sdk_dump.json",
    "responses_gpt-4o-mini_output_text_logprobs_top0.json",
]


@pytest.mark.parametrize("name", RECORDINGS)
def test_records_of_real_responses_keep_every_candidate_raw(name):
    """Per position: candidates sorted, unique by bytes, the sampled one once, cap and tail kept."""
    raw = (RECORDED / name).read_bytes()
    d = tp.parse(raw)
    (record,) = distill.collect([raw], teacher=distill.Teacher(provider="openai"))
    assert record.schema == "tokenprobs.kd/1"
    assert record.teacher.model == d.model
    assert record.completion_text == d.text
    assert len(record) == len(d)
    c = d.candidates
    for t in range(len(d)):
        cands = record.candidates(t)
        assert [x.bytes for x in cands] == list(c.row(t))  # the candidate set, most likely first
        assert [x.logprob for x in cands] == list(c.row(t).values())  # raw, not renormalised
        assert len({x.bytes for x in cands}) == len(cands)
        assert record.sampled(t).bytes == c.sampled_key(t)
        assert all(x.logprob > -9999 for x in cands)
    np.testing.assert_array_equal(record.cap, c.cap)
    with np.errstate(divide="ignore"):
        np.testing.assert_array_equal(record.tail_logprob, np.log(c.tail))


def test_sampled_token_outside_the_top_k_is_a_candidate_once():
    """A sampled token the alternatives lack is added once; the cap stays the least alternative."""
    raw = body([("c", -3.0, [("a", -0.5), ("b", -1.5)])])
    (r,) = distill.collect([raw])
    assert [x.bytes for x in r.candidates(0)] == [b"a", b"b", b"c"]
    assert r.sampled(0).bytes == b"c"
    assert r.cap.tolist() == [-1.5]


def test_sampled_token_with_the_sentinel_is_a_candidate_without_a_logprob(tmp_path):
    """OpenAI's -9999 for the sampled token: a NaN candidate of its own position, round-tripped."""
    raw = body([("no", -9999.0, [("iveness", 0.0), ("iven", -19.625)]), ("!", -0.1, [])])
    (r,) = distill.collect([(MESSAGES, raw)])
    assert [c.bytes for c in r.candidates(0)] == [b"iveness", b"iven", b"no"]
    assert r.sampled(0).bytes == b"no"
    assert math.isnan(r.sampled(0).logprob)
    vocab = distill.StudentVocab({b"iveness": 0, b"iven": 1, b"no": 2, b"!": 3})
    a = distill.to_arrays(r, k=3, tail="raw", vocab=vocab)
    assert a.sampled_ids.tolist() == [2, 3]  # was [3, 3]: the next position's token
    assert a.mask[0].tolist() == [True, True, False]  # no target without a value
    distill.write_jsonl([r], tmp_path / "kd.jsonl")  # was an IndexError
    assert list(distill.read_jsonl(tmp_path / "kd.jsonl")) == [r]


def test_vllm_token_ids_are_read_from_token_strings():
    """The `token_id:N` tokens of vLLM (return_tokens_as_token_ids) give the candidates' ids."""
    raw = body([("token_id:42", -0.1, [("token_id:42", -0.1), ("token_id:7", -2.5)])])
    (r,) = distill.collect([raw])
    assert [x.id for x in r.candidates(0)] == [42, 7]
    plain = next(distill.collect([body([("a", -0.1, [("a", -0.1)])])]))
    assert plain.candidates(0)[0].id is None


def test_pairs_give_the_input():
    """A (prompt, response) pair records the prompt: messages, text or token ids."""
    raw = body([("a", -0.1, [])])
    msgs = [{"role": "user", "content": "hi"}]
    got = list(distill.collect([(msgs, raw), ("hi", raw), ([1, 2, 3], raw)]))
    assert [r.input for r in got] == [
        {"messages": msgs},
        {"prompt": "hi"},
        {"prompt_token_ids": [1, 2, 3]},
    ]
    with pytest.raises(distill.DistillError, match="prompt string"):
        list(distill.collect([(3.5, raw)]))


def test_batch_files_give_input_and_sampling_settings(tmp_path):
    """Records from an output file carry the input file's messages, temperature and top-k."""
    rng = np.random.default_rng(0)
    bodies = [body(teacher_positions(rng, 6, 5)[1]) for _ in range(3)]
    ids = batch_files(tmp_path, ["q0", "q1", "q2"], bodies, temperature=1.0, top_logprobs=5)
    records = list(distill.collect(tmp_path / "out.jsonl", inputs=tmp_path / "in.jsonl"))
    assert [r.id for r in records] == ids[::-1]  # file order
    by_id = {r.id: r for r in records}
    assert by_id[ids[1]].input == {"messages": [{"role": "user", "content": "q1"}]}
    teacher = by_id[ids[0]].teacher
    assert (teacher.provider, teacher.top_k, teacher.temperature) == ("openai", 5, 1.0)
    assert teacher.unbiased_hard_label


def test_failed_batch_lines_raise_or_are_skipped_with_a_warning(tmp_path):
    """A failed line raises by default; on_error='skip' skips it and warns once with the count."""
    rng = np.random.default_rng(1)
    bodies = [body(teacher_positions(rng, 3, 2)[1]) for _ in range(2)]
    ids = batch_files(tmp_path, ["a", "b"], bodies, fail={"placeholder"})
    ids = batch_files(tmp_path, ["a", "b"], bodies, fail={ids[0]})
    with pytest.raises(tp.APIResponseError) as info:
        list(distill.collect(tmp_path / "out.jsonl"))
    assert "on_error='skip'" in "".join(info.value.__notes__)
    with pytest.warns(tp.TokenprobsWarning, match="skipped 1 failed"):
        got = list(distill.collect([tmp_path / "out.jsonl"], on_error="skip"))
    assert [r.id for r in got] == [ids[1]]


def test_skip_skips_a_batch_line_that_is_not_json_as_read_results_does(tmp_path):
    """A truncated line raised UnsupportedResponseError under skip; request lines were skipped."""
    rng = np.random.default_rng(2)
    ids = batch_files(tmp_path, ["a"], [body(teacher_positions(rng, 3, 2)[1])])
    good = (tmp_path / "out.jsonl").read_bytes()
    request = (tmp_path / "in.jsonl").read_bytes()  # an input line: a request, no response
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(good + good[: len(good) // 2] + b"\n" + request)
    with pytest.raises(
        tp.UnsupportedResponseError, match=r"line 2 of .*mixed\.jsonl' is cut short"
    ):
        list(distill.collect(path))
    with pytest.warns(tp.TokenprobsWarning, match=r"skipped 2 failed .* the first '.+'"):
        got = list(distill.collect(path, on_error="skip"))
    assert [r.id for r in got] == ids
    failed = [cid for cid, r in tp.batch.read_results(path) if isinstance(r, tp.TokenprobsError)]
    assert len(failed) == 2  # the lines read_results yields as failures are the ones skipped


def _two_choices(rng):
    """A chat body with two choices (n=2), each its own teacher sample."""
    first = body(teacher_positions(rng, 4, 3)[1])
    second = body(teacher_positions(rng, 5, 3)[1])["choices"][0]
    second["index"] = 1
    first["choices"].append(second)
    return first


def test_every_choice_of_an_n_2_answer_is_a_record(tmp_path):
    """n=2: a record per choice, ids `#0` / `#1` (before, choice 1 was dropped silently)."""
    rng = np.random.default_rng(7)
    two = _two_choices(rng)
    records = list(distill.collect([two]))
    want = [len(d) for d in tp.parse_all(two)]
    assert [len(r.offsets) - 1 for r in records] == want
    assert [r.id for r in records] == [f"{two['id']}#0", f"{two['id']}#1"]
    ids = batch_files(tmp_path, ["q0", "q1"], [two, body(teacher_positions(rng, 3, 3)[1])])
    got = [r.id for r in distill.collect(tmp_path / "out.jsonl", inputs=tmp_path / "in.jsonl")]
    assert got == [ids[1], f"{ids[0]}#0", f"{ids[0]}#1"]  # file order; one id per choice


def _records():
    rng = np.random.default_rng(5)
    out = list(
        distill.collect(
            [
                ([{"role": "user", "content": "q"}], body(teacher_positions(rng, 9, 4)[1])),
                body([("c", -3.0, [("a", -0.5), ("b", -1.5)])]),  # sampled outside the top-k
                body([("a", 0.0, [("a", 0.0)])]),  # tail 0: tail_logprob -inf
                body([("é", -0.2, [])]),  # no alternatives: cap NaN
                (RECORDED / RECORDINGS[1]).read_bytes(),
            ],
            teacher=distill.Teacher(provider="openai", tokenizer="o200k_base", seed=3),
        )
    )
    assert math.isinf(out[2].tail_logprob[0])
    assert math.isnan(out[3].cap[0])
    return out


def test_jsonl_round_trip_is_lossless(tmp_path):
    """write_jsonl then read_jsonl gives back equal records (NaN caps, -inf tails, bytes, ids)."""
    records = _records()
    assert distill.write_jsonl(records, tmp_path / "kd.jsonl") == len(records)
    back = list(distill.read_jsonl(tmp_path / "kd.jsonl"))
    assert back == records
    first = json.loads((tmp_path / "kd.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert first["schema"] == "tokenprobs.kd/1"
    assert set(first["positions"][0]) == {"sampled", "top", "cutoff_logprob", "tail_logprob"}


def test_jsonl_reader_names_a_bad_line(tmp_path):
    """A line of another schema is a DistillError that gives its number."""
    path = tmp_path / "x.jsonl"
    path.write_text('{"schema": "other/1"}\n', encoding="utf-8")
    with pytest.raises(distill.DistillError, match=r"line 1 .* not a tokenprobs\.kd/1"):
        list(distill.read_jsonl(path))


@pytest.mark.extras
def test_parquet_round_trip_is_lossless_across_shards(tmp_path):
    """write_parquet in shards then read_parquet gives back equal records, in order."""
    records = _records()
    paths = distill.write_parquet(iter(records), tmp_path / "kd", rows_per_shard=2)
    assert [p.name for p in paths] == ["kd-00000.parquet", "kd-00001.parquet", "kd-00002.parquet"]
    assert list(distill.read_parquet(tmp_path / "kd")) == records
    assert list(distill.read_parquet(paths[1:])) == records[2:]


@pytest.mark.extras
def test_writing_parquet_again_replaces_the_earlier_shards(tmp_path):
    """A shorter second write leaves none of the first's shards for read_parquet to mix in."""
    records = _records()
    distill.write_parquet(records, tmp_path, rows_per_shard=1)
    other = tmp_path / "kd-notes.parquet"  # not a shard name: kept
    other.write_bytes(b"")
    (tmp_path / "b-00000.parquet").write_bytes(b"")  # another prefix's: kept
    paths = distill.write_parquet(records[:2], tmp_path, rows_per_shard=1)
    assert [p.name for p in paths] == ["kd-00000.parquet", "kd-00001.parquet"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "b-00000.parquet",
        "kd-00000.parquet",
        "kd-00001.parquet",
        "kd-notes.parquet",
    ]
    assert list(distill.read_parquet(paths)) == records[:2]


@pytest.mark.extras
def test_a_failed_parquet_write_leaves_the_earlier_shards_unmixed(tmp_path):
    """A write that fails in its second shard renames none: the earlier write reads back whole."""
    records = _records()
    distill.write_parquet(records, tmp_path, rows_per_shard=2)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    newer = [dataclasses.replace(r, completion_text="new") for r in records]
    with pytest.raises(TypeError, match="takes a distill KDRecord"):
        distill.write_parquet([*newer[:3], "not a record"], tmp_path, rows_per_shard=2)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # no .partial left
    assert list(distill.read_parquet(tmp_path)) == records


@pytest.mark.extras
@pytest.mark.parametrize(
    ("items", "rows", "match"),
    [
        (["not a record"], 1024, "write_parquet takes a distill KDRecord, got a str"),
        (None, "2", "rows_per_shard must be an int"),
        (None, 1.5, "rows_per_shard must be an int"),
        (None, True, "rows_per_shard must be an int"),
    ],
)
def test_write_parquet_bad_arguments_are_type_errors(tmp_path, items, rows, match):
    """A record that is none, or a rows_per_shard that is no int: a TypeError saying which."""
    records = _records() if items is None else [*_records()[:1], *items]
    with pytest.raises(TypeError, match=match):
        distill.write_parquet(records, tmp_path, rows_per_shard=rows)
    assert not list(tmp_path.iterdir())


@pytest.mark.extras
def test_parquet_is_columnar_with_offsets(tmp_path):
    """Each row holds flat candidate lists and T+1 offsets, readable by plain pyarrow."""
    import pyarrow.parquet as pq  # noqa: PLC0415

    records = _records()
    (path,) = distill.write_parquet(records, tmp_path)
    table = pq.read_table(path)
    assert {"cand_bytes", "cand_id", "cand_logprob", "offsets", "sampled_index"} <= set(
        table.column_names
    )
    row = table.slice(0, 1).to_pylist()[0]
    assert len(row["offsets"]) == len(records[0]) + 1
    assert len(row["cand_bytes"]) == row["offsets"][-1] == len(row["cand_logprob"])


@pytest.mark.extras
def test_reading_another_parquet_file_says_so(tmp_path):
    """A Parquet file without the schema's metadata is a DistillError naming the file."""
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.parquet as pq  # noqa: PLC0415

    pq.write_table(pa.table({"x": [1]}), tmp_path / "other.parquet")
    with pytest.raises(distill.DistillError, match=r"other\.parquet"):
        list(distill.read_parquet(Path(tmp_path / "other.parquet")))


def test_parquet_without_pyarrow_says_how_to_install(tmp_path, monkeypatch):
    """With pyarrow missing, the Parquet writer raises MissingDependencyError with the extra."""
    monkeypatch.setitem(__import__("sys").modules, "pyarrow", None)
    with pytest.raises(tp.MissingDependencyError, match=r"pytokenprobs\[distill\]"):
        distill.write_parquet(_records(), tmp_path)


@pytest.mark.extras
def test_parallel_collection_equals_the_sequential_one(tmp_path):
    """collect_to_parquet on 2 processes writes the shards collect + write_parquet would."""
    rng = np.random.default_rng(9)
    files = []
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        bodies = [body(teacher_positions(rng, 5, 3)[1]) for _ in range(3)]
        batch_files(folder, ["x", "y", "z"], bodies)
        files.append((folder / "out.jsonl").rename(tmp_path / f"{name}.jsonl"))
    two = distill.collect_to_parquet(files, tmp_path / "two", processes=2, rows_per_shard=2)
    one = distill.collect_to_parquet(files, tmp_path / "one", processes=1, rows_per_shard=2)
    assert (
        [p.name for p in two]
        == [p.name for p in one]
        == [
            "a-00000.parquet",
            "a-00001.parquet",
            "b-00000.parquet",
            "b-00001.parquet",
        ]
    )
    expected = [r for f in files for r in distill.collect(f)]
    assert list(distill.read_parquet(two)) == list(distill.read_parquet(one)) == expected
    with pytest.raises(distill.DistillError, match="distinct names"):
        distill.collect_to_parquet([files[0], files[0]], tmp_path / "x")


def test_every_candidate_has_its_id_where_alternatives_are_ragged():
    """Fewer alternatives at a position than at others, its sampled token outside: ids aligned."""
    raw = body(
        [
            ("token_id:1", -0.1, [("token_id:1", -0.1), ("token_id:2", -1.0)]),
            ("token_id:3", -0.3, [("token_id:4", -1.0)]),
            ("token_id:5", -0.2, [("token_id:5", -0.2), ("token_id:6", -2.0)]),
        ]
    )
    (r,) = distill.collect([raw])
    assert len(r.cand_ids) == len(r.cand_bytes) == 6
    assert [[x.id for x in r.candidates(t)] for t in range(3)] == [[1, 2], [3, 4], [5, 6]]


def _one_big_file(tmp_path, *, fail=()):
    rng = np.random.default_rng(11)
    names = [f"q{i}" for i in range(9)]
    bodies = [body(teacher_positions(rng, 6, 3)[1]) for _ in names]
    ids = batch_files(tmp_path, names, bodies)
    if fail:
        batch_files(tmp_path, names, bodies, fail={ids[i] for i in fail})
    return tmp_path / "out.jsonl", ids


@pytest.mark.extras
def test_one_file_shared_among_processes_in_ranges_gives_the_sequential_shards(
    tmp_path, monkeypatch
):
    """A file cut into ranges of a line or two, on 2 processes: shard for shard the same bytes."""
    from tokenprobs.distill import _parallel  # noqa: PLC0415 - its range size, made tiny

    monkeypatch.setattr(_parallel, "CHUNK_BYTES", (1, 1))  # every range is one whole line
    path, ids = _one_big_file(tmp_path)
    assert len(_parallel._ranges(path, 1)) == len(ids)
    inputs = tmp_path / "in.jsonl"
    two = distill.collect_to_parquet([path], tmp_path / "two", processes=2, inputs=inputs)
    one = distill.collect_to_parquet([path], tmp_path / "one", processes=1, inputs=inputs)
    assert [p.name for p in two] == [p.name for p in one] == ["out-00000.parquet"]
    assert [p.read_bytes() for p in two] == [p.read_bytes() for p in one]
    assert list(distill.read_parquet(two)) == list(distill.collect(path, inputs=inputs))
    several = distill.collect_to_parquet(
        [path], tmp_path / "three", processes=3, rows_per_shard=2, inputs=inputs
    )
    single = distill.collect_to_parquet(
        [path], tmp_path / "single", processes=1, rows_per_shard=2, inputs=inputs
    )
    assert [p.read_bytes() for p in several] == [p.read_bytes() for p in single]
    assert len(several) == 5


@pytest.mark.extras
def test_ranges_skip_and_raise_as_the_sequential_collection_does(tmp_path, monkeypatch):
    """Failed lines: one warning per file counting them; a line that is not JSON is named.

    Under skip a line that is not JSON is skipped and counted too, named by its line in the
    whole file (not in its range).
    """
    from tokenprobs.distill import _parallel  # noqa: PLC0415

    monkeypatch.setattr(_parallel, "CHUNK_BYTES", (1, 1))
    path, ids = _one_big_file(tmp_path, fail=(2, 5))
    with pytest.warns(tp.TokenprobsWarning, match=r"skipped 2 failed Batch line\(s\)"):
        shards = distill.collect_to_parquet([path], tmp_path / "two", processes=2, on_error="skip")
    assert len(list(distill.read_parquet(shards))) == len(ids) - 2
    with pytest.raises(tp.APIResponseError):
        distill.collect_to_parquet([path], tmp_path / "raise", processes=2)
    lines = path.read_bytes().splitlines(keepends=True)
    failed = {ids[2], ids[5]}
    ok = next(i for i, line in enumerate(lines) if json.loads(line)["custom_id"] not in failed)
    lines[ok] = b"{not json\n"  # a line cut short, beside the two failed ones
    path.write_bytes(b"".join(lines))
    with pytest.warns(tp.TokenprobsWarning, match=r"skipped 3 failed Batch line\(s\)"):
        shards = distill.collect_to_parquet([path], tmp_path / "bad", processes=2, on_error="skip")
    assert len(list(distill.read_parquet(shards))) == len(ids) - 3  # was an error under skip
    (tmp_path / "clean").mkdir()
    clean, _ = _one_big_file(tmp_path / "clean")
    lines = clean.read_bytes().splitlines(keepends=True)
    clean.write_bytes(b"".join([*lines[:6], b"{not json\n", *lines[7:]]))  # the only failure
    with pytest.raises(tp.UnsupportedResponseError, match="line 7 of"):
        distill.collect_to_parquet([clean], tmp_path / "raise", processes=2)
    with pytest.warns(tp.TokenprobsWarning, match=r"skipped 1 failed .* the first 'line 7'"):
        distill.collect_to_parquet([clean], tmp_path / "one", processes=2, on_error="skip")


def _legacy_line(tmp_path, answers):
    """A Batch output file of one legacy completion whose choices are `answers`, in order."""
    body = completion([(answers[0], -0.1, [(answers[0], -0.1)])])
    choice = body["choices"][0]
    body["choices"] = [
        {**choice, "index": i, "text": a, "logprobs": {**choice["logprobs"], "tokens": [a]}}
        for i, a in enumerate(answers)
    ]
    for c, a in zip(body["choices"], answers, strict=True):
        c["logprobs"]["top_logprobs"] = [{a: -0.1}]
    line = {"id": "b", "custom_id": "c1", "response": {"status_code": 200, "body": body}}
    path = tmp_path / "out.jsonl"
    path.write_text(json.dumps({**line, "error": None}) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("prompt", "n", "inputs"),
    [
        (["first", "second"], None, [{"prompt": "first"}, {"prompt": "second"}]),
        ([[1, 2], [3, 4]], None, [{"prompt_token_ids": [1, 2]}, {"prompt_token_ids": [3, 4]}]),
        (["p", "q"], 2, [{"prompt": "p"}] * 2 + [{"prompt": "q"}] * 2),
        ([[5, 6]], 2, [{"prompt_token_ids": [5, 6]}] * 2),  # one prompt in a list, n = 2
    ],
)
def test_a_legacy_body_with_several_prompts_gives_each_choice_its_own(tmp_path, prompt, n, inputs):
    """Each record carried the whole prompt list: the answer to "second" had "first" too."""
    answers = [f"a{i}" for i in range(len(inputs))]
    body = {"model": "m", "prompt": prompt, "logprobs": 1, **({"n": n} if n else {})}
    records = list(distill.collect([_legacy_line(tmp_path, answers)], inputs={"c1": body}))
    assert [r.completion_text for r in records] == answers
    assert [r.input for r in records] == inputs


def test_a_responses_record_keeps_the_requests_instructions(tmp_path):
    """Responses' system text is `instructions`, beside `input`: the record dropped it."""
    line = {
        "id": "b",
        "custom_id": "c1",
        "response": {"status_code": 200, "body": response([("Hi", -0.1, [("Hi", -0.1)])])},
    }
    path = tmp_path / "out.jsonl"
    path.write_text(json.dumps({**line, "error": None}) + "\n", encoding="utf-8")
    body = {"model": "gpt-4o-mini", "input": "Greet me.", "instructions": "Be terse."}
    (record,) = distill.collect([path], inputs={"c1": body})
    assert record.input == {"input": "Greet me.", "instructions": "Be terse."}
    (plain,) = distill.collect([path], inputs={"c1": {"input": "Greet me."}})
    assert plain.input == {"input": "Greet me."}


def _two_positions() -> distill.KDRecord:
    positions = [("a", -0.1, [("a", -0.1), ("b", -2.5)]), ("b", -0.3, [])]
    d = tp.parse(tp.testing.chat_completion(positions))
    return distill.KDRecord.from_distribution(d, teacher=distill.Teacher(model="m"))


def test_a_negative_position_counts_from_the_end():
    """`record.candidates(-1)` is the last position's candidates (it was an empty list)."""
    record = _two_positions()
    assert record.candidates(-1) == record.candidates(1) != []
    assert record.sampled(-2) == record.sampled(0)


@pytest.mark.parametrize(
    ("t", "error", "match"),
    [
        pytest.param(2, IndexError, "position 2 out of range for 2 tokens", id="past"),
        pytest.param(2.5, TypeError, r"not a float \(2.5\)", id="float"),
        pytest.param(None, TypeError, "not None", id="none"),
    ],
)
def test_a_wrong_position_is_named(t, error, match):
    """Was numpy's "index 2 is out of bounds for axis 0" or its "only integers ..." error."""
    with pytest.raises(error, match=match):
        _two_positions().candidates(t)
    with pytest.raises(error, match=match):
        _two_positions().sampled(t)
