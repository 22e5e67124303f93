"""A prompt with special tokens on llama-cpp-python: its echo drops them, `tp.score` says so.

The body is the real server's answer (tests/scoring/recorded/SOURCES.md says how it was
recorded): SmolLM2's chat template, whose two `<|im_start|>` (SmolLM2's BOS id) lose their
positions and whose `<|im_end|>` comes back as an empty token.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.scoring.test_score import answer, fake_logprob

import tokenprobs as tp

RECORDED = Path(__file__).parent / "recorded"
CHAT = RECORDED / "llama-cpp-python-0.3.36_smollm2_echo_chat_template.json"
CONTEXT = "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"


def test_the_recorded_echo_really_lacks_the_special_tokens():
    """The premise, from the recording: the tokens spell the prompt without its special tokens."""
    body = json.loads(CHAT.read_text(encoding="utf-8"))
    choice = body["choices"][0]
    assert choice["text"] == CONTEXT + "Paris,"
    assert "".join(choice["logprobs"]["tokens"]) == (
        "user\nWhat is the capital of France?\nassistant\nParis,"
    )
    # 18 prompt tokens (BOS added + 17), 15 echoed prompt positions + 1 generated one
    assert body["usage"]["prompt_tokens"] == 18
    assert len(choice["logprobs"]["tokens"]) == 16


def test_a_prompt_with_special_tokens_is_refused_naming_them(local, client):
    """A clear ScoringError naming the dropped special tokens, not the "shifted" one."""
    local.post("/completions").respond(200, content=CHAT.read_bytes())
    with pytest.raises(tp.ScoringError) as info:
        tp.score("Paris", context=CONTEXT, model="smollm2", client=client)
    message = str(info.value)
    assert "without its 3 special token(s) ('<|im_start|>' x2, '<|im_end|>')" in message
    assert "shifted" not in message
    assert tp.scoring.BOS_FLAG not in message  # restarting with the BOS flag would not help
    assert "leave them out of context and text" in info.value.hint
    assert info.value.server == "llama.cpp"


def test_score_many_returns_the_refusal_in_place(local, client):
    """In a batch, the special-token refusal is that text's result, not a crash of the run."""
    local.post("/completions").respond(200, content=CHAT.read_bytes())
    (result,) = tp.scoring.score_many(["Paris"], context=CONTEXT, model="smollm2", client=client)
    assert isinstance(result, tp.ScoringError)
    assert "special token" in str(result)


def test_an_echo_that_keeps_special_tokens_is_scored(local, client):
    """A server whose echo keeps the special tokens' text scores the prompt as usual."""
    local.post("/completions").mock(side_effect=answer)
    d = tp.score(" there", context="<|im_start|>user Hi", model="tiny", client=client)
    assert d.tokens == [" there"]
    assert d.logprobs.tolist() == [fake_logprob(" there")]
