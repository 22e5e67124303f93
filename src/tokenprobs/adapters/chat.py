"""Chat Completions: `choices[i].logprobs.content` (or `.refusal`), and compatible variants."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tokenprobs.adapters import completions
from tokenprobs.adapters._common import columns_from_entries, get, seq
from tokenprobs.exceptions import MissingLogprobsError, UnsupportedResponseError

if TYPE_CHECKING:
    from tokenprobs.models import TokenDistribution

__all__ = ["choice_logprobs", "parse_choices"]


def parse_choices(
    obj: Any,  # noqa: ANN401 - a ChatCompletion or its dict
    *,
    choice: int | None,
    hint: str | None = None,
    table: list[bytes] | None = None,
) -> list[TokenDistribution]:
    """One distribution per choice of a chat completion (only `choice` when it is given)."""
    choices = seq(get(obj, "choices"), "choices")
    if choices is None:
        msg = "a chat completion needs a list of choices"
        raise UnsupportedResponseError(msg, field="choices")
    picked = select(choices, choice)
    model = get(obj, "model")
    return [
        choice_logprobs(
            get(c, "logprobs"),
            path=f"choices[{i}].logprobs",
            source="chat",
            choice=_index(c, i),
            finish_reason=_reason(get(c, "finish_reason")),
            model=model if isinstance(model, str) else None,
            response=obj,
            hint=hint,
            table=table,
        )
        for i, c in picked
    ]


def select(choices: list[Any], choice: int | None) -> list[tuple[int, Any]]:
    """`[(position, choice)]`: all of them, or the one whose `index` (else position) is `choice`."""
    if choice is None:
        return list(enumerate(choices))
    for i, c in enumerate(choices):
        if _index(c, i) == choice:
            return [(i, c)]
    msg = f"there is no choice {choice}: the response has {len(choices)} choice(s)"
    raise UnsupportedResponseError(msg, field="choices")


def _index(c: Any, position: int) -> int:  # noqa: ANN401
    index = get(c, "index")
    return index if isinstance(index, int) and not isinstance(index, bool) else position


def choice_logprobs(
    logprobs: Any,  # noqa: ANN401 - ChoiceLogprobs, its dict, or a compatible server's variant
    *,
    path: str = "logprobs",
    source: str = "chat",
    hint: str | None = None,
    table: list[bytes] | None = None,
    **meta: Any,  # noqa: ANN401 - choice, finish_reason, model, response
) -> TokenDistribution:
    """The distribution of one choice's `logprobs` object.

    `content` when it is a list; else `refusal` (the distribution says `refusal=True`); the
    legacy shape (`tokens`/`token_logprobs`) that Together returns inside chat responses.
    """
    if logprobs is None:
        what = (
            f"{path} is null: the response carries no logprobs"
            if path != "logprobs"
            else "no logprobs"
        )
        raise MissingLogprobsError(what, endpoint="chat.completions", hint=hint)
    if isinstance(logprobs, list):
        return columns_from_entries(logprobs, path, table=table).build(source, **meta)
    if get(logprobs, "tokens") is not None and get(logprobs, "content") is None:
        return completions.legacy_logprobs(logprobs, path=path, source=f"{source}.legacy", **meta)
    content = seq(get(logprobs, "content"), f"{path}.content")
    refusal = seq(get(logprobs, "refusal"), f"{path}.refusal")
    if content is None and refusal:
        return columns_from_entries(refusal, f"{path}.refusal", table=table).build(
            source, refusal=True, **meta
        )
    if content is None and not _has_known_field(logprobs):
        msg = "expected a logprobs object with content or refusal"
        raise UnsupportedResponseError(msg, field=path)
    return columns_from_entries(content or [], f"{path}.content", table=table).build(source, **meta)


def _has_known_field(logprobs: Any) -> bool:  # noqa: ANN401
    if isinstance(logprobs, dict):
        return "content" in logprobs or "refusal" in logprobs
    return hasattr(logprobs, "content") or hasattr(logprobs, "refusal")


def _reason(value: object) -> str | None:
    """A `finish_reason` as text (a server may send another type): `None` stays `None`."""
    return None if value is None else str(value)
