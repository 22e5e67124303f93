"""Every recorded fixture that carries logprobs parses; the error bodies are recognised."""

from __future__ import annotations

import json
import re

import pytest
from openai.types import Completion
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import Response

import tokenprobs as tp


def test_chat_apiref_example_parses_byte_exact(recorded):
    """The API reference's top-2 example: 9 tokens, text equal to the message, alternatives kept."""
    body = recorded("chat_gpt-4o-mini_top2_openai_apiref_example.json")
    d = tp.parse(body)
    content = body["choices"][0]["logprobs"]["content"]
    assert len(d) == len(content) == 9
    assert d.text == body["choices"][0]["message"]["content"]
    assert d.source == "chat"
    assert d.top_tokens[0] == ["Hello", "Hi"]
    assert d.top_logprobs.shape == (9, 2)
    # the "<|end|>" alternative has bytes null: kept as null, not invented
    nulls = [(i, j) for i, row in enumerate(d.top_bytes) for j, b in enumerate(row) if b is None]
    assert nulls
    assert all(d.top_tokens[i][j] == "<|end|>" for i, j in nulls)
    assert d.finish_reason == "stop"
    assert d.model == "gpt-4o-mini"


def test_chat_sdk_object_and_raw_bytes_agree(recorded_path):
    """The SDK object, its dict and the raw JSON bytes give equal distributions."""
    raw = recorded_path("chat_gpt-4o-mini_top2_openai_apiref_example.json").read_bytes()
    sdk = ChatCompletion.model_validate_json(raw)
    from_sdk, from_bytes = tp.parse(sdk), tp.parse(raw)
    assert from_sdk == from_bytes == tp.parse(json.loads(raw))
    assert from_sdk.response is sdk


def test_structured_output_dump_parses(recorded):
    """The SDK's ParsedChatCompletion dump: 17 entries, exact zeros kept, text equal."""
    body = recorded("chat_gpt-4o-2024-08-06_structured_output_sdk_dump.json")
    d = tp.parse(body)
    assert len(d) == 17
    assert d.text == body["choices"][0]["message"]["content"]
    assert (d.logprobs == 0.0).sum() >= 1
    assert d.probs.max() == 1.0


def test_logprobs_not_requested_raises_with_the_fix(recorded):
    """`logprobs: null` raises MissingLogprobsError naming logprobs=True."""
    body = recorded("chat_gpt-4o-mini_logprobs_not_requested_null.json")
    with pytest.raises(tp.MissingLogprobsError, match=r"logprobs=True") as info:
        tp.parse(body)
    assert info.value.endpoint == "chat.completions"


def _final_from_sse(text: str) -> tuple[str, str]:
    content = refusal = ""
    for line in text.splitlines():
        if line.startswith("data: {"):
            for c in json.loads(line[6:])["choices"]:
                content += c["delta"].get("content") or ""
                refusal += c["delta"].get("refusal") or ""
    return content, refusal


def test_chat_stream_foo(recorded_path):
    """The recorded chat stream: role chunk, finish chunk and usage chunk handled; text equal."""
    text = recorded_path("chat_stream_gpt-4o-2024-08-06_logprobs_foo.sse").read_text()
    d = tp.parse(text)
    content, _ = _final_from_sse(text)
    assert d.source == "chat.stream"
    assert d.tokens == ["Foo", "."]
    assert d.text == content
    assert d.finish_reason == "stop"
    assert not d.incomplete
    chunks = [
        ChatCompletionChunk.model_validate_json(ln[6:])
        for ln in text.splitlines()
        if ln.startswith("data: {")
    ]
    assert tp.parse(chunks) == d


def test_chat_stream_refusal(recorded_path):
    """A streamed refusal is parsed from logprobs.refusal and says so."""
    text = recorded_path("chat_stream_gpt-4o-2024-08-06_refusal_logprobs.sse").read_text()
    d = tp.parse(text.encode())
    _, refusal = _final_from_sse(text)
    assert d.refusal
    assert d.text == refusal
    assert len(d) == 10
    assert -3.5e-6 < float(d.logprobs.max()) < 0


def test_together_legacy_shape_inside_chat(recorded):
    """Together's `tokens`/`token_logprobs` inside a chat `logprobs`: parsed, positives kept raw."""
    fragments = recorded("chat_together_mixtral_logprobs1_legacy_shape_positive_FRAGMENTS.json")
    for fragment in fragments:
        d = tp.parse(fragment)
        assert d.tokens == fragment["tokens"]
        assert d.logprobs.tolist() == [float(v) for v in fragment["token_logprobs"]]
        assert d.source == "logprobs.legacy"
        assert bool(d.bytes_derived.all())
        assert d.text == "".join(fragment["tokens"])
        assert float(d.probs.max()) <= 1.0  # the positive first value is clipped in probs


def test_legacy_logprobs0_fragment(recorded):
    """Legacy `logprobs=0`: top_logprobs null at every position, text from the tokens."""
    frag = recorded("completions_gpt-3.5-turbo-instruct_logprobs0_logprobs_FRAGMENT.json")
    d = tp.parse(frag)
    assert d.tokens == frag["tokens"]
    assert d.top_null == list(range(5))
    assert d.top_logprobs.shape == (5, 0)
    assert d.text_offset == frag["text_offset"]
    assert d.text == "\n\nBonjour, monde !"


def test_legacy_stream_excerpt_is_incomplete(recorded_path):
    """The legacy SSE excerpt cut inside its 4th chunk: 3 positions kept, marked incomplete."""
    d = tp.parse(
        recorded_path("completions_stream_gpt-3.5-turbo-instruct_logprobs_EXCERPT.sse").read_bytes()
    )
    assert d.source == "completions.stream"
    assert d.tokens == ["\n\n", '"B', "aking"]
    assert d.incomplete
    # the sampled token is listed first even when it is not the most likely
    assert d.top_tokens[1] == ['"B', '"', '"S']
    assert d.sampled_in_top.all()
    assert d.text_offset == [33, 35, 37]


def test_responses_output_text(recorded_path):
    """Responses: output_text logprobs, -0.0 and 0.0 both kept, text equal."""
    raw = recorded_path("responses_gpt-4o-mini_output_text_logprobs_top0.json").read_bytes()
    body = json.loads(raw)
    d = tp.parse(raw)
    assert d.source == "responses"
    assert d.text == body["output"][0]["content"][0]["text"]
    assert len(d) == 9
    signs = [str(v) for v in d.logprobs[:2]]
    assert signs == ["-0.0", "0.0"]
    # the SDK's own construct (as it builds responses): the cassette predates a required field
    assert tp.parse(Response.model_construct(**body)) == d


def test_ollama_native_chunk(recorded):
    """Ollama's /api/generate chunk: one position, three alternatives, marked incomplete."""
    d = tp.parse(recorded("ollama_native_generate_chunk_gemma3_top3.json"))
    assert d.source == "ollama"
    assert d.tokens == ["The"]
    assert d.top_tokens == [["The", "Okay", "That"]]
    assert d.incomplete


@pytest.mark.parametrize(
    ("name", "message", "code"),
    [
        pytest.param(
            "error_openai_403_o4-mini_logprobs_not_allowed_from_repr.json",
            "You are not allowed to request logprobs from this model",
            None,
            id="openai",
        ),
        pytest.param(
            "error_vllm_prompt_logprobs_extra_forbidden.json", "Extra inputs", 400, id="vllm"
        ),
        pytest.param(
            "error_gemini_logprobs_not_enabled.json", "Logprobs is not enabled", 400, id="gemini"
        ),
    ],
)
def test_error_bodies_are_errors(recorded_path, name, message, code):
    """An API error body raises APIResponseError carrying the server's fields."""
    with pytest.raises(tp.APIResponseError, match=re.escape(message)) as info:
        tp.parse(recorded_path(name).read_bytes())
    assert info.value.code == code
    assert message in info.value.message


def test_blue_heart_split_emoji(recorded_path):
    """The cookbook's printed 💙 split over two tokens rebuilds to the decoded text, once."""
    text = recorded_path("chat_gpt-4o_blue_heart_emoji_split_PRINTED_STDOUT.txt").read_text()
    entries = [
        {"token": tok, "logprob": float(lp), "bytes": json.loads(raw), "top_logprobs": []}
        for tok, lp, raw in re.findall(
            r"Token: (.*?)\nLog prob: (\S+)\nLinear prob: [^\n]*\nBytes: (\[[^\]]*\])",
            text,
            re.DOTALL,
        )
    ]
    assert len(entries) == 14
    decoded = text.split("Decoded bytes: ", 1)[1].split("\nJoint prob", 1)[0]
    d = tp.parse({"choices": [{"index": 0, "logprobs": {"content": entries}}]})
    assert d.text == decoded
    assert "💙" in d.text
    i = d.tokens.index("\\xf0\\x9f\\x92")
    spans = d.char_spans()
    # both halves own the one emoji character
    assert spans[i].tolist() == spans[i + 1].tolist()
    assert d.text[spans[i, 0] : spans[i, 1]] == "💙"


def test_completion_sdk_object_parses():
    """A legacy Completion SDK object parses to the same distribution as its dict."""
    body = tp.testing.completion([("Hi", -0.5, [("Hi", -0.5), ("Yo", -1.5)]), ("!", -0.1, [])])
    assert tp.parse(Completion.model_validate(body)) == tp.parse(body)
