"""`check_request` on hostile params: never a crash, never a pass of a request the API refuses."""

from __future__ import annotations

import math
import warnings

import openai
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.reliability._checks import COUNTS
from tests.reliability.conftest import SCALE
from tests.reliability.strategies import hostile_values

import tokenprobs as tp

ENDPOINTS = ("chat.completions", "completions", "responses")
KEYS = (
    "model",
    "messages",
    "input",
    "prompt",
    "logprobs",
    "top_logprobs",
    "n",
    "echo",
    "stream",
    "include",
    "reasoning_effort",
    "reasoning",
    "extra_body",
    "max_tokens",
)
MODELS = st.one_of(
    st.sampled_from(["gpt-4o", "gpt-4o-mini", "gpt-5.4", "gpt-5", "o4-mini", "ft:gpt-4o:x:y"]),
    st.sampled_from(["gpt-3.5-turbo-instruct", "", "GPT-4O", "gpt-4o\x00"]),
    hostile_values(),
)


def _run(endpoint, params, **kwargs):
    """`check_request`: `None` (passed), the guard error, or the warnings it gave.

    A request no server could answer as meant (no `model`, `n=0`, a value JSON cannot carry)
    is a plain `TypeError` / `ValueError` of the guards, saying what to pass.
    """
    COUNTS["guard params"] += 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            tp.check_request(endpoint, params, **kwargs)
        except tp.GuardError as exc:
            assert isinstance(exc, openai.BadRequestError | openai.PermissionDeniedError)  # noqa: PT017
            assert str(exc)  # noqa: PT017
            return exc
        except (TypeError, ValueError) as exc:
            assert type(exc) in {TypeError, ValueError}  # noqa: PT017 - not a KeyError's kin
            assert ": pass " in str(exc)  # noqa: PT017 - and says what to pass
            return exc
    for w in caught:
        assert issubclass(w.category, tp.GuardWarning), w
    return None


@settings(max_examples=100 * SCALE)
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    params=st.dictionaries(st.sampled_from(KEYS), hostile_values(), max_size=6),
    model=MODELS,
    base_url=st.sampled_from(
        [None, "http://localhost:8000/v1", "https://x.openai.azure.com/openai/v1"]
    ),
)
def test_hostile_params_never_crash(endpoint, params, model, base_url):
    """Any params: a pass, a GuardWarning, a GuardError or a plain TypeError / ValueError."""
    _run(endpoint, {"model": model, **params}, base_url=base_url)


BAD_TOP = st.one_of(
    st.integers(min_value=21),
    st.integers(max_value=-1),
    st.text(max_size=3),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.just(math.nan),
    st.just(math.inf),
)


@settings(max_examples=60 * SCALE)
@given(top=BAD_TOP, model=st.sampled_from(["gpt-4o", "gpt-4o-mini", "gpt-4.1"]))
def test_invalid_top_logprobs_is_never_passed(top, model):
    """A `top_logprobs` the API refuses on chat (not an integer in 0..20) is always refused."""
    params = {
        "model": model,
        "messages": [{"role": "user", "content": "x"}],
        "logprobs": True,
        "top_logprobs": top,
    }
    assert _run("chat.completions", params) is not None


@settings(max_examples=40 * SCALE)
@given(top=st.integers(0, 20), model=st.sampled_from(["gpt-4o", "gpt-4o-mini", "gpt-4.1"]))
def test_valid_top_logprobs_passes(top, model):
    """Every valid `top_logprobs` on chat passes (the guards never refuse a good request)."""
    params = {
        "model": model,
        "messages": [{"role": "user", "content": "x"}],
        "logprobs": True,
        "top_logprobs": top,
    }
    assert _run("chat.completions", params) is None


@pytest.mark.parametrize("value", ["x", True, -1, [1]])
def test_invalid_legacy_logprobs_is_refused(value):
    """Legacy `logprobs` of a wrong type or below 0 is refused like the API refuses it."""
    params = {"model": "gpt-3.5-turbo-instruct", "prompt": "x", "logprobs": value}
    assert _run("completions", params) is not None


def test_include_with_an_unhashable_item_is_refused_not_a_crash():
    """`include: [[]]` on Responses is refused like any invalid include value."""
    assert _run("responses", {"model": "gpt-4o", "include": [[]]}) is not None


def test_lone_surrogate_in_include_is_refused_not_a_crash():
    """An include item with a lone surrogate (JSON can carry one) gets the invalid-value 400."""
    with pytest.raises(tp.GuardError) as info:
        tp.check_request("responses", {"model": "gpt-4o", "include": ["\ud800"]})
    assert info.value.body["message"].startswith("Invalid value: '\\ud800'.")
    assert info.value.param == "include[0]"
