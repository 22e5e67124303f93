"""Legacy Completions and Responses bodies, chunks and events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tokenprobs._said import check_flag
from tokenprobs.testing._entries import (
    CREATED,
    checked,
    deltas,
    entries,
    joined_text,
    token_entry_parts,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tokenprobs.testing._entries import Position

__all__ = ["completion", "completion_chunks", "response", "response_events"]


def _legacy(positions: Sequence[Position], *, top: bool, offset: int) -> dict[str, Any]:
    """The `logprobs` of a legacy choice.

    `text_offset` counts the characters of `text` before each token, so the tokens of a split
    character share its offset (as the servers send it).
    """
    tokens = [token_entry_parts(tok)[0] for tok, _, _ in positions]
    offsets, at = [], offset
    for piece in deltas(positions):
        offsets.append(at)
        at += len(piece)
    return {
        "tokens": tokens,
        "token_logprobs": [lp for _, lp, _ in positions],
        "top_logprobs": [
            None if lp is None else {token_entry_parts(t)[0]: v for t, v in alts}
            for _, lp, alts in positions
        ]
        if top
        else None,
        "text_offset": offsets,
    }


def completion(
    *choices: Sequence[Position],
    model: str = "gpt-3.5-turbo-instruct",
    top: bool = True,
    prompt_offset: int = 0,
    finish_reason: str = "length",
) -> dict[str, Any]:
    """A legacy Completions body; `top=False` gives `top_logprobs: null` (as `logprobs=0` does).

    Raises:
        TypeError: A choice is not a list of `(token, logprob, alternatives)` positions.
        ValueError: A logprob is NaN or infinite.
    """
    choices = tuple(checked(c, f"choice {i}", nulls=True) for i, c in enumerate(choices))
    return {
        "id": "cmpl-test",
        "object": "text_completion",
        "created": CREATED,
        "model": model,
        "choices": [
            {
                "index": i,
                "text": joined_text(p),
                "finish_reason": finish_reason,
                "logprobs": _legacy(p, top=top, offset=prompt_offset),
            }
            for i, p in enumerate(choices)
        ],
    }


def completion_chunks(
    positions: Sequence[Position], *, model: str = "gpt-3.5-turbo-instruct"
) -> list[dict[str, Any]]:
    """A streamed legacy completion: one chunk per token, then a finish chunk.

    Each chunk's `text` is what its token adds (a split character when it is whole, as in
    `chat_chunks`), and its `text_offset` where that falls in the whole text.

    Raises:
        TypeError: `positions` is not a list of `(token, logprob, alternatives)` positions.
        ValueError: A logprob is NaN or infinite.
    """
    positions = checked(positions, "positions", nulls=True)
    chunks = []
    offset = 0
    for pos, piece in zip(positions, deltas(positions), strict=True):
        body = completion([pos], model=model, prompt_offset=offset)
        body["choices"][0].update(text=piece, finish_reason=None)
        offset += len(piece)
        chunks.append(body)
    end = completion([], model=model)
    end["choices"] = [{"index": 0, "text": "", "finish_reason": "length", "logprobs": None}]
    return [*chunks, end]


def response(
    positions: Sequence[Position], *, model: str = "gpt-4o-mini-2024-07-18"
) -> dict[str, Any]:
    """A Responses API body with one message and one `output_text` part carrying logprobs.

    With the fields the API always sends and the SDK requires (`tools`, `tool_choice`,
    `parallel_tool_calls` ...), so the SDK's `Response.model_validate` takes it.

    Raises:
        TypeError: `positions` is not a list of `(token, logprob, alternatives)` positions,
            or a logprob is None (only legacy Completions send a null one).
        ValueError: A logprob is NaN or infinite.
    """
    positions = checked(positions, "positions")
    return {
        "id": "resp_test",
        "object": "response",
        "created_at": CREATED,
        "model": model,
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "metadata": {},
        "parallel_tool_calls": True,
        "temperature": 1.0,
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "output": [
            {
                "id": "msg_test",
                "type": "message",
                "role": "assistant",
                "status": "completed",
                "content": [
                    {
                        "type": "output_text",
                        "text": joined_text(positions),
                        "annotations": [],
                        "logprobs": entries(positions),
                    }
                ],
            }
        ],
    }


def response_events(
    positions: Sequence[Position],
    *,
    model: str = "gpt-4o-mini-2024-07-18",
    rounded: bool = False,
    delta_bytes: bool = True,
) -> list[dict[str, Any]]:
    """Responses stream events: a delta per token, the part's `.done`, `response.completed`.

    As the API sends them, the delta events carry `bytes` and full-precision logprobs; with
    `rounded`, the `.done` event and `response.completed` carry copies rounded to 6 decimals
    (`-0.0`, `-2e-06`), as observed. `delta_bytes=False` leaves `bytes` out of the deltas.

    Raises:
        TypeError: `positions` is not a list of `(token, logprob, alternatives)` positions,
            or a logprob is None (only legacy Completions send a null one).
        ValueError: A logprob is NaN or infinite.
    """
    check_flag(rounded, "rounded", "logprobs rounded as the API rounds them")
    check_flag(delta_bytes, "delta_bytes", "each delta event carries its bytes")
    positions = checked(positions, "positions")
    base = {"item_id": "msg_test", "output_index": 0, "content_index": 0}
    events: list[dict[str, Any]] = [
        {
            "type": "response.created",
            "sequence_number": 0,
            "response": {
                **response([], model=model),
                "status": "in_progress",
                "output": [],
            },
        }
    ]
    copies = [_rounded(p) for p in positions] if rounded else list(positions)
    for pos, delta in zip(positions, deltas(positions), strict=True):
        events.append(
            {
                "type": "response.output_text.delta",
                "sequence_number": len(events),
                **base,
                "delta": delta,
                "logprobs": entries([pos], with_bytes=delta_bytes),
            }
        )
    events.append(
        {
            "type": "response.output_text.done",
            "sequence_number": len(events),
            **base,
            "text": joined_text(positions),
            "logprobs": entries(copies, with_bytes=False),
        }
    )
    events.append(
        {
            "type": "response.completed",
            "sequence_number": len(events),
            "response": response(copies, model=model),
        }
    )
    return events


def _rounded(pos: Position) -> Position:
    tok, lp, alts = pos
    return (
        tok,
        None if lp is None else round(lp, 6),
        [(t, round(v, 6)) for t, v in alts],
    )
