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


def _over_8(ctx):
    """Fires (no fields) when more than 8 alternatives are asked for."""
    return {} if (ctx.params.get("top_logprobs") or 0) > 8 else None


def _rule(**changes):
    """A rule of one's own: refuses top_logprobs above 8 with a 400."""
    fields = {"id": "gpu.chat.cap", "trigger": "> 8", "check": _over_8, "status": 400}
    return guards.Rule(**{**fields, "message": "at most 8", **changes})


def _own_profile(*rules):
    return guards.GuardProfile(name="gpu", rules=rules, base_urls=("http://gpu:8000/*",))


ASKS_9 = {"model": "m", "messages": [], "logprobs": True, "top_logprobs": 9}


def test_a_rule_of_ones_own_applies_to_the_endpoint_its_id_names():
    """`gpu.chat.cap` is a chat rule: a prefix of one's own before the endpoint is fine."""
    guards.register_profile(_own_profile(_rule()))
    with pytest.raises(guards.GuardBadRequestError, match="at most 8") as info:
        tp.check_request(CHAT, ASKS_9, base_url="http://gpu:8000/v1")
    assert info.value.rule == "gpu.chat.cap"
    tp.check_request("completions", {"model": "m", "top_logprobs": 9}, base_url="http://gpu:8000")


@pytest.mark.parametrize(
    ("rules", "error", "match"),
    [
        pytest.param((_rule(id="gpu.cap"),), ValueError, "names no endpoint", id="no-endpoint"),
        pytest.param((_rule(status=422),), ValueError, "status is 422.*400, 403, 500", id="422"),
        pytest.param(({"id": "chat.cap"},), TypeError, "rules are Rules, got dict", id="dict"),
        pytest.param((_rule(check="x > 8"),), TypeError, "check is a function", id="check"),
        pytest.param((_rule(message=None),), TypeError, "message is a str", id="message"),
    ],
)
def test_a_rule_the_guards_could_not_use_is_refused_when_registering(rules, error, match):
    """Refused by register_profile (and check_request), not a KeyError inside every check."""
    with pytest.raises(error, match=match):
        guards.register_profile(_own_profile(*rules))
    with pytest.raises(error, match=match):
        tp.check_request(CHAT, ASKS_9, profile=_own_profile(*rules))
    tp.check_request(CHAT, ASKS_9, base_url="http://gpu:8000/v1")  # nothing was registered


@pytest.mark.parametrize(
    ("rule", "error", "match"),
    [
        pytest.param(
            _rule(check=lambda _: True), TypeError, "returns the message's fields", id="true"
        ),
        pytest.param(
            _rule(message="at most 8, got {got}"), ValueError, "names the field 'got'", id="field"
        ),
        pytest.param(_rule(param="{"), ValueError, "no str.format template", id="template"),
    ],
)
def test_a_rule_that_fires_with_fields_its_message_lacks_says_so(rule, error, match):
    """A check's answer the message cannot be filled from names the rule, not a KeyError."""
    guards.register_profile(_own_profile(rule))
    with pytest.raises(error, match=f"rule 'gpu.chat.cap': .*{match}"):
        tp.check_request(CHAT, ASKS_9, base_url="http://gpu:8000/v1")
