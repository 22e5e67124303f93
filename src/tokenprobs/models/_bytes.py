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
    r"""`[start, end)` character offsets of each piece in the text decoded from their concatenation.

    The text is the concatenation decoded at once with `errors="replace"`, and a piece's span holds
    each character one of its bytes is part of. A character started in one piece and finished in a
    later one belongs to both, and to any empty piece between them (so starts and ends both stay
    in order). A U+FFFD stands for the bytes it replaces only: after a lead byte that is never
    finished, the next piece starts after it, and an empty piece there has an empty span.

    Examples:
        >>> char_spans([b"\xf0\x9f", b"\x98\x80"]).tolist(), char_spans([b"\xf0", b"a"]).tolist()
        ([[0, 1], [0, 1]], [[0, 1], [1, 2]])
    """
    raw = b"".join(pieces)
    lengths = np.fromiter(map(len, pieces), dtype=np.intp, count=len(pieces))
    ends = np.cumsum(lengths, dtype=np.intp)
    spans = _byte_to_char_spans(raw, ends - lengths, ends, lead=_replaced_starts(raw))
    spans.flags.writeable = False
    return spans


def _replaced_starts(raw: bytes) -> NDArray[np.bool_]:
    """Per byte: whether a character of `raw.decode("utf-8", errors="replace")` starts there.

    One starts at every byte of valid UTF-8 but a continuation byte, and a U+FFFD at the first of
    the bytes it replaces (where the strict decoder stops), however that byte reads alone.
    """
    lead: NDArray[np.bool_] = (np.frombuffer(raw, dtype=np.uint8) & 0xC0) != 0x80  # noqa: PLR2004
    view, at = memoryview(raw), 0
    while at < len(raw):  # a chunk at a time: an error costs a chunk, not all the rest of `raw`
        final = at + _CHUNK >= len(raw)  # not final: a character cut at its end waits for the next
        try:
            at += codecs.utf_8_decode(view[at : at + _CHUNK], "strict", final)[1]
        except UnicodeDecodeError as err:
            lead[at + err.start] = True
            lead[at + err.start + 1 : at + err.end] = False
            at += err.end
    return lead


_CHUNK = 4096
"""Bytes `_replaced_starts` decodes at once: at least 4, so that every chunk decodes something."""


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
    raw: bytes,
    starts: NDArray[np.intp],
    ends: NDArray[np.intp],
    *,
    lead: NDArray[np.bool_] | None = None,
) -> NDArray[np.intp]:
    """Byte ranges in `raw` to character ranges; a character split between ranges is in both.

    `lead` marks the bytes a character starts at; by default every byte but a UTF-8 continuation
    byte (the characters of valid UTF-8, lone surrogates one each as `surrogatepass` wrote them).
    """
    if lead is None:
        lead = (np.frombuffer(raw, dtype=np.uint8) & 0xC0) != 0x80  # noqa: PLR2004 - continuation
    lead = np.append(lead, True)
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
