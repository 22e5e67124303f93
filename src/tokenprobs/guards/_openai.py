"""The API's logprob rules as data: model families, server profiles and request rules.

Everything here is a value: `_check.py` walks the tables and builds the exceptions, and
`docs/guards.md` is rendered from them (`_guard_docs.render_markdown`), so code and docs cannot
drift. Evidence labels are those of `reference/openai_logprobs_api.md`: `SPEC` (OpenAI's contract),
`REC` (recorded traffic), `OBS` (third-party observation), `INF` (inferred from the API's template
for another parameter: the text is plausible, not observed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from tokenprobs.guards._conditions import (
    INCLUDE_LOGPROBS,
    above_cap_inferred,
    above_cap_observed,
    below,
    below_zero,
    chat_logprobs_refused,
    completions_clamped,
    echo_with_logprobs,
    not_boolean,
    not_integer,
    responses_reasoning,
    responses_top_without_include,
    responses_unknown_include,
    responses_unknown_logprobs,
    server_cap,
    stream_options_without_stream,
    top_without_logprobs,
)
from tokenprobs.guards._types import Check, Evidence, ModelFamily, Rule

if TYPE_CHECKING:
    from collections.abc import Mapping

    from tokenprobs._endpoints import Endpoint

__all__ = [
    "CHAT_RULES",
    "COMPLETIONS_RULES",
    "MODEL_FAMILIES",
    "OPENAI_RULES",
    "RESPONSES_RULES",
    "RULE_ENDPOINTS",
    "below_zero",  # the conditions the server profiles reuse, importable here as before
    "not_boolean",
    "rule_endpoint",
    "server_cap",
    "top_without_logprobs",
]


MODEL_FAMILIES: tuple[ModelFamily, ...] = (
    ModelFamily(
        pattern="gpt-3.5-turbo-instruct*",
        echo_with_logprobs=False,
        source="fastai/lm-hackers PR #7; dust-tt/dust PR #2169; re-checked 2026-08-28",
    ),
    ModelFamily(pattern="gpt-4o*", max_top_logprobs=20, source="deepeval PR #1261"),
    ModelFamily(pattern="gpt-4.1*", max_top_logprobs=20, source="deepeval PR #1261"),
    ModelFamily(
        pattern="gpt-5.[0-9]*",
        max_top_logprobs=5,
        logprobs="reasoning",
        source="deepeval #2548 (gpt-5.4); go-openai PR #1061; vercel/ai #10932",
    ),
    ModelFamily(
        pattern="gpt-5", logprobs="forbidden", source="deepeval PR #2184; 2026 notes (gpt-5)"
    ),
    ModelFamily(
        pattern="gpt-5-*",
        logprobs="forbidden",
        source="2026 notes (gpt-5-nano, gpt-5-chat-latest); vllm PR #23319 (gpt-5-mini)",
    ),
    # o1, o3, o4-mini, o1-2024-12-17 ...; not o365-bot or another name that starts with o + digit
    ModelFamily(pattern="o[0-9]", logprobs="forbidden", source="deepeval PR #2184 (o4-mini)"),
    ModelFamily(pattern="o[0-9]-*", logprobs="forbidden", source="deepeval PR #2184 (o4-mini)"),
)


_TYPE_MSG = "Invalid type for '{name}': expected {expected}, but got {{kind}} instead."
_CAP_MSG = "Invalid value for 'top_logprobs': must be less than or equal to {cap}."
_MIN_TEMPLATE = (
    "Invalid '{name}': integer below minimum value. Expected a value >= {least}, but got {{got}} "
    "instead."
)
_CONFORMANCE = "third-party conformance test, gpt-5.6-terra, 2026-08-30"
_REASONING_MSG = "logprobs are not supported with reasoning models."


def _refusal(
    rule_id: str,
    param: str,
    code: str | None,
    message: str,
    *,
    trigger: str,
    check: Check,
    source: str,
    evidence: Evidence = "OBS",
) -> Rule:
    """The API's 400 answer about parameter `param`: its `code` (or none) and `message`."""
    return Rule(
        id=rule_id,
        trigger=trigger,
        check=check,
        status=400,
        message=message,
        param=param,
        code=code,
        evidence=evidence,
        source=source,
    )


_TYPE_CHECKS = {"a boolean": not_boolean, "an integer": not_integer}
"""The check of each type an `invalid_type` message names as expected."""


def _invalid_type(
    rule_id: str,
    name: str,
    *,
    expected: Literal["a boolean", "an integer"],
    trigger: str,
    evidence: Evidence,
    source: str,
) -> Rule:
    """The API's `invalid_type` answer for parameter `name` (its one message template)."""
    message = _TYPE_MSG.format(name=name, expected=expected)
    check = _TYPE_CHECKS[expected](name)
    return _refusal(
        rule_id,
        name,
        "invalid_type",
        message,
        trigger=trigger,
        check=check,
        evidence=evidence,
        source=source,
    )


def _below_min(
    rule_id: str, name: str, *, trigger: str, evidence: Evidence, source: str, least: int = 0
) -> Rule:
    """The API's `integer_below_min_value` answer for an integer parameter `name` below `least`."""
    message = _MIN_TEMPLATE.format(name=name, least=least)
    return _refusal(
        rule_id,
        name,
        "integer_below_min_value",
        message,
        trigger=trigger,
        check=below(name, least),
        evidence=evidence,
        source=source,
    )


def _responses_reasoning(name: str, *, trigger: str, source: str) -> Rule:
    """Responses on a reasoning model: `name` asks for logprobs, which it cannot give."""
    return _refusal(
        f"responses.{name}.reasoning",
        name,
        "unsupported_parameter",
        _REASONING_MSG,
        trigger=trigger,
        check=responses_reasoning(name),
        source=source,
    )


def _only_when(name: str, needs: str, *, check: Check, source: str) -> Rule:
    """The API's answer to chat parameter `name` sent while `needs` is absent or false."""
    return Rule(
        id=f"chat.{name}.without_{needs}",
        trigger=f"`{name}` given, `{needs}` absent or false",
        check=check,
        status=400,
        message=f"The '{name}' parameter is only allowed when '{needs}' is enabled.",
        param=name,
        source=source,
    )


def _top_logprobs_rules(prefix: str, type_evidence: Evidence) -> tuple[Rule, ...]:
    return (
        _invalid_type(
            f"{prefix}.top_logprobs.type",
            "top_logprobs",
            expected="an integer",
            trigger="`top_logprobs` is not an integer (string, decimal, boolean ...)",
            evidence=type_evidence,
            source=f"{_CONFORMANCE} (Responses, string); `seed: 1.5` template for decimals",
        ),
        _below_min(
            f"{prefix}.top_logprobs.below_min",
            "top_logprobs",
            trigger="`top_logprobs` < 0",
            evidence="OBS" if prefix == "chat" else "INF",
            source=_CONFORMANCE,
        ),
        _refusal(
            f"{prefix}.top_logprobs.above_cap",
            "top_logprobs",
            None,
            _CAP_MSG,
            trigger="`top_logprobs` above the model's cap of 5 (gpt-5.x)",
            check=above_cap_observed,
            evidence="OBS" if prefix == "chat" else "INF",
            source="deepeval #2548 (gpt-5.4), #843 (Azure); " + _CONFORMANCE,
        ),
        _refusal(
            f"{prefix}.top_logprobs.above_max",
            "top_logprobs",
            None,
            _CAP_MSG,
            trigger="`top_logprobs` above 20 (documented maximum; gpt-4o / gpt-4.1 / unknown)",
            check=above_cap_inferred,
            evidence="INF",
            source="the cap-5 message with 20; `maximum: 20` in openapi.yaml",
        ),
    )


CHAT_RULES: tuple[Rule, ...] = (
    _only_when(
        "stream_options",
        "stream",
        check=stream_options_without_stream,
        source="BerriAI/litellm #5803 (the whole 400 body, o1-mini, 2024-09); the SDK's "
        "docstring: 'Only set this when you set `stream: true`.'",
    ),
    _invalid_type(
        "chat.logprobs.type",
        "logprobs",
        expected="a boolean",
        trigger="`logprobs` is not a boolean",
        evidence="INF",
        source="template seen for `store`",
    ),
    *_top_logprobs_rules("chat", "INF"),
    _only_when("top_logprobs", "logprobs", check=top_without_logprobs, source=_CONFORMANCE),
    Rule(
        id="chat.logprobs.forbidden",
        trigger="`logprobs=True` on o-series / gpt-5 / gpt-5-* models",
        check=chat_logprobs_refused("forbidden"),
        status=403,
        message="You are not allowed to request logprobs from this model",
        source="confident-ai/deepeval PR #2184 (o4-mini); 2026 notes (gpt-5 family)",
    ),
    *(
        _refusal(
            f"chat.logprobs.{support}",
            "logprobs",
            "unsupported_parameter",
            "Unsupported parameter: 'logprobs' is not supported with this model.",
            trigger=f"`logprobs=True` on a model with logprobs={support!r}"
            + (' and `reasoning_effort` not "none"' if support == "reasoning" else ""),
            check=chat_logprobs_refused(support),
            source="sashabaranov/go-openai PR #1061 (gpt-5); notes for gpt-5.5, gpt-5.6-*",
        )
        for support in ("reasoning", "unsupported")
    ),
)

RESPONSES_RULES: tuple[Rule, ...] = (
    _refusal(
        "responses.logprobs.unknown",
        "logprobs",
        "unknown_parameter",
        "Unknown parameter: 'logprobs'.",
        trigger="`logprobs` sent at all (also via `extra_body`): not a Responses parameter",
        check=responses_unknown_logprobs,
        source=_CONFORMANCE,
    ),
    _refusal(
        "responses.include.unknown",
        "include[{index}]",
        "invalid_value",
        "Invalid value: '{value}'. Supported values are: {supported}, and "
        f"'{INCLUDE_LOGPROBS}'.",
        trigger="an `include` value the API does not know",
        check=responses_unknown_include,
        source=_CONFORMANCE + " (list order from the SDK's ResponseIncludable)",
    ),
    *_top_logprobs_rules("responses", "OBS"),
    _responses_reasoning(
        "include",
        trigger=f'`include=["{INCLUDE_LOGPROBS}"]` on a reasoning model',
        source="real curl to api.openai.com, gpt-5-mini, vllm-project/vllm PR #23319",
    ),
    _responses_reasoning(
        "top_logprobs",
        trigger="`top_logprobs` (without that `include`) on a reasoning model",
        source=_CONFORMANCE,
    ),
    Rule(
        id="responses.top_logprobs.without_include",
        trigger=f'`top_logprobs` without `include=["{INCLUDE_LOGPROBS}"]` (warning only)',
        check=responses_top_without_include,
        status=None,
        message=f"top_logprobs={{got}} without include=['{INCLUDE_LOGPROBS}']: the Responses "
        "API accepts it and returns no logprobs (each output_text's logprobs is []); add "
        f"'{INCLUDE_LOGPROBS}' to include",
        evidence="SPEC",
        source="openapi.yaml: logprobs come only with that include (output_text.logprobs [] "
        "in the spec's examples)",
    ),
    _below_min(
        "responses.max_output_tokens.below_min",
        "max_output_tokens",
        least=16,
        trigger="`max_output_tokens` < 16 (Chat's `max_tokens=1` has no Responses equivalent)",
        evidence="OBS",
        source="vectorize-io/hindsight #58 (the whole body, via Azure); QuantumNous/new-api "
        "#2438; braintrustdata/lingua PR #186",
    ),
)

COMPLETIONS_RULES: tuple[Rule, ...] = (
    _invalid_type(
        "completions.logprobs.type",
        "logprobs",
        expected="an integer",
        trigger="legacy `logprobs` is not an integer (string, decimal, boolean ...)",
        evidence="INF",
        source="the API's invalid_type template (observed for top_logprobs and seed)",
    ),
    _below_min(
        "completions.logprobs.below_min",
        "logprobs",
        trigger="legacy `logprobs` < 0",
        evidence="INF",
        source="the API's integer_below_min_value template (observed for top_logprobs); "
        "`minimum: 0` in openapi.yaml",
    ),
    Rule(
        id="completions.echo_with_logprobs",
        trigger="`echo=True` with `logprobs` on gpt-3.5-turbo-instruct",
        check=echo_with_logprobs,
        status=400,
        message="Setting 'echo' and 'logprobs' at the same time is not supported for this model.",
        evidence="OBS",
        source="fastai/lm-hackers PR #7; keirp/automatic_prompt_engineer #25 (param, code: "
        "not recorded, null assumed)",
    ),
    Rule(
        id="completions.logprobs.clamped",
        trigger="`logprobs` above the documented maximum of 5 (warning only)",
        check=completions_clamped,
        status=None,
        message="logprobs={got} is above the documented maximum of 5: the API clamps it "
        "silently (HTTP 200), to 5 as observed in 2021 or to 20 as gpt-3.5-turbo-instruct did "
        "in 2026, so positions may hold fewer alternatives than asked "
        "(len(d.top_tokens[i]) says how many came)",
        source="openai/openai-python #38 (clamped to 5, 2021); clamped to 20 (2026-08-28 note)",
    ),
)

OPENAI_RULES = CHAT_RULES + RESPONSES_RULES + COMPLETIONS_RULES

#: Which endpoint each rule applies to, from its id.
RULE_ENDPOINTS: Mapping[str, Endpoint] = {
    "chat": "chat.completions",
    "responses": "responses",
    "completions": "completions",
}


def rule_endpoint(rule: Rule) -> Endpoint:
    """The endpoint a rule belongs to: the first part of its id that names one.

    `chat.logprobs.type`, `vllm.chat.above_max_logprobs` and `gpu.chat.cap` are chat rules.

    Raises:
        ValueError: No part of the id names an endpoint (`gpu.cap`).
    """
    parts = str(rule.id).split(".")
    found = next((RULE_ENDPOINTS[p] for p in parts if p in RULE_ENDPOINTS), None)
    if found is None:
        names = ", ".join(f"'{k}.'" for k in RULE_ENDPOINTS)
        msg = (
            f"rule {rule.id!r} names no endpoint: a rule's id starts with the endpoint it "
            f"applies to ({names}), after a prefix of your own if you like: 'gpu.chat.cap'"
        )
        raise ValueError(msg)
    return found
