"""`d.char_spans()`: each token's characters in `d.text`, split and invalid UTF-8 included."""

from __future__ import annotations

import codecs

import numpy as np
import pytest

import tokenprobs as tp
from tokenprobs.testing import chat_completion

REPLACEMENT = "\ufffd"


def spans_of(pieces):
    """The text and spans of a chat distribution whose tokens have the bytes `pieces`."""
    d = tp.parse(chat_completion([(piece, -0.1, []) for piece in pieces]))
    return d.text, d.char_spans().tolist()


@pytest.mark.parametrize(
    ("pieces", "text", "spans"),
    [
        pytest.param(
            [b"\xf0", b"a"], REPLACEMENT + "a", [[0, 1], [1, 2]], id="a lead byte never finished"
        ),
        pytest.param(
            [b"\xf0\x9f", b"\x98\x80"], "\U0001f600", [[0, 1], [0, 1]], id="one character split"
        ),
        pytest.param(
            [b"\xf0", b""], REPLACEMENT, [[0, 1], [1, 1]], id="an empty token after a lone lead"
        ),
        pytest.param(
            [b"\xe2\x82", b"x"], REPLACEMENT + "x", [[0, 1], [1, 2]], id="two bytes never finished"
        ),
        pytest.param(
            [b"\xf0\x9f", b"\x98"], REPLACEMENT, [[0, 1], [0, 1]], id="truncated at the end"
        ),
        pytest.param(
            [b"\xf0", b"\x9f", b"a"],
            REPLACEMENT + "a",
            [[0, 1], [0, 1], [1, 2]],
            id="unfinished over two tokens",
        ),
        pytest.param(
            [b"\xf0", b"", b"a"],
            REPLACEMENT + "a",
            [[0, 1], [1, 1], [1, 2]],
            id="an empty token between a lone lead and the next",
        ),
        pytest.param(
            [b"\xea\xb0", b"", b"\x80"],
            "\uac00",
            [[0, 1], [0, 1], [0, 1]],
            id="an empty token inside a split character",
        ),
        pytest.param(
            [b"\xed", b"\xa0", b"\x80"],
            REPLACEMENT * 3,
            [[0, 1], [1, 2], [2, 3]],
            id="a surrogate's bytes: three replacements",
        ),
        pytest.param(
            [b"\xf0", b"\xe2", b"\x82\xac"],
            REPLACEMENT + "\u20ac",
            [[0, 1], [1, 2], [1, 2]],
            id="a lone lead, then a split character",
        ),
    ],
)
def test_a_replacement_belongs_to_the_bytes_it_replaces(pieces, text, spans):
    r"""A lone lead byte's U+FFFD was also in the next token's span ([b"\xf0", b"a"]: "a" at 0)."""
    assert spans_of(pieces) == (text, spans)


ALPHABET = [b"a", b"\xf0", b"\x9f", b"\x98", b"\x80", b"\xe2", b"\x82", b"\xac", b"\xed", b"\xa0"]
ALPHABET += [b"\xc3", b"\xa9", b"", b"\xef\xbf\xbd", b"\xf4\x90", b"\xc0"]


def _replaced(err):
    if not isinstance(err, UnicodeDecodeError):
        raise err
    _REPLACED.append((err.start, err.end))
    return REPLACEMENT, err.end


_REPLACED: list[tuple[int, int]] = []
codecs.register_error("tests.char_spans.record", _replaced)


def reference(pieces):
    """Each piece's span from each character's bytes, as the decoder's replacements say them."""
    raw = b"".join(pieces)
    _REPLACED.clear()
    text = raw.decode("utf-8", "tests.char_spans.record")
    replaced, chars, at = dict(_REPLACED), [], 0
    while at < len(raw):
        end = replaced.get(at) or next(
            e for e in range(at + 1, at + 5) if raw[at:e].decode("utf-8", "ignore")
        )
        chars.append((at, end))
        at = end
    assert len(chars) == len(text)
    spans, at = [], 0
    for piece in pieces:
        lo, hi = at, at + len(piece)
        at = hi
        inside = [k for k, (b0, b1) in enumerate(chars) if b0 < hi and b1 > lo]
        around = [k for k, (b0, b1) in enumerate(chars) if b0 < lo < b1]
        if piece:
            spans.append([inside[0], inside[-1] + 1])
        elif around:
            spans.append([around[0], around[0] + 1])
        else:
            spans.append([sum(b1 <= lo for _, b1 in chars)] * 2)
    return text, spans


def test_spans_follow_each_characters_bytes():
    """On random valid and invalid UTF-8: the characters a token's bytes are part of, in order."""
    rng = np.random.default_rng(7)
    for _ in range(300):
        pieces = [
            b"".join(ALPHABET[k] for k in rng.integers(len(ALPHABET), size=rng.integers(4)))
            for _ in range(rng.integers(1, 7))
        ]
        text, spans = spans_of(pieces)
        assert (text, spans) == reference(pieces), pieces
        ends = np.array(spans)
        assert (np.diff(ends, axis=0) >= 0).all()
        assert (ends[:, 0] <= ends[:, 1]).all()
        assert ends.max() <= len(text)
