"""The guards' run-time tables: what registration accepts, and what it leaves as it was."""

from __future__ import annotations

import dataclasses
import threading

import pytest

import tokenprobs as tp
from tokenprobs import guards

CHAT = "chat.completions"


@pytest.fixture(autouse=True)
def _clean_registry():
    """Every test starts and ends with the built-in tables."""
    guards.reset()
    yield
    guards.reset()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        pytest.param(
            {"like": "vllm", "base_urls": "http://gpu-box*"},
            TypeError,
            r"one string .*pass \('http://gpu-box\*',\)",
            id="base_urls-one-str",
        ),
        pytest.param({"base_urls": (None,)}, TypeError, "fnmatch patterns", id="base_urls-none"),
        pytest.param({"like": "vllm", "max_top_logprobs": "50"}, TypeError, "an int", id="cap-str"),
        pytest.param(
            {"like": "vllm", "max_top_logprobs": True}, TypeError, "an int", id="cap-bool"
        ),
        pytest.param(
            {"like": "vllm", "max_top_logprobs": -1}, ValueError, "0 or more", id="cap-neg"
        ),
        pytest.param(
            {"max_top_logprobs": 50}, ValueError, "would change nothing.*like='vllm'", id="cap-like"
        ),
        pytest.param({"like": "nope"}, ValueError, "like='nope' is not a guard profile", id="like"),
    ],
)
def test_register_profile_refuses_what_it_could_not_use(kwargs, error, match):
    """A bad argument is refused when registering, and the tables stay as they were."""
    with pytest.raises(error, match=match):
        guards.register_profile("box", **kwargs)
    assert guards.select_profile("https://api.openai.com/v1").name == "openai"
    with pytest.raises(ValueError, match="unknown guard profile"):
        guards.select_profile(None, "box")


def test_register_profile_refuses_what_is_no_profile():
    """Neither a name nor a GuardProfile: a TypeError naming what was given."""
    with pytest.raises(TypeError, match=r"a name .* or a GuardProfile, got int"):
        guards.register_profile(5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("family", "kwargs", "error", "match"),
    [
        pytest.param("gpt-6*", {"max_top_logprobs": "5"}, TypeError, "an int", id="cap-str"),
        pytest.param("gpt-6*", {"max_top_logprobs": True}, TypeError, "an int", id="cap-bool"),
        pytest.param("gpt-6*", {"max_top_logprobs": -2}, ValueError, "0 or more", id="cap-neg"),
        pytest.param("gpt-6*", {"logprobs": "nope"}, ValueError, "'forbidden'", id="logprobs"),
        pytest.param("gpt-6*", {"echo_with_logprobs": 0}, TypeError, "True or False", id="echo"),
        pytest.param(5, {}, TypeError, "a ModelFamily, got 5", id="family-int"),
        pytest.param("", {}, TypeError, "pattern", id="family-empty"),
    ],
)
def test_register_model_refuses_what_it_could_not_use(family, kwargs, error, match):
    """A bad family is refused when registering, not inside the next check_request."""
    with pytest.raises(error, match=match):
        guards.register_model(family, **kwargs)
    tp.check_request(CHAT, {"model": "gpt-6", "messages": [], "logprobs": True, "top_logprobs": 3})


def test_registering_while_other_threads_check():
    """Checks in other threads never see a table half changed, nor one changing under them."""
    errors: list[BaseException] = []
    done = threading.Event()

    def check() -> None:
        while not done.is_set():
            try:
                tp.check_request(CHAT, {"model": "m", "messages": []}, base_url="http://h/v1")
                tp.check_request(CHAT, {"model": "gpt-4o", "messages": []})
            except Exception as exc:  # noqa: BLE001 - any failure is the finding
                errors.append(exc)

    threads = [threading.Thread(target=check) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        for i in range(5000):
            guards.register_profile(f"p{i % 50}", base_urls=(f"http://p{i}/*",))
            guards.register_model(f"m{i}*")
            if i % 100 == 0:
                guards.reset()
    finally:
        done.set()
        for thread in threads:
            thread.join()
    assert errors == []


def test_a_profile_passed_to_check_request_is_checked_too():
    """A GuardProfile built by hand gets register_profile's checks, not a crash inside a rule."""
    mine = dataclasses.replace(guards.select_profile(None, "vllm"), max_top_logprobs="50")
    with pytest.raises(TypeError, match="max_top_logprobs is a number"):
        tp.check_request(CHAT, {"model": "m", "logprobs": True, "top_logprobs": 3}, profile=mine)
