"""Inputs a user already has: a Path, an open file, the SDK's error body, placeholder logprobs."""

from __future__ import annotations

import io
import json
import math
import warnings

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletion

import tokenprobs as tp
from tokenprobs import testing

POSITIONS = [("Hi", -0.1, [("Hi", -0.1), ("Yo", -2.0)]), ("!", -0.2, [])]
SDK_ERROR_BODY = {
    "message": "Invalid value for 'top_logprobs': must be less than or equal to 20.",
    "type": "invalid_request_error",
    "param": "top_logprobs",
    "code": "integer_above_max_value",
}


def _forms(body: dict) -> list:
    text = json.dumps(body)
    return [body, text, text.encode()]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(testing.chat_completion(POSITIONS), id="chat"),
        pytest.param(testing.sse(testing.chat_chunks(POSITIONS)), id="chat-sse"),
        pytest.param(testing.completion(POSITIONS), id="completions"),
    ],
)
def test_path_and_open_files(tmp_path, body):
    """A Path, a text file and a binary file parse as their contents do."""
    text = body if isinstance(body, str) else json.dumps(body)
    path = tmp_path / "response.json"
    path.write_text(text, encoding="utf-8")
    expected = tp.parse(text)
    assert tp.parse(path) == expected
    with path.open(encoding="utf-8") as f:
        assert tp.parse(f) == expected
    with path.open("rb") as f:
        assert tp.parse_all(f) == [expected]
    assert tp.parse(io.StringIO(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(json.dumps(testing.chat_completion(POSITIONS)), id="chat"),
        pytest.param(json.dumps(testing.chat_completion(POSITIONS * 4000)), id="chat-large"),
        pytest.param(testing.sse(testing.chat_chunks(POSITIONS)), id="chat-sse"),
    ],
)
def test_a_byte_order_mark_is_skipped(tmp_path, text):
    """A file saved with a UTF-8 byte order mark (Notepad, PowerShell) parses as without it."""
    expected = tp.parse_all(text)
    path = tmp_path / "response.json"
    path.write_text(text, encoding="utf-8-sig")
    assert tp.parse_all(path) == expected
    with path.open(encoding="utf-8") as f:  # read as text: the mark is a U+FEFF character
        assert tp.parse_all(f) == expected
    assert tp.parse_all(path.read_bytes()) == expected


def test_str_naming_a_file_says_to_pass_a_path(tmp_path):
    """A str that is not a body but names a file: the error says to pass a Path."""
    path = tmp_path / "response.json"
    path.write_text(json.dumps(testing.chat_completion(POSITIONS)), encoding="utf-8")
    with pytest.raises(tp.UnsupportedResponseError, match=r"names a file: pass pathlib\.Path"):
        tp.parse(str(path))


def test_missing_path_is_a_typed_error(tmp_path):
    """A Path that cannot be read is an UnsupportedResponseError naming it."""
    with pytest.raises(tp.UnsupportedResponseError, match="cannot read"):
        tp.parse(tmp_path / "absent.json")


@pytest.mark.parametrize("form", _forms(SDK_ERROR_BODY), ids=["dict", "json", "bytes"])
def test_sdk_error_body_is_an_api_error(form):
    """APIStatusError.body (the inner object, no {"error": ...}) raises APIResponseError."""
    with pytest.raises(tp.APIResponseError, match="less than or equal to 20") as info:
        tp.parse(form)
    assert info.value.param == "top_logprobs"
    assert info.value.code == "integer_above_max_value"
    assert info.value.type == "invalid_request_error"


def test_sdk_error_body_inside_a_stream_and_a_batch_line():
    """The SDK's error body is recognised mid-stream and as a Batch line's body too."""
    chunks = testing.chat_chunks(POSITIONS)
    chunks.insert(2, SDK_ERROR_BODY)
    with pytest.raises(tp.APIResponseError, match="less than or equal"):
        tp.parse(chunks)
    line = {
        "id": "batch_req_1",
        "custom_id": "r1",
        "response": {"status_code": 400, "request_id": "x", "body": SDK_ERROR_BODY},
        "error": None,
    }
    with pytest.raises(tp.APIResponseError, match="less than or equal"):
        tp.parse(json.dumps(line))


def test_sdk_status_error_itself_is_an_api_error():
    """The openai.APIStatusError a user caught parses to an APIResponseError with its message."""
    request = httpx.Request("POST", "https://api.openai.com/v1/chat/completions")
    response = httpx.Response(400, request=request, json={"error": SDK_ERROR_BODY})
    err = openai.BadRequestError(SDK_ERROR_BODY["message"], response=response, body=SDK_ERROR_BODY)
    with pytest.raises(tp.APIResponseError, match="less than or equal") as info:
        tp.parse(err)
    assert info.value.__cause__ is err
    assert info.value.param == "top_logprobs"


def test_a_message_like_dict_is_not_an_error():
    """A dict with only a message and unrelated keys is not taken for an error body."""
    with pytest.raises(tp.UnsupportedResponseError):
        tp.parse({"message": "hello", "role": "assistant"})


PLACEHOLDERS = [("Hello", 0.0, []), (" world", -9999.0, []), ("!", 0, [])]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(testing.chat_completion(PLACEHOLDERS), id="chat"),
        pytest.param(json.dumps(testing.chat_completion(PLACEHOLDERS)), id="chat-json"),
        pytest.param(testing.sse(testing.chat_chunks(PLACEHOLDERS)), id="chat-sse"),
        pytest.param(testing.completion(PLACEHOLDERS, top=False), id="completions"),
    ],
)
def test_placeholder_logprobs_parse_with_a_warning(body):
    """Every value 0 or -9999 and no alternatives: parsed, with a TokenprobsWarning saying so."""
    with pytest.warns(tp.TokenprobsWarning, match="carry no probability information"):
        d = tp.parse(body)
    assert d.text == "Hello world!"
    assert d.logprobs.tolist() == [0.0, float("-inf"), 0.0]


def test_real_values_do_not_warn():
    """A 0 among real values, or alternatives present, gives no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tp.parse(testing.chat_completion([("a", 0.0, []), ("b", -0.5, [])]))
        tp.parse(testing.chat_completion([("a", 0.0, [("a", 0.0)])]))


@pytest.mark.parametrize(
    ("entries", "match"),
    [
        pytest.param(
            [("yes", 2.0, [("yes", 2.0), ("no", 1.0)])], "has logprob 2.0 > 0", id="positive"
        ),
        pytest.param(
            [("a", -0.5, []), ("yes", -0.1, [("yes", -0.1), ("no", -0.2)])],
            "position 1 .* sum to 1.7236",
            id="mass-above-one",
        ),
    ],
)
def test_values_that_are_no_distribution_parse_with_a_warning(entries, match):
    """A logprob above 0, or alternatives summing above 1: parsed, and a warning says so."""
    with pytest.warns(tp.TokenprobsWarning, match=match):
        d = tp.parse(testing.chat_completion(entries))
    assert d.logprobs.tolist() == [e[1] for e in entries]  # kept as sent: lossless


@pytest.mark.parametrize(
    ("entries", "warns"),
    [
        pytest.param([("c", -1.0, [("a", -0.7), ("b", -2.0)])], True, id="above-the-cap"),
        pytest.param([("c", -2.5, [("a", -0.7), ("b", -2.0)])], False, id="below-the-cap"),
        pytest.param([("c", -2.0005, [("a", -0.7), ("b", -2.0)])], False, id="a-rounding-above"),
        pytest.param([("c", -1.0, [("a", -0.7), ("c", -1.0)])], False, id="among-them"),
        pytest.param([("c", -1.0, [("a", -0.7), ("b", -9999.0)])], False, id="cap-is-a"),
        pytest.param(
            [("c", -6.0, [("a", -0.5), ("b", -5.0), ("d", -1e308)])], False, id="below-the-sentinel"
        ),
        pytest.param(
            [("c", -1.0, [("a", -0.7), ("b", -2.0), ("d", -10000.0)])], True, id="cap-above-below"
        ),
        pytest.param([("c", -0.1, [])], False, id="no-alternatives"),
    ],
)
def test_alternatives_that_are_not_the_top_k_parse_with_a_warning(entries, warns):
    """A sampled token left out of the alternatives is no more likely than the least of them."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        d = tp.parse(testing.chat_completion(entries))
    said = [str(w.message) for w in caught]
    if warns:
        assert len(said) == 1
        assert said[0].startswith("choice 0: position 0 ('c') was sampled with logprob -1.0000,")
        assert "above the least likely alternative returned (-2.0000)" in said[0]
        assert "not the k most likely tokens" in said[0]
    else:
        assert said == []
    assert d.logprobs.tolist() == [entries[0][1]]  # kept as sent


CERTAIN = [(t, 0.0) for t in ("The", " answer", " is", " yes", ",", " of", " course", ".")]


def _said(body):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        d = tp.parse(body)
    return d, [str(w.message) for w in caught]


@pytest.mark.parametrize(
    ("positions", "says"),
    [
        pytest.param(
            [(t, lp, [(t, lp), ("x", -9999.0), ("y", -9999.0)]) for t, lp in CERTAIN],
            "every other alternative is the -9999 sentinel",
            id="deepseek-sentinels",
        ),
        pytest.param(
            [(t, lp, [(t, lp)]) for t, lp in CERTAIN],
            "the only alternative is the sampled token, at probability 1: the server likely "
            "applied top_p",
            id="tgi-top_p-collapsed",
        ),
    ],
)
def test_a_whole_answer_at_probability_one_is_placeholders(positions, says):
    """Eight positions in a row at probability 1 and nothing else returned: a server's doing."""
    d, said = _said(testing.chat_completion(positions))
    assert len(said) == 1
    assert said[0].startswith("choice 0: all 8 logprobs are 0 or -9999")
    assert says in said[0]
    assert d.logprobs.tolist() == [0.0] * 8  # kept as sent


@pytest.mark.parametrize(
    "positions",
    [
        pytest.param([("Yes", 0.0, [("Yes", 0.0), ("No", -9999.0)])], id="one-certain-token"),
        pytest.param([(t, lp, [(t, lp)]) for t, lp in CERTAIN[:7]], id="seven-forced-tokens"),
        pytest.param(
            [(t, lp, [(t, lp), ("x", -20.0)]) for t, lp in CERTAIN], id="a-real-alternative"
        ),
    ],
)
def test_a_few_certain_tokens_are_no_placeholders(positions):
    """A confident one-token answer, or alternatives with real values, give no warning."""
    _, said = _said(testing.chat_completion(positions))
    assert said == []


def test_alternatives_repeating_a_token_are_counted_once():
    """A token returned twice is one candidate (as every measure counts it): 0.8 is no excess."""
    twice = [
        ("a", math.log(0.5), [("a", math.log(0.5)), ("a", math.log(0.5)), ("b", math.log(0.3))])
    ]
    d, said = _said(testing.chat_completion(twice))
    assert said == []
    assert d.tail_mass[0] == pytest.approx(0.2)
    thrice = [
        ("a", math.log(0.5), [("a", math.log(0.5)), ("b", math.log(0.4)), ("c", math.log(0.3))])
    ]
    _, said = _said(testing.chat_completion(thrice))
    assert len(said) == 1
    assert "sum to 1.2000" in said[0]


def _with_content(positions, content):
    body = testing.chat_completion(positions)
    body["choices"][0]["message"]["content"] = content
    return body


def test_logprobs_for_a_fragment_of_the_answer_warn():
    """A stream whose later chunks lost their logprobs: perplexity would describe 2 tokens."""
    d, said = _said(
        _with_content([("The", -0.1, []), (" sky", -0.2, [])], "The sky is blue today.")
    )
    assert len(said) == 1
    assert said[0].startswith("choice 0: the logprobs cover 7 of the content's 22 characters")
    assert "fragment of the answer" in said[0]
    assert d.tokens == ["The", " sky"]


@pytest.mark.parametrize(
    ("positions", "content"),
    [
        pytest.param(
            [("<think>", -0.1, []), ("hm", -0.1, []), ("</think>", -0.1, []), ("Yes", -0.2, [])],
            "Yes",
            id="reasoning-tokens-beyond-the-content",
        ),
        pytest.param([("Yes", -0.2, []), ("<|im_end|>", -0.1, [])], "Yes", id="an-eos-token"),
        pytest.param([("Yes", -0.2, [])], "<reasoning></reasoning>Yes", id="a-servers-wrapper"),
        pytest.param([("Yes", -0.2, [])], "Yes\n", id="trailing-whitespace"),
    ],
)
def test_tokens_the_content_lacks_or_markup_are_no_fragment(positions, content):
    """Tokens beyond the content, or markup and whitespace no token has, are no missing answer."""
    _, said = _said(_with_content(positions, content))
    assert said == []


def test_a_positive_logprob_warning_says_it_is_kept_and_read_as_probability_one():
    """The warning says what happens: kept in `d.logprobs`, read as probability 1 elsewhere."""
    with pytest.warns(tp.TokenprobsWarning) as caught:
        d = tp.parse(testing.chat_completion([("a", 0.3, [("a", 0.3)]), ("b", -0.5, [])]))
    said = str(caught[0].message)
    assert said.endswith(
        "a positive logprob is kept as returned in `d.logprobs`, and `d.probs` and the "
        "metrics read it as logprob 0 (probability 1)"
    )
    assert d.logprobs[0] == 0.3
    assert d.probs[0] == 1.0
    assert d.perplexity == pytest.approx(math.exp(0.25))  # mean of 0 and -0.5, negated


def test_rounding_above_one_does_not_warn():
    """Alternatives a rounding above 1 (logprobs to 4 decimals) and a logprob of +1e-4 pass."""
    rounded = [("a", -0.6931, [("a", -0.6931), ("b", -0.6931)]), ("c", 1e-4, [])]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tp.parse(testing.chat_completion(rounded))


def test_a_positive_logprob_is_probability_one_in_fields():
    """`fields` reads a positive logprob as probability 1, as metrics do, never above 1."""
    body = testing.chat_completion([(c, 2.0, []) for c in '{"a": 1}'])
    with pytest.warns(tp.TokenprobsWarning, match="> 0"):
        d = tp.parse(body)
    assert tp.fields.confidence(d)[0].prob == 1.0


def test_a_message_or_a_list_of_choices_says_what_to_pass():
    """A message, a Responses output item, `response.choices`, a list of responses: say the fix."""
    chat = ChatCompletion.model_validate(testing.chat_completion(POSITIONS))
    body = testing.response(POSITIONS)
    cases = [
        (chat.choices[0].message, r"chat message \(role 'assistant'\).*response\.choices\[i\]"),
        (chat.choices[0].message.model_dump(), r"chat message .*pass the choice"),
        (body["output"][0], r"Responses output item .*pass the whole response"),
        (chat.choices, r"a list of choices \(response\.choices\)"),
        (testing.completion(POSITIONS)["choices"], r"a list of choices"),
        ([testing.chat_completion(POSITIONS)] * 2, r"list of whole responses \('chat\.comp"),
        (json.dumps([testing.response(POSITIONS)]), r"list of whole responses \('response'\)"),
    ]
    for given, says in cases:
        with pytest.raises(tp.UnsupportedResponseError, match=says):
            tp.parse(given)
    one, whole = tp.parse(chat.choices[0]), tp.parse(chat)  # one choice is still read
    assert (one.tokens, one.logprobs.tolist()) == (whole.tokens, whole.logprobs.tolist())


def test_an_anthropic_message_says_its_api_returns_no_logprobs():
    """Claude's `Message` has `type: "message"` too; it is no Responses output item."""
    message = {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [{"type": "text", "text": "Hi"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 8, "output_tokens": 2},
    }
    for given in (message, json.dumps(message)):
        with pytest.raises(
            tp.MissingLogprobsError, match="Anthropic's API returns no logprobs"
        ) as e:
            tp.parse(given)
        assert not e.value.not_requested
        assert "claude-sonnet-4-5" in str(e.value)
