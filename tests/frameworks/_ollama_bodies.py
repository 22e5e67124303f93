"""Bodies in Ollama's native wire format (`/api/chat`, `/api/generate`), plain and NDJSON.

The shape is the one Ollama 0.12.11 documents and the recorded release-note chunk shows
(`tests/fixtures/recorded/ollama_native_generate_chunk_gemma3_top3.json`): a `logprobs` list of
`{token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}` at the top level of each
response or stream line, beside `message` (chat) or `response` (generate). A token that ends
inside a UTF-8 character is named U+FFFD, with its real `bytes` (ollama #13497). The stream's
text deltas hold a split character back until it is whole; its last line is `done: true` with
an empty delta and the metrics.
"""

from __future__ import annotations

import codecs
import copy
import json
from typing import Any, NamedTuple

from tests.frameworks._bodies import POSITIONS, recorded

from tokenprobs.testing import Position, chat_completion

MODEL = "gemma3"
CREATED = "2025-11-14T22:26:10.466324Z"
WHOLE = [p for p in POSITIONS if isinstance(p[0], str)]
"""Positions whose tokens are whole UTF-8 characters (what the `ollama` client keeps intact)."""


def entries(positions: list[Position]) -> list[dict[str, Any]]:
    """Ollama's `logprobs` list: OpenAI's entries, with a split character's token named U+FFFD."""
    out = chat_completion(positions)["choices"][0]["logprobs"]["content"]
    for e in out:
        for item in (e, *e["top_logprobs"]):
            item["token"] = bytes(item["bytes"]).decode("utf-8", errors="replace")
    return out


def _texts(items: list[dict[str, Any]]) -> list[str]:
    """Each token's text delta, a split character held back until its last byte."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    return [decoder.decode(bytes(e["bytes"])) for e in items]


def _text(piece: str, *, chat: bool) -> dict[str, Any]:
    return {"message": {"role": "assistant", "content": piece}} if chat else {"response": piece}


class Native(NamedTuple):
    """One endpoint's plain body and its stream's lines."""

    body: dict[str, Any]
    lines: list[dict[str, Any]]

    def ndjson(self) -> str:
        """The stream as its HTTP body."""
        return "".join(json.dumps(line) + "\n" for line in self.lines)


METRICS = {"total_duration": 812_000_000, "prompt_eval_count": 11, "eval_duration": 400_000_000}


def native(positions: list[Position], *, chat: bool) -> Native:
    """The `/api/chat` (or `/api/generate`) body and stream of these positions."""
    items = entries(positions)
    head = {"model": MODEL, "created_at": CREATED}
    done = {"done": True, "done_reason": "stop", **METRICS, "eval_count": len(items)}
    body = {**head, **_text("".join(_texts(items)), chat=chat), **done, "logprobs": items}
    lines = [
        {**head, **_text(piece, chat=chat), "done": False, "logprobs": [e]}
        for piece, e in zip(_texts(items), items, strict=True)
    ]
    lines.append({**head, **_text("", chat=chat), **done})
    return Native(body, lines)


def without_bytes(value: Any) -> Any:
    """A body or lines as the `ollama` client keeps them: every entry's `bytes` dropped."""
    value = copy.deepcopy(value)
    for item in value if isinstance(value, list) else [value]:
        for e in item.get("logprobs") or []:
            for entry in (e, *e.get("top_logprobs", [])):
                entry.pop("bytes", None)
    return value


def without_logprobs(n: Native) -> Native:
    """The body and lines as Ollama sends them when logprobs were not asked for."""
    strip = lambda d: {k: v for k, v in d.items() if k != "logprobs"}  # noqa: E731
    return Native(strip(n.body), [strip(line) for line in n.lines])


CHAT = native(WHOLE, chat=True)
GENERATE = native(WHOLE, chat=False)
SPLIT = native(POSITIONS, chat=True)
"""A chat answer with 국 split over two tokens (named U+FFFD by Ollama, with their bytes)."""

RECORDED_CHUNK = json.loads(recorded("ollama_native_generate_chunk_gemma3_top3.json"))
"""Ollama's own `/api/generate` stream chunk (its release notes), top_logprobs 3."""
