"""Bugs the fuzzers found in the adapters and text code, each pinned by the smallest input."""

from __future__ import annotations

import numpy as np

import tokenprobs as tp
from tokenprobs.testing import chat_completion


def test_empty_token_inside_a_split_character_keeps_spans_in_order():
    """An empty token between the bytes of one character belongs to it: spans stay ordered."""
    d = tp.parse(chat_completion([(b"\xea\xb0", -5.0, []), ("", -5.0, []), (b"\x80", -0.01, [])]))
    spans = d.char_spans()
    assert d.text == "가"
    assert spans.tolist() == [[0, 1], [0, 1], [0, 1]]
    assert (np.diff(spans, axis=0) >= 0).all()


def test_uncertain_run_ending_on_an_empty_token_covers_its_character():
    """A run of uncertain positions ending on an empty token still covers the split character."""
    d = tp.parse(chat_completion([(b"\xc2", -5.0, []), ("", -5.0, [])]))
    assert d.uncertain(threshold=0.5) == [tp.Span(0, 2, 0, 1)]
