"""Bytes are the truth for text: effective bytes per token, character spans, token identity."""

from __future__ import annotations

import codecs
import re
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "derive_bytes",
    "duplicate_alternatives",
    "effective_bytes",
    "sampled_in_top",
    "token_key",
]

# A token that stands for raw bytes: the legacy API's `bytes:\xe2\x80`, or Chat's literal
# backslash-escaped partial UTF-8 such as `\xf0\x9f\x92`.
_HEX_TOKEN = re.compile(r"(?:bytes:)?((?:\\x[0-9a-fA-F]{2})+)")


def derive_bytes(token: str) -> bytes:
    r"""The bytes a token stands for when the API gave none.

    `bytes:\xe2\x80` and `\xf0\x9f\x92` forms give the escaped bytes; anything else is the
    token's UTF-8 encoding (lone surrogates, which JSON can carry, pass through).

    Examples:
        >>> derive_bytes("bytes:\\xe2\\x80"), derive_bytes(" é")
        (b'\xe2\x80', b' \xc3\xa9')
    """
    m = _HEX_TOKEN.fullmatch(token)
    if m:
        return bytes.fromhex(m.group(1).replace("\\x", ""))
    return token.encode("utf-8", errors="surrogatepass")


def effective_bytes(
    tokens: list[str], token_bytes: list[list[int] | None]
) -> tuple[list[bytes], NDArray[np.bool_]]:
    """Each token's bytes (given, or derived from the token) and where they were derived."""
    derived = np.fromiter((b is None for b in token_bytes), dtype=bool, count=len(tokens))
    out = [
        derive_bytes(t) if b is None else bytes(b) for t, b in zip(tokens, token_bytes, strict=True)
    ]
    derived.flags.writeable = False
    return out, derived


def char_spans(pieces: list[bytes]) -> NDArray[np.intp]:
    """`[start, end)` character offsets of each piece in the text decoded from their concatenation.

    Decoding is incremental with `errors="replace"`, which gives the same text as decoding the
    whole at once. A character started in one piece and finished in a later one belongs to both,
    and to any empty piece between them (so starts and ends both stay in order).
    """
    spans = np.zeros((len(pieces), 2), dtype=np.intp)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    emitted = 0
    for i, piece in enumerate(pieces):
        start = emitted
        emitted += len(decoder.decode(piece))
        pending = bool(decoder.getstate()[0])
        spans[i] = start, emitted + (1 if pending else 0)
    tail = len(decoder.decode(b"", final=True))
    if tail and len(pieces):
        # a truncated character at the end decodes to U+FFFD, owned by the pieces that hold it
        spans[:, 1] = np.minimum(spans[:, 1], emitted + tail)
    spans.flags.writeable = False
    return spans


def token_key(token: str, raw: list[int] | None) -> bytes:
    """The identity of a token for deduplication: its bytes, derived when the API gave none."""
    return derive_bytes(token) if raw is None else bytes(raw)


def sampled_in_top(
    tokens: list[str],
    token_bytes: list[list[int] | None],
    top_tokens: list[list[str]],
    top_bytes: list[list[list[int] | None]],
) -> NDArray[np.bool_]:
    """Per position: whether the sampled token is among the alternatives.

    Tokens are the same when their strings match and their bytes do too (where both are given):
    two ids can share a string such as `\ufffd` while their bytes differ.
    """
    out = np.zeros(len(tokens), dtype=bool)
    for i, (tok, tb, alts) in enumerate(zip(tokens, token_bytes, top_tokens, strict=True)):
        if tok in alts:
            out[i] = any(
                t == tok and (tb is None or b is None or b == tb)
                for t, b in zip(alts, top_bytes[i], strict=True)
            )
    return out


def duplicate_alternatives(
    top_tokens: list[list[str]], top_bytes: list[list[list[int] | None]], shape: tuple[int, ...]
) -> NDArray[np.bool_]:
    """Mask `(T, K)`: True for an alternative that repeats an earlier one at its position."""
    dup = np.zeros(shape, dtype=bool)
    for i, alts in enumerate(top_tokens):
        if len(set(alts)) == len(alts):
            continue  # distinct strings: distinct tokens
        seen: set[bytes] = set()
        for j, (t, b) in enumerate(zip(alts, top_bytes[i], strict=True)):
            key = token_key(t, b)
            if key in seen:
                dup[i, j] = True
            seen.add(key)
    return dup
