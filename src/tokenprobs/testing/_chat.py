"""Chat Completions bodies and stream chunks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tokenprobs._said import check_flag
from tokenprobs.testing._entries import CREATED, checked, deltas, entries, joined_text

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tokenprobs.testing._entries import Position

__all__ = ["chat_chunks", "chat_completion"]


def chat_completion(
    *choices: Sequence[Position],
    model: str = "gpt-4o-mini-2024-07-18",
    refusal: bool = False,
    finish_reason: str = "stop",
) -> dict[str, Any]:
    """A Chat Completions body with one choice per positional argument (`n = len(choices)`).

    Its `usage.completion_tokens` counts the tokens of every choice, as the API counts them.

    Raises:
        TypeError: A choice is not a list of `(token, logprob, alternatives)` positions, or a
            logprob is None (only legacy Completions send a null one).
        ValueError: A logprob is NaN or infinite.
    """
    check_flag(refusal, "refusal", "the text is the refusal, not the content")
    out, generated = [], 0
    for i, given in enumerate(choices):
        positions = checked(given, f"choice {i}")
        generated += len(positions)
        content, text = entries(positions), joined_text(positions)
        out.append(
            {
                "index": i,
                "message": {
                    "role": "assistant",
                    "content": None if refusal else text,
                    "refusal": text if refusal else None,
                },
                "logprobs": {
                    "content": None if refusal else content,
                    "refusal": content if refusal else None,
                },
                "finish_reason": finish_reason,
            }
        )
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": CREATED,
        "model": model,
        "choices": out,
        "usage": {
            "prompt_tokens": 5,
            "completion_tokens": generated,  # every choice's tokens, as the API counts them
            "total_tokens": 5 + generated,
        },
    }


def chat_chunks(
    *choices: Sequence[Position],
    model: str = "gpt-4o-2024-08-06",
    refusal: bool = False,
    usage: bool = True,
    finish_reason: str = "stop",
) -> list[dict[str, Any]]:
    """The chunks of a streamed chat completion, choices interleaved position by position.

    Like the API: a first chunk per choice with `content: []`, one chunk per token (its delta
    the characters it completes), a finish chunk with `logprobs: null`, then (with `usage`) a
    chunk with `choices: []` whose `completion_tokens` counts the tokens of every choice.

    Raises:
        TypeError: A choice is not a list of `(token, logprob, alternatives)` positions, or a
            logprob is None (only legacy Completions send a null one).
        ValueError: A logprob is NaN or infinite.
    """
    check_flag(refusal, "refusal", "the text is the refusal, not the content")
    check_flag(usage, "usage", "end with a usage chunk")
    choices = tuple(checked(c, f"choice {i}") for i, c in enumerate(choices))
    field, other = ("refusal", "content") if refusal else ("content", "refusal")

    def chunk(choice: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": "chatcmpl-test",
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": model,
            "choices": [choice],
        }

    chunks = [
        chunk(
            {
                "index": i,
                "delta": {"role": "assistant", field: "", other: None},
                "logprobs": {field: [], other: None},
                "finish_reason": None,
            }
        )
        for i in range(len(choices))
    ]
    longest = max((len(c) for c in choices), default=0)
    pieces = [deltas(c) for c in choices]
    for j in range(longest):
        for i, positions in enumerate(choices):
            if j < len(positions):
                entry = entries([positions[j]])
                chunks.append(
                    chunk(
                        {
                            "index": i,
                            "delta": {field: pieces[i][j]},
                            "logprobs": {field: entry, other: None},
                            "finish_reason": None,
                        }
                    )
                )
    chunks += [
        chunk({"index": i, "delta": {}, "logprobs": None, "finish_reason": finish_reason})
        for i in range(len(choices))
    ]
    if usage:
        chunks.append(
            {
                **chunk({}),
                "choices": [],
                "usage": {
                    "prompt_tokens": 5,
                    "completion_tokens": sum(map(len, choices)),
                    "total_tokens": 5 + sum(map(len, choices)),
                },
            }
        )
    return chunks
