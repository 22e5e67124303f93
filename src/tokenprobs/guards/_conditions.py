"""The conditions the API's logprob rules test: each a `Check`, a request context to fields or None.

A check returns `None` when the request passes, else the fields its rule's message is formatted
with; the rules themselves (ids, messages, evidence) are the tables of `_openai.py` and
`_servers.py`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from tokenprobs._endpoints import INCLUDE_LOGPROBS
from tokenprobs.guards._types import json_kind

if TYPE_CHECKING:
    from tokenprobs.guards._types import Check, Context, Fields, LogprobsSupport

__all__ = [
    "INCLUDE_LOGPROBS",
    "INCLUDE_VALUES",
    "above_cap_inferred",
    "above_cap_observed",
    "below",
    "below_zero",
    "chat_logprobs_refused",
    "completions_clamped",
    "echo_with_logprobs",
    "not_boolean",
    "not_integer",
    "responses_reasoning",
    "responses_unknown_include",
    "responses_unknown_logprobs",
    "server_cap",
    "stream_options_without_stream",
    "top_without_logprobs",
]

#: Responses `include` values, in the order the API lists them in its error message.
INCLUDE_VALUES = (
    "file_search_call.results",
    "web_search_call.results",
    "web_search_call.action.sources",
    "message.input_image.image_url",
    "computer_call_output.output.image_url",
    "code_interpreter_call.outputs",
    "reasoning.encrypted_content",
    INCLUDE_LOGPROBS,
)


def not_integer(name: str) -> Check:
    def check(ctx: Context) -> Fields | None:
        value = ctx.params.get(name)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return None
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            return None  # 2.0 is sent as JSON 2.0; whether the API takes it is unknown: let it be
        return {"kind": json_kind(value)}

    return check


def not_boolean(name: str) -> Check:
    def check(ctx: Context) -> Fields | None:
        value = ctx.params.get(name)
        return None if value is None or isinstance(value, bool) else {"kind": json_kind(value)}

    return check


def _int(ctx: Context, name: str) -> int | None:
    value = ctx.params.get(name)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, float) and value.is_integer() else None


def below_zero(name: str) -> Check:
    return below(name, 0)


def below(name: str, least: int) -> Check:
    def check(ctx: Context) -> Fields | None:
        value = _int(ctx, name)
        return {"got": value} if value is not None and value < least else None

    return check


def _above_cap(name: str) -> Check:
    def check(ctx: Context) -> Fields | None:
        value = _int(ctx, name)
        cap = ctx.family.max_top_logprobs if ctx.family else None
        cap = 20 if cap is None else cap
        return {"cap": cap, "got": value} if value is not None and value > cap else None

    return check


def above_cap_inferred(ctx: Context) -> Fields | None:
    fields = _above_cap("top_logprobs")(ctx)
    return fields if fields is not None and fields["cap"] != 5 else None  # noqa: PLR2004


def above_cap_observed(ctx: Context) -> Fields | None:
    fields = _above_cap("top_logprobs")(ctx)
    return fields if fields is not None and fields["cap"] == 5 else None  # noqa: PLR2004


def top_without_logprobs(ctx: Context) -> Fields | None:
    return {} if ctx.given("top_logprobs") and ctx.params.get("logprobs") is not True else None


def stream_options_without_stream(ctx: Context) -> Fields | None:
    """`stream_options` sent while `stream` is absent or false (not a non-bool `stream`)."""
    stream = ctx.params.get("stream")
    return {} if ctx.given("stream_options") and (stream is None or stream is False) else None


def chat_logprobs_refused(support: LogprobsSupport) -> Check:
    def check(ctx: Context) -> Fields | None:
        if ctx.params.get("logprobs") is not True or ctx.family is None:
            return None
        if ctx.family.logprobs != support:
            return None
        return {} if support == "forbidden" or ctx.reasoning else None

    return check


def responses_unknown_logprobs(ctx: Context) -> Fields | None:
    return {} if "logprobs" in ctx.params else None


def _include_list(ctx: Context) -> list[object]:
    include = ctx.params.get("include")
    return list(include) if isinstance(include, list | tuple) else []


def responses_unknown_include(ctx: Context) -> Fields | None:
    known = set(INCLUDE_VALUES) | _sdk_include_values()
    for index, value in enumerate(_include_list(ctx)):
        if isinstance(value, str) and value not in known:  # a non-str is _shape's TypeError
            supported = ", ".join(f"'{v}'" for v in INCLUDE_VALUES[:-1])
            return {"index": index, "value": value, "supported": supported}
    return None


def _sdk_include_values() -> set[str]:
    """Values the installed SDK knows, so a newer SDK's new value is never refused."""
    try:
        from typing import get_args  # noqa: PLC0415

        from openai.types.responses.response_includable import (  # noqa: PLC0415
            ResponseIncludable,
        )
    except ImportError:  # pragma: no cover - an SDK without Responses
        return set()
    return {str(v) for v in get_args(ResponseIncludable)}


def responses_reasoning(param: str) -> Check:
    def check(ctx: Context) -> Fields | None:
        if not ctx.reasoning:
            return None
        wants_include = INCLUDE_LOGPROBS in _include_list(ctx)
        fired = wants_include if param == "include" else ctx.given(param) and not wants_include
        return {} if fired else None

    return check


def responses_top_without_include(ctx: Context) -> Fields | None:
    """`top_logprobs` without the include that returns logprobs.

    Not a reasoning model's (a 400 `responses_reasoning` raises), nor a negative one's.
    """
    value = _int(ctx, "top_logprobs")
    if value is None or value < 0 or ctx.reasoning or INCLUDE_LOGPROBS in _include_list(ctx):
        return None
    return {"got": value}


def echo_with_logprobs(ctx: Context) -> Fields | None:
    refused = ctx.family is not None and not ctx.family.echo_with_logprobs
    return {} if refused and ctx.params.get("echo") is True and ctx.given("logprobs") else None


def completions_clamped(ctx: Context) -> Fields | None:
    value = _int(ctx, "logprobs")
    return {"got": value} if value is not None and value > 5 else None  # noqa: PLR2004


def server_cap(name: str) -> Check:
    def check(ctx: Context) -> Fields | None:
        value = _int(ctx, name)
        cap = ctx.profile.max_top_logprobs
        ok = value is None or cap is None or value <= cap
        return None if ok else {"cap": cap, "got": value}

    return check
