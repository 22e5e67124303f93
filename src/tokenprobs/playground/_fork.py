"""A branch of an answer: where it starts (the parent's positions, then a forced token).

`fork` checks that the position and alternative can be sent as text (no character split over
tokens, no bytes that are no character, no token the server sent without text) and builds the
request's start: the prompt (legacy completions) or the messages plus an assistant prefill
(chat); `join` puts the parent's positions before the branch's answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from tokenprobs.models import TokenDistribution
from tokenprobs.models._bytes import effective_bytes

if TYPE_CHECKING:
    from collections.abc import Mapping

    from tokenprobs.guards import ServerCapabilities
    from tokenprobs.playground._session import Branch

__all__ = [
    "Fork",
    "broken_before",
    "fork",
    "join",
    "position_problem",
    "textless_before",
    "whole_text",
]


@dataclass(frozen=True)
class Fork:
    """Where a branch starts: the parent's positions before it, then the forced token."""

    head: TokenDistribution
    prompt: str
    """A completion branch: the prompt that makes the server continue after the forced token."""
    messages: tuple[tuple[str, str], ...] = ()
    """A chat branch: the messages, then a final assistant message holding the answer's text up
    to the position and the forced token (the prefill)."""
    extra_body: Mapping[str, object] = field(default_factory=dict)
    """The server's prefill flags (`ServerCapabilities.prefill_flags`), sent in the body."""


def join(head: TokenDistribution, tail: TokenDistribution) -> TokenDistribution:
    """The positions of `head`, then those of `tail` (the tail's metadata)."""
    parts = (head, tail)
    rows = [
        d.top_logprobs[i, : len(d.top_tokens[i])] for d in parts if len(d) for i in range(len(d))
    ]
    return TokenDistribution.from_columns(
        source=tail.source,
        tokens=head.tokens + tail.tokens,
        token_bytes=head.token_bytes + tail.token_bytes,
        logprobs=np.concatenate([head.logprobs, tail.logprobs]),
        top_tokens=head.top_tokens + tail.top_tokens,
        top_bytes=list(head.top_bytes) + list(tail.top_bytes),
        top_logprobs_flat=np.concatenate(rows) if rows else np.zeros(0),
        finish_reason=tail.finish_reason,
        incomplete=tail.incomplete,
        model=tail.model or head.model,
    )


def fork(
    parent: Branch, position: int, alternative: int, server: ServerCapabilities
) -> tuple[Fork, str]:
    """The start of a branch of `parent` at `position`, forcing its `alternative`-th token.

    A completion answer continues `prompt + text before + token`; a chat answer continues the
    messages plus an assistant message `text before + token`, sent with `server`'s prefill flags
    (on a server that continues a trailing assistant message unasked, the run's own trailing
    assistant message holds `text before + token` after its content).

    An answer cut short (a broken stream, a page that stopped reading) branches at the
    positions that arrived; one still arriving does not.

    Returns:
        The fork and the forced token.

    Raises:
        ValueError: The answer is still arriving; no such position or alternative; the
            position is inside a character split over tokens, the text before it holds bytes
            that are no character or a token sent without text, or the alternative is not
            whole text (or has none).
    """
    d = parent.distribution
    if d is None or parent.running:
        msg = f"branch {parent.id}'s answer has not finished arriving: branch when it has"
        raise ValueError(msg)
    if not len(d):
        msg = f"branch {parent.id}'s answer has no tokens: there is no position to branch at"
        raise ValueError(msg)
    if not 0 <= position < len(d):
        msg = f"position {position} is not in the answer (0 to {len(d) - 1})"
        raise ValueError(msg)
    if not 0 <= alternative < len(d.top_tokens[position]):
        msg = f"position {position} has no alternative {alternative}"
        raise ValueError(msg)
    problem = position_problem(d, position)
    if problem is not None:
        raise ValueError(problem)
    spans = d.char_spans()
    raw = d.top_bytes[position][alternative]
    token = whole_text(d.top_tokens[position][alternative], raw)
    if token == "":
        msg = (
            f"the alternative '' at position {position} has no text (the server sent none for "
            "it): forcing it would force nothing; pick another"
        )
        raise ValueError(msg)
    if token is None:
        msg = (
            f"the alternative {d.top_tokens[position][alternative]!r} is part of a character "
            "split over tokens, not text that can be sent"
        )
        raise ValueError(msg)
    count = len(d.top_tokens[position])
    forced = TokenDistribution.from_columns(
        source=d.source,
        tokens=[d.top_tokens[position][alternative]],
        token_bytes=[raw],
        logprobs=[float(d.top_logprobs[position, alternative])],
        top_tokens=[list(d.top_tokens[position])],
        top_bytes=[list(d.top_bytes[position])],
        top_logprobs_flat=d.top_logprobs[position, :count],
        model=d.model,
    )
    head = join(d[:position], forced)
    request = parent.request
    before = d.text[: int(spans[position, 0])] + token
    if request.endpoint == "completions":
        return Fork(head, request.prompt + before), token
    messages = _prefill(request.messages, before, server)
    return Fork(head, "", messages, dict(server.prefill_flags)), token


def _prefill(
    messages: tuple[tuple[str, str], ...], before: str, server: ServerCapabilities
) -> tuple[tuple[str, str], ...]:
    """The messages of a chat branch whose answer so far is `before`.

    A server that continues a trailing assistant message unasked (llama-server, Ollama: no
    prefill flags) continued the run's own trailing assistant message: the branch continues
    that message's content plus `before`, not a second assistant message after it. A server
    that needs flags answered the run's trailing assistant message with a new turn, which the
    appended message is.
    """
    if messages and messages[-1][0] == "assistant" and not server.prefill_flags:
        *earlier, (_, given) = messages
        return (*earlier, ("assistant", given + before))
    return (*messages, ("assistant", before))


def position_problem(d: TokenDistribution, position: int) -> str | None:
    """Why no token can be forced at `position` of `d` (sent as text), or None when one can.

    The position continues a character split over tokens, or the text before it holds bytes
    that are no character, or a token the server sent without text.
    """
    spans = d.char_spans()
    if position and spans[position, 0] < spans[position - 1, 1]:
        return (
            f"position {position} continues a character split over tokens: branch at the first "
            "token of that character"
        )
    broken = broken_before(d, position)
    if broken is not None:
        return (
            f"the answer before position {position} is not UTF-8 text: position {broken} holds "
            f"bytes that are no whole character ({d.tokens[broken]!r}), which cannot be sent "
            "as the prompt they were generated from; branch before it, or at its position"
        )
    empty = textless_before(d, position)
    if empty is not None:
        return (
            f"the answer before position {position} is not whole text: the server sent no text "
            f"for position {empty} (llama-cpp-python sends each piece of a character split over "
            "tokens as an empty token), so the text before the position is not the one the "
            "answer continued; branch before it, or at its position"
        )
    return None


def broken_before(d: TokenDistribution, position: int) -> int | None:
    r"""The first position before `position` whose bytes are no whole UTF-8 character, or None.

    A branch sends the answer before the position as text: such bytes (a lone `\xf0` that no
    later token completes) would be sent as U+FFFD, a prompt other than the one the answer
    continued, and the branch would not be the same answer up to the position.
    """
    pieces, _ = effective_bytes(d.tokens[:position], d.token_bytes[:position])
    try:
        b"".join(pieces).decode("utf-8")
    except UnicodeDecodeError as exc:
        ends = np.cumsum([len(p) for p in pieces])
        return int(np.searchsorted(ends, exc.start, side="right"))
    return None


def textless_before(d: TokenDistribution, position: int) -> int | None:
    """The first position before `position` whose token has no text (no bytes either), or None.

    llama-cpp-python streams the pieces of a character split over tokens as `""`: the text
    before the position lacks that character, so it is not the prompt the answer continued.
    """
    pieces, _ = effective_bytes(d.tokens[:position], d.token_bytes[:position])
    return next((i for i, piece in enumerate(pieces) if not piece), None)


def whole_text(token: str, raw: list[int] | None) -> str | None:
    r"""A token's text, or None when it is part of a character (`\xf0\x9f`, `bytes` cut short).

    Its bytes are read as everywhere in tokenprobs: as given, else derived from the string (the
    APIs' `\xNN` spelling of partial bytes included).
    """
    one = TokenDistribution.from_columns(
        source="token",
        tokens=[token],
        token_bytes=[raw],
        logprobs=[0.0],
        top_tokens=[[]],
        top_bytes=[[]],
        top_logprobs_flat=[],
    )
    text = one.text
    return None if "\ufffd" in text else text
