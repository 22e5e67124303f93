"""`parse_all` on `n > 1`: a tool-call choice, which carries no logprobs, is left out and named.

A chat completion with `n > 1` (or its stream) can answer some choices with text and others with
a tool call; on OpenAI a tool call's `logprobs.content` is `null` (its arguments carry none). The
rule, for `parse_all` only (`choice=None`):

- every choice that has logprobs comes back, in index order, each with its own `d.choice`;
- a tool-call choice without logprobs is left out, and a `TokenprobsWarning` names it (and the
  choices kept); `parse(obj, choice=i)` for it still raises `MissingLogprobsError`;
- when every choice is such a tool call, the first one's `MissingLogprobsError` is raised, as
  for one choice: an empty list would hide that nothing could be read;
- any other missing logprobs (not requested, a server that sends none) still raises.

Detection follows the adapters' own: the choice's `MissingLogprobsError` carries the tool-call
hint (`chat.TOOL_CALL_HINT`), which `chat` and the stream accumulator give exactly when the choice
ended as a tool call without logprob positions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tokenprobs._warn import warn
from tokenprobs.adapters import chat
from tokenprobs.adapters._common import choice_indices, get
from tokenprobs.exceptions import MissingLogprobsError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from tokenprobs.models import TokenDistribution

__all__ = ["chat_choices", "each_choice", "or_none_at_tool_call", "unless_tool_call"]


def unless_tool_call(exc: MissingLogprobsError, choice: int | None) -> None:
    """Re-raise `exc` unless it is a tool call's and every choice was asked for (`parse_all`)."""
    if choice is not None or exc.hint != chat.TOOL_CALL_HINT:
        raise exc


def or_none_at_tool_call(
    read: Callable[[], list[TokenDistribution] | None], choice: int | None
) -> list[TokenDistribution] | None:
    """`read()` (the raw-JSON fast path), or `None` when a tool call stopped it in `parse_all`.

    `None` sends the body down the ordinary path, whose `chat_choices` reads the other choices.
    """
    try:
        return read()
    except MissingLogprobsError as exc:
        unless_tool_call(exc, choice)
        return None


def chat_choices(obj: Any, *, choice: int | None) -> list[TokenDistribution]:  # noqa: ANN401
    """`chat.parse_choices`, with the rule above for a tool-call choice among several."""
    try:
        return chat.parse_choices(obj, choice=choice)
    except MissingLogprobsError as exc:
        unless_tool_call(exc, choice)
    choices = get(obj, "choices")
    return each_choice(lambda i: chat.parse_choices(obj, choice=i)[0], choice_indices(choices))


def each_choice(
    build: Callable[[int], TokenDistribution], indices: Iterable[int], *, who: str = "parse_all"
) -> list[TokenDistribution]:
    """`build(i)` for each choice index, leaving out (and naming) tool calls without logprobs.

    `who` names the reader in the warning (`"parse_all"`, `"the stream"`).

    Raises:
        MissingLogprobsError: A choice misses logprobs for another reason, or every choice is a
            tool call without them.
    """
    out: list[TokenDistribution] = []
    skipped: list[int] = []
    first: MissingLogprobsError | None = None
    for i in indices:
        try:
            out.append(build(i))
        except MissingLogprobsError as exc:
            unless_tool_call(exc, None)
            skipped.append(i)
            first = first or exc
    if first is not None and not out:
        raise first
    if skipped:
        msg = (
            f"{who} left out choice(s) {', '.join(map(str, skipped))}: tool calls, whose "
            f"arguments carry no logprobs; the list holds choice(s) "
            f"{', '.join(str(d.choice) for d in out)} (each d.choice says which)"
        )
        warn(msg)
    return out
