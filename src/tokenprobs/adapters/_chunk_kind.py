"""What kind of stream a chunk (or event) belongs to: chat, legacy completions, Responses, Ollama.

`adapters.stream.chunk_kind` is the public name; `StreamAccumulator` and `tp.parse` dispatch on it.
"""

from __future__ import annotations

from typing import Any

from tokenprobs.adapters._common import get

__all__ = ["chunk_kind"]


def chunk_kind(chunk: Any) -> str | None:  # noqa: ANN401, PLR0911 - any chunk or event
    """`"chat"`, `"completions"`, `"responses"` or `"ollama"` for a stream chunk; else `None`.

    `"filter"` for a chunk that carries only Azure's content filter results (`choices: []` with
    `prompt_filter_results`, or choices with nothing but `content_filter_results`).
    """
    obj = get(chunk, "object")
    if obj == "chat.completion.chunk":
        return "chat"
    if _filter_only(chunk, obj):
        return "filter"
    kind = get(chunk, "type")
    if isinstance(kind, str) and kind.startswith("response."):
        return "responses"
    if isinstance(chunk, dict) and "done" in chunk and ("response" in chunk or "message" in chunk):
        return "ollama"
    choices = get(chunk, "choices")
    if isinstance(choices, list) and obj in (None, "text_completion"):
        first = choices[0] if choices else None
        if obj == "text_completion" or get(first, "text") is not None:
            return "completions"
        if get(first, "delta") is not None:
            return "chat"
    return None


def _filter_only(chunk: Any, obj: object) -> bool:  # noqa: ANN401
    if obj not in ("", None):
        return False
    choices = get(chunk, "choices")
    if not isinstance(choices, list):
        return False
    if not choices:
        return get(chunk, "prompt_filter_results") is not None or obj == ""
    return all(
        get(c, "delta") is None
        and get(c, "text") is None
        and get(c, "logprobs") is None
        and get(c, "content_filter_results") is not None
        for c in choices
    )
