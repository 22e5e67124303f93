"""What collect keeps of a request body: the settings that say what the labels are, the input."""

from __future__ import annotations

import json

import pytest

from tokenprobs import distill
from tokenprobs.testing import chat_completion

MESSAGES = [{"role": "user", "content": "Greet me."}]
BODY = chat_completion([("Hi", -0.2, [("Hi", -0.2), ("Hey", -2.0)])])


def _collect(tmp_path, request):
    """The record of one Batch line answering `request` (its body, custom_id c1)."""
    line = {"id": "b1", "custom_id": "c1", "response": {"status_code": 200, "body": BODY}}
    path = tmp_path / "out.jsonl"
    path.write_text(json.dumps({**line, "error": None}) + "\n", encoding="utf-8")
    (record,) = distill.collect([path], inputs={"c1": request})
    return record


@pytest.mark.parametrize(
    ("settings", "adjusted"),
    [
        ({}, None),
        ({"presence_penalty": 0, "frequency_penalty": 0.0, "logit_bias": {"15": 0}}, None),
        ({"top_k": -1, "min_p": 0, "repetition_penalty": 1.0, "logit_bias": None}, None),
        ({"presence_penalty": 0.5}, ("presence_penalty",)),
        ({"frequency_penalty": -0.2}, ("frequency_penalty",)),
        ({"logit_bias": {"15": 5}}, ("logit_bias",)),
        ({"top_k": 20, "min_p": 0.05}, ("top_k", "min_p")),
        ({"repetition_penalty": 1.1, "top_logprobs": 5}, ("repetition_penalty",)),
    ],
)
def test_a_setting_that_reshapes_the_sampling_makes_the_hard_label_biased(
    tmp_path, settings, adjusted
):
    """A penalty, a logit bias or vLLM's top_k/min_p: the sampled token is no draw of the model."""
    request = {"model": "m", "messages": MESSAGES, "temperature": 1.0, **settings}
    teacher = _collect(tmp_path, request).teacher
    assert teacher.sampling_adjustments == adjusted
    assert teacher.unbiased_hard_label is (adjusted is None)


@pytest.mark.extras
def test_the_adjustments_round_trip_through_jsonl_and_parquet(tmp_path):
    """Both stores keep the names (JSON and Parquet give a list, the record a tuple)."""
    request = {"messages": MESSAGES, "temperature": 1.0, "presence_penalty": 1, "top_k": 5}
    record = _collect(tmp_path, request)
    distill.write_jsonl([record], tmp_path / "kd.jsonl")
    distill.write_parquet([record], tmp_path / "kd")
    for back in (distill.read_jsonl(tmp_path / "kd.jsonl"), distill.read_parquet(tmp_path / "kd")):
        (again,) = back
        assert again == record
        assert again.teacher.sampling_adjustments == ("presence_penalty", "top_k")
        assert not again.teacher.unbiased_hard_label


@pytest.mark.parametrize("names", ["logit_bias", [1], {"top_k": 5}])
def test_adjustments_that_are_no_list_of_names_are_refused(names):
    """A bare string would read as its letters: a TypeError saying what the field holds."""
    with pytest.raises(TypeError, match="sampling_adjustments is a list or tuple"):
        distill.Teacher(sampling_adjustments=names)
