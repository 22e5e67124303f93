"""What collect keeps of a request body: the settings that say what the labels are, the input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from tests.distill._synthetic import VOCAB, body, teacher_positions

from tokenprobs import distill
from tokenprobs.testing import chat_completion, response

MESSAGES = [{"role": "user", "content": "Greet me."}]
BODY = chat_completion([("Hi", -0.2, [("Hi", -0.2), ("Hey", -2.0)])])


TOOLS = [{"type": "function", "function": {"name": "greet", "parameters": {"type": "object"}}}]
FORMAT = {"type": "json_schema", "json_schema": {"name": "g", "schema": {"type": "object"}}}


def _collect(tmp_path, request, answer=BODY):
    """The record of one Batch line answering `request` with `answer` (custom_id c1)."""
    line = {"id": "b1", "custom_id": "c1", "response": {"status_code": 200, "body": answer}}
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
        ({"response_format": {"type": "text"}}, None),
        ({"response_format": FORMAT}, ("response_format",)),
        ({"response_format": {"type": "json_object"}}, ("response_format",)),
        ({"guided_json": {"type": "object"}, "guided_regex": None}, ("guided_json",)),
        ({"structured_outputs": {"choice": ["a", "b"]}}, ("structured_outputs",)),
        ({"best_of": 1, "use_beam_search": False}, None),
        ({"best_of": 5}, ("best_of",)),  # the most likely of 5 samples, not one draw
        ({"use_beam_search": True}, ("use_beam_search",)),  # vLLM: no sampling at all
        ({"best_of": 3, "n": 3}, None),  # every sample is returned: each an exact draw
        ({"best_of": 5, "n": 2}, ("best_of",)),  # the likeliest 2 of 5
        ({"logits_processors": ["my.Processor"]}, ("logits_processors",)),  # vLLM's own
    ],
)
def test_a_setting_that_reshapes_the_sampling_makes_the_hard_label_biased(
    tmp_path, settings, adjusted
):
    """A penalty, a logit bias, vLLM's top_k/min_p, a grammar: the token is no draw of the model."""
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


def test_a_chat_record_keeps_the_requests_tools_and_response_format(tmp_path):
    """Both are part of what the teacher saw: the record's input dropped them."""
    request = {"messages": MESSAGES, "tools": TOOLS, "response_format": FORMAT, "tool_choice": None}
    record = _collect(tmp_path, request)
    assert record.input == {"messages": MESSAGES, "tools": TOOLS, "response_format": FORMAT}
    assert _collect(tmp_path, {"messages": MESSAGES, "tools": None}).input == {"messages": MESSAGES}


def test_a_responses_record_keeps_its_tools_and_text_format(tmp_path):
    """Responses' tools and its `text` (the format setting) go beside input and instructions."""
    text = {"format": {"type": "json_schema", "name": "g", "schema": {"type": "object"}}}
    request = {"input": "Greet me.", "instructions": "Be terse.", "tools": TOOLS, "text": text}
    record = _collect(tmp_path, request, answer=response([("Hi", -0.1, [("Hi", -0.1)])]))
    assert record.input == request


@pytest.mark.parametrize("layout", ["v2", "legacy"])
def test_axolotl_rows_carry_the_tools_in_its_field(tmp_path, layout):
    """Axolotl's chat_template gives a row's `tools` (field_tools) to the template."""
    rng = np.random.default_rng(3)
    answer = body(teacher_positions(rng, 4, 3)[1])
    record = _collect(tmp_path, {"messages": MESSAGES, "tools": TOOLS}, answer=answer)
    row = distill.to_axolotl(record, k=3, vocab=VOCAB, layout=layout)
    assert row["tools"] == TOOLS
    plain = _collect(tmp_path, {"messages": MESSAGES}, answer=answer)
    assert "tools" not in distill.to_axolotl(plain, k=3, vocab=VOCAB, layout=layout)


FUNCTIONS = [{"name": "greet", "parameters": {"type": "object"}}]
FORCED = {"type": "function", "function": {"name": "greet"}}


@pytest.mark.parametrize(
    "choice",
    [
        {"tools": TOOLS, "tool_choice": FORCED},
        {"tools": TOOLS, "tool_choice": "required"},
        {"functions": FUNCTIONS, "function_call": {"name": "greet"}},
    ],
)
def test_a_chat_record_keeps_which_tool_the_teacher_was_made_to_call(tmp_path, choice):
    """tool_choice and the legacy functions / function_call are what the teacher saw too."""
    record = _collect(tmp_path, {"messages": MESSAGES, **choice})
    assert record.input == {"messages": MESSAGES, **choice}


def test_a_responses_record_keeps_its_tool_choice(tmp_path):
    """Responses' tool_choice goes beside its tools."""
    request = {"input": "Greet me.", "tools": TOOLS, "tool_choice": "required"}
    record = _collect(tmp_path, request, answer=response([("Hi", -0.1, [("Hi", -0.1)])]))
    assert record.input == request


def test_axolotl_rows_give_legacy_functions_as_tools(tmp_path):
    """A chat template takes tools: each legacy function is the function tool it stands for."""
    rng = np.random.default_rng(4)
    answer = body(teacher_positions(rng, 3, 3)[1])
    record = _collect(tmp_path, {"messages": MESSAGES, "functions": FUNCTIONS}, answer=answer)
    row = distill.to_axolotl(record, k=3, vocab=VOCAB)
    assert row["tools"] == [{"type": "function", "function": FUNCTIONS[0]}]
    odd = distill.KDRecord(**{**vars(record), "input": {"messages": MESSAGES, "functions": "f"}})
    with pytest.raises(distill.DistillError, match="functions is a str, not a list"):
        distill.to_axolotl(odd, k=3, vocab=VOCAB)


@pytest.mark.parametrize(
    ("fmt", "adjusted"), [({"type": "text"}, None), (FORMAT, ("text.format",))]
)
def test_a_responses_structured_output_makes_the_hard_label_biased(tmp_path, fmt, adjusted):
    """Responses' text.format json_schema decodes under a grammar mask too."""
    request = {"input": "Greet me.", "temperature": 1, "text": {"format": fmt}}
    answer = response([("Hi", -0.1, [("Hi", -0.1)])])
    teacher = _collect(tmp_path, request, answer=answer).teacher
    assert teacher.sampling_adjustments == adjusted
    assert teacher.unbiased_hard_label is (adjusted is None)
