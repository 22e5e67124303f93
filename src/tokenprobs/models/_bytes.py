"""Bytes are the truth for text: effective bytes per token, character spans, control tokens."""

from __future__ import annotations

import codecs
import re
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "align_to_content",
    "derive_bytes",
    "effective_bytes",
    "gpt2_decode",
    "special_tokens",
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


# Control tokens: `<|im_end|>`, `<|eot_id|>`, harmony's `<|channel|>`, SentencePiece / Gemma names,
# and tool-call markup. A token string is matched whole, never a piece of text.
_CONTROL = re.compile(
    r"<\|[^<>|\s]{1,64}\|>"
    r"|</?(?:s|eos|bos|pad|unk|tool_call|start_of_turn|end_of_turn|eot)>"
    r"|\[/?INST\]"
)
_HEADER_OPEN = frozenset({"<|start|>", "<|channel|>", "<|constrain|>"})
_HEADER_ENDS = _HEADER_OPEN | {"<|message|>"}


def special_tokens(tokens: list[str]) -> NDArray[np.bool_]:
    """Per token: a control token, or part of a harmony header (`<|channel|>analysis<|message|>`).

    Examples:
        >>> special_tokens(["<|channel|>", "analysis", "<|message|>", "Hi", "<|im_end|>"]).tolist()
        [True, True, True, False, True]
    """
    out = np.zeros(len(tokens), dtype=bool)
    joined = "\x00".join(tokens)
    if "<" not in joined and "[" not in joined:
        return out
    match = _CONTROL.fullmatch
    out[:] = [match(t) is not None for t in tokens]
    opens = [i for i in np.flatnonzero(out) if tokens[i] in _HEADER_OPEN]
    for i in opens:  # a header's role / channel names run to <|message|> (or the next control)
        j = i + 1
        while j < len(tokens) and not out[j]:
            j += 1
        if j == len(tokens) or tokens[j] in _HEADER_ENDS:
            out[i:j] = True
    return out


def align_to_content(
    pieces: list[bytes], special: NDArray[np.bool_], content: str
) -> tuple[NDArray[np.bool_], NDArray[np.intp]]:
    """Which tokens are part of `content`, and each token's character span in it.

    When the tokens' bytes are the content's, every token is in it. Otherwise the tokens are
    placed in order: a special token is never content; another is matched where the content
    continues, else at its next occurrence, else it is not content (an empty span where it
    stands). Text that no token has (a server's own `<reasoning>` wrapper) is skipped over.
    """
    target = content.encode("utf-8", errors="surrogatepass")
    n = len(pieces)
    lengths = np.fromiter(map(len, pieces), dtype=np.intp, count=n)
    inside = np.ones(n, dtype=bool)
    if b"".join(pieces) == target:
        ends = np.cumsum(lengths)
        starts = ends - lengths
    else:
        starts, ends = np.zeros(n, dtype=np.intp), np.zeros(n, dtype=np.intp)
        cursor = 0
        for i, piece in enumerate(pieces):
            at = -1 if special[i] else (cursor if target.startswith(piece, cursor) else -2)
            if at == -2:  # noqa: PLR2004 - not where the content continues: look further on
                at = target.find(piece, cursor) if piece else cursor
            if at < 0:
                inside[i] = False
                starts[i] = ends[i] = cursor
                continue
            starts[i], ends[i] = at, at + len(piece)
            cursor = int(ends[i])
    return readonly_pair(inside, _byte_to_char_spans(target, starts, ends))


def readonly_pair(
    mask: NDArray[np.bool_], spans: NDArray[np.intp]
) -> tuple[NDArray[np.bool_], NDArray[np.intp]]:
    """Both arrays marked read-only."""
    mask.flags.writeable = False
    spans.flags.writeable = False
    return mask, spans


def _byte_to_char_spans(
    raw: bytes, starts: NDArray[np.intp], ends: NDArray[np.intp]
) -> NDArray[np.intp]:
    """Byte ranges in `raw` (valid UTF-8) to character ranges; a split character is in both."""
    arr = np.frombuffer(raw, dtype=np.uint8)
    lead = np.append((arr & 0xC0) != 0x80, True)  # noqa: PLR2004 - UTF-8 continuation bytes
    before = np.concatenate(([0], np.cumsum(lead[:-1], dtype=np.intp)))  # leads before offset
    start = before[starts] - (~lead[starts]).astype(np.intp)
    end = np.maximum(before[ends], start + (starts == ends) * (~lead[starts]).astype(np.intp))
    return np.stack([start, end], axis=1).astype(np.intp)


def _gpt2_alphabet() -> dict[str, int]:
    """GPT-2's byte-to-unicode table, inverted: the symbol character → the byte it stands for."""
    printable = [*range(33, 127), *range(161, 173), *range(174, 256)]
    table = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return {c: b for b, c in table.items()}


_GPT2 = _gpt2_alphabet()


def gpt2_decode(symbol: str) -> bytes | None:
    """The bytes a GPT-2 byte-level BPE symbol string stands for (`ĠHello` → b" Hello").

    `None` when a character is outside GPT-2's byte-to-unicode alphabet.

    Examples:
        >>> gpt2_decode("ĠHello"), gpt2_decode("Hello world")
        (b' Hello', None)
    """
    try:
        return bytes(_GPT2[c] for c in symbol)
    except KeyError:
        return None
