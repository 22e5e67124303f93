"""The trainer writers: Axolotl KD rows, Tinker Datums, DistillKit rows, in their field names."""

from __future__ import annotations

import json

import numpy as np
import pytest
from tests.distill._synthetic import VOCAB, body, teacher_positions

from tokenprobs import distill

PROMPT_IDS = [101, 102, 103]
MESSAGES = [{"role": "user", "content": "Say something."}]


def _record(k=4, t=7, seed=0):
    rng = np.random.default_rng(seed)
    _, positions = teacher_positions(rng, t, k)
    (r,) = distill.collect(
        [(MESSAGES, body(positions))], teacher=distill.Teacher(logprob_semantics="raw")
    )
    return r


def _axolotl_legacy(row, top_k):
    """Axolotl 0.21's `load_legacy` on a row: `int(token.split(":")[1])`, renormalise."""
    ids, lps = [], []
    for position in row["logprobs"]:
        entries = position[:top_k]
        ids.append([int(e["token"].split(":")[1]) for e in entries])
        p = np.exp([e["logprob"] for e in entries])
        lps.append(np.log(p / p.sum()))
    return np.array(ids), np.array(lps)


def _axolotl_v2(row, top_k):
    """Axolotl 0.21's `load` (`ChatTemplateStrategyWithKDv2`) on a row.

    The float rows zipped with `target_token_ids` (popped from the row before tokenising), each
    renormalised.
    """
    ids, lps = [], []
    for values, targets in zip(row["logprobs"], row["target_token_ids"], strict=False):
        p = np.exp(np.asarray(values[:top_k], dtype=np.float32))
        lps.append(np.log(p / p.sum()))
        ids.append(targets)
    return np.array(ids), np.array(lps)


@pytest.mark.parametrize(
    ("layout", "fields", "parse"),
    [
        ("v2", {"messages", "logprobs", "target_token_ids"}, _axolotl_v2),
        ("legacy", {"messages", "logprobs"}, _axolotl_legacy),
    ],
)
def test_axolotl_rows_load_with_its_field_names(tmp_path, layout, fields, parse):
    """Rows hold messages and k values each; each Axolotl loader's parse gives our targets."""
    r = _record()
    path = tmp_path / "kd.jsonl"
    assert distill.write_axolotl([r], path, k=4, vocab=VOCAB, layout=layout) == 1
    row = json.loads(path.read_text(encoding="utf-8"))
    assert set(row) == fields
    assert row["messages"][:-1] == MESSAGES
    assert row["messages"][-1] == {"role": "assistant", "content": r.completion_text}
    assert len(row["logprobs"]) == len(r)
    assert {len(entries) for entries in row["logprobs"]} == {4}
    ids, lps = parse(row, 4)
    ours = distill.to_arrays(r, k=4, vocab=VOCAB)
    np.testing.assert_array_equal(ids, ours.target_ids)
    np.testing.assert_allclose(lps, ours.target_logprobs, rtol=1e-6, atol=1e-6)


def test_axolotl_v2_is_the_default_and_float_rows():
    """The default layout is what `chat_template`'s `load` reads in Axolotl 0.21: floats, ids."""
    row = distill.to_axolotl(_record(), k=4, vocab=VOCAB)
    assert all(isinstance(x, float) for values in row["logprobs"] for x in values)
    assert all(isinstance(i, int) for ids in row["target_token_ids"] for i in ids)
    with pytest.raises(ValueError, match="layout"):
        distill.to_axolotl(_record(), k=4, vocab=VOCAB, layout="v3")  # type: ignore[arg-type]


def test_axolotl_pads_short_rows_at_distinct_ids():
    """A position with fewer than k candidates is padded with a large negative logprob."""
    (r,) = distill.collect([(MESSAGES, body([(" w1", -0.1, [(" w1", -0.1)])]))])
    (entries,) = distill.to_axolotl(r, k=3, vocab=VOCAB, layout="legacy")["logprobs"]
    assert entries[0] == {"token": "token_id:1", "logprob": -0.1}
    assert [e["logprob"] for e in entries[1:]] == [distill.AXOLOTL_PAD_LOGPROB] * 2
    assert len({e["token"] for e in entries}) == 3
    row = distill.to_axolotl(r, k=3, vocab=VOCAB)
    assert row["logprobs"] == [[-0.1, distill.AXOLOTL_PAD_LOGPROB, distill.AXOLOTL_PAD_LOGPROB]]
    assert row["target_token_ids"][0][0] == 1
    assert len(set(row["target_token_ids"][0])) == 3


def test_axolotl_needs_messages():
    """A record without input messages cannot be an Axolotl chat row: DistillError says why."""
    (r,) = distill.collect([body([(" w1", -0.1, [])])])
    with pytest.raises(distill.DistillError, match="no input messages"):
        distill.to_axolotl(r, k=2, vocab=VOCAB)


def test_axolotl_refuses_rows_that_would_be_padding_only(tmp_path):
    """A position with no student id would be all -1e4: Axolotl's loader makes that row NaN."""
    padding_only = np.full(3, distill.AXOLOTL_PAD_LOGPROB, dtype=np.float32)
    p = np.exp(padding_only)  # 0 in float32: Axolotl skips its first division, then 0 / 0
    with np.errstate(invalid="ignore"):
        assert np.isnan(np.log(p / p.sum())).all()
    raw = body([(" w1", -0.1, [(" w1", -0.1), (" w2", -2.0)]), ("zz", -0.3, [("zz", -0.3)])])
    (r,) = distill.collect([(MESSAGES, raw)])
    with pytest.raises(distill.DistillError, match=r"3 of 3 candidates have no teacher token id"):
        distill.to_axolotl(r, k=3)  # OpenAI records carry no ids: the student's vocab is needed
    with pytest.raises(distill.DistillError, match=r"position 1 \(b'zz'\) and 0 more.*student"):
        distill.write_axolotl([r], tmp_path / "kd.jsonl", k=3, vocab=VOCAB)
    assert not (tmp_path / "kd.jsonl").exists()


def test_tinker_datum_builds_with_the_sdk():
    """to_tinker's data makes a tinker.types.Datum: (N, K) target_tokens and weights, shifted."""
    from tinker import types  # noqa: PLC0415

    r = _record()
    out = distill.to_tinker(r, k=4, prompt_ids=PROMPT_IDS, vocab=VOCAB)
    datum = types.Datum(
        model_input=types.ModelInput.from_ints(out["model_input"]),
        loss_fn_inputs={
            name: types.TensorData.from_numpy(arr) for name, arr in out["loss_fn_inputs"].items()
        },
    )
    n = len(PROMPT_IDS) + len(r) - 1
    assert datum.model_input.length == n
    assert datum.loss_fn_inputs["target_tokens"].shape == [n, 4]
    assert datum.loss_fn_inputs["weights"].shape == [n, 4]
    weights = out["loss_fn_inputs"]["weights"]
    first = len(PROMPT_IDS) - 1
    assert np.all(weights[:first] == 0)  # prompt rows are not trained
    np.testing.assert_allclose(weights[first:].sum(axis=1), 1.0, rtol=1e-6)  # renormalised top-K
    ours = distill.to_arrays(r, k=4, vocab=VOCAB)
    np.testing.assert_array_equal(out["loss_fn_inputs"]["target_tokens"][first:], ours.target_ids)
    # row j targets token j + 1: the completion's tokens follow the prompt
    assert out["model_input"][: len(PROMPT_IDS)] == PROMPT_IDS
    assert out["model_input"][len(PROMPT_IDS) :] == ours.sampled_ids[:-1].tolist()


@pytest.mark.extras
def test_distillkit_rows_load_with_its_field_names(tmp_path):
    """Parquet rows of input_ids, labels, token_ids, top_values; densified they are our targets."""
    import pyarrow.parquet as pq  # noqa: PLC0415

    r = _record(k=3)
    distill.write_distillkit(
        [r], tmp_path / "dk.parquet", k=3, prompt_ids=lambda _: PROMPT_IDS, vocab=VOCAB
    )
    (row,) = pq.read_table(tmp_path / "dk.parquet").to_pylist()
    assert set(row) == {"input_ids", "labels", "token_ids", "top_values"}
    length = len(PROMPT_IDS) + len(r)
    assert len(row["input_ids"]) == length
    assert row["labels"][: len(PROMPT_IDS)] == [-100] * len(PROMPT_IDS)
    ids, values = np.array(row["token_ids"]), np.array(row["top_values"])
    assert ids.shape == values.shape == (length - 1, 3)
    # DistillKit's densify(ZERO, renormalize=True): scatter, then log-softmax over the vocab
    dense = np.full((length - 1, 200), -np.inf)
    np.put_along_axis(dense, ids, values, axis=1)
    dense = dense - np.log(np.exp(dense).sum(axis=1, keepdims=True))
    ours = distill.to_arrays(r, k=3, vocab=VOCAB)
    first = len(PROMPT_IDS) - 1
    got = np.take_along_axis(dense[first:], ours.target_ids, axis=1)
    np.testing.assert_allclose(got, ours.target_logprobs, rtol=1e-6)
    # row j is the distribution over input_ids[j + 1]; prompt rows are one-hot placeholders
    assert [int(ids[j, 0]) for j in range(first)] == row["input_ids"][1 : first + 1]


@pytest.mark.extras  # write_distillkit writes Parquet: pyarrow
def test_write_distillkit_prompt_ids_is_a_function(tmp_path):
    """A list (what to_distillkit takes) was "'list' object is not callable" from inside."""
    with pytest.raises(TypeError, match="prompt_ids is a function of a record"):
        distill.write_distillkit([_record()], tmp_path / "dk.parquet", k=3, prompt_ids=PROMPT_IDS)
    assert not (tmp_path / "dk.parquet").exists()


def test_a_student_without_the_sampled_token_cannot_take_the_completion():
    """Writers that need the completion as student ids refuse an unmapped sampled token."""
    (r,) = distill.collect([body([("zz", -0.1, [("zz", -0.1)])])])
    with pytest.raises(distill.DistillError, match="no student id"):
        distill.to_tinker(r, k=2, prompt_ids=PROMPT_IDS, vocab=VOCAB)
