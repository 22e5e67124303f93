"""The token side: the byte stream, per-position flags, and the candidates at a position.

Everything here reads public `TokenDistribution` columns only. `candidates` is the one place that
knows how the returned alternatives become a support (distinct tokens keyed by bytes, the sampled
token counted once, the `-9999` sentinel left out), so it can be swapped for the models' shared
candidate-set base without touching the rest.
"""

from __future__ import annotations

import codecs
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tokenprobs.fields._errors import FieldsError

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from tokenprobs.models import TokenDistribution

__all__ = ["FORCED_GAP", "Stream", "candidates", "stream"]

FORCED_GAP = 15.0
"""A sampled token with logprob exactly 0 is *forced* when no other returned token is within this
many nats (OpenAI's Structured Outputs return structural tokens at 0.0, alternatives near -19)."""


@dataclass(frozen=True, slots=True)
class Stream:
    """The output as one byte string, and where each position's bytes are in it."""

    buf: bytes
    starts: NDArray[np.intp]
    """Byte offset of each position's first byte, `(T,)`."""
    ends: NDArray[np.intp]
    """Byte offset just past each position's bytes, `(T,)` (non-decreasing)."""
    char_of: NDArray[np.intp]
    """Character offset of each byte offset, `(len(buf) + 1,)`."""
    forced: NDArray[np.bool_]
    """Per position: the token carried no information (see `FORCED_GAP`)."""
    unknown: NDArray[np.bool_]
    """Per position: the sampled logprob is the `-9999` sentinel (outside the top-k) or null."""
    logprobs: NDArray[np.float64]
    """Sampled logprobs, an unknown one replaced by its upper bound (the lowest returned
    alternative's logprob, which the sampled token did not beat; 0 without alternatives)."""
    unescaped: bool = False
    """Token texts written as escapes (on shapes without `bytes`) were read as those bytes, as
    that spelt the content; `candidates` reads the alternatives' texts the same way."""


_ESCAPED = re.compile(r"(?:bytes:)?((?:\\x[0-9a-fA-F]{2})+)")


def _token_bytes(d: TokenDistribution, *, unescape: bool) -> list[bytes]:
    r"""Each position's bytes: as given, else its text's UTF-8.

    With `unescape`, a text written as escapes (`\xf0\x9f`, `bytes:\xf0`: a token that splits
    a character, on shapes without `bytes`) stands for those bytes.
    """
    return [
        bytes(b) if b is not None else _text_bytes(t, unescape=unescape)
        for t, b in zip(d.tokens, d.token_bytes, strict=True)
    ]


def _text_bytes(t: str, *, unescape: bool) -> bytes:
    """A token's bytes from its text: its UTF-8, or with `unescape` the bytes its escapes spell."""
    m = _ESCAPED.fullmatch(t) if unescape else None
    return bytes.fromhex(m.group(1).replace("\\x", "")) if m else t.encode("utf-8")


def _char_starts(buf: bytes) -> NDArray[np.bool_]:
    """Per byte: whether a character of `buf.decode("utf-8", errors="replace")` starts there.

    A UTF-8 lead byte; where the bytes are no UTF-8 (a bare logprobs object: no content checked
    them), each run the decoder replaces by one U+FFFD starts one character, so character offsets
    index the text the result shows.
    """
    raw = np.frombuffer(buf, dtype=np.uint8)
    starts: NDArray[np.bool_] = (raw & 0xC0) != 0x80  # noqa: PLR2004 - UTF-8 continuation bytes
    at, view = 0, memoryview(buf)
    while True:
        try:
            codecs.utf_8_decode(view[at:], "strict", True)  # noqa: FBT003 - final, positional only
        except UnicodeDecodeError as exc:
            a, b = at + exc.start, at + exc.end
            starts[a] = True
            starts[a + 1 : b] = False
            at = b
        else:
            return starts


def _no_tokens(d: TokenDistribution) -> FieldsError:
    """The error for a distribution without tokens: why, and what to do."""
    if d.content:
        why = f"its {len(d.content):,}-character content has no logprobs"
        fix = "ask for logprobs=True with response_format"
    elif d.incomplete or d.finish_reason == "length":
        why = f"the output is empty (finish_reason={d.finish_reason!r})"
        fix = "raise max_tokens (a reasoning model may have spent them all on reasoning)"
    else:
        why = f"the output is empty (finish_reason={d.finish_reason!r})"
        fix = "there is no JSON to read"
    return FieldsError(f"the distribution has no tokens: {why}; {fix}")


def _spelling(
    d: TokenDistribution, pieces: list[bytes], want: bytes
) -> tuple[list[bytes], bool] | None:
    """The tokens' bytes (and whether escapes were read) the first way that spells `want`.

    None when no fallback spells it. Escaped split characters are read as bytes, and control
    tokens the content lacks (an EOS, harmony markup: `d.special`) as holding none of it, each or
    both (a legacy Completions answer ending in an EOS), only when that spells the content. An
    ordinary token the content lacks keeps its bytes: the spelling then fails.
    """
    tries = [(pieces, False)]
    if any(b is None for b in d.token_bytes):
        tries.append((_token_bytes(d, unescape=True), True))
    dropped = d.special & ~d.in_content
    if dropped.any():
        keep = (~dropped).tolist()
        tries += [
            ([p if k else b"" for p, k in zip(t, keep, strict=True)], unescaped)
            for t, unescaped in tries
        ]
    return next(((t, u) for t, u in tries[1:] if b"".join(t) == want), None)


_LISTED = 3
"""How many tokens the content lacks a mismatch's message names."""


def _mismatch(d: TokenDistribution, buf: bytes, want: bytes) -> FieldsError:
    """Why the tokens' bytes `buf` are not the content `want`: where, which tokens, what to do."""
    if not want:
        return FieldsError(
            f"the response's content is empty (null or '') while its tokens spell "
            f"{len(buf):,} bytes: the server gave logprobs for text its message does not hold; "
            "to read those tokens unchecked, pass the choice's logprobs object alone "
            "(choices[i].logprobs)"
        )
    at = next((k for k, (x, y) in enumerate(zip(buf, want, strict=False)) if x != y), None)
    at = min(len(buf), len(want)) if at is None else at
    derived = sum(b is None for b in d.token_bytes)
    hint = (
        f" ({derived} tokens came without `bytes`: their text was used, which is wrong "
        "for tokens that split a character)"
        if derived
        else ""
    )
    stray = np.flatnonzero(~d.in_content & ~d.special).tolist()
    if stray:
        some = ", ".join(f"{i} ({d.tokens[i]!r})" for i in stray[:_LISTED])
        more = " …" if len(stray) > _LISTED else ""
        many = len(stray) > 1
        hint += (
            f"; the content lacks token{'s' if many else ''} {some}{more}, which "
            f"{'are no control tokens' if many else 'is no control token'} (only those, an "
            "EOS or harmony markup, may be missing from it)"
        )
    return FieldsError(
        f"the tokens' bytes ({len(buf)} bytes) do not spell the response's content "
        f"({len(want)} bytes): they differ from byte {at}{hint}; fields are read from the "
        "token bytes only when they are the content: pass the response as the server sent it "
        "(was its content edited?)"
    )


def stream(d: TokenDistribution) -> Stream:
    """The byte stream of `d`, checked against the content the response gave.

    Control tokens the content lacks (`d.special & ~d.in_content`: an EOS, harmony markup)
    count as holding no bytes, when the others then spell the content; an ordinary token never
    does.

    Raises:
        FieldsError: If `d` is a refusal, has no tokens, or its token bytes do not spell its
            content (the message gives the first differing byte, and the ordinary tokens the
            content lacks).
    """
    if d.refusal:
        msg = "this distribution is a refusal (logprobs.refusal), not a structured output"
        raise FieldsError(msg)
    if len(d) == 0:
        raise _no_tokens(d)
    pieces = _token_bytes(d, unescape=False)
    buf = b"".join(pieces)
    unescaped = False
    if d.content is not None:
        want = d.content.encode("utf-8")
        spelt = _spelling(d, pieces, want) if buf != want else None
        if spelt is not None:
            (pieces, unescaped), buf = spelt, want
        if buf != want:
            raise _mismatch(d, buf, want)
    lens = np.fromiter(map(len, pieces), dtype=np.intp, count=len(pieces))
    ends = np.cumsum(lens)
    starts = ends - lens
    char_of = np.zeros(len(buf) + 1, dtype=np.intp)
    np.cumsum(_char_starts(buf), out=char_of[1:])
    lp = np.minimum(d.logprobs, 0.0)  # a positive (coarse) logprob is probability 1, as in metrics
    support = d.support_logprobs
    # the best returned token other than a sampled one at 0.0 is the second largest of the support
    second = (
        np.sort(support, axis=1)[:, -2] if support.shape[1] >= 2 else np.full(len(d), -np.inf)  # noqa: PLR2004
    )
    forced = (lp == 0.0) & (second <= -FORCED_GAP)
    unknown = ~np.isfinite(lp)
    top = d.top_logprobs
    lowest = (
        np.min(np.where(np.isfinite(top), top, np.inf), axis=1, initial=np.inf)
        if top.ndim == 2 and top.shape[1]  # noqa: PLR2004
        else np.full(len(d), np.inf)
    )
    bound = np.where(np.isfinite(lowest), lowest, 0.0)
    return Stream(
        buf=buf,
        starts=starts,
        ends=ends,
        char_of=char_of,
        forced=forced,
        unknown=unknown,
        logprobs=np.where(unknown, bound, lp),
        unescaped=unescaped,
    )


def candidates(
    d: TokenDistribution, i: int, *, unescape: bool = False
) -> list[tuple[bytes, float, bool]]:
    """The distinct returned tokens at position `i`: bytes, logprob, whether it is the sampled one.

    The alternatives deduplicated by bytes, plus the sampled token where it is not among them;
    the sentinel (`-inf`) is left out. A token without `bytes` is its text's UTF-8, or with
    `unescape` (`Stream.unescaped`) the bytes its escapes spell, as the stream read them.
    """
    support = d.support_logprobs[i]
    width = support.shape[0] - 1
    sampled_b = d.token_bytes[i]
    sampled = (
        bytes(sampled_b) if sampled_b is not None else _text_bytes(d.tokens[i], unescape=unescape)
    )
    out: list[tuple[bytes, float, bool]] = []
    for c, (tok, raw) in enumerate(zip(d.top_tokens[i], d.top_bytes[i], strict=True)):
        lp = float(support[c])
        if lp > -math.inf:
            b = bytes(raw) if raw is not None else _text_bytes(tok, unescape=unescape)
            out.append((b, lp, b == sampled))
    if support[width] > -math.inf:
        out.append((sampled, float(support[width]), True))
    return out
