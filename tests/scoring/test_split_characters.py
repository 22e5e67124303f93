"""Characters split over tokens on llama-cpp-python: the echo gives their pieces no text.

The bodies are the real server's answers (tests/scoring/recorded/SOURCES.md says how they were
recorded): llama-cpp-python detokenises each token alone, so a token ending inside a character
(a byte of `日`, of `👍`) is `""`, and the echoed tokens spell `' 本'` for `' 日本語'`. Their
`text_offset` still places every token: the score reads the text from them.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import tokenprobs as tp

RECORDED = Path(__file__).parent / "recorded"
CJK = RECORDED / "llama-cpp-python-0.3.36_smollm2_echo_split_cjk.json"
EMOJI = RECORDED / "llama-cpp-python-0.3.36_smollm2_echo_split_emoji.json"


def test_the_recorded_echo_really_leaves_split_characters_out():
    """The premise, from the recording: the tokens spell `' 本'`; the offsets place all seven."""
    logprobs = json.loads(CJK.read_text(encoding="utf-8"))["choices"][0]["logprobs"]
    assert "".join(logprobs["tokens"][2:9]) == " 本"
    assert logprobs["text_offset"][2:10] == [5, 6, 6, 7, 8, 8, 8, 9]


def test_a_text_with_split_characters_is_scored_and_spells_itself(local, client):
    """Every position of the text is scored, and `d.text` is the text (not `' 本'`)."""
    local.post("/completions").respond(200, content=CJK.read_bytes())
    d = tp.score(" 日本語", context="I say", model="smollm2", client=client)
    raw = json.loads(CJK.read_text(encoding="utf-8"))["choices"][0]["logprobs"]
    assert d.text == " 日本語"
    assert d.tokens == [" ", "", "日", "本", "", "", "語"]  # a character on the token ending it
    assert len(d) == 7
    assert math.isclose(float(d.logprobs.sum()), sum(raw["token_logprobs"][2:9]), rel_tol=1e-12)


def test_labels_with_an_emoji_split_over_tokens_are_scored(local, client):
    """`Labels.score` read `' '` for `' 👍'` and refused it as a seam crossing; it now scores."""
    body = json.loads(EMOJI.read_text(encoding="utf-8"))
    local.post("/completions").respond(200, json=body)
    labels = tp.Labels({"up": [" 👍"]})
    result = labels.score("Rate it:", model="smollm2", client=client)
    raw = body["choices"][0]["logprobs"]["token_logprobs"]
    assert result.label == "up"
    assert math.isclose(math.log(result.mass), sum(raw[3:6]), rel_tol=1e-9)


@pytest.mark.parametrize("bad", ["X", " "])
def test_a_token_its_offsets_contradict_is_left_as_the_server_sent_it(local, client, bad):
    """Only empty tokens are filled in: a token whose text disagrees with its offsets stays."""
    body = json.loads(CJK.read_text(encoding="utf-8"))
    body["choices"][0]["logprobs"]["tokens"][5] = bad  # '本' at offset 7
    local.post("/completions").respond(200, json=body)
    d = tp.score(" 日本語", context="I say", model="smollm2", client=client)
    assert d.text != " 日本語"
