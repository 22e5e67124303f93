"""TransformersScorer's tokenisation of bytes, with a stand-in tokenizer (no model is loaded)."""

from __future__ import annotations

import pytest

from tokenprobs.proxy._hf import TransformersScorer

BOS = 0
VOCAB = (b"<s>", b"a", b"b", "é".encode(), b"\xc3", b"\xa9", b"\xe2", b"\x80")


class _Tokenizer:
    """A Hugging Face tokenizer stand-in: one token per character, BOS when asked; text only."""

    def __call__(self, text, *, add_special_tokens, split_special_tokens):
        """The ids of `text` (a str: a Hugging Face tokenizer takes no bytes)."""
        assert isinstance(text, str)
        assert split_special_tokens is False
        ids = [VOCAB.index(ch.encode()) for ch in text]
        return {"input_ids": [BOS, *ids] if add_special_tokens else ids}


def _scorer() -> TransformersScorer:
    scorer = object.__new__(TransformersScorer)
    scorer._tok = _Tokenizer()
    scorer.__dict__["vocab"] = VOCAB  # the cached property, without a model
    return scorer


@pytest.mark.parametrize(
    ("data", "add_bos", "ids"),
    [
        ("aé".encode(), True, [BOS, 1, 3]),  # UTF-8: the tokenizer's own ids
        (b"a\xc3", False, [1, 4]),  # a character cut after its first byte
        (b"\xa9b", True, [BOS, 5, 2]),  # ... and its second half, BOS still first
        (b"\xe2\x80a\xc3", False, [6, 7, 1, 4]),
    ],
)
def test_bytes_that_are_no_utf8_are_tokenised(data, add_bos, ids):
    """A cut character (what BytePrefix scores) gave UnicodeDecodeError: now byte tokens."""
    scorer = _scorer()
    got = scorer.tokenize(data, add_bos=add_bos)
    assert got == ids
    assert b"".join(VOCAB[i] for i in got if i != BOS) == data


def test_a_stray_byte_with_no_token_is_named():
    """A vocabulary without the byte's own token says so."""
    with pytest.raises(ValueError, match=r"no token of this vocabulary is the byte b'\\xff'"):
        _scorer().tokenize(b"a\xff", add_bos=False)
