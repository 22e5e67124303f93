import json

import numpy as np
import openai
import pytest
from tests._client_helpers import MODEL, read_fixture, remote_protocol_error

import tokenprobs as tp
from tokenprobs.client import aget_token_distribution, get_token_distribution
from tokenprobs.client._stream import (
    AsyncDistributionStream,
    DistributionStream,
    StreamInterruptedError,
)
from tokenprobs.testing import chat_chunks, chat_completion, completion_chunks, response_events, sse

FOO = "chat_stream_gpt-4o-2024-08-06_logprobs_foo.sse"
REFUSAL = "chat_stream_gpt-4o-2024-08-06_refusal_logprobs.sse"
LEGACY = "completions_stream_gpt-3.5-turbo-instruct_logprobs_EXCERPT.sse"
POSITIONS = [
    ("Paris", -0.01, [("Paris", -0.01), ("Lyon", -4.6)]),
    (" is", -0.3, [(" is", -0.3), (",", -1.4)]),
    (".", -0.2, [(".", -0.2), ("!", -1.8)]),
]
SSE_HEADERS = {"content-type": "text/event-stream"}


def serve(api, path, text):
    """Serve `text` as an SSE body at `path`."""
    return api.post(path).respond(200, headers=SSE_HEADERS, content=text.encode())


def same_columns(a, b):
    """The token columns of two distributions agree (sources may differ)."""
    assert a.tokens == b.tokens
    assert a.top_tokens == b.top_tokens
    np.testing.assert_array_equal(a.logprobs, b.logprobs)
    np.testing.assert_array_equal(a.top_logprobs, b.top_logprobs)


@pytest.mark.parametrize(
    ("fixture", "path", "endpoint"),
    [
        pytest.param(FOO, "/chat/completions", "chat.completions", id="chat"),
        pytest.param(REFUSAL, "/chat/completions", "chat.completions", id="chat-refusal"),
        pytest.param(LEGACY, "/completions", "completions", id="legacy-excerpt"),
    ],
)
def test_recorded_stream_equals_parse_of_the_same_body(api, openai_client, fixture, path, endpoint):
    """Streaming a recorded SSE body gives what parsing the same body gives."""
    text = read_fixture(fixture)
    serve(api, path, text)
    stream = get_token_distribution(
        "x", model=MODEL, endpoint=endpoint, client=openai_client, stream=True, guards="off"
    )
    updates = list(stream)
    assert stream.distribution == tp.parse(text)
    assert [u.final for u in updates][-1]
    assert sum(u.end - u.start for u in updates if not u.final) == len(stream.distribution)


def test_refusal_stream_is_marked(api, openai_client):
    """A refusal's logprobs come through, flagged `refusal`."""
    serve(api, "/chat/completions", read_fixture(REFUSAL))
    d = get_token_distribution("x", model=MODEL, client=openai_client, stream=True).until_done()
    assert d.refusal
    assert not d.incomplete


def test_usage_chunk_is_kept(api, openai_client):
    """The usage chunk (`choices: []`) is read, not mistaken for a choice."""
    serve(api, "/chat/completions", read_fixture(FOO))
    stream = get_token_distribution("x", model=MODEL, client=openai_client, stream=True)
    stream.until_done()
    assert stream.usage.completion_tokens == 2
    assert stream.distributions == [stream.distribution]


def test_stream_options_pass_the_guards_when_streaming(api, openai_client):
    """`stream_options` is refused without a stream (as the API does), not with stream=True."""
    route = serve(api, "/chat/completions", read_fixture(FOO))
    options = {"include_usage": True}
    stream = get_token_distribution(
        "x", model=MODEL, client=openai_client, stream=True, stream_options=options
    )
    stream.until_done()
    assert json.loads(route.calls.last.request.content)["stream_options"] == options
    with pytest.raises(tp.GuardError, match="only allowed when 'stream' is enabled"):
        get_token_distribution("x", model=MODEL, client=openai_client, stream_options=options)
    assert route.call_count == 1


def test_stream_equals_the_non_streamed_parse_of_the_same_tokens(api, openai_client):
    """The same tokens streamed and not streamed give the same columns."""
    serve(api, "/chat/completions", sse(chat_chunks(POSITIONS)))
    streamed = get_token_distribution("x", model=MODEL, client=openai_client, stream=True)
    final = streamed.until_done()
    same_columns(final, tp.parse(chat_completion(POSITIONS)))
    assert final.source == "chat.stream"
    assert final.finish_reason == "stop"
    assert isinstance(final.response, list)


def test_updates_arrive_position_by_position_with_running_metrics(api, openai_client):
    """Each update carries the new position and the running distribution up to it."""
    serve(api, "/chat/completions", sse(chat_chunks(POSITIONS)))
    stream = get_token_distribution("x", model=MODEL, client=openai_client, stream=True)
    updates = [u for u in stream if not u.final]
    assert [[t.token for t in u.new] for u in updates] == [["Paris"], [" is"], ["."]]
    assert [len(u.distribution) for u in updates] == [1, 2, 3]
    assert all(u.distribution.incomplete for u in updates)
    expected = float(np.exp(-np.mean([-0.01, -0.3])))
    assert updates[1].perplexity == pytest.approx(expected)
    assert updates[2].entropy.shape == (1,)


def test_n_greater_than_one(api, openai_client):
    """`n > 1`: updates name their choice; one final distribution per choice."""
    other = [("Lyon", -2.0, [("Lyon", -2.0)])]
    serve(api, "/chat/completions", sse(chat_chunks(POSITIONS, other)))
    stream = get_token_distribution("x", model=MODEL, client=openai_client, stream=True, n=2)
    updates = list(stream)
    assert {u.choice for u in updates} == {0, 1}
    assert [u.choice for u in updates if u.final] == [0, 1]
    assert [d.tokens for d in stream.distributions] == [["Paris", " is", "."], ["Lyon"]]


def test_truncated_body_gives_the_partial_result_marked_incomplete(api, openai_client):
    """A body cut before the finish chunk keeps what arrived, marked incomplete."""
    text = read_fixture(FOO)
    cut = text.index('"content":"."')  # inside the third event: two complete events before it
    serve(api, "/chat/completions", text[:cut])
    d = get_token_distribution("x", model=MODEL, client=openai_client, stream=True).until_done()
    assert d.tokens == ["Foo"]
    assert d.incomplete
    assert d.finish_reason is None


def test_broken_stream_raises_with_the_partial_distribution():
    """A network error mid-stream raises StreamInterruptedError carrying what arrived."""
    chunks = chat_chunks(POSITIONS)

    def sdk_stream():
        yield from chunks[:3]
        raise remote_protocol_error()

    stream = DistributionStream(sdk_stream())
    seen = []
    with pytest.raises(StreamInterruptedError) as info:
        seen.extend(stream)
    assert [u.end for u in seen] == [1, 2]
    assert info.value.distribution.tokens == ["Paris", " is"]
    assert info.value.distribution.incomplete
    assert info.value.__cause__ is not None
    # afterwards the final result is that same error (what arrived), not "iterate to the end"
    with pytest.raises(StreamInterruptedError) as again:
        _ = stream.distribution
    assert again.value is info.value
    with pytest.raises(StreamInterruptedError):
        stream.until_done()


def test_error_event_mid_stream_keeps_what_arrived(api, openai_client):
    """An error event the server sends mid-stream: the SDK's error, chained, partial kept."""
    chunks = chat_chunks(POSITIONS)[:3]
    text = sse(chunks, done=False) + 'data: {"error": {"message": "overloaded"}}\n\n'
    serve(api, "/chat/completions", text)
    stream = get_token_distribution("x", model=MODEL, client=openai_client, stream=True)
    with pytest.raises(StreamInterruptedError) as info:
        stream.until_done()
    assert info.value.distribution.tokens == ["Paris", " is"]
    assert isinstance(info.value.__cause__, openai.APIError | tp.APIResponseError)


def responses_break(event):
    """A Responses stream that breaks off after two positions with `event` (SSE text)."""
    head = sse(response_events(POSITIONS)[:3], done=False)
    return head + f"event: {event['type']}\ndata: {json.dumps(event)}\n\n"


def failed_event(error):
    """A `response.failed` event whose response carries `error`."""
    response = {**response_events(POSITIONS)[-1]["response"], "status": "failed", "output": []}
    return {
        "type": "response.failed",
        "sequence_number": 9,
        "response": {**response, "error": error},
    }


RESPONSES_BREAKS = [
    pytest.param(
        {"type": "error", "sequence_number": 9, "code": "server_error", "message": "overloaded"},
        "overloaded",
        id="error-event",
    ),
    pytest.param(
        failed_event({"code": "server_error", "message": "overloaded"}), "overloaded", id="failed"
    ),
    pytest.param(failed_event(None), "gave no error", id="failed-without-error"),
]


@pytest.mark.parametrize(("event", "message"), RESPONSES_BREAKS)
def test_responses_stream_broken_off_by_the_server(api, openai_client, event, message):
    """A Responses `error` / `response.failed` event: StreamInterruptedError, as on chat.

    Was: the `error` event raised a bare APIResponseError (what arrived was lost) and a
    `response.failed` ended the stream as if it were complete (`finish_reason="failed"`).
    """
    serve(api, "/responses", responses_break(event))
    stream = get_token_distribution(
        "x", model=MODEL, endpoint="responses", client=openai_client, stream=True
    )
    with pytest.raises(StreamInterruptedError, match=message) as info:
        stream.until_done()
    assert (info.value.distribution.tokens, info.value.distribution.incomplete) == (
        ["Paris", " is"],
        True,
    )
    assert isinstance(info.value.__cause__, tp.APIResponseError)
    assert "sk-test" not in str(info.value)
    with pytest.raises(StreamInterruptedError):
        _ = stream.distribution


@pytest.mark.parametrize(("event", "message"), RESPONSES_BREAKS)
async def test_async_responses_stream_broken_off_by_the_server(
    api, async_openai_client, event, message
):
    """The async twin raises the same StreamInterruptedError with what arrived."""
    serve(api, "/responses", responses_break(event))
    stream = await aget_token_distribution(
        "x", model=MODEL, endpoint="responses", client=async_openai_client, stream=True
    )
    with pytest.raises(StreamInterruptedError, match=message) as info:
        await stream.until_done()
    assert info.value.distribution.tokens == ["Paris", " is"]


def malformed_mid_stream():
    """A chat stream whose second position's chunk has `logprobs.content` as a string."""
    chunks = chat_chunks(POSITIONS)
    bad = json.loads(json.dumps(chunks[2]))
    bad["choices"][0]["logprobs"]["content"] = "oops"
    return sse([*chunks[:2], bad, *chunks[3:]])


def test_a_malformed_chunk_mid_stream_breaks_it_keeping_what_arrived(api, openai_client):
    """A chunk that cannot be read: StreamInterruptedError with the positions before it.

    Was: an UnsupportedResponseError that left the stream half-fed; iterating on skipped the
    bad chunk's position and carried on with a gap, and the result said "not finished".
    """
    serve(api, "/chat/completions", malformed_mid_stream())
    stream = get_token_distribution("x", model=MODEL, client=openai_client, stream=True)
    with pytest.raises(StreamInterruptedError, match="expected a list") as info:
        list(stream)
    assert info.value.distribution.tokens == ["Paris"]
    assert isinstance(info.value.__cause__, tp.UnsupportedResponseError)
    assert list(stream) == []
    with pytest.raises(StreamInterruptedError):
        _ = stream.distribution


async def test_async_malformed_chunk_mid_stream(api, async_openai_client):
    """The async twin breaks the same way at a malformed chunk."""
    serve(api, "/chat/completions", malformed_mid_stream())
    stream = await aget_token_distribution(
        "x", model=MODEL, client=async_openai_client, stream=True
    )
    with pytest.raises(StreamInterruptedError, match="expected a list") as info:
        await stream.until_done()
    assert info.value.distribution.tokens == ["Paris"]
    assert [u async for u in stream] == []


def chunks_without_logprobs():
    """Chat chunks that carry text but `logprobs: null` (from a server that ignored them)."""
    chunks = chat_chunks(POSITIONS)
    for chunk in chunks:
        for choice in chunk["choices"]:
            choice["logprobs"] = None
    return chunks


def without_logprobs():
    """The SSE body of `chunks_without_logprobs`."""
    return sse(chunks_without_logprobs())


def test_a_stream_that_ends_without_logprobs_keeps_saying_so(api, openai_client):
    """The final result after a MissingLogprobsError at the end is that error again.

    Was: `stream.distribution` then said "the stream is not finished: iterate it to the end,
    or call until_done()" of a stream that had ended (`done` was True).
    """
    serve(api, "/chat/completions", without_logprobs())
    stream = get_token_distribution("x", model=MODEL, client=openai_client, stream=True)
    with pytest.raises(tp.MissingLogprobsError) as info:
        stream.until_done()
    assert stream.done
    with pytest.raises(tp.MissingLogprobsError) as again:
        _ = stream.distributions
    assert again.value is info.value


@pytest.mark.parametrize("async_", [False, True], ids=["sync", "async"])
async def test_a_stream_without_logprobs_says_the_server_ignored_them(
    api, openai_client, async_openai_client, async_
):
    """As without `stream`: the server ignored the `logprobs` tokenprobs sent, named by URL.

    Was: the parser's hint, "pass logprobs=True ... to client.chat.completions.create()", which
    tokenprobs had done.
    """
    serve(api, "/chat/completions", without_logprobs())
    if async_:
        stream = await aget_token_distribution(
            "x", model=MODEL, client=async_openai_client, stream=True
        )
        with pytest.raises(tp.MissingLogprobsError) as info:
            await stream.until_done()
    else:
        stream = get_token_distribution("x", model=MODEL, client=openai_client, stream=True)
        with pytest.raises(tp.MissingLogprobsError) as info:
            stream.until_done()
    text = str(info.value)
    assert "https://api.openai.com/v1" in text
    assert "ignored `logprobs`" in text
    assert "pass logprobs=True" not in text
    assert isinstance(info.value.__cause__, tp.MissingLogprobsError)


def test_a_llama_cpp_stream_without_logprobs_gets_its_hint(api, openai_client):
    """With the llama.cpp profile, a stream without logprobs says to pass top_logprobs."""
    serve(api, "/chat/completions", without_logprobs())
    stream = get_token_distribution(
        "x", model=MODEL, client=openai_client, stream=True, profile="llama.cpp"
    )
    with pytest.raises(tp.MissingLogprobsError, match=r"llama\.cpp server returned no logprobs"):
        stream.until_done()


def test_a_stream_wrapped_by_hand_keeps_the_parser_words():
    """A `DistributionStream` made from one's own SDK stream: the parser's hint (how to ask)."""
    stream = DistributionStream(iter(chunks_without_logprobs()))
    with pytest.raises(tp.MissingLogprobsError, match="pass logprobs=True"):
        stream.until_done()


def test_an_empty_event_stream_keeps_saying_so(api, openai_client):
    """An event stream with no chunk: the same UnsupportedResponseError for the result.

    It says the server sent no answer and what to do (was: "the stream carried no chunks").
    """
    serve(api, "/chat/completions", "data: [DONE]\n\n")
    stream = get_token_distribution("x", model=MODEL, client=openai_client, stream=True)
    said = "the event stream ended before its first answer chunk: the server sent no answer; retry"
    with pytest.raises(tp.UnsupportedResponseError, match=said):
        list(stream)
    with pytest.raises(tp.UnsupportedResponseError, match=said):
        _ = stream.distribution


def test_a_stream_of_filter_results_only_says_how_many_events_came(api, openai_client):
    """Azure's filter-only events and nothing else: the count of events that carried no answer."""
    only = {"id": "", "object": "", "created": 0, "model": "", "choices": []}
    serve(api, "/chat/completions", sse([{**only, "prompt_filter_results": []}]))
    stream = get_token_distribution("x", model=MODEL, client=openai_client, stream=True)
    with pytest.raises(tp.UnsupportedResponseError, match=r"\(1 event\(s\) carried none\)"):
        stream.until_done()


def with_a_tool_call(index):
    """A stream of `n=2`: choice `1 - index` answers POSITIONS, choice `index` calls a tool."""
    text = chat_chunks(POSITIONS)
    for chunk in text:
        for choice in chunk["choices"]:
            choice["index"] = 1 - index
    base = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0, "model": MODEL}
    call = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "f"}}
    tool = [
        {**base, "choices": [{"index": index, "delta": {"tool_calls": [call]}, "logprobs": None}]},
        {**base, "choices": [{"index": index, "delta": {}, "finish_reason": "tool_calls"}]},
    ]
    return sse([*text[:-1], *tool, text[-1]])


@pytest.mark.parametrize("wrapped", [False, True], ids=["served", "by-hand"])
def test_a_stream_of_usage_chunks_only_says_it_held_no_answer(api, openai_client, wrapped):
    """Only the usage chunk (`choices: []`): an error saying the server sent no answer.

    The stream ended with no update and no error, and its result said "the stream is not
    finished: iterate it to the end"; now iteration and the result raise the same error.
    """
    usage = {
        **chat_chunks(POSITIONS)[0],
        "choices": [],
        "usage": {"prompt_tokens": 3, "completion_tokens": 0, "total_tokens": 3},
    }
    if wrapped:
        stream = DistributionStream(iter([usage]))
    else:
        serve(api, "/chat/completions", sse([usage]))
        stream = get_token_distribution("x", model=MODEL, client=openai_client, stream=True)
    said = r"no chunk of the stream carried a choice .*the server sent no answer.*retry"
    with pytest.raises(tp.UnsupportedResponseError, match=said) as first:
        list(stream)
    assert first.value.field == "choices"
    assert stream.done
    for result in ("distribution", "distributions"):
        with pytest.raises(tp.UnsupportedResponseError, match=said) as again:
            getattr(stream, result)
        assert again.value is first.value


def test_a_tool_call_among_choices_leaves_the_others_readable(api, openai_client):
    """n=2, choice 1 a tool call: choice 0 comes back, choice 1 is named in a warning.

    Was: MissingLogprobsError for the whole stream, while `tp.parse` of the same body gives
    choice 0 and `tp.parse_all` the others with this warning.
    """
    body = with_a_tool_call(1)
    serve(api, "/chat/completions", body)
    stream = get_token_distribution("x", model=MODEL, client=openai_client, stream=True, n=2)
    with pytest.warns(tp.TokenprobsWarning, match=r"the stream left out choice\(s\) 1: tool"):
        final = stream.until_done()
    assert final == tp.parse(body)
    assert [d.choice for d in stream.distributions] == [0]


async def test_async_tool_call_as_choice_0_is_its_error(api, async_openai_client):
    """Choice 0 a tool call: `distribution` is its MissingLogprobsError; choice 1 is kept."""
    serve(api, "/chat/completions", with_a_tool_call(0))
    stream = await aget_token_distribution(
        "x", model=MODEL, client=async_openai_client, stream=True, n=2
    )
    with pytest.warns(tp.TokenprobsWarning, match="left out"):
        updates = [u async for u in stream]
    assert [(u.choice, u.final) for u in updates if u.final] == [(1, True)]
    assert [d.tokens for d in stream.distributions] == [["Paris", " is", "."]]
    with pytest.raises(tp.MissingLogprobsError, match="choice 0 of the stream is a tool call"):
        _ = stream.distribution


def test_an_error_after_filter_results_alone_is_the_servers_error(api, openai_client):
    """Azure's filter results, then an error event: StreamInterruptedError with its message.

    Was: "the stream carried no chunks" (building the partial result failed), which hid it.
    """
    only = {"id": "", "object": "", "created": 0, "model": ""}
    filters = {**only, "choices": [{"index": 0, "content_filter_results": {}}]}
    error = 'data: {"error": {"message": "overloaded"}}\n\n'
    serve(api, "/chat/completions", sse([filters], done=False) + error)
    stream = get_token_distribution("x", model=MODEL, client=openai_client, stream=True)
    with pytest.raises(StreamInterruptedError, match="overloaded") as info:
        stream.until_done()
    assert info.value.distributions == []


def test_result_before_the_end_is_an_error(api, openai_client):
    """Asking for the final distribution before the stream ended says what to do."""
    serve(api, "/chat/completions", sse(chat_chunks(POSITIONS)))
    stream = get_token_distribution("x", model=MODEL, client=openai_client, stream=True)
    next(stream)
    with pytest.raises(tp.StreamNotFinishedError, match="until_done") as info:
        _ = stream.distribution
    assert isinstance(info.value, RuntimeError)  # what it was: `except RuntimeError` still holds
    with pytest.raises(tp.StreamNotFinishedError):
        _ = stream.distributions
    stream.close()


def test_a_stream_closed_early_says_so_and_keeps_what_arrived(api, openai_client):
    """Left `with stream:` early: the result says it was closed, with the partial distribution.

    Was: "the stream is not finished: iterate it to the end", which then broke on the closed
    connection.
    """
    serve(api, "/chat/completions", sse(chat_chunks(POSITIONS)))
    stream = get_token_distribution("x", model=MODEL, client=openai_client, stream=True)
    with stream:
        next(stream)
    assert stream.done
    with pytest.raises(StreamInterruptedError, match="closed before its end") as info:
        _ = stream.distribution
    assert info.value.distribution.tokens == ["Paris"]
    assert info.value.distribution.incomplete
    assert list(stream) == []
    with pytest.raises(StreamInterruptedError, match="closed before its end"):
        stream.until_done()


async def test_async_stream_closed_early_says_so(api, async_openai_client):
    """The async twin: `async with` left early, the same error and partial distribution."""
    serve(api, "/chat/completions", sse(chat_chunks(POSITIONS)))
    stream = await aget_token_distribution(
        "x", model=MODEL, client=async_openai_client, stream=True
    )
    async with stream:
        await anext(stream)
    with pytest.raises(StreamInterruptedError, match="closed before its end") as info:
        await stream.until_done()
    assert info.value.distribution.tokens == ["Paris"]


def test_a_stream_closed_after_its_end_keeps_its_result(api, openai_client):
    """Closing a finished stream changes nothing: its final distribution stays."""
    serve(api, "/chat/completions", sse(chat_chunks(POSITIONS)))
    with get_token_distribution("x", model=MODEL, client=openai_client, stream=True) as stream:
        d = stream.until_done()
    assert stream.distribution == d
    assert not d.incomplete


def test_responses_stream(api, openai_client):
    """Responses events stream position by position into the same columns."""
    serve(api, "/responses", sse(response_events(POSITIONS), done=False))
    stream = get_token_distribution(
        "x", model=MODEL, endpoint="responses", client=openai_client, stream=True
    )
    final = stream.until_done()
    assert final.tokens == ["Paris", " is", "."]
    assert not final.incomplete


def test_legacy_stream(api, openai_client):
    """Legacy Completions chunks stream into the same columns."""
    serve(api, "/completions", sse(completion_chunks(POSITIONS)))
    stream = get_token_distribution(
        "x",
        model="gpt-3.5-turbo-instruct",
        endpoint="completions",
        top_logprobs=2,
        client=openai_client,
        stream=True,
    )
    assert stream.until_done().tokens == ["Paris", " is", "."]


async def test_async_stream_gives_the_same_updates(api, async_openai_client):
    """The async twin yields the same updates and final distribution."""
    text = read_fixture(FOO)
    serve(api, "/chat/completions", text)
    stream = await aget_token_distribution(
        "x", model=MODEL, client=async_openai_client, stream=True
    )
    async with stream:
        updates = [u async for u in stream]
    assert [u.end for u in updates] == [1, 2, 2]
    assert stream.distribution == tp.parse(text)


async def test_async_truncated_stream(api, async_openai_client):
    """The async twin also keeps a truncated body's positions, marked incomplete."""
    text = read_fixture(FOO)
    serve(api, "/chat/completions", text[: text.index('"content":"."')])
    stream = await aget_token_distribution(
        "x", model=MODEL, client=async_openai_client, stream=True
    )
    d = await stream.until_done()
    assert (d.tokens, d.incomplete) == (["Foo"], True)


def test_a_whole_completion_answering_a_stream_request_is_read_as_one(api, openai_client):
    """A server that ignores `stream` and sends the whole completion: its distribution."""
    api.post("/chat/completions").respond(200, json=chat_completion(POSITIONS))
    stream = get_token_distribution("x", model=MODEL, client=openai_client, stream=True)
    updates = list(stream)
    assert [u.final for u in updates] == [True]
    assert stream.distribution.tokens == ["Paris", " is", "."]


async def test_async_whole_completion_and_error_body(api, async_openai_client):
    """The async twin reads a non-stream body the same way (and an error body raises)."""
    route = api.post("/chat/completions")
    route.respond(200, json=chat_completion(POSITIONS))
    stream = await aget_token_distribution(
        "x", model=MODEL, client=async_openai_client, stream=True
    )
    assert (await stream.until_done()).tokens == ["Paris", " is", "."]
    route.respond(200, json={"error": {"message": "overloaded", "type": "server_error"}})
    stream = await aget_token_distribution(
        "x", model=MODEL, client=async_openai_client, stream=True
    )
    with pytest.raises(tp.APIResponseError, match="overloaded"):
        await stream.until_done()


class _BrokenResponse:
    """The HTTP response of a JSON body (no event stream) that breaks off mid-read."""

    def __init__(self) -> None:
        """A JSON content type: the stream reads it as one body."""
        self.headers = {"content-type": "application/json"}

    def read(self):
        """The connection closed before the body's end."""
        raise remote_protocol_error()

    async def aread(self):
        """The same, async."""
        self.read()


class _BrokenBody:
    """An SDK stream whose server sent that body: no event comes."""

    def __init__(self) -> None:
        """The SDK's stream keeps its HTTP response as `response`."""
        self.response = _BrokenResponse()

    def __iter__(self):
        """No event (the body is no event stream)."""
        return iter([])

    async def __aiter__(self):
        """No event, async."""
        for event in []:
            yield event


def test_a_whole_body_that_breaks_off_is_an_interrupted_stream():
    """A JSON body cut mid-read: StreamInterruptedError, kept for the result.

    The HTTP library's own error escaped, and then the result said "the stream is not
    finished: iterate it to the end".
    """
    stream = DistributionStream(_BrokenBody())
    with pytest.raises(StreamInterruptedError, match="RemoteProtocolError") as info:
        list(stream)
    assert info.value.distributions == []
    assert stream.done
    with pytest.raises(StreamInterruptedError) as again:
        _ = stream.distribution
    assert again.value is info.value


async def test_async_whole_body_that_breaks_off_is_an_interrupted_stream():
    """The async twin: the same StreamInterruptedError, kept for the result."""
    stream = AsyncDistributionStream(_BrokenBody())
    with pytest.raises(StreamInterruptedError, match="RemoteProtocolError") as info:
        await stream.until_done()
    with pytest.raises(StreamInterruptedError) as again:
        _ = stream.distributions
    assert again.value is info.value


_JSON = {"content-type": "application/json"}


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_a_whole_json_body_cut_short_says_so_streamed_or_not(api, openai_client, stream):
    """A completion's JSON that arrived cut short: "cut short ... retry", not "a web page".

    Streamed, it said the base_url may point at a web page; it is now the interrupted stream
    the docs promise for a whole body that breaks off, chained from the same error.
    """
    body = json.dumps(chat_completion(POSITIONS))
    route = api.post("/chat/completions")
    route.respond(200, content=body[: len(body) * 9 // 10].encode(), headers=_JSON)

    def answer():
        result = get_token_distribution("x", model=MODEL, client=openai_client, stream=stream)
        return result.until_done() if stream else result

    with pytest.raises(tp.TokenprobsError) as info:
        answer()
    cause = info.value.__cause__ if stream else info.value
    if stream:
        assert isinstance(info.value, StreamInterruptedError)
        assert info.value.distributions == []
    assert isinstance(cause, tp.UnsupportedResponseError)
    assert "not valid JSON" in str(cause)
    assert "cut short" in str(cause)
    assert "web page" not in str(info.value)


def test_an_error_body_answering_a_stream_request_is_the_api_error(api, openai_client):
    """A 200 JSON error body to `stream=True` says the server's message (was: "no chunks")."""
    body = {"error": {"message": "overloaded", "type": "server_error", "code": "busy"}}
    api.post("/chat/completions").respond(200, json=body)
    stream = get_token_distribution("x", model=MODEL, client=openai_client, stream=True)
    with pytest.raises(tp.APIResponseError, match="overloaded"):
        stream.until_done()


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_a_web_page_instead_of_an_answer_says_check_the_base_url(api, openai_client, stream):
    """A 200 HTML page (a proxy's sign-in, a wrong base_url): what it began with, and the fix."""
    page = "<!doctype html><html><body>Please sign in</body></html>"
    api.post("/chat/completions").respond(200, text=page, headers={"content-type": "text/html"})

    def answer():
        result = get_token_distribution("x", model=MODEL, client=openai_client, stream=stream)
        return result.until_done() if stream else result

    with pytest.raises(tp.UnsupportedResponseError, match="base_url") as info:
        answer()
    assert "<!doctype html><html><body>Please sign in" in str(info.value)
    assert "not an API response" in str(info.value)


def test_an_interrupted_streams_message_counts_positions_in_english():
    """One position that arrived is "1 position", not "1 positions"."""
    one, three = (
        tp.parse(chat_completion([("a", -0.1, [])] * n)).model_copy(update={"choice": c})
        for n, c in ((1, 0), (3, 1))
    )
    message = str(StreamInterruptedError(ConnectionError("reset"), [one, three]))
    assert "kept what arrived (choice 0: 1 position, choice 1: 3 positions)" in message


class _SyncCloseChunks:
    """An async iterator of chat chunks whose `close` is a plain method (not the SDK's)."""

    def __init__(self) -> None:
        self.closed = False

    def __aiter__(self):
        return self._chunks()

    async def _chunks(self):
        for chunk in chat_chunks([("a", -0.1, [("a", -0.1)]), ("b", -0.2, [("b", -0.2)])]):
            yield chunk

    def close(self) -> None:
        self.closed = True


async def test_aclose_takes_an_async_stream_whose_close_is_sync():
    """`await close()` on a sync close raised "object NoneType can't be used in 'await'"."""
    source = _SyncCloseChunks()
    stream = AsyncDistributionStream(source)
    await stream.aclose()
    assert source.closed
