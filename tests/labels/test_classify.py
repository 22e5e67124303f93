"""`tp.classify` through the real SDK, HTTP mocked by respx at the transport."""

from __future__ import annotations

import inspect
import json
import math

import httpx
import pytest

import tokenprobs as tp
from tokenprobs.labels import LabelResults, LabelsWarning, aclassify
from tokenprobs.testing import chat_completion, response

MODEL = "gpt-4o-mini"
LN = math.log


def body(answer, p, alts, finish_reason="stop"):
    """A chat completion answering `answer` with probability `p` and alternatives."""
    return chat_completion(
        [(answer, LN(p), [(a, LN(q)) for a, q in alts])], finish_reason=finish_reason
    )


def request_of(call):
    """The JSON body of a recorded call."""
    return json.loads(call.request.content)


def by_input(request):
    """Answer "Yes" to inputs that mention rain, "No" otherwise."""
    text = json.loads(request.content)["messages"][-1]["content"]
    if "fail" in text:
        return httpx.Response(400, json={"error": {"message": "bad input", "type": "x"}})
    if "rain" in text:
        return httpx.Response(200, json=body("Yes", 0.8, [("Yes", 0.8), ("No", 0.15)]))
    return httpx.Response(200, json=body("No", 0.7, [("No", 0.7), ("Yes", 0.2)]))


def test_order_kept_and_labels_read(api, openai_client):
    """Results come back in input order, each read at the answer position."""
    api.post("/chat/completions").mock(side_effect=by_input)
    inputs = ["rain today", "sunny", "more rain", "dry"]
    res = tp.classify(inputs, ["yes", "no"], model=MODEL, client=openai_client, progress=False)
    assert isinstance(res, LabelResults)
    assert [r.label for r in res] == ["yes", "no", "yes", "no"]
    assert res[0].raw == pytest.approx({"yes": 0.8, "no": 0.15})


def test_failure_in_place(api, openai_client):
    """A failed request holds its exception at its index; the rest are read."""
    api.post("/chat/completions").mock(side_effect=by_input)
    res = tp.classify(
        ["rain", "fail", "dry"], ["yes", "no"], model=MODEL, client=openai_client, progress=False
    )
    assert isinstance(res[1], Exception)
    assert [res[0].label, res[2].label] == ["yes", "no"]
    assert res.ok.tolist() == [True, False, True]
    assert math.isnan(res.matrix()[1, 0])


def test_request_defaults(api, openai_client):
    """Requests ask for logprobs, 20 alternatives, temperature 0 and a few tokens."""
    route = api.post("/chat/completions").mock(side_effect=by_input)
    tp.classify(["rain"], ["yes", "no"], model=MODEL, client=openai_client, progress=False)
    sent = request_of(route.calls[0])
    assert sent["logprobs"] is True
    assert sent["top_logprobs"] == 20
    assert sent["temperature"] == 0
    assert sent["max_tokens"] == 3
    assert "Answer with exactly one of: yes, no." in sent["messages"][-1]["content"]


def test_responses_default_output_tokens_is_the_api_minimum(api, openai_client):
    """Responses refuses `max_output_tokens` below 16: the default asks for 16, not 3."""
    answer = response([("Yes", LN(0.8), [("Yes", LN(0.8)), ("No", LN(0.15))])])
    route = api.post("/responses").respond(200, json=answer)
    res = tp.classify(
        ["rain"],
        ["yes", "no"],
        model=MODEL,
        client=openai_client,
        endpoint="responses",
        progress=False,
    )
    assert request_of(route.calls[0])["max_output_tokens"] == 16
    assert res[0].raw == pytest.approx({"yes": 0.8, "no": 0.15})


async def test_async_twin_asks_responses_for_the_api_minimum_too(api, async_openai_client):
    """`aclassify` shares the request defaults: 16 output tokens on Responses."""
    answer = response([("Yes", LN(0.8), [("Yes", LN(0.8)), ("No", LN(0.15))])])
    route = api.post("/responses").respond(200, json=answer)
    res = await aclassify(
        ["rain"],
        ["yes", "no"],
        model=MODEL,
        client=async_openai_client,
        endpoint="responses",
        progress=False,
    )
    assert request_of(route.calls[0])["max_output_tokens"] == 16
    assert res[0].label == "yes"


def test_top_logprobs_follows_the_model_cap(api, openai_client):
    """A model whose cap is 5 (gpt-5.x in the guard tables) is asked for 5 alternatives."""
    route = api.post("/chat/completions").mock(side_effect=by_input)
    tp.classify(["rain"], ["yes", "no"], model="gpt-5.1", client=openai_client, progress=False)
    assert request_of(route.calls[0])["top_logprobs"] == 5


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        pytest.param("Is it wet? {input}", "Is it wet? rain", id="template"),
        pytest.param(lambda x: [{"role": "user", "content": x.upper()}], "RAIN", id="function"),
    ],
)
def test_prompt(api, openai_client, prompt, expected):
    """The prompt is a template with {input} or a function of the input."""
    route = api.post("/chat/completions").mock(side_effect=by_input)
    tp.classify(
        ["rain"], ["yes", "no"], model=MODEL, client=openai_client, prompt=prompt, progress=False
    )
    assert request_of(route.calls[0])["messages"][-1]["content"] == expected


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        pytest.param("I loved this film", "not one str", id="one-string"),
        pytest.param(b"I loved it", "not one bytes", id="bytes"),
        pytest.param(5, "got an int", id="not-a-list"),
        pytest.param(["fine", None], "input 1 is None, not a string", id="none-in-list"),
        pytest.param(
            {"r1": "rain", "r2": "dry"},
            r"got a dict: it iterates as its keys; pass list\(inputs.values\(\)\)",
            id="a-dict-classified-its-keys",
        ),
        pytest.param(
            {"rain", "dry"},
            r"got a set: its order changes from run to run.*sorted\(inputs\)",
            id="a-set-in-no-fixed-order",
        ),
    ],
)
def test_inputs_that_are_not_a_list_of_texts_are_refused_before_any_request(
    api, openai_client, inputs, message
):
    """A str is a sequence of characters: one request each; TypeError instead, nothing sent."""
    route = api.post("/chat/completions").mock(side_effect=by_input)
    with pytest.raises(TypeError, match=message):
        tp.classify(inputs, ["yes", "no"], model=MODEL, client=openai_client, progress=False)
    assert not route.called


def test_an_answer_position_of_a_wrong_type_is_refused_before_any_request(api, openai_client):
    """`at=1.5` is a TypeError before the requests, not after paying for them."""
    route = api.post("/chat/completions").mock(side_effect=by_input)
    with pytest.raises(TypeError, match="at must be an int, got a float"):
        tp.classify(["rain"], ["yes", "no"], model=MODEL, client=openai_client, at=1.5)
    assert not route.called


async def test_async_twin_refuses_one_string_before_any_request(api, async_openai_client):
    """`aclassify` checks the inputs as `classify` does."""
    route = api.post("/chat/completions").mock(side_effect=by_input)
    with pytest.raises(TypeError, match="not one str"):
        await aclassify("rain", ["yes", "no"], model=MODEL, client=async_openai_client)
    assert not route.called


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        pytest.param({"prompt": 5}, TypeError, "prompt must be a template string", id="prompt-int"),
        pytest.param({"model": None}, TypeError, "model is a model's name", id="model-none"),
        pytest.param({"model": " "}, ValueError, "model is empty", id="model-empty"),
    ],
)
def test_a_prompt_or_model_of_the_wrong_kind_is_refused_before_any_request(
    api, openai_client, options, error, message
):
    """Not "argument of type 'int' is not iterable" or an AttributeError from the guard tables."""
    route = api.post("/chat/completions").mock(side_effect=by_input)
    kwargs = {"model": MODEL, "client": openai_client, "progress": False, **options}
    with pytest.raises(error, match=message):
        tp.classify(["rain"], ["yes", "no"], **kwargs)
    assert not route.called


def test_prompt_without_input_refused(openai_client):
    """A template without {input} is refused before any request."""
    with pytest.raises(ValueError, match=r"\{input\}"):
        tp.classify(["x"], ["yes"], model=MODEL, client=openai_client, prompt="Classify")


def test_multi_token_labels_warn(api, openai_client):
    """Answers that show a label is not a single token say so."""
    answer = body("Pos", 0.6, [("Pos", 0.6), ("Neg", 0.3)], finish_reason="length")
    api.post("/chat/completions").respond(200, json=answer)
    with pytest.warns(
        LabelsWarning, match=r"\['negative', 'positive'\] are not single tokens"
    ) as record:
        res = tp.classify(
            ["x"], ["positive", "negative"], model=MODEL, client=openai_client, progress=False
        )
    assert res[0].bounds["positive"] == pytest.approx((0.0, 0.7))
    assert record[0].filename == __file__  # the warning points at the caller's line


@pytest.mark.extras
def test_to_pandas(api, openai_client):
    """One row per input: label, probabilities, bounds, the error of a failed one."""
    api.post("/chat/completions").mock(side_effect=by_input)
    res = tp.classify(
        ["rain", "fail"], ["yes", "no"], model=MODEL, client=openai_client, progress=False
    )
    df = res.to_pandas()
    assert df["label"].isna().tolist() == [False, True]
    assert df.loc[0, "label"] == "yes"
    assert df.loc[0, "p_yes"] == pytest.approx(0.8 / 0.95)
    assert df.loc[0, "hi_no"] == pytest.approx(0.15 + 0.05)
    assert df.loc[1, "error"].startswith("BadRequestError")


@pytest.mark.extras
@pytest.mark.parametrize(
    "items",
    [
        pytest.param([], id="no-input"),
        pytest.param([RuntimeError("down")], id="all-failed"),
        pytest.param(["answer", RuntimeError("down")], id="mixed"),
        pytest.param(["answer"], id="all-read"),
    ],
)
def test_to_pandas_has_the_same_columns_and_types_whatever_failed(items):
    """The table of no input, or of failures only, has the columns of a full one, same types."""
    answer = tp.parse(body("Yes", 0.8, [("Yes", 0.8), ("No", 0.15)]))
    labels = tp.Labels(["yes", "no"])
    full = labels.probs_many([answer]).to_pandas()
    df = labels.probs_many([answer if x == "answer" else x for x in items]).to_pandas()
    assert df.columns.tolist() == full.columns.tolist()
    assert df.dtypes.astype(str).to_dict() == full.dtypes.astype(str).to_dict()
    assert str(df["exact"].dtype) == "boolean"
    assert str(df["position"].dtype) == "Int64"
    assert len(df) == len(items)


def test_async_twin_has_the_same_signature():
    """`aclassify` takes the parameters of `classify`, in order, with the same defaults."""
    sync = inspect.signature(tp.classify).parameters
    asyn = inspect.signature(aclassify).parameters
    assert list(sync) == list(asyn)
    for name in sync:
        assert (sync[name].kind, sync[name].default) == (asyn[name].kind, asyn[name].default)
        if name != "client":
            assert sync[name].annotation == asyn[name].annotation
    assert (
        inspect.signature(tp.classify).return_annotation
        == inspect.signature(aclassify).return_annotation
    )


async def test_async_twin_reads_and_sends_the_same(api, async_openai_client):
    """`aclassify` sends what `classify` sends and reads the answers the same way, in order."""
    route = api.post("/chat/completions").mock(side_effect=by_input)
    res = await aclassify(
        ["rain today", "fail", "dry"],
        ["yes", "no"],
        model=MODEL,
        client=async_openai_client,
        progress=False,
    )
    assert isinstance(res, LabelResults)
    assert res[0].label == "yes"
    assert isinstance(res[1], Exception)
    assert res[2].label == "no"
    assert res[0].raw == pytest.approx({"yes": 0.8, "no": 0.15})
    sent = request_of(route.calls[0])
    assert (sent["top_logprobs"], sent["temperature"], sent["max_tokens"]) == (20, 0, 3)


async def test_async_twin_warns_on_multi_token_labels(api, async_openai_client):
    """The multi-token warning of `classify` comes from `aclassify` too."""
    api.post("/chat/completions").mock(
        return_value=httpx.Response(200, json=body("New", 0.6, [("New", 0.6), ("Paris", 0.3)]))
    )
    with pytest.warns(LabelsWarning, match="not single tokens") as record:
        await aclassify(
            ["where?"],
            ["New York", "Paris"],
            model=MODEL,
            client=async_openai_client,
            progress=False,
        )
    assert record[0].filename == __file__


def test_single_token_label_with_a_prefix_alternative_does_not_warn(api, openai_client):
    """A "Yes" returned whole, with "Y" among the alternatives: the label is a single token."""
    answer = body("Yes", 0.8, [("Yes", 0.8), ("No", 0.15), ("Y", 0.01)])
    api.post("/chat/completions").respond(200, json=answer)
    res = tp.classify(["x"], ["yes", "no"], model=MODEL, client=openai_client, progress=False)
    assert res[0].multi_token == frozenset()
    assert res[0].raw["yes"] == pytest.approx(0.81)
    assert res[0].bounds["yes"][0] == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        pytest.param(
            {"progress": "x"}, TypeError, "`progress` must be True or False", id="progress"
        ),
        pytest.param({"max_tokens": 0}, ValueError, "max_tokens must be at least 1", id="zero"),
        pytest.param({"max_tokens": "3"}, TypeError, "max_tokens must be an integer", id="str"),
        pytest.param({"max_tokens": True}, TypeError, "max_tokens must be an integer", id="bool"),
    ],
)
def test_options_of_the_wrong_kind_are_refused_before_any_request(
    api, openai_client, options, error, message
):
    """Not a request per input with `max_tokens=0`, or a `progress="x"` read as true."""
    route = api.post("/chat/completions").mock(side_effect=by_input)
    with pytest.raises(error, match=message):
        tp.classify(["rain", "dry"], ["yes", "no"], model=MODEL, client=openai_client, **options)
    assert not route.called


@pytest.mark.parametrize(
    ("returned", "message"),
    [
        pytest.param(5, "the prompt at index 0 is an int", id="int"),
        pytest.param(None, "the prompt at index 0 is None", id="none"),
        pytest.param({"role": "user", "content": "x"}, "single message dict", id="one-message"),
        pytest.param(["rain", 3], "message 0 of the prompt at index 0 is a str", id="not-messages"),
    ],
)
def test_a_prompt_function_that_returns_no_prompt_is_refused_once_naming_it(
    api, openai_client, returned, message
):
    """A prompt= function's bug is one TypeError naming it, not an error in every result."""
    route = api.post("/chat/completions").mock(side_effect=by_input)

    def make_prompt(_x):
        """Return what is no prompt."""
        return returned

    with pytest.raises(TypeError, match=rf"prompt= function .*make_prompt .*input 0: .*{message}"):
        tp.classify(
            ["rain", "dry"], ["yes", "no"], model=MODEL, client=openai_client, prompt=make_prompt
        )
    assert not route.called


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        pytest.param({"endpoint": "chat"}, ValueError, "endpoint must be one of", id="endpoint"),
        pytest.param(
            {"top_logprobs": 25}, tp.GuardError, "less than or equal to 20", id="over-the-cap"
        ),
        pytest.param({"temperature": math.nan}, ValueError, "no NaN", id="nan-option"),
    ],
)
def test_what_is_wrong_for_every_input_is_refused_once_before_any_request(
    api, openai_client, options, error, message
):
    """A bad endpoint or an over-the-cap top_logprobs is one error, not one per input."""
    route = api.post("/chat/completions").mock(side_effect=by_input)
    with pytest.raises(error, match=message):
        tp.classify(
            ["rain", "dry"],
            ["yes", "no"],
            model=MODEL,
            client=openai_client,
            progress=False,
            **options,
        )
    assert not route.called


def test_warn_guards_still_send_and_warn_per_request(api, openai_client):
    """Under guards="warn" the up-front check refuses nothing the guards would only warn of."""
    route = api.post("/chat/completions").mock(side_effect=by_input)
    with pytest.warns(tp.GuardWarning):
        res = tp.classify(
            ["rain"],
            ["yes", "no"],
            model=MODEL,
            client=openai_client,
            progress=False,
            top_logprobs=25,
            guards="warn",
        )
    assert route.called
    assert res[0].label == "yes"


async def test_async_twin_refuses_what_is_wrong_for_every_input_once(api, async_openai_client):
    """`aclassify` runs the same up-front checks."""
    route = api.post("/chat/completions").mock(side_effect=by_input)
    with pytest.raises(tp.GuardError, match="less than or equal to 20"):
        await aclassify(
            ["rain", "dry"],
            ["yes", "no"],
            model=MODEL,
            client=async_openai_client,
            top_logprobs=25,
        )
    assert not route.called


@pytest.mark.parametrize("n", [2, 0, True])
def test_several_choices_are_refused_before_any_request(api, openai_client, n):
    """`n=2` used to send, pay for both choices and read only the first: now refused up front."""
    two = chat_completion(
        [("Yes", LN(0.8), [("Yes", LN(0.8)), ("No", LN(0.2))])],
        [("No", LN(0.6), [("No", LN(0.6)), ("Yes", LN(0.4))])],
    )
    route = api.post("/chat/completions").respond(200, json=two)
    with pytest.raises(ValueError, match=rf"one answer per input, got n={n!r}: the other"):
        tp.classify(["rain"], ["yes", "no"], model=MODEL, client=openai_client, n=n)
    assert not route.called


def test_one_choice_asked_for_by_name_is_read(api, openai_client):
    """`n=1` is what classify sends anyway: allowed."""
    api.post("/chat/completions").mock(side_effect=by_input)
    res = tp.classify(["rain"], ["yes", "no"], model=MODEL, client=openai_client, n=1)
    assert res[0].label == "yes"


JSON_ANSWER = [
    ('{"', 0.0, []),
    ("sentiment", 0.0, []),
    ("_of", 0.0, []),
    ("_review", 0.0, []),
    ('":', 0.0, []),
    (' "', 0.0, []),
    ("positive", LN(0.9), [("positive", LN(0.9)), ("negative", LN(0.1))]),
    ('"}', 0.0, []),
]


def as_many_tokens_as_asked(request):
    """The JSON answer cut at the request's `max_tokens`, as a server cuts it."""
    limit = json.loads(request.content)["max_tokens"]
    cut = JSON_ANSWER[:limit]
    reason = "length" if limit < len(JSON_ANSWER) else "stop"
    return httpx.Response(200, json=chat_completion(cut, finish_reason=reason))


@pytest.mark.parametrize(
    "at", [pytest.param("sentiment_of_review", id="json-key"), pytest.param(6, id="position")]
)
def test_the_default_max_tokens_reaches_the_answer_that_at_names(api, openai_client, at):
    """With `at=` a JSON key (or a later position) the default budget covers what comes first.

    It used to be the label's few tokens only, so the answer was cut before the key's value and
    every input was a LabelPositionError.
    """
    api.post("/chat/completions").mock(side_effect=as_many_tokens_as_asked)
    res = tp.classify(
        ["great film"], ["positive", "negative"], model=MODEL, client=openai_client, at=at
    )
    assert res[0].label == "positive"
    assert res[0].raw == pytest.approx({"positive": 0.9, "negative": 0.1})
