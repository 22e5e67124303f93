"""A SentencePiece vocabulary with byte fallback, Gemma's shape.

Each id's bytes, and which id a key stands for when a piece and a fallback share their bytes.
"""

from __future__ import annotations

import pytest

from tokenprobs import distill
from tokenprobs.distill._vocab import tokenizer_pieces

pytest.importorskip("tokenizers", reason="the [distill] extra")
pytestmark = pytest.mark.extras


def _gemma_like():
    """`f` and `<0x66>` both spell b"f"; `▁f` is a space then f; ids put the fallback first."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers  # noqa: PLC0415

    vocab = {"<unk>": 0, "<0x66>": 1, "<0xE2>": 2, "f": 3, "\u2581": 4, "\u2581f": 5, "o": 6}
    tok = Tokenizer(
        models.BPE(vocab=vocab, merges=[("\u2581", "f")], byte_fallback=True, unk_token="<unk>")
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Sequence(
        [decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse()]
    )
    return tok


def test_every_id_has_its_bytes_duplicates_included():
    """Each id its bytes (a lossless per-id table: a dense scorer needs every column)."""
    pieces = tokenizer_pieces(_gemma_like())
    assert pieces == {
        0: b"<unk>",
        1: b"f",
        2: b"\xe2",
        3: b"f",
        4: b" ",
        5: b" f",
        6: b"o",
    }


def test_a_key_stands_for_the_piece_not_the_byte_fallback():
    """b"f" maps to `f` (what the tokenizer writes), not `<0x66>`, the lower id."""
    tok = _gemma_like()
    student = distill.StudentVocab.from_tokenizers(tok)
    assert student.ids[b"f"] == 3
    assert tok.encode("of").ids == [4, 6, student.ids[b"f"]]  # the tokenizer writes `f` as 3
    assert student.ids[b"\xe2"] == 2  # a byte with no piece keeps its fallback token
