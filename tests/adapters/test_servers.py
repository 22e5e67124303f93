"""Shapes of real traffic from more servers (issue 12), built with tokenprobs.testing.

Each test reproduces a real shape seen in public recordings: Azure OpenAI's filter chunks, tool
calls with logprobs on OpenAI, a single `Choice`, Responses streams' rounded copies, control
tokens that never reach the content, lmdeploy's GPT-2 symbol bytes, llama.cpp's llama-server.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.completion import Completion

import tokenprobs as tp
from tokenprobs import testing

POSITIONS = [("Hi", -0.1, [("Hi", -0.1), ("Yo", -2.0)]), (" 국", -0.4, []), ("!", -0.2, [])]


def _sdk_chunk(chunk: dict, cls: type) -> object:
    """An SDK chunk as the SDK's stream builds it, with `construct`.

    Azure's `object: ""` does not validate against the SDK's `Literal`; the SDK's stream does
    not validate chunks either.
    """
    return cls.construct(**chunk)


def _stream_forms(chunks: list[dict], cls: type) -> dict[str, object]:
    return {
        "dicts": chunks,
        "sse": testing.sse(chunks),
        "sse-bytes": testing.sse(chunks).encode(),
        "json": json.dumps(chunks),
        "sdk": [_sdk_chunk(c, cls) for c in chunks],
        "sdk-iter": iter([_sdk_chunk(c, cls) for c in chunks]),
    }


# --- 12.1 Azure OpenAI streams --------------------------------------------------------------

AZURE_CHAT = testing.azure_chunks(testing.chat_chunks(POSITIONS))
AZURE_LEGACY = testing.azure_chunks(testing.completion_chunks(POSITIONS))


@pytest.mark.parametrize("form", list(_stream_forms(AZURE_CHAT, ChatCompletionChunk)))
def test_azure_chat_stream_parses_with_its_filter_results(form):
    """Azure's filter-only chunks (first, middle, last) are accepted; the results are kept."""
    d = tp.parse(_stream_forms(AZURE_CHAT, ChatCompletionChunk)[form])
    whole = tp.parse(testing.chat_completion(POSITIONS))
    assert d.source == "chat.stream"
    assert d.tokens == whole.tokens
    assert np.array_equal(d.logprobs, whole.logprobs)
    assert d.text == d.content == "Hi 국!"
    assert not d.incomplete
    assert d.prompt_filter_results == [
        {"prompt_index": 0, "content_filter_results": testing.AZURE_FILTER}
    ]
    carried = sum("content_filter_results" in ch for c in AZURE_CHAT for ch in c["choices"])
    assert carried > 2
    assert d.content_filter_results == [testing.AZURE_FILTER] * carried
    again = tp.TokenDistribution.model_validate_json(d.model_dump_json())
    assert again == d
    assert again.prompt_filter_results == d.prompt_filter_results


@pytest.mark.parametrize("form", list(_stream_forms(AZURE_LEGACY, Completion)))
def test_azure_legacy_stream_parses(form):
    """An Azure legacy Completions stream parses, filter chunks and all."""
    d = tp.parse(_stream_forms(AZURE_LEGACY, Completion)[form])
    assert d.source == "completions.stream"
    assert d.tokens == ["Hi", " 국", "!"]
    assert d.prompt_filter_results is not None
    assert d.content_filter_results


def test_azure_stream_accumulator_ignores_filter_chunks_for_growth():
    """StreamAccumulator.feed takes Azure's filter chunks and reports no growth for them."""
    acc = tp.StreamAccumulator()
    grew = [acc.feed(c) for c in AZURE_CHAT]
    assert grew[0] == []
    assert acc.kind == "chat"
    assert acc.distribution().tokens == ["Hi", " 국", "!"]


@pytest.mark.parametrize(
    ("body", "cls"),
    [
        pytest.param(testing.azure(testing.chat_completion(POSITIONS)), ChatCompletion, id="chat"),
        pytest.param(testing.azure(testing.completion(POSITIONS)), Completion, id="legacy"),
    ],
)
def test_azure_whole_response_keeps_filter_results(body, cls):
    """A non-streamed Azure response keeps prompt and content filter results too, in every form."""
    for form in (body, json.dumps(body), json.dumps(body).encode(), cls.model_validate(body)):
        d = tp.parse(form)
        assert d.prompt_filter_results == body["prompt_filter_results"]
        assert d.content_filter_results == [testing.AZURE_FILTER]


def test_a_choice_the_azure_filter_stopped_says_so_not_to_ask_for_logprobs():
    """`finish_reason: "content_filter"` with null content and logprobs: the filter is the cause.

    Was: "the response carries no logprobs. To get them, pass logprobs=True", which they were.
    """
    body = testing.azure(testing.chat_completion(POSITIONS))
    filtered = {"hate": {"filtered": True, "severity": "high"}}
    body["choices"][0] |= {"finish_reason": "content_filter", "logprobs": None}
    body["choices"][0] |= {"content_filter_results": filtered}
    body["choices"][0]["message"]["content"] = None
    for form in (body, json.dumps(body), ChatCompletion.model_validate(body)):
        with pytest.raises(tp.MissingLogprobsError, match="content filter stopped") as info:
            tp.parse(form)
        assert "pass logprobs=True" not in str(info.value)
        assert not info.value.not_requested


def test_a_filter_only_stream_has_no_chunks():
    """A stream of nothing but filter chunks says it carried no chunks (a typed error)."""
    with pytest.raises(tp.UnsupportedResponseError, match="no chunks"):
        tp.parse(AZURE_CHAT[:1])


# --- 12.6 a single Choice ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "cls", "source"),
    [
        pytest.param(testing.chat_completion(POSITIONS), ChatCompletion, "chat", id="chat"),
        pytest.param(testing.completion(POSITIONS), Completion, "completions", id="legacy"),
    ],
)
def test_parse_a_single_choice(body, cls, source):
    """tp.parse(response.choices[i]) works on SDK Choice objects and their dicts."""
    body = testing.chat_completion(POSITIONS, [("B", -0.5, [])]) if source == "chat" else body
    whole = tp.parse_all(body)
    sdk = cls.model_validate(body)
    for i, expected in enumerate(whole):
        for c in (body["choices"][i], sdk.choices[i], sdk.choices[i].model_dump()):
            d = tp.parse(c)
            assert d.source == source
            assert d.choice == expected.choice == i
            assert d.tokens == expected.tokens
            assert d.content == expected.content
            assert d.finish_reason == expected.finish_reason
            assert d.response is c
            assert tp.parse_all(c) == [d]


def test_a_choice_without_logprobs_says_how_to_ask():
    """A Choice whose logprobs are null raises MissingLogprobsError with the hint."""
    c = testing.chat_completion(POSITIONS)["choices"][0]
    c["logprobs"] = None
    with pytest.raises(tp.MissingLogprobsError, match="logprobs=True"):
        tp.parse(c)


# --- 12.3 tool calls ----------------------------------------------------------------------

TOOL_MESSAGE = "tool-call arguments carry no logprobs"


def _tool_forms() -> dict[str, object]:
    body = testing.tool_call_completion()
    chunks = testing.tool_call_chunks()
    return {
        "dict": body,
        "json": json.dumps(body),
        "sdk": ChatCompletion.model_validate(body),
        "choice": ChatCompletion.model_validate(body).choices[0],
        "chunks": chunks,
        "sse": testing.sse(chunks),
        "sdk-chunks": [ChatCompletionChunk.model_validate(c) for c in chunks],
    }


@pytest.mark.parametrize("form", list(_tool_forms()))
def test_tool_call_raises_missing_logprobs_saying_why(form):
    """A tool call (content null in every chunk) is a MissingLogprobsError naming tool calls."""
    with pytest.raises(tp.MissingLogprobsError, match=TOOL_MESSAGE) as info:
        tp.parse(_tool_forms()[form])
    assert "tool call" in str(info.value)
    assert not info.value.not_requested if hasattr(info.value, "not_requested") else True


def test_responses_function_call_raises_missing_logprobs():
    """A Responses output with only a function call raises the same error, streamed or not."""
    body = testing.response([])
    body["output"] = [
        {
            "type": "function_call",
            "id": "fc_test",
            "call_id": "call_test",
            "name": "get_weather",
            "arguments": '{"city": "Paris"}',
            "status": "completed",
        }
    ]
    events = [{"type": "response.completed", "sequence_number": 0, "response": body}]
    for form in (body, json.dumps(body), events, testing.sse(events)):
        with pytest.raises(tp.MissingLogprobsError, match=TOOL_MESSAGE):
            tp.parse(form)


def test_tool_call_stream_in_progress_is_not_an_error():
    """While a tool-call stream is still running, the accumulator gives an empty distribution."""
    acc = tp.StreamAccumulator()
    for c in testing.tool_call_chunks()[:-1]:
        acc.feed(c)
    assert len(acc.distribution(incomplete=True)) == 0


TEXT_WITHOUT_LOGPROBS = "the answer came without its logprobs"


@pytest.mark.parametrize(
    ("form", "logprobs"),
    [
        ("dict", {"content": None, "refusal": None}),
        ("dict", {"content": []}),
        ("sdk", {"content": None, "refusal": None}),
        ("sdk", {"content": []}),
        ("sdk", {}),  # the SDK reads `{}` as content=None (a dict `{}` is an unknown shape)
    ],
    ids=["dict-null", "dict-empty", "sdk-null", "sdk-empty", "sdk-empty-object"],
)
def test_text_without_its_logprobs_is_missing_not_empty(form, logprobs):
    """An answer with text whose logprobs object holds no positions raises, as a null one does.

    Before, it was an empty distribution: 0 positions for "Hi!" and no word that anything was
    wrong.
    """
    body = testing.chat_completion(POSITIONS)
    body["choices"][0]["logprobs"] = logprobs
    obj = ChatCompletion.model_validate(body) if form == "sdk" else body
    with pytest.raises(tp.MissingLogprobsError, match=TEXT_WITHOUT_LOGPROBS) as info:
        tp.parse(obj)
    assert "characters of text" in str(info.value)


def test_an_empty_answer_with_empty_logprobs_is_an_empty_distribution():
    """No text and no positions agree (max_tokens reached at once): empty, not an error."""
    body = testing.chat_completion([])
    body["choices"][0]["logprobs"] = {"content": []}
    body["choices"][0]["message"]["content"] = ""
    assert len(tp.parse(body)) == 0


@pytest.mark.parametrize("kind", ["chat", "completions"])
def test_stream_with_text_but_no_logprobs_in_any_chunk_raises(kind):
    """A server that ignores `logprobs` in a stream: the finished stream raises, naming it."""
    chunks = (testing.chat_chunks if kind == "chat" else testing.completion_chunks)(POSITIONS)
    for chunk in chunks:
        for c in chunk["choices"]:
            c["logprobs"] = None
    acc = tp.StreamAccumulator()
    for chunk in chunks:
        acc.feed(chunk)
    with pytest.raises(tp.MissingLogprobsError, match="the server ignored `logprobs`"):
        acc.distribution()
    assert len(acc.distribution(incomplete=True)) == 0  # in progress: not an error yet


# --- 12.4 Responses streams: full-precision deltas, rounded copies ---------------------------

FINE = [("Hi", -1.7e-6, [("Hi", -1.7e-6), ("Hey", -13.4567891)]), (" there", -0.123456789, [])]


def _responses_forms(events: list[dict]) -> dict[str, object]:
    from openai.types.responses import (  # noqa: PLC0415
        ResponseCompletedEvent,
        ResponseCreatedEvent,
        ResponseTextDeltaEvent,
        ResponseTextDoneEvent,
    )

    classes = {
        "response.created": ResponseCreatedEvent,
        "response.output_text.delta": ResponseTextDeltaEvent,
        "response.output_text.done": ResponseTextDoneEvent,
        "response.completed": ResponseCompletedEvent,
    }
    return {
        "dicts": events,
        "json": json.dumps(events),
        "sse": testing.sse(events, done=False),
        "sdk": [classes[e["type"]].construct(**e) for e in events],
    }


@pytest.mark.parametrize("form", list(_responses_forms(testing.response_events(FINE))))
def test_responses_stream_prefers_full_precision_deltas(form):
    """The deltas' full-precision values are used (and said so), not the rounded copies."""
    events = testing.response_events(FINE, rounded=True)
    d = tp.parse(_responses_forms(events)[form])
    assert d.values_from == "response.output_text.delta"
    assert d.logprobs.tolist() == [-1.7e-6, -0.123456789]
    assert d.top_logprobs[0].tolist() == [-1.7e-6, -13.4567891]
    assert not d.bytes_derived.any()  # the deltas carry bytes
    assert d.content == d.text == "Hi there"
    completed = tp.parse(events[-1]["response"])
    assert completed.values_from == "response"
    assert completed.logprobs.tolist() == [-2e-6, -0.123457]  # the rounded copy
    assert tp.TokenDistribution.model_validate_json(d.model_dump_json()) == d


def test_responses_stream_falls_back_to_the_rounded_copies_and_says_so():
    """Without deltas' logprobs the .done copy is used; with only response.completed, that."""
    events = testing.response_events(FINE, rounded=True)
    for e in events[1:-2]:
        e["logprobs"] = []
    d = tp.parse(events)
    assert d.values_from == "response.output_text.done"
    assert d.logprobs.tolist() == [-2e-6, -0.123457]
    assert d.content == "Hi there"  # the deltas' text, not again the .done event's
    only_completed = tp.parse([events[0], events[-1]])
    assert only_completed.values_from == "response.completed"
    assert only_completed.source == "responses.stream"


# --- 12.2 token text that is not the content -------------------------------------------------

HARMONY = [
    ("<|channel|>", -0.01, []),
    ("analysis", -0.02, []),
    ("<|message|>", -0.01, []),
    ("Think", -0.5, []),
    ("<|end|>", -0.01, []),
    ("<|start|>", -0.01, []),
    ("assistant", -0.01, []),
    ("<|channel|>", -0.01, []),
    ("final", -0.01, []),
    ("<|message|>", -0.01, []),
    ("Hi", -0.1, [("Hi", -0.1)]),
    (" 국", -0.2, []),
    ("<|return|>", -0.01, []),
]
HARMONY_CONTENT = "<reasoning>Think</reasoning>Hi 국"


def _with_content(body: dict, content: str | None) -> dict:
    body["choices"][0]["message"]["content"] = content
    return body


def _harmony_chunks() -> list[dict]:
    """gpt-oss on Bedrock: several control tokens per chunk, content that no token has."""
    chunks = testing.chat_chunks(HARMONY)
    deltas = ["", "<reasoning>", "", "Think", "</reasoning>", "", "", "", "", "", "Hi", " 국", ""]
    for chunk, delta in zip(chunks[1:-2], deltas, strict=True):
        chunk["choices"][0]["delta"]["content"] = delta
    # the server packs the header tokens into one chunk
    head = chunks[1]
    for extra in chunks[2:4]:
        head["choices"][0]["logprobs"]["content"] += extra["choices"][0]["logprobs"]["content"]
        head["choices"][0]["delta"]["content"] += extra["choices"][0]["delta"]["content"]
    return [chunks[0], head, *chunks[4:]]


def _harmony_forms() -> dict[str, object]:
    body = _with_content(testing.chat_completion(HARMONY), HARMONY_CONTENT)
    chunks = _harmony_chunks()
    return {
        "dict": body,
        "json": json.dumps(body),
        "sdk": ChatCompletion.model_validate(body),
        "chunks": chunks,
        "sse": testing.sse(chunks),
        "sdk-chunks": [ChatCompletionChunk.model_validate(c) for c in chunks],
    }


@pytest.mark.parametrize("form", list(_harmony_forms()))
def test_harmony_control_tokens_are_kept_masked_and_aligned(form):
    """Every token kept; control tokens masked; the mismatch is said; spans place them."""
    d = tp.parse(_harmony_forms()[form])
    assert len(d) == len(HARMONY)
    assert d.content == HARMONY_CONTENT
    assert d.text_matches_content is False
    assert d.special.tolist() == [
        True, True, True, False, True, True, True, True, True, True, False, False, True,
    ]  # fmt: skip
    assert d.in_content.tolist() == [not s for s in d.special.tolist()]
    spans = d.content_spans()
    assert [d.content[a:b] for a, b in spans[~d.special]] == ["Think", "Hi", " 국"]
    assert (spans[:, 1] >= spans[:, 0]).all()
    assert (np.diff(spans[:, 0]) >= 0).all()
    again = tp.TokenDistribution.model_validate_json(d.model_dump_json())
    assert again.content == d.content
    assert again.special.tolist() == d.special.tolist()


EOS = [("Hi", -0.1, []), ("!", -0.2, []), ("<|im_end|>", -0.01, [])]


def _eos_forms() -> dict[str, object]:
    body = _with_content(testing.chat_completion(EOS), "Hi!")
    chunks = testing.chat_chunks(EOS)
    chunks[3]["choices"][0]["delta"]["content"] = ""  # the EOS token adds no content
    return {
        "dict": body,
        "json": json.dumps(body),
        "sdk": ChatCompletion.model_validate(body),
        "sse": testing.sse(chunks),
        "sdk-chunks": [ChatCompletionChunk.model_validate(c) for c in chunks],
    }


@pytest.mark.parametrize("form", list(_eos_forms()))
def test_vllm_eos_token_outside_the_content(form):
    """The trailing <|im_end|> vLLM sends is kept, masked, and alone outside the content."""
    d = tp.parse(_eos_forms()[form])
    assert d.text == "Hi!<|im_end|>"
    assert d.text_matches_content is False
    assert d.special.tolist() == [False, False, True]
    assert d.in_content.tolist() == [True, True, False]
    assert d.content_spans().tolist() == [[0, 2], [2, 3], [3, 3]]


MARKUP = [("<tool_call>", -0.01, []), ('{"a": 1}', -0.3, []), ("</tool_call>", -0.01, [])]
MARKUP_BODY = _with_content(testing.chat_completion(MARKUP, finish_reason="tool_calls"), None)


@pytest.mark.parametrize(
    "form",
    [
        pytest.param(MARKUP_BODY, id="dict"),
        pytest.param(json.dumps(MARKUP_BODY).encode(), id="bytes"),
        pytest.param(ChatCompletion.model_validate(MARKUP_BODY), id="sdk"),
    ],
)
def test_tool_call_markup_with_null_content(form):
    """A tool-call choice with logprobs for <tool_call> markup: content is "", a mismatch."""
    d = tp.parse(form)
    assert len(d) == 3
    assert d.content == ""
    assert d.text_matches_content is False
    assert d.special.tolist() == [True, False, True]
    assert not d.in_content.any()


def test_matching_content_is_the_common_case():
    """When the tokens are the content, every position is in it and the spans agree."""
    d = tp.parse(testing.chat_completion(POSITIONS))
    assert d.text_matches_content is True
    assert d.in_content.all()
    assert not d.special.any()
    assert np.array_equal(d.content_spans(), d.char_spans())
    bare = tp.parse(testing.chat_completion(POSITIONS)["choices"][0]["logprobs"])
    assert bare.content is None
    assert bare.text_matches_content is None


# --- 12.5 lmdeploy: GPT-2 byte-level symbol bytes ----------------------------------------------


def _gpt2_symbols(text: str) -> list[int]:
    """The UTF-8 of a token's GPT-2 byte-to-unicode symbol string (" Hello" → "ĠHello")."""
    printable = [*range(33, 127), *range(161, 173), *range(174, 256)]
    table = {b: chr(b) for b in printable}
    extra = iter(range(256, 512))
    table.update({b: chr(next(extra)) for b in range(256) if b not in table})
    return list("".join(table[b] for b in text.encode()).encode())


def _lmdeploy_body() -> dict:
    """lmdeploy: alternatives' bytes are the symbols' UTF-8; 2 alternatives for top_logprobs=3."""
    body = testing.chat_completion(
        [
            ("Hello", -0.2, [("Hello", -0.2), ("Hi", -1.9)]),
            (" world", -0.1, [(" world", -0.1), (" there", -2.6)]),
            ("\n", -0.5, [("\n", -0.5), (" é", -3.0)]),
        ]
    )
    for entry in body["choices"][0]["logprobs"]["content"]:
        for alt in entry["top_logprobs"]:
            alt["bytes"] = _gpt2_symbols(alt["token"])
    return body


def _lmdeploy_forms() -> dict[str, object]:
    body = _lmdeploy_body()
    chunks = testing.chat_chunks(
        [(e["token"], e["logprob"], []) for e in body["choices"][0]["logprobs"]["content"]]
    )
    for chunk, entry in zip(chunks[1:-2], body["choices"][0]["logprobs"]["content"], strict=True):
        chunk["choices"][0]["logprobs"]["content"] = [entry]
    return {
        "dict": body,
        "json": json.dumps(body),
        "sdk": ChatCompletion.model_validate(body),
        "chunks": chunks,
        "sse": testing.sse(chunks),
    }


@pytest.mark.parametrize("form", list(_lmdeploy_forms()))
def test_lmdeploy_gpt2_symbol_bytes_are_decoded(form):
    """Symbol bytes (ĠHello → 196, 160, ...) are detected, decoded, and said so."""
    d = tp.parse(_lmdeploy_forms()[form])
    assert d.bytes_decoded == "gpt2"
    assert d.top_bytes[1][1] == list(b" there")
    assert d.top_bytes[2][0] == list(b"\n")
    assert d.top_bytes[2][1] == list(" é".encode())
    assert d.sampled_in_top.all()
    assert d.text == "Hello world\n"
    assert tp.TokenDistribution.model_validate_json(d.model_dump_json()) == d


def test_real_latin_extended_text_is_not_decoded():
    """Polish text (ł, ą: UTF-8 0xC4/0xC5) with true bytes is left as given."""
    d = tp.parse(testing.chat_completion([("łą", -0.1, [("łą", -0.1), ("Ġx", -2.0)])]))
    assert d.bytes_decoded is None
    assert d.text == "łą"
    assert d.top_bytes[0][1] == list("Ġx".encode())


def test_fast_path_defers_to_the_decoding_path():
    """A large body with symbol bytes takes the ordinary path and is decoded the same."""
    body = _lmdeploy_body()
    content = body["choices"][0]["logprobs"]["content"]
    body["choices"][0]["logprobs"]["content"] = content * 400
    body["choices"][0]["message"]["content"] = "Hello world\n" * 400
    raw = json.dumps(body)
    assert len(raw) > 1 << 16
    d = tp.parse(raw)
    assert d.bytes_decoded == "gpt2"
    assert d.top_bytes[-2][1] == list(b" there")


# --- 12.7 llama.cpp's C++ llama-server ---------------------------------------------------------


def _llama_server_body() -> dict:
    """llama-server's /v1/chat/completions: integer bytes, an `id` per entry.

    At some positions the sampled token is not among its top-k.
    """
    body = testing.chat_completion(
        [
            ("The", -0.3, [("The", -0.3), ("A", -1.6)]),
            (" cat", -2.9, [(" dog", -0.4), (" bird", -1.5)]),  # sampled, not in the top 2
            (" sat", -0.2, [(" sat", -0.2), (" ran", -2.2)]),
        ]
    )
    for n, entry in enumerate(body["choices"][0]["logprobs"]["content"]):
        entry["id"] = 450 + n
        for m, alt in enumerate(entry["top_logprobs"]):
            alt["id"] = 900 + 10 * n + m
    body["id"] = "chatcmpl-Xa1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p"  # llama-server's id form
    return body


@pytest.mark.parametrize(
    "form",
    [
        pytest.param(_llama_server_body(), id="dict"),
        pytest.param(json.dumps(_llama_server_body()), id="json"),
        pytest.param(ChatCompletion.model_validate(_llama_server_body()), id="sdk"),
    ],
)
def test_llama_server_integer_bytes_ids_and_sampled_outside_top_k(form):
    """Bytes are used (nothing derived), ids read, the sampled token counted once."""
    d = tp.parse(form)
    assert d.text == "The cat sat"
    assert d.token_ids.tolist() == [450, 451, 452]
    assert d.top_token_ids.tolist() == [[900, 901], [910, 911], [920, 921]]
    assert not d.bytes_derived.any()
    assert d.sampled_in_top.tolist() == [True, False, True]
    assert d.support_logprobs.shape == (3, 3)
    assert np.isfinite(d.support_logprobs[1]).sum() == 3  # 2 alternatives + sampled
    assert np.isfinite(d.support_logprobs[0]).sum() == 2  # sampled among them


def test_responses_function_call_stream_feeds_then_raises_on_distribution():
    """feed() takes the completed function-call event; distribution() raises the tool error."""
    body = testing.response([])
    body["output"] = [{"type": "function_call", "id": "fc", "call_id": "c", "name": "f"}]
    acc = tp.StreamAccumulator()
    acc.feed({"type": "response.completed", "sequence_number": 0, "response": body})
    with pytest.raises(tp.MissingLogprobsError, match=TOOL_MESSAGE):
        acc.distribution()
