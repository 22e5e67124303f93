"""The pieces every builder shares: positions, token entries, the text they spell."""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from typing import Any

__all__ = [
    "CREATED",
    "Alternative",
    "Position",
    "deltas",
    "entries",
    "entry",
    "joined_text",
    "token_entry_parts",
]

Alternative = tuple[str | bytes, float]
"""`(token, logprob)`."""
Position = tuple[str | bytes, float | None, Sequence[Alternative]]
"""`(token, logprob, alternatives)`; a `None` logprob only where the API gives null (echo)."""

CREATED = 1_700_000_000


def token_entry_parts(tok: str | bytes) -> tuple[str, list[int]]:
    if isinstance(tok, str):
        return tok, list(tok.encode("utf-8"))
    try:
        return tok.decode("utf-8"), list(tok)
    except UnicodeDecodeError:
        return "".join(f"\\x{b:02x}" for b in tok), list(tok)


def entry(tok: str | bytes, logprob: float | None, *, with_bytes: bool = True) -> dict[str, Any]:
    text, raw = token_entry_parts(tok)
    out: dict[str, Any] = {"token": text, "logprob": logprob}
    if with_bytes:
        out["bytes"] = raw
    return out


def entries(positions: Sequence[Position], *, with_bytes: bool = True) -> list[dict[str, Any]]:
    return [
        {
            **entry(tok, lp, with_bytes=with_bytes),
            "top_logprobs": [entry(t, v, with_bytes=with_bytes) for t, v in alts],
        }
        for tok, lp, alts in positions
    ]


def joined_text(positions: Sequence[Position]) -> str:
    raw = b"".join(bytes(token_entry_parts(tok)[1]) for tok, _, _ in positions)
    return raw.decode("utf-8", errors="replace")


def deltas(positions: Sequence[Position]) -> list[str]:
    """The text each token adds, as a stream's deltas carry it (a split character when whole)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    return [decoder.decode(bytes(token_entry_parts(tok)[1])) for tok, _, _ in positions]
