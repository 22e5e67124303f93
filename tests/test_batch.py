import json
import re
import warnings

import pytest

import tokenprobs as tp
from tokenprobs import batch
from tokenprobs.testing import chat_completion, completion, response

POSITIONS = [
    ("Yes", -0.1, [("Yes", -0.1), ("No", -2.4)]),
    (".", -0.01, [(".", -0.01), ("!", -5.0)]),
]
BODIES = {
    "chat.completions": chat_completion,
    "responses": response,
    "completions": completion,
}


def simulate_output(input_path, output_path, endpoint, *, fail=()):
    """Write the output file the Batch API would, in reverse order, failing `fail` ids."""
    lines = [json.loads(x) for x in input_path.read_text(encoding="utf-8").splitlines()]
    with output_path.open("w", encoding="utf-8") as out:
        for n, req in enumerate(reversed(lines)):
            cid = req["custom_id"]
            if cid in fail:
                resp = {
                    "status_code": 400,
                    "request_id": f"req_{n}",
                    "body": {"error": {"message": "bad", "type": "invalid_request_error"}},
                }
            else:
                resp = {
                    "status_code": 200,
                    "request_id": f"req_{n}",
                    "body": BODIES[endpoint](POSITIONS),
                }
            line = {"id": f"batch_req_{n}", "custom_id": cid, "response": resp, "error": None}
            out.write(json.dumps(line) + "\n")


@pytest.mark.parametrize("endpoint", ["chat.completions", "responses", "completions"])
def test_round_trip(tmp_path, endpoint):
    """write_requests → (simulated output) → read_results gives every distribution by id."""
    model = "gpt-3.5-turbo-instruct" if endpoint == "completions" else "gpt-4o-mini"
    ids = batch.write_requests(
        tmp_path / "in.jsonl",
        ["Is water wet?", "Is fire hot?"],
        model=model,
        top_logprobs=2,
        endpoint=endpoint,
    )
    simulate_output(tmp_path / "in.jsonl", tmp_path / "out.jsonl", endpoint)
    results = dict(batch.read_results(tmp_path / "out.jsonl"))
    assert set(results) == set(ids)
    assert all(d.tokens == ["Yes", "."] for d in results.values())


def test_request_lines_ask_for_logprobs(tmp_path):
    """Each line is a Batch request: custom_id, POST, the endpoint's url, a logprobs body."""
    batch.write_requests(
        tmp_path / "in.jsonl", ["Hi"], model="gpt-4o-mini", top_logprobs=3, temperature=0
    )
    (line,) = [json.loads(x) for x in (tmp_path / "in.jsonl").read_text().splitlines()]
    assert (line["method"], line["url"]) == ("POST", "/v1/chat/completions")
    assert line["body"]["logprobs"] is True
    assert (line["body"]["top_logprobs"], line["body"]["temperature"]) == (3, 0)
    assert line["body"]["messages"] == [{"role": "user", "content": "Hi"}]


def test_custom_ids_are_stable_and_unique(tmp_path):
    """The same input gives the same ids; repeated prompts still get distinct ids."""
    first = batch.write_requests(tmp_path / "a.jsonl", ["x", "x", "y"], model="gpt-4o-mini")
    again = batch.write_requests(tmp_path / "b.jsonl", ["x", "x", "y"], model="gpt-4o-mini")
    assert first == again
    assert len(set(first)) == 3


def test_own_custom_ids_from_a_mapping(tmp_path):
    """A mapping's keys become the custom_ids."""
    ids = batch.write_requests(tmp_path / "in.jsonl", {"q1": "x", "q2": "y"}, model="gpt-4o-mini")
    assert ids == ["q1", "q2"]


def test_a_refused_line_refuses_the_file(tmp_path):
    """A line the API would refuse raises a GuardError naming it; no file is left."""
    with pytest.raises(tp.GuardError) as info:
        batch.write_requests(tmp_path / "in.jsonl", ["x"], model="gpt-4o", top_logprobs=21)
    assert any("index 0" in note for note in info.value.__notes__)
    assert list(tmp_path.iterdir()) == []


def test_failed_lines_are_errors_in_place(tmp_path):
    """A failed request's line gives (custom_id, APIResponseError)."""
    ids = batch.write_requests(tmp_path / "in.jsonl", ["a", "b"], model="gpt-4o-mini")
    simulate_output(
        tmp_path / "in.jsonl", tmp_path / "out.jsonl", "chat.completions", fail={ids[0]}
    )
    results = dict(batch.read_results(tmp_path / "out.jsonl"))
    assert isinstance(results[ids[0]], tp.APIResponseError)
    assert results[ids[1]].tokens == ["Yes", "."]


def test_error_file_lines(tmp_path):
    """A line of the error file (`response: null`, `error` set) gives an APIResponseError."""
    line = {
        "id": "batch_req_1",
        "custom_id": "q1",
        "response": None,
        "error": {"code": "batch_expired", "message": "not executed in the window"},
    }
    (tmp_path / "err.jsonl").write_text(json.dumps(line) + "\n\n")
    ((cid, err),) = batch.read_results(tmp_path / "err.jsonl")
    assert cid == "q1"
    assert isinstance(err, tp.APIResponseError)


def _output_line(cid, *, status=200, body=None):
    """One line of a Batch output file whose request answered `status` with `body`."""
    body = body if body is not None else chat_completion(POSITIONS)
    response = {"status_code": status, "request_id": "req_1", "body": body}
    return json.dumps({"id": f"batch_req_{cid}", "custom_id": cid, "response": response})


def test_unreadable_lines_are_errors_in_place_and_reading_goes_on(tmp_path):
    """A truncated or non-JSON line is its own UnsupportedResponseError; later lines still come.

    A truncated line keeps the custom_id still legible in it; a line without one gives "".
    """
    lines = [
        _output_line("a"),
        _output_line("cut")[:60],
        "{not json",
        json.dumps({"id": "batch_req_x", "response": None}),
        _output_line("b"),
    ]
    (tmp_path / "out.jsonl").write_text("\n".join(lines) + "\n")
    got = list(batch.read_results(tmp_path / "out.jsonl"))
    assert [cid for cid, _ in got] == ["a", "cut", "", "", "b"]
    assert [type(r).__name__ for _, r in got] == [
        "TokenDistribution",
        "UnsupportedResponseError",
        "UnsupportedResponseError",
        "UnsupportedResponseError",
        "TokenDistribution",
    ]
    for n, (_, err) in enumerate(got[1:4], 2):
        assert f"line {n} of {str(tmp_path / 'out.jsonl')!r}" in str(err)
    assert "is cut short (it stops after byte 60, inside a " in str(got[1][1])
    assert "the file is truncated; download it again" in str(got[1][1])
    assert "is not JSON at byte 2 of the line (key must be a string)" in str(got[2][1])
    assert got[3][1].field == "custom_id"


@pytest.mark.parametrize(
    ("body", "said"),
    [
        pytest.param(..., "status_code 200 but no body", id="missing"),
        pytest.param(None, "status_code 200 but no body", id="null"),
        pytest.param([1, 2], "status_code 200 but a body that is a list", id="list"),
        pytest.param("x", "a body that is text ('x') and not a response's JSON", id="text"),
        pytest.param("[1]", "a body that is text ('[1]')", id="text-of-a-list"),
    ],
)
def test_a_200_line_without_a_response_body_says_so(tmp_path, body, said):
    """A success line whose body is missing, null or a list: an error naming response.body.

    Was: "cannot parse a NoneType: expected a response, its dict or JSON ...", naming no field.
    """
    response = {"status_code": 200, "request_id": "req_1"}
    if body is not ...:
        response["body"] = body
    line = {"id": "batch_req_q", "custom_id": "q", "response": response, "error": None}
    (tmp_path / "out.jsonl").write_text(json.dumps(line) + "\n")
    ((cid, err),) = batch.read_results(tmp_path / "out.jsonl")
    assert cid == "q"
    assert isinstance(err, tp.UnsupportedResponseError)
    assert err.field == "response.body"
    assert said in str(err)


def test_a_200_line_whose_body_is_the_response_as_json_text_is_read(tmp_path):
    """A body given as the response's JSON text (not an object) parses as the object would."""
    line = json.loads(_output_line("q"))
    whole = batch.read_results(_write(tmp_path / "a.jsonl", line))
    line["response"]["body"] = json.dumps(line["response"]["body"])
    as_text = batch.read_results(_write(tmp_path / "b.jsonl", line))
    assert [(c, d.tokens) for c, d in as_text] == [(c, d.tokens) for c, d in whole]


def _write(path, line):
    path.write_text(json.dumps(line) + "\n")
    return path


def test_a_custom_id_that_is_no_string_is_named(tmp_path):
    """A line whose custom_id is a number says so, with its value, instead of only "not a line"."""
    line = json.loads(_output_line("q"))
    line["custom_id"] = 7
    (tmp_path / "out.jsonl").write_text(json.dumps(line) + "\n" + _output_line("b") + "\n")
    (cid, err), (after, d) = batch.read_results(tmp_path / "out.jsonl")
    assert (cid, after, d.tokens) == ("", "b", ["Yes", "."])
    assert isinstance(err, tp.UnsupportedResponseError)
    assert err.field == "custom_id"
    assert "its custom_id is an int (7), where the Batch API writes the string" in str(err)


def test_every_choice_of_a_line_comes_back(tmp_path):
    """A request with n=3 gives three pairs with its custom_id, told apart by d.choice."""
    (cid,) = batch.write_requests(tmp_path / "in.jsonl", ["Is water wet?"], model="m", n=3)
    body = chat_completion(POSITIONS)
    body["choices"] = [dict(body["choices"][0], index=i) for i in range(3)]
    (tmp_path / "out.jsonl").write_text(_output_line(cid, body=body) + "\n")
    got = list(batch.read_results(tmp_path / "out.jsonl"))
    assert [(c, d.choice) for c, d in got] == [(cid, 0), (cid, 1), (cid, 2)]


def test_a_byte_order_mark_is_skipped(tmp_path):
    """A file saved by Notepad or PowerShell (UTF-8 with a BOM) reads like any other."""
    text = _output_line("a") + "\n" + _output_line("b") + "\n"
    (tmp_path / "out.jsonl").write_text(text, encoding="utf-8-sig")
    got = list(batch.read_results(tmp_path / "out.jsonl"))
    assert [(cid, d.tokens) for cid, d in got] == [("a", ["Yes", "."]), ("b", ["Yes", "."])]


@pytest.mark.parametrize(
    ("status", "said"),
    [
        (500, "status_code 500"),
        (429, "status_code 429"),
        ("200", "status_code '200'"),
        (None, "no status_code"),
    ],
)
def test_a_line_that_did_not_answer_200_is_an_error(tmp_path, status, said):
    """A completion body under any status but the number 200 is an APIResponseError."""
    (tmp_path / "out.jsonl").write_text(_output_line("q", status=status) + "\n")
    ((cid, err),) = batch.read_results(tmp_path / "out.jsonl")
    assert cid == "q"
    assert isinstance(err, tp.APIResponseError)
    assert said in str(err)
    assert err.code == (status if isinstance(status, int) else None)


def test_a_line_without_status_code_is_an_error(tmp_path):
    """A response object with no status_code at all is not taken as a success."""
    line = {"custom_id": "q", "response": {"body": chat_completion(POSITIONS)}, "error": None}
    (tmp_path / "out.jsonl").write_text(json.dumps(line) + "\n")
    ((_, err),) = batch.read_results(tmp_path / "out.jsonl")
    assert isinstance(err, tp.APIResponseError)
    assert "no status_code" in str(err)


def test_a_non_200_error_body_gives_its_own_message(tmp_path):
    """A failed line's error body is the error raised, with the API's message and type."""
    body = {"error": {"message": "server overloaded", "type": "server_error"}}
    (tmp_path / "out.jsonl").write_text(_output_line("q", status=503, body=body) + "\n")
    ((_, err),) = batch.read_results(tmp_path / "out.jsonl")
    assert isinstance(err, tp.APIResponseError)
    assert (err.message, err.type) == ("server overloaded", "server_error")


def test_read_results_is_lazy(tmp_path):
    """read_results yields as it reads (a generator, not a list)."""
    batch.write_requests(tmp_path / "in.jsonl", ["a"], model="gpt-4o-mini")
    simulate_output(tmp_path / "in.jsonl", tmp_path / "out.jsonl", "chat.completions")
    results = batch.read_results(tmp_path / "out.jsonl")
    assert iter(results) is results


def test_top_logprobs_warns_at_the_end_of_a_capped_file(tmp_path):
    """Asked 5, every line's positions hold 2: one warning when the file is read to its end."""
    path = tmp_path / "out.jsonl"
    lines = [_output_line("a"), _output_line("b"), _output_line("c", status=500, body={})]
    path.write_text("\n".join(lines) + "\n")
    results = batch.read_results(path, top_logprobs=5)
    first = next(results)  # nothing said before the end: a cap shows over the whole file
    with pytest.warns(tp.TokenprobsWarning, match="5 was asked, but every position holds 2") as rec:
        rest = list(results)
    assert len(rec) == 1
    assert rec[0].filename == __file__
    assert [cid for cid, _ in [first, *rest]] == ["a", "b", "c"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(list(batch.read_results(path, top_logprobs=2))) == 3
    with pytest.raises(TypeError, match="top_logprobs must be an integer"):
        batch.read_results(path, top_logprobs="5")


def test_extra_body_is_merged_into_each_body(tmp_path):
    """`extra_body`, the SDK's 'more body fields', lands in the body as the fields themselves."""
    batch.write_requests(tmp_path / "in.jsonl", ["Hi"], model="m", extra_body={"seed": 1})
    (line,) = [json.loads(x) for x in (tmp_path / "in.jsonl").read_text().splitlines()]
    assert line["body"]["seed"] == 1
    assert "extra_body" not in line["body"]


@pytest.mark.parametrize("option", ["extra_headers", "extra_query", "timeout"])
def test_sdk_request_options_are_refused(tmp_path, option):
    """Headers, query and timeout have no place in a file: refused, the key never written."""
    key = "sk-test-SECRET123"
    value = 30 if option == "timeout" else {"api-key": key}
    with pytest.raises(ValueError, match=f"{option}=.*a Batch file has no headers, query or time"):
        batch.write_requests(tmp_path / "in.jsonl", ["Hi"], model="m", **{option: value})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"temperature": float("nan")}, "temperature is nan"),
        ({"logit_bias": {"50256": float("-inf")}}, "logit_bias.50256 is -inf"),
        ({"extra_body": {"top_p": float("inf")}}, "extra_body.top_p is inf"),
        (
            {"extra_body": {"logit_bias": {"50256": float("nan")}}},
            "extra_body.logit_bias.50256 is nan",
        ),
    ],
)
def test_nan_and_infinity_are_refused_naming_the_field(tmp_path, kwargs, field):
    """JSON has no NaN or infinity: a ValueError names the field, and nothing is written.

    A field of `extra_body` is named by its whole path there, as the caller wrote it.
    """
    with pytest.raises(ValueError, match="JSON, which has no NaN or infinity") as info:
        batch.write_requests(tmp_path / "in.jsonl", ["Hi"], model="m", **kwargs)
    assert str(info.value).startswith(f"{field}: a request is JSON")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["messages", "prompt", "input"])
def test_fields_the_prompts_fill_are_refused(tmp_path, name):
    """messages= (or prompt=, input=) would replace every prompt: refused."""
    with pytest.raises(ValueError, match=f"{name}= would replace every request's prompt"):
        batch.write_requests(tmp_path / "in.jsonl", ["A", "B"], model="m", **{name: "zzz"})


@pytest.mark.parametrize(("model", "error"), [(None, TypeError), (5, TypeError), ("", ValueError)])
def test_model_must_be_a_non_empty_str(tmp_path, model, error):
    """A model that is not a model id is refused before anything is written."""
    with pytest.raises(error, match="model"):
        batch.write_requests(tmp_path / "in.jsonl", ["Hi"], model=model)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"endpoint": "chat"}, ValueError, "endpoint must be one of"),
        ({"guards": None}, ValueError, "guards must be one of 'strict', 'warn', 'off', got None"),
    ],
)
def test_options_are_refused_even_without_prompts(tmp_path, kwargs, error, message):
    """A wrong endpoint or guards is refused before any prompt, even when there are none.

    Was: an empty file written and [] returned; with prompts, "mode must be one of".
    """
    for prompts in ([], ["Hi"]):
        with pytest.raises(error, match=re.escape(message)):
            batch.write_requests(tmp_path / "in.jsonl", prompts, model="gpt-4o-mini", **kwargs)
    assert not (tmp_path / "in.jsonl").exists()


@pytest.mark.parametrize(
    ("base_url", "error", "message"),
    [
        pytest.param(5, TypeError, "base_url is a URL, a str such as", id="int"),
        pytest.param(
            "localhost:8000/v1",
            ValueError,
            "base_url 'localhost:8000/v1' is not a server URL (it must start with http://",
            id="no-scheme",
        ),
    ],
)
def test_a_base_url_that_is_no_url_is_refused(tmp_path, base_url, error, message):
    """A base_url that is no http(s) URL is refused, instead of selecting a lenient profile.

    Was: written, guarded by the compatible profile (top_logprobs=50 passed OpenAI's guards).
    """
    with pytest.raises(error, match=re.escape(message)):
        batch.write_requests(
            tmp_path / "in.jsonl", ["Hi"], model="gpt-4o-mini", top_logprobs=50, base_url=base_url
        )
    assert not (tmp_path / "in.jsonl").exists()


def test_one_str_as_prompts_is_refused(tmp_path):
    """A bare str would be one request per character: a TypeError says to wrap it in a list."""
    with pytest.raises(TypeError, match=r"one prompt per character: pass a list"):
        batch.write_requests(tmp_path / "in.jsonl", "hello", model="m")


def test_custom_ids_must_be_strings(tmp_path):
    """Mapping keys that are not str are refused, not silently replaced by generated ids."""
    with pytest.raises(TypeError, match=r"custom_id 101 is an int.*'101'"):
        batch.write_requests(tmp_path / "in.jsonl", {101: "a", 102: "b"}, model="m")


def test_body_keys_must_be_strings(tmp_path):
    """A mapping in the body with a non-str key is a TypeError naming the field and the fix."""
    with pytest.raises(TypeError, match=r"body.logit_bias has the key 50256 .* as '50256'"):
        batch.write_requests(tmp_path / "in.jsonl", ["Hi"], model="m", logit_bias={50256: -100})
    with pytest.raises(TypeError, match=r"^extra_body.logit_bias has the key 50256 .* as '50256'"):
        batch.write_requests(
            tmp_path / "in.jsonl", ["Hi"], model="m", extra_body={"logit_bias": {50256: -100}}
        )


@pytest.mark.parametrize(
    ("prompt", "says"),
    [
        (None, "the prompt at index 1 is None"),
        ({"role": "user", "content": "x"}, "the prompt at index 1 is a single message dict"),
        (["x"], "message 0 of the prompt at index 1 is a str"),
    ],
)
def test_a_bad_prompt_names_its_index(tmp_path, prompt, says):
    """A prompt that is no str or list of messages is a TypeError naming where it is."""
    (tmp_path / "in.jsonl").write_text("earlier\n")
    with pytest.raises(TypeError, match=says):
        batch.write_requests(tmp_path / "in.jsonl", ["fine", prompt], model="m")
    assert (tmp_path / "in.jsonl").read_text() == "earlier\n"  # the earlier file, untouched


@pytest.mark.parametrize(
    ("option", "says"),
    [
        pytest.param("api_key", "an option of the OpenAI client", id="api_key"),
        pytest.param("organization", "an option of the OpenAI client", id="organization"),
        pytest.param("azure_ad_token", "an option of the OpenAI client", id="azure_ad_token"),
        pytest.param("client", "an option of get_token_distribution", id="client"),
    ],
)
def test_client_options_are_refused_and_never_written(tmp_path, option, says):
    """An API key (or any client option) as a kwarg is a TypeError, its value never shown.

    Was: written into every line's body, so the key went into the file to upload.
    """
    key = "sk-test-SECRET123"
    with pytest.raises(TypeError, match=f"takes no {option}=: it is {says}") as info:
        batch.write_requests(tmp_path / "in.jsonl", ["Hi"], model="m", **{option: key})
    assert key not in str(info.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("endpoint", "name"),
    [
        pytest.param("chat.completions", "url", id="chat-url"),
        pytest.param("chat.completions", "custom_id", id="chat-custom_id"),
        pytest.param("responses", "n", id="responses-n"),
        pytest.param("completions", "top_logprobs_", id="completions-typo"),
    ],
)
def test_a_field_create_does_not_take_is_refused(tmp_path, endpoint, name):
    """A name the SDK's create() refuses is refused here too, pointing to extra_body.

    Was: written into every body (`url=`, `custom_id=` silently became body fields).
    """
    with pytest.raises(TypeError, match=rf"create\(\) takes no {name}=.*extra_body=\{{'{name}'"):
        batch.write_requests(
            tmp_path / "in.jsonl", ["Hi"], model="m", endpoint=endpoint, **{name: 1}
        )
    assert list(tmp_path.iterdir()) == []


def test_server_fields_in_extra_body_are_still_written(tmp_path):
    """A server's own field (vLLM's top_k) goes in through extra_body, as with the SDK."""
    batch.write_requests(tmp_path / "in.jsonl", ["Hi"], model="m", extra_body={"top_k": 5})
    (line,) = [json.loads(x) for x in (tmp_path / "in.jsonl").read_text().splitlines()]
    assert line["body"]["top_k"] == 5


@pytest.mark.parametrize("endpoint", ["chat.completions", "responses", "completions"])
def test_stream_true_is_refused(tmp_path, endpoint):
    """A Batch line is answered with one body, not a stream: stream=True is refused.

    Was: written, a file of requests for streams.
    """
    with pytest.raises(ValueError, match="stream= asks for a stream"):
        batch.write_requests(
            tmp_path / "in.jsonl", ["Hi"], model="m", endpoint=endpoint, stream=True
        )
    with pytest.raises(ValueError, match="stream= asks for a stream"):
        batch.write_requests(
            tmp_path / "in.jsonl", ["Hi"], model="m", endpoint=endpoint, extra_body={"stream": 1}
        )
    assert list(tmp_path.iterdir()) == []
    batch.write_requests(tmp_path / "in.jsonl", ["Hi"], model="m", endpoint=endpoint, stream=False)


def test_a_lone_surrogate_names_its_request(tmp_path):
    """Text UTF-8 cannot write names its request (was: a bare UnicodeEncodeError)."""
    (tmp_path / "in.jsonl").write_text("earlier\n")
    with pytest.raises(ValueError, match=r"messages\[0\]\.content holds '\\ud800'") as info:
        batch.write_requests(tmp_path / "in.jsonl", ["fine", "bad \ud800 text"], model="m")
    assert not isinstance(info.value, UnicodeError)
    assert info.value.__notes__ == ["in the batch request at index 1"]
    with pytest.raises(ValueError, match="holds") as info:
        batch.write_requests(tmp_path / "in.jsonl", {"k": "bad \ud800"}, model="m")
    assert info.value.__notes__ == ["in the batch request at index 0 (custom_id 'k')"]
    assert (tmp_path / "in.jsonl").read_text() == "earlier\n"


def test_an_input_file_read_as_results_says_so(tmp_path):
    """Reading the requests file instead of the output: each line says which file to read."""
    ids = batch.write_requests(tmp_path / "in.jsonl", ["a", "b"], model="gpt-4o-mini")
    results = list(batch.read_results(tmp_path / "in.jsonl"))
    assert [cid for cid, _ in results] == ids
    for _, error in results:
        assert isinstance(error, tp.UnsupportedResponseError)
        assert "request line of a Batch input file" in str(error)
        assert "output_file_id" in str(error)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_utf16_file_is_refused_once_saying_how_to_convert(tmp_path, encoding):
    """PowerShell's `>` writes UTF-16: every line was "not JSON", none said why."""
    line = json.dumps({"custom_id": "a", "response": {"status_code": 200, "body": {}}})
    path = tmp_path / "out.jsonl"
    bom = "\ufeff" if encoding == "utf-16-be" else ""  # Python's utf-16 writes its own BOM
    path.write_text(bom + line + "\n" + line + "\n", encoding=encoding)
    with pytest.raises(tp.UnsupportedResponseError, match="the file is UTF-16") as caught:
        list(batch.read_results(path))
    assert "Set-Content -Encoding utf8" in str(caught.value)


@pytest.mark.parametrize("path", [None, 5, b"out.jsonl"], ids=["none", "int", "bytes"])
def test_read_results_refuses_a_wrong_path_at_the_call(path):
    """A path that is not a str or Path is a TypeError naming `path`, raised at the call.

    Was: pathlib's "expected str, bytes or os.PathLike object", only at the first next().
    """
    with pytest.raises(TypeError, match=r"path must be a str or pathlib\.Path, got "):
        batch.read_results(path)
