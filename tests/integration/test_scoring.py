"""`tp.score` / `tp.score_choices` on the real llama-cpp-python server, against in-process truth.

The truth is the same GGUF model's full logits, evaluated in-process by llama-cpp-python
(`llama_truth.py`, run with the server's interpreter), never by tokenprobs: each token's logprob
given everything before it. The continuation's positions are chosen here by the seam rule written
out again (a token belongs to the continuation when its characters reach past the context), from
the in-process tokenisation.
"""

from __future__ import annotations

import json
import math
import os
import subprocess

import numpy as np
import openai
import pytest
from tests._unavailable import unavailable

import tokenprobs as tp
from tokenprobs import cli

pytestmark = pytest.mark.integration

FLOAT32 = 1e-5
"""Server and in-process logits agree to ~3e-7; float32 rounding of sums stays far below this."""
CASES = [
    pytest.param("The cat", " sat on the", id="word-boundary"),
    pytest.param("The ca", "t sat on", id="seam-inside-a-token"),
    pytest.param("", "The cat sat", id="no-context"),
    pytest.param("My little green fish", " had many three?", id="longer"),
]
QUESTION = "The cat sat on"
CHOICES = [" the", " a", " my", " your"]


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        why = f"{name} is not set: run `make integration`, which sets it"
        unavailable(why, ci="CI runs make integration, which sets it")
    return value


@pytest.fixture(scope="module")
def truth():
    """`truth(texts)`: the in-process tokens and logprobs of each text (one subprocess call)."""
    python = _required("TOKENPROBS_LLAMA_CPP_PYTHON")
    model = _required("TOKENPROBS_LLAMA_CPP_MODEL")
    script = os.path.join(os.path.dirname(__file__), "llama_truth.py")  # noqa: PTH118, PTH120

    def run(texts: list[str]) -> list[list[dict]]:
        done = subprocess.run(  # noqa: S603 - our own interpreter and script
            [python, script, model],
            input=json.dumps(texts),
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        return json.loads(done.stdout)

    return run


def _expected(tokens: list[dict], context: str) -> tuple[list[str], list[float]]:
    """The continuation's tokens and logprobs by the seam rule, from the in-process tokens."""
    out_tokens, out_logprobs, at = [], [], 0
    for t in tokens:
        piece = bytes(t["bytes"]).decode("utf-8")
        end = at + len(piece)
        if end > len(context) or (end == at >= len(context)):
            out_tokens.append(piece)
            # the server gives the first echoed token no logprob (nothing it was asked about
            # precedes it), though the in-process model scores it after BOS
            out_logprobs.append(math.nan if at == 0 else t["logprob"])
        at = end
    return out_tokens, out_logprobs


@pytest.mark.parametrize(("context", "text"), CASES)
def test_score_matches_the_in_process_logits(client, truth, context, text):
    """`tp.score` gives exactly the continuation's tokens, with the in-process logprobs."""
    want_tokens, want = _expected(truth([context + text])[0], context)
    d = tp.score(text, context=context, model="tiny", client=client)
    assert d.tokens == want_tokens
    np.testing.assert_allclose(d.logprobs, want, atol=FLOAT32, rtol=0)
    assert d.prompt_length == len(d)
    assert d.text.endswith(text)
    if context == "The ca":  # the seam: " cat" straddles the end of the context
        assert d.tokens[0] == " cat"
        assert d.text == " cat sat on"


async def test_async_score_equals_sync(client, async_client):
    """`tp.ascore` gives the same distribution as `tp.score`."""
    sync = tp.score(" sat on the", context="The cat", model="tiny", client=client)
    asynchronous = await tp.ascore(
        " sat on the", context="The cat", model="tiny", client=async_client
    )
    assert asynchronous.tokens == sync.tokens
    np.testing.assert_allclose(asynchronous.logprobs, sync.logprobs, atol=FLOAT32, rtol=0)


def test_four_way_multiple_choice_end_to_end(client, truth):
    """A 4-way choice: sums, per-token scores, softmax and the best choice equal the truth's."""
    s = tp.score_choices(QUESTION, CHOICES, model="tiny", client=client, concurrency=2)
    wanted = [_expected(t, QUESTION) for t in truth([QUESTION + c for c in CHOICES])]
    sums = np.array([sum(lp) for _, lp in wanted])
    np.testing.assert_allclose(s.logprobs, sums, atol=FLOAT32, rtol=0)
    assert s.token_counts.tolist() == [len(t) for t, _ in wanted]
    np.testing.assert_allclose(s.per_token, sums / s.token_counts, atol=FLOAT32, rtol=0)
    expected_probs = np.exp(sums - sums.max()) / np.exp(sums - sums.max()).sum()
    np.testing.assert_allclose(s.probs, expected_probs, atol=1e-5, rtol=0)
    assert s.best == CHOICES[int(np.argmax(sums))]
    ll, is_greedy = tp.scoring.loglikelihood(QUESTION, s.best, model="tiny", client=client)
    assert ll == pytest.approx(float(sums.max()), abs=FLOAT32)
    assert is_greedy == bool(s.greedy[s.best_index])


def test_the_greedy_continuation_is_marked_greedy(client):
    """The server's own greedy token, scored as a choice, is greedy; a poor choice is not."""
    greedy = client.completions.create(
        model="tiny",
        prompt=QUESTION,
        max_tokens=1,
        temperature=0,
        extra_body={"repeat_penalty": 1.0},
    )
    word = greedy.choices[0].text
    s = tp.score_choices(QUESTION, [word, " fish fish"], model="tiny", client=client)
    assert s.greedy.tolist() == [True, False]


def test_a_server_whose_echo_is_shifted_is_refused():
    """The same model served without a BOS token: the shifted echo raises ScoringError."""
    url = _required("TOKENPROBS_LLAMA_CPP_NOBOS_URL")
    with openai.OpenAI(base_url=url, api_key="sk-local", max_retries=0) as c:
        with pytest.raises(tp.ScoringError, match="shifted") as info:
            tp.score(" sat on the", context="The cat", model="tiny", client=c)
        assert tp.scoring.BOS_FLAG in str(info.value)
        assert info.value.server == "llama.cpp"
        # the raw echo really is shifted: its last prompt position predicts the next token
        raw = c.completions.create(
            model="tiny", prompt="The cat sat", max_tokens=1, temperature=0, logprobs=2, echo=True
        )
        d = tp.parse(raw)
        assert len(d) == raw.usage.prompt_tokens  # the generated token is missing


def test_a_chat_template_prompt_is_refused_naming_its_special_tokens():
    """SmolLM2's real server: its echo drops a chat template's special tokens, tp.score says so."""
    url = _required("TOKENPROBS_SMOLLM2_URL")
    context = "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"
    with openai.OpenAI(base_url=url, api_key="sk-local", max_retries=0) as c:
        with pytest.raises(tp.ScoringError, match=r"without its 3 special token\(s\)") as info:
            tp.score("Paris", context=context, model="smollm2", client=c)
        assert "'<|im_start|>' x2, '<|im_end|>'" in str(info.value)
        # the raw echo really lacks them: the text holds the prompt, the tokens do not
        raw = c.completions.create(
            model="smollm2",
            prompt=context + "Paris",
            max_tokens=1,
            temperature=0,
            logprobs=1,
            echo=True,
        )
        assert raw.choices[0].text.startswith(context)
        assert "<|im" not in "".join(raw.choices[0].logprobs.tokens)
        # the same text without the special tokens is scored
        d = tp.score(" Paris", context="The capital of France is", model="smollm2", client=c)
        assert d.tokens == [" Paris"]


def test_the_score_command_prints_the_truths_sums(server, truth, tmp_path, capsys, monkeypatch):
    """`tokenprobs score FILE` on the real server: each line's sum is the in-process one."""
    texts = ["The cat sat on the", "My little green fish had"]
    path = tmp_path / "texts.txt"
    path.write_text("\n".join(texts) + "\n", encoding="utf-8")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    code = cli.main(["score", str(path), "--model", "tiny", "--base-url", server.base_url])
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    for line, text, tokens in zip(lines, texts, truth(texts), strict=True):
        total, count, _, shown = line.split("\t")
        _, want = _expected(tokens, "")
        assert shown == text
        # the count is of the tokens the sum is over: the first one, without context, has none
        assert int(count) == np.count_nonzero(~np.isnan(want)) == len(want) - 1
        assert float(total) == pytest.approx(np.nansum(want), abs=1e-4)
