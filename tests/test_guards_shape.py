"""Requests no server could answer as meant: a plain TypeError / ValueError, before any rule."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import respx
from tests._client_helpers import client_for

import tokenprobs as tp
from tokenprobs.testing import chat_completion

CHAT, RESP, COMPL = "chat.completions", "responses", "completions"
MSGS = [{"role": "user", "content": "Hi"}]


@pytest.mark.parametrize(
    ("endpoint", "params", "error", "match"),
    [
        pytest.param(CHAT, {}, TypeError, r"no model, which chat\.completions", id="empty"),
        pytest.param(COMPL, {"prompt": "a"}, TypeError, "no model", id="compl-no-model"),
        pytest.param(CHAT, {"model": 5}, TypeError, "got an int: pass a str", id="model-int"),
        pytest.param(RESP, {"model": ["gpt-4o"]}, TypeError, "got a list", id="resp-model-list"),
        pytest.param(CHAT, {"model": " "}, ValueError, "model is empty", id="model-blank"),
        pytest.param(CHAT, {"model": "gpt-4o", "n": 0}, ValueError, "n=0 asks for no", id="n-0"),
        pytest.param(COMPL, {"model": "m", "n": -1}, ValueError, "n=-1", id="n-negative"),
        pytest.param(CHAT, {"model": "gpt-4o", "n": True}, TypeError, "got True", id="n-bool"),
        pytest.param(CHAT, {"model": "gpt-4o", "n": "2"}, TypeError, "got '2'", id="n-str"),
        pytest.param(CHAT, {"model": "gpt-4o", "n": 2.5}, TypeError, "got 2.5", id="n-decimal"),
        pytest.param(
            CHAT, {"model": "gpt-4o", "messages": "Hi"}, TypeError, "got a string", id="msgs-str"
        ),
        pytest.param(
            CHAT, {"model": "m", "messages": MSGS[0]}, TypeError, "single message", id="msgs-dict"
        ),
        pytest.param(
            CHAT,
            {"model": "gpt-4o", "messages": [*MSGS, "Hi"]},
            TypeError,
            r"messages\[1\] is a string",
            id="msgs-item-str",
        ),
        pytest.param(
            CHAT,
            {"model": "gpt-4o", "messages": []},
            ValueError,
            r"messages is empty, which the API refuses .*empty array",
            id="msgs-empty",
        ),
        pytest.param(
            CHAT,
            {"model": "gpt-4o", "messages": [*MSGS, {"content": "Hi"}]},
            ValueError,
            r"messages\[1\] has no 'role', .*'messages\[1\]\.role'",
            id="msgs-item-no-role",
        ),
        pytest.param(
            CHAT,
            {"model": "gpt-4o", "messages": MSGS, "extra_body": "top_k=5"},
            TypeError,
            r"extra_body is a dict of extra request fields, got a str: pass e\.g\. extra_body=\{",
            id="extra-body-str",
        ),
        pytest.param(
            COMPL,
            {"model": "m", "prompt": "a", "extra_query": ["api-version"]},
            TypeError,
            r"extra_query is a dict of extra request fields, got a list",
            id="extra-query-list",
        ),
        pytest.param(
            RESP,
            {"model": "gpt-4o", "include": "message.output_text.logprobs"},
            TypeError,
            r"pass a list, e\.g\. \['message",
            id="include-one-str",
        ),
        pytest.param(
            RESP,
            {"model": "gpt-4o", "include": [None]},
            TypeError,
            r"include\[0\] is None, not an include value: pass a str",
            id="include-item-null",
        ),
        pytest.param(
            RESP,
            {"model": "gpt-4o", "include": ["reasoning.encrypted_content", ["x"]]},
            TypeError,
            r"include\[1\] is \['x'\]",
            id="include-item-list",
        ),
        pytest.param(
            CHAT,
            {"model": "gpt-4o", "logprobs": True, "top_logprobs": np.int64(5)},
            TypeError,
            r"numpy\.int64, which a JSON request cannot carry",
            id="top-numpy",
        ),
        pytest.param(
            COMPL,
            {"model": "m", "prompt": "a", "logprobs": 1, "echo": np.True_},
            TypeError,
            "echo is a numpy",
            id="echo-numpy",
        ),
    ],
)
def test_requests_that_cannot_work_are_refused_plainly(endpoint, params, error, match):
    """Each names what was wrong and what to pass, on every profile (not a made-up API 400)."""
    for profile in ("openai", "vllm", "compatible"):
        with pytest.raises(error, match=match) as info:
            tp.check_request(endpoint, params, profile=profile)
        assert type(info.value) is error
        assert ": pass " in str(info.value)


@pytest.mark.parametrize(
    ("endpoint", "params"),
    [
        pytest.param(CHAT, {"model": "gpt-4o", "logprobs": True}, id="no-messages"),
        pytest.param(RESP, {}, id="responses-empty"),  # a prompt template can name the model
        pytest.param(CHAT, {"model": "gpt-4o", "messages": MSGS, "n": 2}, id="n-2"),
        pytest.param(CHAT, {"model": "gpt-4o", "messages": MSGS, "n": 2.0}, id="n-2.0"),
        pytest.param(CHAT, {"model": "gpt-4o", "messages": iter(MSGS)}, id="msgs-iterable"),
        pytest.param(RESP, {"model": "gpt-4o", "n": 0}, id="responses-has-no-n"),
    ],
)
def test_partial_requests_still_pass(endpoint, params):
    """What check_request always took (create()'s arguments in part) still passes, silently."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tp.check_request(endpoint, params) is None


def test_warn_mode_warns_and_off_mode_is_silent():
    """mode="warn" turns the refusal into a GuardWarning; mode="off" checks nothing."""
    with pytest.warns(tp.GuardWarning, match="cannot work as written: n=0"):
        tp.check_request(CHAT, {"model": "gpt-4o", "n": 0}, mode="warn")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tp.check_request(CHAT, {}, mode="off") is None


def test_get_token_distribution_with_n_0_sends_nothing():
    """The client's guards refuse n=0 before any request."""
    with respx.mock(base_url="https://api.openai.com/v1", assert_all_called=False) as router:
        route = router.post("/chat/completions").respond(200, json=chat_completion([]))
        client = client_for(router)
        with pytest.raises(ValueError, match="n=0"):
            tp.get_token_distribution("Hi", model="gpt-4o", client=client, n=0)
    assert route.call_count == 0


@pytest.mark.parametrize(
    ("messages", "match"),
    [([], "messages is empty"), ([{}], r"messages\[0\] has no 'role'")],
    ids=["empty", "no-role"],
)
def test_get_token_distribution_with_no_usable_message_sends_nothing(messages, match):
    """`[]` and `[{}]` were sent, for the API to answer with a 400."""
    with respx.mock(base_url="https://api.openai.com/v1", assert_all_called=False) as router:
        route = router.post("/chat/completions").respond(200, json=chat_completion([]))
        client = client_for(router)
        with pytest.raises(ValueError, match=match):
            tp.get_token_distribution(messages, model="gpt-4o", client=client)
    assert route.call_count == 0


@pytest.mark.parametrize(
    ("value", "named"),
    [({5}, "is a set, which"), (b"5", "is a bytes, which"), (np.int64(5), "is a numpy.int64")],
)
def test_a_value_json_cannot_carry_is_named_as_python_spells_it(value, named):
    """A built-in type is named plainly (`a set`, not `a builtins.set`); numpy's keep the module."""
    params = {"model": "gpt-4o", "logprobs": True, "top_logprobs": value}
    with pytest.raises(TypeError, match=re.escape(named)) as info:
        tp.check_request(CHAT, params)
    assert "builtins" not in str(info.value)
    assert ("int(top_logprobs)" in str(info.value)) == isinstance(value, np.generic)


def test_an_extra_body_that_is_no_dict_is_refused_before_the_request():
    """`extra_body="x"` ended in the SDK's bare "'str' object is not a mapping" inside create()."""
    with respx.mock(base_url="https://api.openai.com/v1", assert_all_called=False) as router:
        route = router.post("/chat/completions").respond(200, json=chat_completion([]))
        client = client_for(router)
        with pytest.raises(TypeError, match=r"^extra_body is a dict of extra request fields"):
            tp.get_token_distribution(MSGS, model="gpt-4o", client=client, extra_body="x")
    assert route.call_count == 0
