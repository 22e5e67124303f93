"""TokenDistribution: columnar, lazy, frozen, and a lossless pydantic JSON round trip."""

from __future__ import annotations

import copy
import json
import pickle

import numpy as np
import pydantic
import pytest
from openai.types.chat import ChatCompletionTokenLogprob
from tests._recorded import RECORDED

import tokenprobs as tp
from tokenprobs import testing

WITH_LOGPROBS = sorted(
    p.name
    for p in RECORDED.glob("*")
    if p.suffix in {".json", ".sse"}
    and not p.name.startswith("error_")
    and "not_requested" not in p.name
    and "FRAGMENTS" not in p.name
)


def test_recorded_fixtures_are_found():
    """The recorded fixtures are where the tests expect them (a guard against testing nothing)."""
    assert len(WITH_LOGPROBS) >= 8


@pytest.mark.parametrize("name", WITH_LOGPROBS)
def test_json_round_trip_of_every_recorded_fixture(name):
    """model_dump_json → model_validate_json gives an equal distribution for every fixture."""
    for d in tp.parse_all((RECORDED / name).read_bytes()):
        again = tp.TokenDistribution.model_validate_json(d.model_dump_json())
        assert again == d
        assert again.text == d.text
        assert again.source == d.source
        assert np.array_equal(again.top_logprobs, d.top_logprobs)


def test_round_trip_keeps_nulls_sentinel_and_metadata():
    """Sentinels, bytes null, empty alternatives, refusal, choice, finish reason survive JSON."""
    body = testing.chat_completion(
        [("x", -0.5, []), ("y", -0.1, [("y", -0.1), ("z", -9999.0)])],
        [("no", -9999.0, [("a", 0.0)])],
        refusal=True,
        finish_reason="length",
    )
    body["choices"][1]["logprobs"]["refusal"][0]["bytes"] = None
    d = tp.parse(body, choice=1)
    dumped = json.loads(d.model_dump_json())
    assert dumped["token_bytes"] == [None]
    assert dumped["logprobs"] == [-9999.0]
    again = tp.TokenDistribution.model_validate(dumped)
    assert again == d
    assert (again.choice, again.refusal, again.finish_reason) == (1, True, "length")
    first = tp.parse(body)
    assert json.loads(first.model_dump_json())["top_logprobs"] == [[], [-0.1, -9999.0]]


def test_field_of_a_users_model():
    """A TokenDistribution can be a field of a user's pydantic model and round-trip with it."""

    class Judged(pydantic.BaseModel):
        label: str
        dist: tp.TokenDistribution

    d = tp.parse(testing.chat_completion([("Yes", -0.01, [("Yes", -0.01), ("No", -4.6)])]))
    j = Judged(label="yes", dist=d)
    assert Judged.model_validate_json(j.model_dump_json()) == j
    assert "dist" in Judged.model_json_schema()["properties"]


def test_invalid_json_is_a_validation_error():
    """Columns that disagree in length fail validation with pydantic's ValidationError."""
    d = tp.parse(testing.chat_completion([("a", -0.1, []), ("b", -0.2, [])]))
    data = json.loads(d.model_dump_json())
    data["logprobs"] = [-0.1]
    with pytest.raises(pydantic.ValidationError, match="disagree"):
        tp.TokenDistribution.model_validate(data)


@pytest.mark.parametrize(
    ("field", "good", "bad", "message"),
    [
        pytest.param(
            "top_null", [1], [2], r"top_null lists positions 0\.\.1, got \[2\]", id="past"
        ),
        pytest.param("top_null", [0], [-1], r"positions 0\.\.1, got \[-1\]", id="negative"),
    ],
)
def test_top_null_out_of_range_is_a_validation_error(field, good, bad, message):
    """A top_null naming no position (`[2]` of two, `[-1]`) was read back as it was."""
    d = tp.parse(testing.chat_completion([("a", -0.1, []), ("b", -0.2, [])]))
    data = json.loads(d.model_dump_json())
    assert getattr(tp.TokenDistribution.model_validate({**data, field: good}), field) == good
    with pytest.raises(pydantic.ValidationError, match=message):
        tp.TokenDistribution.model_validate({**data, field: bad})


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        pytest.param("logprobs", {}, r"expected numbers \(null for none\), got a dict", id="dict"),
        pytest.param("logprobs", "0.5", r"got a str \('0\.5'\)", id="text"),
        pytest.param("logprobs", True, r"got a bool \(True\)", id="bool"),
        pytest.param("top_logprobs", {}, r"got a dict", id="alt-dict"),
        pytest.param("top_logprobs", "nan", r"got a str \('nan'\)", id="alt-nan-text"),
        pytest.param("top_logprobs", None, r"an alternative's logprob is null", id="alt-null"),
    ],
)
def test_a_logprob_that_is_no_number_is_a_validation_error(field, value, message):
    """A logprob that is no number is refused by name, as `tp.parse` refuses it.

    numpy read "0.5", "nan" and True as numbers and a dict as a TypeError from deep inside; an
    alternative's null became a NaN that `tp.parse` never gives (entropy NaN).
    """
    d = tp.parse(testing.chat_completion([("a", -0.1, [("a", -0.1), ("b", -3.0)])]))
    data = json.loads(d.model_dump_json())
    if field == "logprobs":
        data["logprobs"][0] = value
    else:
        data["top_logprobs"][0][1] = value
    with pytest.raises(pydantic.ValidationError, match=message):
        tp.TokenDistribution.model_validate_json(json.dumps(data))
    numpy_scalars = {**json.loads(d.model_dump_json()), "logprobs": [np.float64(-0.1)]}
    assert tp.TokenDistribution.model_validate(numpy_scalars).logprobs.tolist() == [-0.1]


def test_arrays_do_not_build_positions(monkeypatch):
    """logprobs, top_logprobs and probs are read without building any TokenLogprob."""
    built = []
    original = tp.TokenLogprob.model_construct.__func__

    def spy(cls, *args, **kwargs):
        built.append(1)
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(tp.TokenLogprob, "model_construct", classmethod(spy))
    d = tp.parse(testing.chat_completion([("a", -0.1, [("a", -0.1), ("b", -3.0)])] * 50))
    _ = d.logprobs, d.top_logprobs, d.probs, d.text, d.tokens, d.top_tokens
    assert built == []
    _ = d[3]
    assert built == [1]


def test_arrays_are_read_only_and_model_frozen():
    """Arrays cannot be written and fields cannot be reassigned."""
    d = tp.parse(testing.chat_completion([("a", -0.1, [])]))
    with pytest.raises(ValueError, match="read-only"):
        d.logprobs[0] = 0.0
    with pytest.raises(pydantic.ValidationError):
        d.source = "other"


def test_sequence_protocol():
    """len, indexing (negative too), slicing and iteration give TokenLogprob objects."""
    d = tp.parse(testing.chat_completion([("a", -0.1, [("a", -0.1)]), ("b", -0.2, [])]))
    assert len(d) == 2
    assert d[-1].token == "b"
    assert [t.token for t in d] == ["a", "b"]
    assert [t.token for t in d[0:1]] == ["a"]
    assert d[0].top_logprobs[0].token == "a"
    with pytest.raises(IndexError):
        d[2]


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda d: d["a"], id="getitem-str"),
        pytest.param(lambda d: d[1.0], id="getitem-float"),
        pytest.param(lambda d: d.alternatives(1.0), id="alternatives-float"),
        pytest.param(lambda d: d.uncertain(threshold="0.5"), id="threshold-str"),
    ],
)
def test_a_position_that_is_no_integer_is_a_type_error(call):
    """A position or threshold of the wrong type is a TypeError naming it, not numpy's error."""
    d = tp.parse(testing.chat_completion([("a", -0.1, [("a", -0.1)]), ("b", -0.2, [])]))
    with pytest.raises(TypeError, match=r"position is an integer|takes a number"):
        call(d)


def test_uncertain_names_its_measures():
    """`uncertain(by=...)` outside prob / entropy / margin is a ValueError listing them."""
    d = tp.parse(testing.chat_completion([("a", -0.1, [("a", -0.1)])]))
    with pytest.raises(ValueError, match="'prob', 'entropy' or 'margin', got 'probability'"):
        d.uncertain(threshold=0.5, by="probability")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"'prob', 'entropy' or 'margin', got \['prob'\]"):
        d.uncertain(threshold=0.5, by=["prob"])  # type: ignore[arg-type]  # was "unhashable type"


def test_token_logprob_openai_round_trip():
    """TokenLogprob converts to and from the SDK's ChatCompletionTokenLogprob."""
    sdk = ChatCompletionTokenLogprob.model_validate(
        testing.chat_completion([("Hi", -0.2, [("Hi", -0.2), ("Yo", -9999.0)])])["choices"][0][
            "logprobs"
        ]["content"][0]
    )
    ours = tp.TokenLogprob.from_openai(sdk)
    assert ours.to_openai() == sdk
    assert ours.top_logprobs[1].prob == 0.0
    assert ours.prob == pytest.approx(np.exp(-0.2))
    assert tp.TopLogprob(token="x", logprob=0.3).prob == 1.0


def test_token_logprob_from_openai_reads_the_entry_dict():
    """The entry as JSON has it (a dict) builds the same TokenLogprob as the SDK object."""
    entry = testing.chat_completion([("Hi", -0.2, [("Hi", -0.2), ("Yo", -3.0)])])["choices"][0][
        "logprobs"
    ]["content"][0]
    sdk = ChatCompletionTokenLogprob.model_validate(entry)
    assert tp.TokenLogprob.from_openai(entry) == tp.TokenLogprob.from_openai(sdk)
    assert tp.TopLogprob.from_openai(entry["top_logprobs"][1]).token == "Yo"


@pytest.mark.parametrize(
    ("obj", "says"),
    [
        pytest.param(
            None, r"TokenLogprob\.from_openai takes .*got None without `token`", id="none"
        ),
        pytest.param({"token": "a"}, "got a dict without `logprob`", id="no-logprob"),
        pytest.param(
            {"token": "a", "logprob": -1.0, "top_logprobs": 3},
            "top_logprobs is a list, got an int",
            id="top-int",
        ),
        pytest.param(
            {"token": "a", "logprob": -1.0, "top_logprobs": [None]},
            r"TopLogprob\.from_openai takes .*got None without `token`",
            id="top-none",
        ),
    ],
)
def test_token_logprob_from_openai_names_what_is_missing(obj, says):
    """`from_openai(None)` failed with "'NoneType' object has no attribute 'token'"."""
    with pytest.raises(TypeError, match=says):
        tp.TokenLogprob.from_openai(obj)


def test_position_equals_sdk_entry():
    """d[i] equals the SDK entry it came from, field for field."""
    body = testing.chat_completion([("Hi", -0.2, [("Hi", -0.2), ("Yo", -1.0)])])
    d = tp.parse(body)
    entry = body["choices"][0]["logprobs"]["content"][0]
    assert d[0].model_dump() == entry


def test_repr_is_short():
    """Repr names the source and size, not thousands of floats."""
    d = tp.parse(testing.chat_completion([("word ", -0.1, [])] * 500))
    text = repr(d)
    assert text.startswith("TokenDistribution(source='chat', tokens=500")
    assert len(text) < 200


def test_hash_and_equality():
    """Equal distributions hash equal; a changed logprob makes them differ."""
    a = tp.parse(testing.chat_completion([("a", -0.1, [])]))
    b = tp.parse(testing.chat_completion([("a", -0.1, [])]))
    c = tp.parse(testing.chat_completion([("a", -0.2, [])]))
    assert a == b
    assert hash(a) == hash(b)
    assert a != c
    assert a != "a"


def test_round_trip_keeps_content_filters_and_provenance():
    """content, the Azure filter results, values_from and bytes_decoded survive JSON."""
    body = testing.azure(testing.chat_completion([("Hi", -0.1, []), ("<|im_end|>", -0.01, [])]))
    body["choices"][0]["message"]["content"] = "Hi"
    d = tp.parse(body).model_copy(update={"values_from": "response", "bytes_decoded": "gpt2"})
    again = tp.TokenDistribution.model_validate_json(d.model_dump_json())
    assert again == d
    for name in ("content", "prompt_filter_results", "content_filter_results"):
        assert getattr(again, name) == getattr(d, name) is not None
    assert (again.values_from, again.bytes_decoded) == ("response", "gpt2")
    assert again.text_matches_content is False
    assert again.special.tolist() == [False, True]
    assert again.content_spans().tolist() == [[0, 2], [2, 2]]


def test_equal_distributions_hash_equal_whatever_the_sign_of_zero():
    """A logprob of -0.0 beside 0.0 was equal under == but hashed apart (two entries in a set)."""
    a = tp.parse(testing.chat_completion([("Hi", 0.0, [("Hi", 0.0)])]))
    b = tp.parse(testing.chat_completion([("Hi", -0.0, [("Hi", -0.0)])]))
    assert np.signbit(b.logprobs[0])
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b}) == 1


def test_a_null_logprob_has_an_unknown_prob():
    """TopLogprob.prob gave 0.0 for a NaN logprob (the API's null) where d.probs gives NaN."""
    body = testing.completion([("Hi", None, []), ("!", -0.5, [])])
    d = tp.parse(body)
    assert np.isnan(d.probs[0])
    assert np.isnan(d[0].prob)
    assert np.isnan(tp.TopLogprob(token="Hi", logprob=float("nan")).prob)
    assert tp.TopLogprob(token="Hi", logprob=-9999.0).prob == 0.0


@pytest.mark.parametrize("raw", [[300, 105], [-1]], ids=["above-255", "negative"])
def test_json_with_bytes_outside_a_byte_is_refused_where_it_is_read(raw):
    """A byte value outside 0..255 was accepted, then d.text raised a bare ValueError."""
    d = tp.parse(testing.chat_completion([("Hi", -0.1, [("Hi", -0.1)])]))
    doc = json.loads(d.model_dump_json())
    doc["token_bytes"][0] = raw
    with pytest.raises(pydantic.ValidationError, match=r"token_bytes\.0\."):
        tp.TokenDistribution.model_validate(doc)
    with pytest.raises(pydantic.ValidationError, match="bytes"):
        tp.TopLogprob(token="Hi", bytes=raw, logprob=-0.1)


def test_model_copy_with_an_update_recomputes_what_is_derived():
    """model_copy(update=...) kept the original's cached text, perplexity and candidates."""
    d = tp.parse(testing.chat_completion([("Hi", -0.1, [("Hi", -0.1)]), ("!", -0.5, [])]))
    assert (d.text, d.candidates.keys(0), round(d.perplexity, 4)) == ("Hi!", [b"Hi"], 1.3499)
    logprobs = np.array([-1.0, -2.0])
    logprobs.flags.writeable = False
    e = d.model_copy(
        update={"tokens": ["Yo", "?"], "token_bytes": [None, None], "logprobs": logprobs}
    )
    assert e.text == "Yo?"
    assert e.candidates.keys(0) == [b"Hi", b"Yo"]
    assert e.perplexity == pytest.approx(np.exp(1.5))
    assert d.text == "Hi!"
    assert d.model_copy() == d
    assert d.model_copy(update={"incomplete": True}).candidates is d.candidates  # nothing it reads


@pytest.mark.parametrize(
    ("update", "says"),
    [
        pytest.param({"tokens": ["x"]}, r"columns disagree with len\(tokens\) = 1", id="tokens"),
        pytest.param({"logprobs": [-1.0]}, r"\{'logprobs': 1\}", id="logprobs"),
        pytest.param({"top_null": [5]}, "top_null lists positions 0..1", id="top-null"),
        pytest.param({"prompt_length": 3}, "prompt_length 3 is outside 0..2", id="prompt-length"),
    ],
)
def test_model_copy_that_breaks_the_columns_is_refused(update, says):
    """A copy whose columns disagree is a ValueError naming them.

    It was accepted, then failed deep inside (`d.text`: "zip() argument 2 is longer than
    argument 1") or gave wrong numbers (a perplexity of one position).
    """
    d = tp.parse(testing.chat_completion([("a", -0.2, []), ("b", -0.1, [("b", -0.1)])]))
    with pytest.raises(ValueError, match=says):
        d.model_copy(update=update)


def test_model_copy_takes_a_list_of_numbers_as_a_read_only_array():
    """`update={"logprobs": [...]}` gives the array the constructor would, metrics and all."""
    d = tp.parse(testing.chat_completion([("a", -0.2, []), ("b", -0.1, [("b", -0.1)])]))
    e = d.model_copy(update={"logprobs": [-1.0, -2.0]})
    assert isinstance(e.logprobs, np.ndarray)
    assert not e.logprobs.flags.writeable
    assert e.perplexity == pytest.approx(np.exp(1.5))
    assert e.response is d.response


@pytest.mark.parametrize(
    "duplicate",
    [
        pytest.param(lambda d: pickle.loads(pickle.dumps(d)), id="pickle"),  # noqa: S301 - our own
        pytest.param(copy.deepcopy, id="deepcopy"),
        pytest.param(lambda d: d.model_copy(deep=True), id="model_copy-deep"),
    ],
)
def test_copies_keep_their_arrays_read_only(duplicate):
    """Unpickled and deep-copied distributions had writeable arrays: d.logprobs[0] = 5 worked."""
    d = tp.parse(testing.chat_completion([("Hi", -0.1, [("Hi", -0.1)]), ("!", -0.5, [])]))
    assert d.text == "Hi!"
    assert d.candidates.tail.size == 2  # derived values are in the state that is copied
    e = duplicate(d)
    assert e == d
    for name in ("logprobs", "top_logprobs", "token_ids", "top_token_ids", "requested_logprobs"):
        with pytest.raises(ValueError, match="read-only"):
            getattr(e, name)[0] = 5
    with pytest.raises(ValueError, match="read-only"):
        e.candidates.logprobs[0, 0] = 0.0
    assert e.text == "Hi!"
