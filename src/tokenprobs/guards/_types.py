"""The guards' vocabulary: model families, server profiles, the request context, rules.

Values only: the tables are in `_openai.py` and `_servers.py`, the walk over them in `_check.py`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypeAlias

if TYPE_CHECKING:
    from tokenprobs._endpoints import Endpoint

GuardMode: TypeAlias = Literal["strict", "warn", "off"]
"""What the guards do with a request the API would refuse: raise, warn, or nothing."""
LogprobsSupport = Literal["allowed", "reasoning", "unsupported", "forbidden"]
Evidence = Literal["SPEC", "REC", "OBS", "INF"]


@dataclass(frozen=True, kw_only=True)
class ModelFamily:
    """What one family of models accepts.

    Attributes:
        pattern: An `fnmatch` pattern on the model id (fine-tune ids `ft:base:...` resolve to
            `base` first). The first matching family wins; registered families come first.
        max_top_logprobs: The enforced cap on `top_logprobs`; `None` means the documented 20.
        logprobs: `"allowed"`; `"reasoning"` (400 `unsupported_parameter` while the model
            reasons, i.e. unless `reasoning_effort`/`reasoning.effort` is `"none"`);
            `"unsupported"` (that 400 always); `"forbidden"` (the 403 "not allowed").
        echo_with_logprobs: Whether legacy Completions accept `echo` together with `logprobs`.
        evidence: The label of the weakest fact in this row.
        source: Where the row comes from.
    """

    pattern: str
    max_top_logprobs: int | None = None
    logprobs: LogprobsSupport = "allowed"
    echo_with_logprobs: bool = True
    evidence: Evidence = "OBS"
    source: str = ""

    def matches(self, model: str) -> bool:
        """Whether `model` (already resolved to its base id) belongs to this family."""
        return fnmatch.fnmatchcase(model.lower(), self.pattern.lower())


@dataclass(frozen=True, kw_only=True)
class GuardProfile:
    """The rules of one kind of server.

    Attributes:
        name: `"openai"`, `"vllm"`, `"llama.cpp"`, `"compatible"` or a registered name.
        rules: The request rules, in the order the server checks them.
        families: Model families (only the OpenAI profile uses them).
        max_top_logprobs: The server-wide cap (vLLM's `--max-logprobs`); `None`: no cap.
        base_urls: `fnmatch` patterns on a client's `base_url` that select this profile, each
            part on that part: the host on the host only (see docs/guards.md).
    """

    name: str
    rules: tuple[Rule, ...]
    families: tuple[ModelFamily, ...] = ()
    max_top_logprobs: int | None = None
    base_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class Context:
    """One request, as the rules see it."""

    endpoint: Endpoint
    params: Mapping[str, object]
    family: ModelFamily | None
    profile: GuardProfile

    def given(self, name: str) -> bool:
        """Whether `name` was sent with a non-null value."""
        return self.params.get(name) is not None

    @property
    def reasoning(self) -> bool:
        """Whether the model would reason (so refuse logprobs) on this request."""
        support = self.family.logprobs if self.family else "allowed"
        if support in ("forbidden", "unsupported"):
            return True
        if support == "allowed":
            return False
        # "reasoning": the default effort of gpt-5.x is not documented here, so only an explicit
        # effort other than "none" counts (a missed guard costs a round trip, a false one a user).
        reasoning = self.params.get("reasoning")
        effort = self.params.get("reasoning_effort")
        if isinstance(reasoning, Mapping):
            effort = reasoning.get("effort", effort)
        return effort is not None and effort != "none"


Fields = dict[str, object]
Check = Callable[[Context], Fields | None]


@dataclass(frozen=True, kw_only=True)
class Rule:
    """One thing the server refuses (or silently alters), with its exact answer.

    Attributes:
        id: A stable name, used in tests, docs and `GuardError.rule`. It names the endpoint
            the rule applies to (`chat`, `responses`, `completions`), after a prefix if any:
            `chat.logprobs.type`, `vllm.chat.above_max_logprobs`, `gpu.chat.cap`.
        trigger: What in the request sets it off (for the docs).
        check: Returns the template fields when the rule fires, `None` otherwise.
        status: HTTP status of the server's answer (400, 403 or 500); `None` for a
            warning-only rule.
        message: The error message, a `str.format` template over the check's fields.
        param: The body's `param` (also a template), or `None`.
        code: The body's `code`, or `None`.
        type: The body's `type`.
        evidence: `SPEC`, `REC`, `OBS` or `INF` (the text is inferred from a template).
        source: Where the answer was seen.
    """

    id: str
    trigger: str
    check: Check
    status: int | None
    message: str
    param: str | None = None
    code: str | int | None = None
    type: str = "invalid_request_error"
    evidence: Evidence = "OBS"
    source: str = ""

    def body(self, fields: Fields) -> dict[str, object]:
        """The inner error object `{message, type, param, code}` for these fields."""
        return {
            "message": self.message.format(**fields),
            "type": self.type,
            "param": None if self.param is None else self.param.format(**fields),
            "code": self.code,
        }


def json_kind(value: object) -> str:
    """How the API names a JSON value's type in its messages ("a string", "a decimal number")."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    return "an array"
