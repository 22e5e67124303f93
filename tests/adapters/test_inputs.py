"""Inputs a user already has: a Path, an open file, the SDK's error body, placeholder logprobs."""

from __future__ import annotations

import io
import json
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
