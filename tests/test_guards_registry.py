"""The guards' run-time tables: what registration accepts and leaves, what a base URL selects."""

from __future__ import annotations

import dataclasses
import threading

import pytest

import tokenprobs as tp
from tokenprobs import guards
from tokenprobs.guards._check import select_profile

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
    with pytest.raises(TypeError, match=r"a name .* or a GuardProfile, got an int$"):
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
    tp.check_request(
        CHAT,
        {
            "model": "gpt-6",
            "messages": [{"role": "user", "content": "x"}],
            "logprobs": True,
            "top_logprobs": 3,
        },
    )


def test_registering_while_other_threads_check():
    """Checks in other threads never see a table half changed, nor one changing under them."""
    errors: list[BaseException] = []
    done = threading.Event()

    def check() -> None:
        while not done.is_set():
            try:
                tp.check_request(
                    CHAT,
                    {"model": "m", "messages": [{"role": "user", "content": "x"}]},
                    base_url="http://h/v1",
                )
                tp.check_request(
                    CHAT, {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]}
                )
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


ASKS_9 = {
    "model": "m",
    "messages": [{"role": "user", "content": "x"}],
    "logprobs": True,
    "top_logprobs": 9,
}


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
        pytest.param(({"id": "chat.cap"},), TypeError, "rules are Rules, got a dict", id="dict"),
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
    ("call", "got"),
    [
        pytest.param(lambda: tp.check_request(CHAT, None), "got None", id="params-none"),
        pytest.param(lambda: tp.check_request(CHAT, {"model": 5}), "got an int:", id="model-int"),
        pytest.param(lambda: tp.check_request(CHAT, {"model": None}), "got None:", id="model-none"),
        pytest.param(
            lambda: guards.register_profile(guards.GuardProfile(name="x", rules=None)),
            "a tuple of Rules, got None$",
            id="rules-none",
        ),
        pytest.param(
            lambda: guards.register_profile(guards.GuardProfile(name="x", rules=(5,))),
            r"rules are Rules, got an int \(5\)",
            id="rule-int",
        ),
    ],
)
def test_what_was_given_is_named_with_its_article(call, got):
    """The messages read "got a NoneType", "got int" and "got NoneType"."""
    with pytest.raises(TypeError, match=got):
        call()


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


@pytest.mark.parametrize(
    ("url", "profile"),
    [
        pytest.param("https://api.openai.com/v1", "openai", id="openai"),
        pytest.param("https://api.openai.com", "openai", id="openai-no-path"),
        pytest.param("https://eu.api.openai.com/v1", "openai", id="regional"),
        pytest.param("https://API.OpenAI.com/v1", "openai", id="upper-case-host"),
        pytest.param("https://api.openai.com./v1", "openai", id="trailing-dot"),
        pytest.param("https://api.openai.com:443/v1", "openai", id="https-own-port"),
        pytest.param("https://user:pw@api.openai.com/v1", "openai", id="credentials"),
        pytest.param("https://api.openai.com.evil.example/v1", "compatible", id="longer-host"),
        pytest.param("https://api.openai.comevil.example/v1", "compatible", id="glued-host"),
        pytest.param("https://api.openai.com@evil.example/v1", "compatible", id="userinfo"),
        pytest.param("http://api.openai.com/v1", "compatible", id="http"),
        pytest.param("https://me.openai.azure.com/openai/v1", "openai", id="azure"),
        pytest.param("https://ME.OPENAI.AZURE.COM/openai", "openai", id="azure-upper-case"),
        pytest.param("https://me.openai.azure.com./openai", "openai", id="azure-trailing-dot"),
        pytest.param("https://me.openai.azure.com:443/openai", "openai", id="azure-port"),
        pytest.param("https://me.openai.azure.com/models", "compatible", id="azure-other-path"),
        pytest.param("https://proxy.example/x.azure.com/openai", "compatible", id="azure-in-path"),
        pytest.param("https://evil.example/.azure.com/openai", "compatible", id="dot-in-path"),
        pytest.param("https://evil.example?.azure.com/openai", "compatible", id="in-query"),
        pytest.param("https://evil.example#.azure.com/openai", "compatible", id="in-fragment"),
        pytest.param("https://x.azure.com@evil.example/openai", "compatible", id="azure-userinfo"),
        pytest.param("https://[::1]/x.azure.com/openai", "compatible", id="ipv6-azure-in-path"),
        pytest.param("https://[::1]:8000/v1", "compatible", id="ipv6"),
    ],
)
def test_built_in_patterns_match_the_host_only(url, profile):
    """OpenAI's and Azure's patterns select their hosts, however written, and no other."""
    assert select_profile(url).name == profile


@pytest.mark.parametrize(
    ("pattern", "url", "selected"),
    [
        pytest.param("http://gpu-box:8000*", "http://gpu-box:8000/v1", True, id="documented"),
        pytest.param("http://gpu-box:8000*", "http://GPU-BOX:8000/v1", True, id="upper-case"),
        pytest.param("http://gpu-box:8000*", "http://x@gpu-box:8000/v1", True, id="user-name"),
        pytest.param("http://gpu-box:8000*", "http://gpu-box:80001/v1", False, id="longer-port"),
        pytest.param("http://gpu-box:8000*", "http://gpu-box:8000@evil/v1", False, id="userinfo"),
        pytest.param("http://gpu-box:8000*", "http://gpu-box/v1", False, id="other-port"),
        pytest.param("http://gpu-box*", "http://gpu-box:8000/v1", True, id="any-port"),
        pytest.param("http://gpu-*", "http://gpu-2/v1", True, id="host-glob"),
        pytest.param("http://gpu-*", "http://proxy/gpu-2/v1", False, id="host-glob-in-path"),
        pytest.param("http://gpu-box/v1*", "http://gpu-box:80/v1/", True, id="http-own-port"),
        pytest.param("http://gpu-box/v1*", "http://gpu-box/v2", False, id="other-path"),
        pytest.param("http://gpu-box/v1", "http://gpu-box/v1?x=1", True, id="query-ignored"),
        pytest.param("http://[::1]:8000*", "http://[::1]:8000/v1", True, id="ipv6"),
        pytest.param("http://[::1]:8000*", "http://[::2]:8000/v1", False, id="other-ipv6"),
        pytest.param("http://[ab]-box/*", "http://b-box/v1", True, id="host-character-class"),
        pytest.param("*gpu-box*", "http://gpu-box:8000/v1", True, id="whole-url"),
        pytest.param("*gpu-box*", "http://other/v1", False, id="whole-url-no"),
        pytest.param("*key*", "http://key@other/v1", False, id="whole-url-no-credentials"),
    ],
)
def test_registered_patterns_match_part_by_part(pattern, url, selected):
    """A user's pattern keeps its fnmatch syntax, each part matched against that part."""
    guards.register_profile("mine", like="vllm", base_urls=(pattern,))
    assert (select_profile(url).name == "mine") is selected


def test_a_url_urllib_cannot_split_selects_no_profile():
    """A port that is not a number matches no pattern (the client refuses the URL itself)."""
    guards.register_profile("mine", like="vllm", base_urls=("*",))
    assert select_profile("http://gpu-box:80x/v1").name == "compatible"


@pytest.mark.parametrize("profile", [5, ["openai"], b"openai"], ids=["int", "list", "bytes"])
def test_a_profile_that_is_no_name_is_a_type_error(profile):
    """`profile=["openai"]` raised "unhashable type: 'list'"; `5` said "unknown guard profile 5"."""
    params = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]}
    with pytest.raises(TypeError, match=r"profile is a name \(a str\) or a GuardProfile, got a"):
        tp.check_request("chat.completions", params, profile=profile)
