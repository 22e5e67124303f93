"""Shapes built with tokenprobs.testing: n > 1, interleaved streams, split UTF-8, echo, events."""

from __future__ import annotations

import copy
import json
import warnings
from itertools import pairwise

import numpy as np
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import Response, ResponseErrorEvent

import tokenprobs as tp
from tokenprobs import testing

KOREAN = [
    ("한", -0.1, [("한", -0.1), ("대", -2.5)]),
    (b"\xea\xb5", -0.4, [(b"\xea\xb5", -0.4), ("어", -1.2)]),
    (b"\xad", 0.0, []),
    ("어", -0.2, [("어", -0.2)]),
]


def test_korean_split_syllable_text_and_spans():
    """국 split over two tokens: text exact, both tokens own the one syllable."""
    d = tp.parse(testing.chat_completion(KOREAN))
    assert d.text == "한국어"
    assert d.tokens[1] == "\\xea\\xb5"
    assert d.char_spans().tolist() == [[0, 1], [1, 2], [1, 2], [2, 3]]
    assert not d.bytes_derived.any()


def test_n_greater_than_one_parse_all_and_choice():
    """parse_all gives one distribution per choice; parse(choice=i) picks by index."""
    body = testing.chat_completion(KOREAN, [("A", -0.3, []), ("B", -0.6, [])])
    first, second = tp.parse_all(body)
    assert (first.choice, second.choice) == (0, 1)
    assert second.text == "AB"
    assert tp.parse(body, choice=1) == second
    with pytest.raises(tp.UnsupportedResponseError, match="no choice 2"):
        tp.parse(body, choice=2)


@pytest.mark.parametrize("kind", ["chat", "chat JSON", "chat SDK object", "completions"])
@pytest.mark.parametrize("part", ["output", "prompt"])
def test_a_response_with_no_choices_is_an_error_naming_choices(kind, part):
    """`choices: []` is no answer: `parse_all` returned `[]`, `parse` said "no choice 0"."""
    one = [("A", -0.3, [])]
    body = testing.completion(one) if kind == "completions" else testing.chat_completion(one)
    body["choices"] = []
    given: object = body
    if kind == "chat JSON":
        given = json.dumps(body).encode()
    elif kind == "chat SDK object":
        given = ChatCompletion.model_validate(body)
    for parse in (tp.parse, tp.parse_all):
        with pytest.raises(tp.UnsupportedResponseError, match=r"no choices \(choices: \[\]\)") as e:
            parse(given, part=part)
        assert e.value.field == "choices"


def test_a_stream_whose_chunks_carry_no_choice_is_an_error_naming_choices():
    """A usage chunk alone (`choices: []`): `parse_all` returned `[]`; now it says why not."""
    usage = {**testing.chat_chunks([("A", -0.3, [])])[0], "choices": []}
    with pytest.raises(tp.UnsupportedResponseError, match="no chunk of the stream carried") as e:
        tp.parse_all([usage])
    assert e.value.field == "choices"
    # `parse` said "there is no choice 0: the stream has choices []": now what happened, and
    # what to do
    said = r"no chunk of the stream carried a choice .*only usage or filter chunks.*retry"
    for parse in (tp.parse, tp.parse_all):
        with pytest.raises(tp.UnsupportedResponseError, match=said) as e:
            parse([usage, usage])
        assert "every one of its 2 chunk(s) had choices: []" in str(e.value)
        assert e.value.field == "choices"


def test_empty_choices_chunks_in_a_stream_are_still_read_past():
    """Azure's first chunk (`choices: []`, filter results) and the usage chunk stay harmless."""
    positions = [("Hi", -0.1, []), ("!", -0.2, [])]
    chunks = testing.chat_chunks(positions)
    azure = {**chunks[0], "object": "", "choices": [], "prompt_filter_results": []}
    usage = {**chunks[0], "choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 2}}
    (d,) = tp.parse_all([azure, *chunks, usage])
    assert d.tokens == ["Hi", "!"]


@pytest.mark.parametrize("kind", ["chat", "completions", "chat SDK object"])
def test_choices_numbered_alike_are_read_by_position_with_a_warning(kind):
    """A server that numbers every choice 0: each choice is its position, and a warning says so.

    Before, both distributions said `choice == 0` and `parse(choice=1)` found no choice 1.
    """
    two = [("A", -0.3, [])], [("B", -0.6, [])]
    body = testing.completion(*two) if kind == "completions" else testing.chat_completion(*two)
    for c in body["choices"]:
        c["index"] = 0
    obj = ChatCompletion.model_validate(body) if kind == "chat SDK object" else body
    with pytest.warns(
        tp.TokenprobsWarning, match=r"choices\[0\] and choices\[1\] both have index 0"
    ):
        first, second = tp.parse_all(obj)
    assert (first.choice, first.tokens, second.choice, second.tokens) == (0, ["A"], 1, ["B"])
    with pytest.warns(tp.TokenprobsWarning, match="numbered its choices wrongly"):
        assert tp.parse(obj, choice=1).tokens == ["B"]


def test_parse_all_returns_choices_in_index_order():
    """A body listing choice 1 before choice 0: `parse_all` still gives them in index order."""
    body = testing.chat_completion([("A", -0.3, [])], [("B", -0.6, [])])
    body["choices"].reverse()
    first, second = tp.parse_all(body)
    assert (first.choice, first.tokens, second.choice, second.tokens) == (0, ["A"], 1, ["B"])


def test_interleaved_stream_of_two_choices_equals_non_streamed():
    """Chunks of two choices interleaved by index split back into the same distributions."""
    a, b = KOREAN, [("A", -0.3, [("A", -0.3)]), ("B", -0.6, [])]
    chunks = testing.chat_chunks(a, b)
    streamed = tp.parse_all(chunks)
    whole = tp.parse_all(testing.chat_completion(a, b))
    assert [d.source for d in streamed] == ["chat.stream", "chat.stream"]
    for s, w in zip(streamed, whole, strict=True):
        assert s.model_copy(update={"source": "chat", "model": w.model}) == w
    sdk_chunks = [ChatCompletionChunk.model_validate(c) for c in chunks]
    assert tp.parse_all(sdk_chunks) == streamed
    assert tp.parse_all(iter(sdk_chunks)) == streamed
    assert tp.parse_all(testing.sse(chunks)) == streamed


def test_stream_accumulator_reports_growth():
    """feed() says which choice grew and to how many positions."""
    acc = tp.StreamAccumulator()
    grew = [acc.feed(c) for c in testing.chat_chunks([("x", -1.0, [])], [("y", -1.0, [])])]
    assert [g for g in grew if g] == [[(0, 1)], [(1, 1)]]
    assert acc.choices == [0, 1]


@pytest.mark.parametrize("chunks", [testing.chat_chunks, testing.completion_chunks])
def test_a_distribution_taken_mid_stream_stays_what_had_arrived(chunks):
    """It shared the stream's growing lists: 3 positions became 6 tokens over 3-row arrays.

    Its entropy then failed to broadcast, its candidates indexed past the end (the Playground
    answered 500 to a change of highlight mode while an answer streamed).
    """
    positions = [(f" w{i}", -0.5, [(f" w{i}", -0.5), (" x", -1.5)]) for i in range(6)]
    stream = chunks(positions)
    acc = tp.StreamAccumulator()
    taken = []
    for chunk in stream:
        acc.feed(chunk)
        if acc.choices:
            taken.append(acc.distribution(incomplete=True))
    early = taken[len(taken) // 3]
    n = len(early)
    assert 0 < n < 6
    assert early.tokens == [t for t, _, _ in positions[:n]]
    assert len(early.top_tokens) == len(early.top_bytes) == n
    assert early.entropy.shape == (n,)
    assert early.candidates.in_top.all()
    assert acc.distribution().tokens == [t for t, _, _ in positions]


def test_stream_without_finish_is_incomplete():
    """A stream cut before its finish chunk keeps what arrived and says incomplete."""
    chunks = testing.chat_chunks([("a", -0.1, []), ("b", -0.2, [])])[:-2]
    d = tp.parse(chunks)
    assert d.tokens == ["a", "b"]
    assert d.incomplete
    truncated = testing.sse(chunks, done=False)[:-15]
    cut = tp.parse(truncated)
    assert cut.tokens == ["a"]
    assert cut.incomplete


def test_stream_error_event_raises_api_error():
    """An error object in the middle of a stream raises APIResponseError."""
    chunks = testing.chat_chunks([("a", -0.1, [])])
    chunks.insert(2, {"error": {"message": "overloaded", "type": "server_error"}})
    with pytest.raises(tp.APIResponseError, match="overloaded"):
        tp.parse(chunks)


@pytest.mark.parametrize("form", ["dict", "sdk", "sse"])
def test_responses_error_event_raises_api_error(form):
    """A Responses stream's `error` event raises APIResponseError with the server's fields."""
    error = {
        "type": "error",
        "code": "server_error",
        "message": "The server had an error while processing your request.",
        "param": None,
        "sequence_number": 2,
    }
    events = testing.response_events([("Hi", -0.1, []), ("!", -0.2, [])])[:2]
    stream: object = [*events, error]
    if form == "sdk":
        stream = [*events, ResponseErrorEvent.model_validate(error)]
    elif form == "sse":
        stream = testing.sse([*events, error], done=False)
    with pytest.raises(tp.APIResponseError, match="while processing") as e:
        tp.parse(stream)
    assert e.value.code == "server_error"
    acc = tp.StreamAccumulator()
    acc.feed(events[0])
    acc.feed(events[1])
    with pytest.raises(tp.APIResponseError):
        acc.feed(error)
    assert acc.distribution().tokens == ["Hi"]  # what arrived before it stays


def test_refusal_non_streamed():
    """A refusal's logprobs come from logprobs.refusal and the distribution says so."""
    d = tp.parse(testing.chat_completion([("I", -0.1, []), (" can't", -0.2, [])], refusal=True))
    assert d.refusal
    assert d.text == "I can't"


def test_legacy_echo_null_first_logprob():
    """Echo: the first prompt token's null logprob and null alternatives are kept as such."""
    body = testing.completion([("Hello", None, []), (" world", -2.0, [(" world", -2.0)])])
    d = tp.parse(body)
    assert np.isnan(d.logprobs[0])
    assert d.top_null == [0]
    assert d[0].logprob != d[0].logprob  # NaN where the API said null
    again = tp.TokenDistribution.model_validate_json(d.model_dump_json())
    assert again == d
    assert json.loads(d.model_dump_json())["logprobs"][0] is None


def test_legacy_stream_equals_whole():
    """Legacy chunks concatenate to the non-streamed distribution."""
    positions = [("Hi", -0.1, [("Hi", -0.1), ("Yo", -2.0)]), ("!", -0.3, [("!", -0.3)])]
    streamed = tp.parse(testing.completion_chunks(positions))
    whole = tp.parse(testing.completion(positions))
    assert streamed.tokens == whole.tokens
    assert np.array_equal(streamed.top_logprobs, whole.top_logprobs)
    assert not streamed.incomplete


@pytest.mark.parametrize("missing", [0, 1, 3])
def test_a_legacy_stream_chunk_without_text_offset_drops_the_offsets(missing):
    """A chunk without `text_offset` left the others' offsets on the wrong tokens.

    Chunk 1's missing offset made the result's `text_offset` `[0, 5, 7]` for four tokens:
    " w" got `lo`'s place. Offsets that cannot be placed are dropped, as a server that sends
    none gives: `None`.
    """
    positions = [("Hel", -0.1, []), ("lo", -0.2, []), (" w", -0.3, []), ("orld", -0.4, [])]
    chunks = testing.completion_chunks(positions)
    del chunks[missing]["choices"][0]["logprobs"]["text_offset"]
    d = tp.parse(chunks)
    assert d.tokens == ["Hel", "lo", " w", "orld"]
    assert d.text_offset is None
    assert tp.parse(testing.completion_chunks(positions)).text_offset == [0, 3, 5, 7]


HELLO = [("Hello", -0.1, []), (" world", -0.2, []), ("!", -0.3, [])]


def _with_offsets(offsets, *, positions=HELLO, text="Hello world!"):
    body = testing.completion(positions)
    body["choices"][0].update(text=text)
    body["choices"][0]["logprobs"]["text_offset"] = offsets
    return body


@pytest.mark.parametrize(
    ("offsets", "said"),
    [
        pytest.param(
            [0, 5, 3],
            "position 2 ('!') has text_offset 3, below position 1's (5), so the offsets",
            id="backwards",
        ),
        pytest.param(
            [63, 62, 74],
            "position 1 (' world') has text_offset 62, below position 0's (63), so",
            id="backwards-after-a-prompt",
        ),
        pytest.param(
            [0, 5, 40],
            "position 2 ('!') has text_offset 40, past the end of the text (position 0's "
            "offset, 0, plus 12 characters), so",
            id="past-the-end",
        ),
        pytest.param(
            [63, 68, 76],
            "position 2 ('!') has text_offset 76, past the end of the text (position 0's "
            "offset, 63, plus 12 characters), so",
            id="past-the-end-after-a-prompt",
        ),
        pytest.param(
            [0, 5, 2**70],
            f"position 2 ('!') has text_offset {2**70}, past the end of the text (position 0's "
            "offset, 0, plus 12 characters), so",
            id="past-int64",
        ),
        pytest.param(
            [2**70, 5, 6],
            f"position 1 (' world') has text_offset 5, below position 0's ({2**70}), so",
            id="backwards-from-past-int64",
        ),
    ],
)
def test_legacy_offsets_that_place_no_token_are_kept_with_a_warning(offsets, said):
    """Offsets that go backwards or past the text: kept as sent, and a warning names where."""
    with pytest.warns(tp.TokenprobsWarning) as caught:
        d = tp.parse(_with_offsets(offsets))
    assert len(caught) == 1
    assert str(caught[0].message).startswith(f"choice 0: {said}")
    assert str(caught[0].message).endswith(
        "so the offsets place no token in the text: they are kept as sent in `d.text_offset`, "
        "but no token's bytes are cut from the text at them and scoring an echo refuses them"
    )
    assert d.text_offset == offsets
    assert d.tokens == ["Hello", " world", "!"]


@pytest.mark.parametrize(
    ("offsets", "positions", "text"),
    [
        pytest.param([63, 68, 74], HELLO, "Hello world!", id="after-the-prompt"),
        pytest.param([0, 5, 12], HELLO, "Hello world!", id="an-empty-last-token-at-the-end"),
        pytest.param(
            [0, 3, 8, 14],
            [("<s>", None, []), *HELLO],
            "Hello world!",
            id="an-echoed-bos-the-text-lacks",
        ),
        pytest.param(
            [0, 1, 1],
            [("a", -0.1, []), (b"\xea\xb5", -0.4, []), (b"\xad", -0.1, [])],
            "a국",
            id="a-split-character-shares-its-offset",
        ),
    ],
)
def test_legacy_offsets_that_fit_the_text_do_not_warn(offsets, positions, text):
    """Offsets from the prompt's start, an echoed `<s>`, a split character's: no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = tp.parse(_with_offsets(offsets, positions=positions, text=text))
    assert d.text_offset == offsets


def test_a_legacy_stream_whose_offsets_go_backwards_warns():
    """A stream's offsets, joined over its chunks, are checked as a whole body's are."""
    chunks = testing.completion_chunks(HELLO)
    chunks[2]["choices"][0]["logprobs"]["text_offset"] = [1]
    with pytest.warns(tp.TokenprobsWarning, match=r"position 2 \('!'\) has text_offset 1, below"):
        d = tp.parse(chunks)
    assert d.text_offset == [0, 5, 1]


def legacy_chat_chunks(positions, offsets):
    """Chat chunks carrying legacy-shaped logprobs (`tokens`, ... `text_offset`), one per token.

    Alternatives `None` stand for a null `top_logprobs` row.
    """
    chunks = testing.chat_chunks([(tok, lp, []) for tok, lp, _ in positions])
    for chunk, (tok, lp, alts), at in zip(chunks[1:], positions, offsets, strict=False):
        chunk["choices"][0]["logprobs"] = {
            "tokens": [tok],
            "token_logprobs": [lp],
            "top_logprobs": [None if alts is None else dict(alts)],
            "text_offset": [at],
        }
    return chunks


def legacy_chat_completion(positions, offsets):
    """The same tokens as one chat completion whose logprobs have the legacy shape."""
    body = testing.chat_completion([(tok, lp, []) for tok, lp, _ in positions])
    body["choices"][0]["logprobs"] = {
        "content": None,
        "tokens": [tok for tok, _, _ in positions],
        "token_logprobs": [lp for _, lp, _ in positions],
        "top_logprobs": [None if alts is None else dict(alts) for _, _, alts in positions],
        "text_offset": offsets,
    }
    return body


def test_legacy_shaped_logprobs_in_chat_chunks_keep_offsets_and_null_rows():
    """A chat stream with legacy logprobs reads as the same shape in a whole chat completion.

    The stream dropped `text_offset` (`None`) and the null `top_logprobs` rows (`top_null` was
    `[]`, as if the alternatives were known to be none); the whole body kept both.
    """
    positions = [("Hi", -0.1, [("Hi", -0.1)]), (" there", -0.2, None), ("!", -0.3, [("!", -0.3)])]
    offsets = [0, 2, 8]
    streamed = tp.parse(legacy_chat_chunks(positions, offsets))
    whole = tp.parse(legacy_chat_completion(positions, offsets))
    assert whole.text_offset == streamed.text_offset == [0, 2, 8]
    assert whole.top_null == streamed.top_null == [1]
    assert streamed.tokens == whole.tokens
    assert streamed.content == whole.content == "Hi there!"


def test_legacy_shaped_token_id_chat_chunks_cut_bytes_as_the_whole_body_does():
    """`"token_id:N"` tokens in legacy-shaped chat chunks: bytes cut from the text at offsets."""
    positions = [("token_id:1", -0.1, []), ("token_id:2", -0.2, [])]
    chunks = legacy_chat_chunks(positions, [0, 3])
    whole = legacy_chat_completion(positions, [0, 3])
    for chunk, piece in zip(chunks[1:3], ["The", " cat"], strict=True):
        chunk["choices"][0]["delta"]["content"] = piece
    whole["choices"][0]["message"]["content"] = "The cat"
    streamed, parsed = tp.parse(chunks), tp.parse(whole)
    assert streamed.token_ids.tolist() == parsed.token_ids.tolist() == [1, 2]
    assert streamed.token_bytes == parsed.token_bytes == [list(b"The"), list(b" cat")]
    assert streamed.bytes_decoded == parsed.bytes_decoded == "text_offset"


@pytest.mark.parametrize("together", [False, True], ids=["chunk-per-choice", "one-chunk"])
def test_a_stream_numbering_every_choice_0_warns_that_they_are_mixed(together):
    """n=2 with every chunk's index 0: the two answers' tokens came as one, silently."""
    chunks = testing.chat_chunks([("Hi", -0.1, []), ("!", -0.2, [])], [("Yo", -0.3, [])])
    *answers, usage = chunks
    for chunk in answers:
        chunk["choices"][0]["index"] = 0
    if together:  # the two answers' chunks of each step in one chunk
        answers = [{**a, "choices": a["choices"] + b["choices"]} for a, b in pairwise(answers)]
        answers = answers[::2]
    with pytest.warns(tp.TokenprobsWarning, match="choice 0 of the stream came twice") as seen:
        d = tp.parse([*answers, usage])
    assert len(seen) == 1  # once per choice, not once per chunk
    assert "ask for one answer per request (n=1)" in str(seen[0].message)
    assert d.tokens == ["Hi", "Yo", "!"]  # what came, kept


@pytest.mark.parametrize("index", [True, 1.0, "0", -1], ids=["bool", "float", "str", "negative"])
def test_a_stream_chunk_whose_index_is_no_index_is_refused_by_name(index):
    """A chunk's index decides which answer its tokens join: one that is no index is refused.

    `true`, `1.0` and `"0"` were read as choice 0, splicing a token into its answer; `-1` made a
    choice -1 that `tp.parse` then returned.
    """
    first, hi, bang, finish, usage = testing.chat_chunks([("Hi", -0.1, []), ("!", -0.2, [])])
    bad = copy.deepcopy(bang)
    bad["choices"][0]["index"] = index
    with pytest.raises(tp.UnsupportedResponseError, match="expected a choice index") as info:
        tp.parse([first, hi, bad, finish, usage])
    assert info.value.field == "chunk[2].choices[0].index"
    del bad["choices"][0]["index"]  # left out: the one answer's, as servers that omit it mean
    assert tp.parse([first, hi, bad, finish, usage]).tokens == ["Hi", "!"]


@pytest.mark.parametrize("index", [True, -1])
def test_a_whole_body_choice_whose_index_is_no_index_is_read_at_its_position(index):
    """A whole body's choice is a whole answer: at its position nothing is misfiled."""
    body = testing.chat_completion([("Hi", -0.1, [])])
    body["choices"][0]["index"] = index
    d = tp.parse(body)
    assert (d.choice, type(d.choice)) == (0, int)
    assert tp.parse(body, choice=0).tokens == ["Hi"]


def test_tokens_after_a_choice_finished_warn_that_answers_are_mixed():
    """Tokens after a choice's finish chunk are another answer's: kept, and said (not "Hi!Hi!").

    A stream fed twice, or n > 1 answers numbered alike, gives them.
    """
    first, hi, bang, finish, usage = testing.chat_chunks([("Hi", -0.1, []), ("!", -0.2, [])])
    with pytest.warns(tp.TokenprobsWarning, match="had tokens after it finished") as seen:
        d = tp.parse([first, hi, bang, finish, hi, bang, usage])
    assert len(seen) == 1  # once per choice
    assert d.tokens == ["Hi", "!", "Hi", "!"]  # what came, kept


def test_a_tokenless_chunk_after_the_finish_does_not_warn():
    """Azure's content-filter chunk (an empty delta) may follow the finish: it does not warn."""
    first, hi, finish, usage = testing.chat_chunks([("Hi", -0.1, [])])
    late = copy.deepcopy(finish)
    late["choices"][0].update(
        finish_reason=None, delta={"content": ""}, content_filter_results={"hate": {}}
    )
    late["choices"][0]["logprobs"] = {"content": [], "refusal": None}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tp.parse([first, hi, finish, late, usage]).tokens == ["Hi"]


def test_a_legacy_stream_keeps_its_offsets_when_only_a_tokenless_chunk_lacks_them():
    """The finish chunk (no tokens) without `text_offset` places nothing: the offsets stay."""
    positions = [("Hel", -0.1, []), ("lo", -0.2, [])]
    chunks = testing.completion_chunks(positions)
    chunks[-1]["choices"][0]["logprobs"] = {"tokens": [], "token_logprobs": []}
    assert tp.parse(chunks).text_offset == [0, 3]


def test_responses_events_equal_response_without_bytes():
    """Responses delta events without bytes give the full response's tokens, bytes derived."""
    positions = [("Hi", -0.1, [("Hi", -0.1), ("Hey", -2.0)]), (" there", -0.5, [])]
    events = tp.parse(testing.response_events(positions, delta_bytes=False))
    whole = tp.parse(testing.response(positions))
    assert events.source == "responses.stream"
    assert events.tokens == whole.tokens
    assert events.text == whole.text == "Hi there"
    assert events.bytes_derived.all()
    assert not whole.bytes_derived.any()
    assert np.array_equal(events.top_logprobs, whole.top_logprobs)


def test_responses_events_name_the_model_of_their_response():
    """The model a Responses stream names in its events' `response` is `d.model`, cut or not."""
    positions = [("Hi", -0.1, []), (" there", -0.5, [])]
    events = testing.response_events(positions, model="gpt-4o-2024-08-06")
    assert (
        tp.parse(events).model
        == tp.parse(testing.response(positions, model="gpt-4o-2024-08-06")).model
    )
    cut = tp.parse(events[:2])  # response.created and one delta: the model is named already
    assert (cut.model, cut.incomplete) == ("gpt-4o-2024-08-06", True)


@pytest.mark.parametrize("deltas", [True, False], ids=["with-deltas", "final-only"])
def test_responses_stream_that_ended_incomplete_says_so_as_the_response_does(deltas):
    """`response.incomplete` (max_output_tokens): `d.incomplete` as the whole response gives it."""
    events = testing.response_events([("Hi", -0.1, []), ("!", -0.2, [])])
    end = events[-1]
    end["type"], end["response"]["status"] = "response.incomplete", "incomplete"
    whole = tp.parse(end["response"])
    d = tp.parse(events if deltas else [events[0], end])
    assert (d.incomplete, d.finish_reason) == (whole.incomplete, whole.finish_reason)
    assert (d.incomplete, d.finish_reason) == (True, "incomplete")
    assert d.tokens == whole.tokens


@pytest.mark.parametrize("error", [{"code": "server_error", "message": "The model crashed"}, None])
@pytest.mark.parametrize("output", [False, True], ids=["no-output", "partial-output"])
@pytest.mark.parametrize("form", ["dict", "json", "sdk"])
def test_a_failed_response_raises_the_same_error_in_every_form(form, output, error):
    """A `status: "failed"` Response raises APIResponseError, as its dict and its JSON do.

    Was: the SDK's `Response` object gave an empty (or complete-looking) distribution with
    `finish_reason="failed"`, as did any form whose `error` was null.
    """
    body = testing.response([("Hi", -0.1, [("Ho", -2.5)]), ("!", -0.2, [])])
    body = {**body, "status": "failed", "error": error, "output": body["output"] if output else []}
    given = {"dict": body, "json": json.dumps(body), "sdk": Response.model_validate(body)}[form]
    says = "The model crashed" if error else "the response failed; the server gave no error"
    with pytest.raises(tp.APIResponseError, match=says) as info:
        tp.parse(given)
    assert info.value.code == ("server_error" if error else None)


@pytest.mark.parametrize("form", ["dict", "json", "sdk"])
def test_a_responses_refusal_keeps_its_text_as_content(form):
    """A Responses refusal part (no logprobs): `d.refusal` and its text as `d.content`.

    Was: `d.content == ""`, the refusal's text lost, where a chat refusal keeps its own.
    """
    refusal = {"type": "refusal", "refusal": "I can't help with that."}
    item = {"id": "msg_1", "type": "message", "role": "assistant", "status": "completed"}
    body = {**testing.response([("Hi", -0.1, [])]), "output": [{**item, "content": [refusal]}]}
    given = {"dict": body, "json": json.dumps(body), "sdk": Response.model_validate(body)}[form]
    d = tp.parse(given)
    assert (d.refusal, d.content, len(d)) == (True, "I can't help with that.", 0)


@pytest.mark.parametrize("deltas", [True, False], ids=["after-deltas", "no-deltas"])
@pytest.mark.parametrize("form", ["dicts", "sse"])
def test_a_responses_stream_that_failed_raises_the_servers_error(deltas, form):
    """A `response.failed` event raises APIResponseError, as the failed Response does.

    Was: after text deltas, a complete-looking distribution (`finish_reason="failed"`,
    `incomplete=False`); fed to a StreamAccumulator, what arrived stays readable.
    """
    error = {"code": "server_error", "message": "The model crashed"}
    events = testing.response_events([("Hi", -0.1, []), ("!", -0.2, [])])
    end = events[-1]
    failed = {**end["response"], "status": "failed", "output": [], "error": error}
    kept = [e for e in events[:-1] if deltas or not e["type"].startswith("response.output_")]
    stream = [*kept, {**end, "type": "response.failed", "response": failed}]
    given = stream if form == "dicts" else testing.sse(stream, done=False)
    with pytest.raises(tp.APIResponseError, match="The model crashed") as info:
        tp.parse(given)
    assert info.value.code == "server_error"
    acc = tp.StreamAccumulator()
    for event in stream[:-1]:
        acc.feed(event)
    with pytest.raises(tp.APIResponseError, match="The model crashed"):
        acc.feed(stream[-1])
    assert acc.distribution().tokens == (["Hi", "!"] if deltas else [])


def test_responses_without_logprobs_raises_with_include_hint():
    """An output_text without logprobs raises MissingLogprobsError naming include=[...]."""
    body = testing.response([("Hi", -0.1, [])])
    body["output"][0]["content"][0]["logprobs"] = []
    with pytest.raises(tp.MissingLogprobsError, match=r"message\.output_text\.logprobs"):
        tp.parse(body)


def test_sentinel_becomes_minus_inf_and_round_trips():
    """-9999.0 is -inf in arrays, 0 in probs, and -9999.0 again in JSON."""
    body = testing.chat_completion([("no", -9999.0, [("iveness", 0.0), ("iven", -19.625)])])
    d = tp.parse(ChatCompletion.model_validate(body))
    assert d.logprobs[0] == -np.inf
    assert d.probs[0] == 0.0
    assert not d.sampled_in_top[0]
    assert json.loads(d.model_dump_json())["logprobs"] == [-9999.0]
    assert d[0].logprob == -9999.0


def test_batch_output_line_parses_body():
    """A Batch output line parses its response body; an errored line raises its error."""
    body = testing.chat_completion([("ok", -0.1, [])])
    line = {
        "id": "batch_req_1",
        "custom_id": "r1",
        "response": {"status_code": 200, "request_id": "x", "body": body},
        "error": None,
    }
    assert tp.parse(json.dumps(line)).tokens == ["ok"]
    failed = {
        "id": "batch_req_2",
        "custom_id": "r2",
        "response": None,
        "error": {"code": "batch_expired", "message": "expired"},
    }
    with pytest.raises(tp.APIResponseError, match="expired"):
        tp.parse(failed)


def test_bare_content_list_and_logprobs_object():
    """A bare list of token entries, or a ChoiceLogprobs object, parses too."""
    body = testing.chat_completion([("a", -0.1, []), ("b", -0.2, [])])
    logprobs = body["choices"][0]["logprobs"]
    assert tp.parse(logprobs["content"]).tokens == ["a", "b"]
    assert tp.parse(logprobs).source == "logprobs"


def test_a_choices_logprobs_as_a_bare_list_is_checked_like_content():
    """`choices[0].logprobs` as a bare list: the message's text checks it, as `content`'s does.

    An empty list beside a message with text lost its logprobs (it parsed to nothing, silently);
    a list covering a piece of the text warns that it is a fragment.
    """
    body = testing.chat_completion([("Yes", -0.1, []), ("!", -0.2, [])])
    entries = body["choices"][0]["logprobs"]["content"]
    body["choices"][0]["logprobs"] = []
    with pytest.raises(tp.MissingLogprobsError, match=r"choices\[0\]\.logprobs is empty although"):
        tp.parse(body)
    body["choices"][0]["logprobs"] = entries[:1]
    body["choices"][0]["message"]["content"] = "Yes, and a much longer answer after it"
    with pytest.warns(tp.TokenprobsWarning, match="fragment"):
        d = tp.parse(body)
    assert d.tokens == ["Yes"]
    assert d.content == "Yes, and a much longer answer after it"
    body["choices"][0]["logprobs"] = entries
    body["choices"][0]["message"]["content"] = "Yes!"
    assert tp.parse(body).text == "Yes!"


def test_vllm_empty_token_and_sentinel_entries():
    """Empty-token entries (bytes [], as vLLM sends) and -9999.0 parse; they own no character."""
    body = testing.chat_completion([("Hi", -0.1, []), ("", -9999.0, []), ("!", -0.2, [])])
    body["choices"][0]["logprobs"]["content"][1]["bytes"] = []
    d = tp.parse(body)
    assert d.tokens == ["Hi", "", "!"]
    assert d.text == "Hi!"
    assert d.char_spans().tolist() == [[0, 2], [2, 2], [2, 3]]
    assert d.probs.tolist()[1] == 0.0


def test_tgi_style_entries_without_bytes_and_integer_zero():
    """TGI-style entries: no bytes key, an integer 0 logprob; bytes derived, values as floats."""
    body = testing.chat_completion([("Hi", -0.5, [("Hi", -0.5)]), (" there", 0, [])])
    for entry in body["choices"][0]["logprobs"]["content"]:
        del entry["bytes"]
        for alt in entry["top_logprobs"]:
            del alt["bytes"]
    d = tp.parse(body)
    assert d.text == "Hi there"
    assert d.bytes_derived.all()
    assert d.logprobs.dtype == np.float64
    assert d.logprobs.tolist() == [-0.5, 0.0]
    assert d.sampled_in_top.tolist() == [True, False]


@pytest.mark.parametrize("kind", ["chat.completion", "text_completion"])
@pytest.mark.parametrize("bad", [None, 5, "choice", [1]])
def test_a_choice_that_is_no_object_is_named_not_taken_for_missing_logprobs(kind, bad):
    """`choices: [null]` said "logprobs is null ... pass logprobs=True", no fix at all."""
    body = {"object": kind, "id": "x", "created": 0, "model": "m", "choices": [bad]}
    for parse in (tp.parse, tp.parse_all):
        with pytest.raises(tp.UnsupportedResponseError, match=r"choices\[0\]: expected a choice"):
            parse(body)
