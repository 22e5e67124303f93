"""`d[a:b]` is a distribution of those positions; `d.alternatives(i)` is one position's mapping."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tokenprobs as tp
from tokenprobs.models._slicing import LEADING_COUNTS, PER_POSITION, POSITION_LISTS, WHOLE_ONLY
from tokenprobs.testing import chat_completion, completion

KOREAN = [
    ("한", -0.1, [("한", -0.1), ("x", -3.0)]),
    (b"\xea\xb5", -0.2, [(b"\xea\xb5", -0.2), ("y", -2.0)]),
    (b"\xad", 0.0, []),
    ("!", -0.5, [("!", -0.5), ("?", -1.0), ("!", -0.5)]),
    ("", -9999.0, [("z", -0.3)]),
]


@pytest.fixture
def d():
    """A distribution with a split character, a duplicate alternative and the sentinel."""
    return tp.parse(chat_completion(KOREAN))


@pytest.mark.parametrize(
    ("a", "b"), [(0, 5), (0, 2), (1, 3), (3, 5), (2, 2), (-2, None), (None, -1), (4, 99)]
)
def test_slice_equals_a_distribution_of_those_positions(d, a, b):
    """A slice is what parsing just those positions gives: tokens, text, spans and metrics."""
    part = d[a:b]
    start, stop, _ = slice(a, b).indices(len(d))
    stop = max(start, stop)
    alone = tp.parse(chat_completion(KOREAN[start:stop])) if stop > start else None
    assert isinstance(part, tp.TokenDistribution)
    assert len(part) == stop - start
    assert part.tokens == d.tokens[start:stop]
    if alone is None:
        assert part.text == ""
        return
    assert part.text == alone.text
    np.testing.assert_array_equal(part.char_spans(), alone.char_spans())
    for name in ("logprobs", "probs", "entropy", "margin", "tail_mass", "sampled_in_top"):
        np.testing.assert_array_equal(getattr(part, name), getattr(alone, name), err_msg=name)
    assert math.isclose(part.perplexity, alone.perplexity) or (
        math.isinf(part.perplexity) and math.isinf(alone.perplexity)
    )
    assert [p.token for p in part] == [p.token for p in alone]


def test_slice_cutting_a_character_says_so_in_its_text(d):
    """A slice that starts inside a split character decodes its bytes as they are (U+FFFD)."""
    assert d[:2].text == "한\ufffd"
    assert d[2:4].text == "\ufffd!"
    assert d[1:3].text == "국"


def test_slice_keeps_metadata_and_finish_reason_only_at_the_end(d):
    """Source, model and choice are kept; `finish_reason` only when the slice reaches the end."""
    assert d[1:].finish_reason == d.finish_reason == "stop"
    assert d[:2].finish_reason is None
    assert (d[1:3].source, d[1:3].model, d[1:3].choice) == (d.source, d.model, d.choice)


def test_slice_shifts_position_lists_and_offsets():
    """Legacy `text_offset` and the null-alternatives positions follow the slice."""
    body = completion(
        [("p", None, []), ("a", -0.1, [("a", -0.1)]), ("b", None, []), ("c", -0.3, [("c", -0.3)])]
    )
    whole = tp.parse(body)
    part = whole[1:]
    assert whole.top_null == [0, 2]
    assert part.top_null == [1]
    assert part.text_offset == whole.text_offset[1:] == [1, 2, 3]


def test_slice_keeps_content_only_when_whole(d):
    """`content` is the whole answer's text: kept by `d[:]`, unknown (None) for a part."""
    assert d.content is not None
    assert d[:].content == d.content
    assert d[1:].content is None
    assert d[1:].text_matches_content is None


def test_slice_round_trips_through_json(d):
    """A slice serialises and loads back equal."""
    part = d[1:4]
    assert tp.TokenDistribution.model_validate_json(part.model_dump_json()) == part


def test_slice_with_a_step_is_refused(d):
    """Positions must be contiguous: a step is a ValueError that says so."""
    with pytest.raises(ValueError, match="contiguous"):
        d[::2]


def test_every_field_is_known_to_the_slice():
    """A new field must be declared per-position, a position list, or per-output metadata."""
    metadata = {
        *("source", "choice", "finish_reason", "refusal", "incomplete", "model", "response"),
        *("prompt_filter_results", "content_filter_results", "values_from", "bytes_decoded"),
        "requested_token_ids",
    }
    declared = {*PER_POSITION, *POSITION_LISTS, *WHOLE_ONLY, *LEADING_COUNTS}
    assert set(tp.TokenDistribution.model_fields) == metadata | declared


def test_alternatives_counts_the_sampled_token_once(d):
    """The mapping holds each returned token once (sampled included once, duplicates once)."""
    alts = d.alternatives(3)
    assert list(alts) == ["!", "?"]
    assert alts["!"] == pytest.approx(math.exp(-0.5))
    assert sum(alts.values()) == pytest.approx(1 - d.tail_mass[3])


def test_alternatives_adds_the_sampled_token_when_it_is_not_among_them():
    """A sampled token outside the alternatives is in the mapping, most likely first."""
    d = tp.parse(chat_completion([("b", -2.0, [("a", -0.3), ("c", -1.5)])]))
    assert list(d.alternatives(0)) == ["a", "c", "b"]
    assert d.alternatives(-1) == d.alternatives(0)


def test_alternatives_leaves_out_the_sentinel(d):
    """The `-9999` sentinel has no mass: it is not in the mapping."""
    assert d.alternatives(4) == {"z": pytest.approx(math.exp(-0.3))}


def test_alternatives_out_of_range(d):
    """A position past the end is an IndexError naming it."""
    with pytest.raises(IndexError, match="position 5"):
        d.alternatives(5)


def test_from_columns_refuses_a_misspelled_field():
    """Building from columns takes named fields: a misspelled one is an error, not dropped."""
    columns = {
        "source": "chat",
        "tokens": ["a"],
        "token_bytes": [None],
        "logprobs": [-0.1],
        "top_tokens": [[]],
        "top_bytes": [[]],
        "top_logprobs_flat": [],
    }
    assert (
        tp.TokenDistribution.from_columns(**columns, finish_reason="stop").finish_reason == "stop"
    )
    with pytest.raises(TypeError, match="finish_reson"):
        tp.TokenDistribution.from_columns(**columns, finish_reson="stop")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"top_logprobs_flat": [-0.1]}, "top_logprobs_flat has shape", id="flat-one"),
        pytest.param({"top_logprobs_flat": [-0.1, -2.0]}, "for 3 alternatives", id="flat-short"),
        pytest.param({"logprobs": [-0.1]}, "logprobs has length 1 for 2 tokens", id="logprobs"),
        pytest.param({"logprobs": np.zeros((2, 1))}, r"shape \(2, 1\)", id="logprobs-2d"),
        pytest.param({"token_bytes": [None]}, "token_bytes has length 1", id="token-bytes"),
        pytest.param({"top_tokens": [["a", "c"]]}, "top_tokens has length 1", id="top-tokens"),
        pytest.param({"top_bytes": [[None, None]]}, "top_bytes has length 1", id="top-bytes"),
        pytest.param({"prompt_length": 3}, "prompt_length 3 is outside 0..2", id="prompt-length"),
    ],
)
def test_from_columns_refuses_columns_that_do_not_fit(change, message):
    """A column that does not fit is a ValueError naming it.

    One alternative's logprob for three was broadcast to all three (silently wrong values); a
    short column was accepted and failed later inside numpy or zip, or not at all.
    """
    columns = {
        "source": "chat",
        "tokens": ["a", "b"],
        "token_bytes": [None, None],
        "logprobs": [-0.1, -0.2],
        "top_tokens": [["a", "c"], ["b"]],
        "top_bytes": [[None, None], [None]],
        "top_logprobs_flat": [-0.1, -2.0, -0.2],
    }
    assert tp.TokenDistribution.from_columns(**columns).top_logprobs[0].tolist() == [-0.1, -2.0]
    with pytest.raises(ValueError, match=message):
        tp.TokenDistribution.from_columns(**{**columns, **change})


@pytest.mark.parametrize(("a", "b"), [(3, 5), (4, 5), (2, 3), (2, 2), (0, 5)])
def test_slice_survives_the_json_round_trip(d, a, b):
    """A slice kept the whole width of the alternatives, so its own JSON read back unequal."""
    part = d[a:b]
    again = tp.TokenDistribution.model_validate_json(part.model_dump_json())
    assert again == part
    width = max((len(t) for t in d.top_tokens[a:b]), default=0)
    assert part.top_logprobs.shape == part.top_token_ids.shape == (b - a, width)
    assert f"top_k={width}" in repr(part)
