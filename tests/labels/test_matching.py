"""The matching rules of `Labels.probs`: one row per rule, peers' bugs included."""

from __future__ import annotations

import math

import pytest

import tokenprobs as tp
from tokenprobs.labels import Char, LabelPositionError, Labels
from tokenprobs.testing import chat_completion, completion, response, response_events

LN = math.log


def dist(*positions, finish_reason="length"):
    """A chat distribution from `(token, prob, [(alt, prob), ...])` positions (probabilities)."""
    return tp.parse(
        chat_completion(
            [(t, LN(p), [(a, LN(q)) for a, q in alts]) for t, p, alts in positions],
            finish_reason=finish_reason,
        )
    )


YES_NO = ["yes", "no"]

RAW_ROWS = [
    pytest.param(
        YES_NO, {}, [("Yes", 0.6, [("Yes", 0.6), ("No", 0.3)])], {"yes": 0.6, "no": 0.3}, id="exact"
    ),
    pytest.param(
        YES_NO,
        {},
        [("Yes", 0.5, [("Yes", 0.5), (" yes", 0.2), ("YES", 0.1), ("No", 0.1)])],
        {"yes": 0.8, "no": 0.1},
        id="variants-case-and-leading-space-summed",
    ),
    pytest.param(
        YES_NO,
        {"case_sensitive": True},
        [("Yes", 0.5, [("Yes", 0.5), ("yes", 0.2), ("no", 0.1)])],
        {"yes": 0.2, "no": 0.1},
        id="case-sensitive",
    ),
    pytest.param(
        YES_NO,
        {"strip_whitespace": False},
        [("yes", 0.5, [("yes", 0.5), (" yes", 0.2), ("no", 0.1)])],
        {"yes": 0.5, "no": 0.1},
        id="leading-whitespace-kept",
    ),
    pytest.param(
        YES_NO,
        {},
        [("Yes", 0.5, [("Yes", 0.5), ("Yes.", 0.2), ("Yes,", 0.1), ("No!", 0.1)])],
        {"yes": 0.8, "no": 0.1},
        id="label-then-non-word-character",
    ),
    pytest.param(
        YES_NO,
        {},
        [("Yes", 0.5, [("Yes", 0.5), ("Yesterday", 0.3), ("Nothing", 0.1)])],
        {"yes": 0.5, "no": 0.0},
        id="longer-word-is-not-the-label",
    ),
    pytest.param(
        ["positive", "negative"],
        {},
        [("Pos", 0.6, [("Pos", 0.6), ("Neg", 0.3)])],
        {"positive": 0.6, "negative": 0.3},
        id="prefix-of-one-label-commits",
    ),
    pytest.param(
        ["yes", "no"],
        {},
        [("Yes", 0.5, [("Yes", 0.5), (" ", 0.3), ("\n", 0.1)])],
        {"yes": 0.5, "no": 0.0},
        id="distenum-whitespace-alternative-matches-nothing",
    ),
    pytest.param(
        ["yes", "no"],
        {},
        [("Yes", 0.5, [("Yes", 0.5), ("No", 0.3)])],
        {"yes": 0.5, "no": 0.3},
        id="yeco-lens-sampled-token-counted-once",
    ),
    pytest.param(
        ["yes", "no"],
        {},
        [("Yes", 0.2, [("No", 0.3)])],
        {"yes": 0.2, "no": 0.3},
        id="sampled-token-outside-alternatives-added-once",
    ),
    pytest.param(
        {"positive": ["Positive", "pos"], "negative": ["Negative", "neg"]},
        {},
        [("Positive", 0.4, [("Positive", 0.4), ("pos", 0.2), (" Negative", 0.3)])],
        {"positive": 0.6, "negative": 0.3},
        id="variants-per-class",
    ),
    pytest.param(
        ["yes", "no"],
        {},
        [('"yes', 0.5, [('"yes', 0.5), ('"no', 0.3), ('"', 0.1)])],
        {"yes": 0.5, "no": 0.3},
        id="json-opening-quote-stripped",
    ),
    pytest.param(
        ["yes", "no"],
        {"quotes": False},
        [('"yes', 0.5, [('"yes', 0.5), ("no", 0.3)])],
        {"yes": 0.0, "no": 0.3},
        id="quotes-kept-when-asked",
    ),
    pytest.param(
        YES_NO,
        {},
        [("Yes", 0.6, [("Yes", 0.6), ("", 0.2), ("No", 0.1)])],
        {"yes": 0.6, "no": 0.1},
        id="empty-token-matches-nothing",
    ),
    pytest.param(
        YES_NO,
        {},
        [("No", 0.5, [("No", 0.5), ("\n", 0.3), ("\t ", 0.1)])],
        {"yes": 0.0, "no": 0.5},
        id="newline-or-tab-only-matches-nothing",
    ),
    pytest.param(
        YES_NO,
        {},
        [("Yes\n", 0.5, [("Yes\n", 0.5), ("No!", 0.3), ("Nope", 0.1)])],
        {"yes": 0.5, "no": 0.3},
        id="label-then-newline-or-punctuation",
    ),
    pytest.param(
        ["yes", "yellow"],
        {},
        [("Yes", 0.5, [("Yes", 0.5), ("Ye", 0.3), ("Yel", 0.1)])],
        {"yes": 0.5, "yellow": 0.1},
        id="prefix-of-two-labels-commits-to-neither",
    ),
    pytest.param(
        ["क", "ख"],
        {},
        [("की", 0.7, [("की", 0.7), ("ख", 0.2)])],
        {"क": 0.0, "ख": 0.2},
        id="label-then-a-devanagari-vowel-sign-is-another-word",
    ),
    pytest.param(
        ["cafe", "tea"],
        {},
        [("cafe\u0301", 0.6, [("cafe\u0301", 0.6), ("cafe.", 0.2), ("tea", 0.1)])],
        {"cafe": 0.2, "tea": 0.1},
        id="label-then-a-combining-accent-is-another-word",
    ),
    pytest.param(
        ["❤", "👍"],
        {},
        [("❤\ufe0f", 0.6, [("❤\ufe0f", 0.6), ("👍", 0.3)])],
        {"❤": 0.6, "👍": 0.3},
        id="label-then-a-variation-selector-is-the-label",
    ),
]


@pytest.mark.parametrize(("labels", "options", "positions", "raw"), RAW_ROWS)
def test_raw_mass(labels, options, positions, raw):
    """Each matching rule gives the matched mass per label."""
    res = Labels(labels, **options).probs(dist(*positions))
    assert res.raw == pytest.approx(raw, abs=1e-12)


def test_same_bytes_returned_twice_count_once():
    """An alternative returned twice with the same bytes is summed once."""
    res = Labels(YES_NO).probs(dist(("Yes", 0.5, [("Yes", 0.5), ("Yes", 0.5), ("No", 0.2)])))
    assert res.raw == pytest.approx({"yes": 0.5, "no": 0.2})


def test_shared_prefix_is_ambiguous_with_its_label_set():
    """A prefix of several labels goes to `ambiguous`, with the set it could belong to."""
    res = Labels(["positive", "posh", "negative"]).probs(
        dist(("Negative", 0.5, [("Negative", 0.5), ("Po", 0.3)]))
    )
    assert res.raw == pytest.approx({"positive": 0.0, "posh": 0.0, "negative": 0.5})
    assert res.ambiguous == pytest.approx(0.3)
    assert res.ambiguous_sets == pytest.approx({frozenset({"positive", "posh"}): 0.3})
    assert res.bounds["positive"] == pytest.approx((0.0, 0.3 + 0.2))
    assert not res.exact


NESTED = ["New", "New York", "New York City"]


def test_a_label_inside_an_undecided_longer_one_stays_possible():
    """An undecided "New York" may still be `New`: "New York" then "er" is "New Yorker".

    With `New York City` still to come, "New York" is undecided, and not only between those two:
    the rules read "New Yorker" as `New` ("New" and a space).
    """
    res = Labels(NESTED).probs(dist(("Paris", 0.6, [("Paris", 0.6), ("New York", 0.3)])))
    assert res.ambiguous_sets == pytest.approx({frozenset(NESTED): 0.3})
    assert res.bounds["New"] == pytest.approx((0.0, 0.3 + 0.1))


def test_the_chain_rule_keeps_a_label_inside_an_undecided_longer_one_in_the_bounds():
    """Along "New", " York": the last position's unseen mass (0.2) may still make it `New`."""
    res = Labels(NESTED).probs(
        dist(
            ("New", 1.0, [("New", 1.0)]),
            (" York", 1.0, [(" York", 1.0)]),
            (" City", 0.5, [(" City", 0.5), ("is", 0.3)]),
        )
    )
    assert res.raw["New"] == pytest.approx(0.3)  # "New Yorkis": New, then a space
    assert res.bounds["New"] == pytest.approx((0.3, 0.3 + 0.2))
    assert res.bounds["New York City"] == pytest.approx((0.5, 0.5 + 0.2))


def test_a_label_then_a_space_then_half_a_character_is_the_label():
    """A token "Yes " and the first byte of "é": a label and a non-word character ("Yes é")."""
    body = chat_completion([(b"Yes \xc3", LN(0.6), [(b"Yes \xc3", LN(0.6)), ("No", LN(0.3))])])
    res = Labels(YES_NO).probs(tp.parse(body))
    assert res.raw == pytest.approx({"yes": 0.6, "no": 0.3})


def test_whitespace_only_mass_is_unmatched_but_in_every_upper_bound():
    """A whitespace-only token matches nothing (distenum's bug) but could lead to any label."""
    res = Labels(YES_NO).probs(dist(("Yes", 0.5, [("Yes", 0.5), (" ", 0.3), ("No", 0.1)])))
    assert res.unmatched == pytest.approx(0.3)
    assert res.bounds["yes"] == pytest.approx((0.5, 0.5 + 0.3 + 0.1))
    assert res.bounds["no"] == pytest.approx((0.1, 0.1 + 0.3 + 0.1))


def test_masses_add_up_to_one():
    """Raw + ambiguous + unmatched + tail = 1."""
    res = Labels(["positive", "posh", "no"]).probs(
        dist(("The", 0.4, [("The", 0.4), ("Po", 0.2), ("No", 0.1), (" ", 0.05)]))
    )
    total = sum(res.raw.values()) + res.ambiguous + res.unmatched + res.tail
    assert total == pytest.approx(1.0)
    assert res.tail == pytest.approx(0.25)


def test_label_outside_top_k_is_bounded_by_the_tail():
    """A label no returned token spells gets [0, tail] and makes the result inexact."""
    res = Labels(["yes", "no", "maybe"]).probs(dist(("Yes", 0.7, [("Yes", 0.7), ("No", 0.2)])))
    assert res.bounds["maybe"] == pytest.approx((0.0, 0.1))
    assert res.bounds["yes"] == pytest.approx((0.7, 0.8))
    assert not res.exact


def test_all_labels_seen_but_tail_open_is_not_exact():
    """Every label spelled by a returned token: all seen, but the 0.2 tail keeps bounds open."""
    res = Labels(YES_NO).probs(dist(("No", 0.6, [("No", 0.6), ("Yes", 0.2)])))
    assert res.all_seen
    assert res.bounds["yes"] == pytest.approx((0.2, 0.4))
    assert res.bounds["no"] == pytest.approx((0.6, 0.8))
    assert not res.exact
    assert res.label == "no"
    assert res.probs == pytest.approx({"yes": 0.25, "no": 0.75})
    assert res.margin == pytest.approx(0.5)


EXACT_ROWS = [
    pytest.param([("Yes", 0.7, [("Yes", 0.7), ("No", 0.3)])], True, True, id="all-mass-seen"),
    pytest.param([("Yes", 0.5, [("Yes", 0.5), ("No", 0.3)])], True, False, id="tail-open"),
    pytest.param(
        [("Yes", 0.5, [("Yes", 0.5), ("No", 0.3), (" ", 0.2)])],
        True,
        False,
        id="blank-in-every-upper-bound",
    ),
    pytest.param([("Yes", 0.7, [("Yes", 0.7), ("N", 0.3)])], False, False, id="undecided-prefix"),
    pytest.param(
        [("Yes", 0.7, [("Yes", 0.7), ("The", 0.3)])], False, True, id="a-label-known-to-be-0"
    ),
]


@pytest.mark.parametrize(("positions", "all_seen", "exact"), EXACT_ROWS)
def test_exact_means_the_bounds_closed(positions, all_seen, exact):
    """`exact` is True exactly when every label's `hi - lo` is (nearly) 0; `all_seen` is apart."""
    res = Labels(YES_NO).probs(dist(*positions))
    assert res.all_seen is all_seen
    assert res.exact is exact
    assert res.exact is all(hi - lo <= 1e-6 for lo, hi in res.bounds.values())


def test_no_label_mass_gives_nan_and_no_label():
    """Without matched mass there is no argmax: `label` is None, `probs` NaN."""
    res = Labels(YES_NO).probs(dist(("The", 0.9, [("The", 0.9)])))
    assert res.label is None
    assert all(math.isnan(v) for v in res.probs.values())
    assert math.isnan(res.margin)


# --- multi-token labels: the chain rule along the sampled path ---------------------------------

NEW_YORK = [
    ("New", 0.6, [("New", 0.6), ("Paris", 0.2)]),
    (" York", 0.9, [(" York", 0.9), (".", 0.05)]),
    ("<|im_end|>", 1.0, []),
]


def test_chain_rule_splits_new_from_new_york():
    """New then York: p(New York) = p(New) p(York|New), "New." is New; no double count."""
    res = Labels(["New", "New York", "Paris"]).probs(dist(*NEW_YORK))
    assert res.raw == pytest.approx({"New": 0.6 * 0.05, "New York": 0.6 * 0.9, "Paris": 0.2})
    assert res.tail == pytest.approx(0.2 + 0.6 * 0.05)
    assert res.bounds["New York"] == pytest.approx((0.54, 0.54 + 0.2 + 0.03))
    assert res.multi_token == {"New York"}
    assert res.all_seen
    assert not res.exact  # the tails at both positions leave the bounds open


def test_chain_rule_end_of_sequence_terminates_a_label():
    """Label "New" then the end of the sequence (finish_reason "stop") is the label "New"."""
    res = Labels(["New", "New York"]).probs(
        dist(("New", 0.6, [("New", 0.6)]), finish_reason="stop")
    )
    assert res.raw == pytest.approx({"New": 0.6, "New York": 0.0})
    assert res.ambiguous == 0


@pytest.mark.parametrize(
    ("labels", "sampled", "cut", "longer", "truth"),
    [
        pytest.param(["New", "New York"], "New", "New", "New York", 0.4, id="label-or-longer"),
        pytest.param(["positive", "negative"], "Pos", None, "positive", 0.4, id="prefix"),
        pytest.param([str(s) for s in range(1, 11)], "1", "1", "10", 0.4, id="one-or-ten"),
    ],
)
def test_the_end_of_the_sequence_decides_the_estimate_not_the_bounds(
    labels, sampled, cut, longer, truth
):
    """A path that stops where a longer label could go on keeps the longer one in the bounds.

    The stop was sampled, but the end position's probabilities are not returned. The model gave
    all of position 0 to `sampled`, then the end of the sequence 0.6 and the rest of `longer` 0.4
    (which the API does not show): `longer`'s truth is 0.4, not (0, 0), exact.
    """
    res = Labels(labels).probs(dist((sampled, 1.0, [(sampled, 1.0)]), finish_reason="stop"))
    if cut is not None:
        assert res.raw[cut] == pytest.approx(1.0)  # the estimate follows the sampled end
        lo, hi = res.bounds[cut]
        assert lo <= 1.0 - truth <= hi
    lo, hi = res.bounds[longer]
    assert lo <= truth <= hi
    assert not res.exact
    assert not res.all_seen


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda ps: chat_completion(ps, finish_reason="stop"), id="chat-stop"),
        pytest.param(response, id="responses-completed"),
        pytest.param(response_events, id="responses-stream-completed"),
    ],
)
def test_an_answer_that_ended_is_read_alike_on_every_endpoint(make):
    """Responses says "completed" where Chat says "stop": the same answer, the same reading."""
    positions = [("New", LN(0.6), [("New", LN(0.6)), ("Paris", LN(0.3))])]
    res = Labels(["New", "New York", "Paris"]).probs(tp.parse(make(positions)))
    assert res.raw == pytest.approx({"New": 0.6, "New York": 0.0, "Paris": 0.3})
    assert res.label == "New"


def test_chain_rule_cut_off_by_max_tokens_stays_ambiguous():
    """Label "New" and then nothing (finish_reason "length"): New or New York, undecided."""
    res = Labels(["New", "New York"]).probs(
        dist(("New", 0.6, [("New", 0.6)]), finish_reason="length")
    )
    assert res.ambiguous_sets == pytest.approx({frozenset({"New", "New York"}): 0.6})
    assert res.bounds["New"] == pytest.approx((0.0, 1.0))


def test_chain_rule_prefix_that_does_not_complete():
    """Prefix "Pos" then "sible": the committed prefix mass becomes unmatched along the path."""
    res = Labels(["positive", "negative"]).probs(
        dist(
            ("Pos", 0.5, [("Pos", 0.5), ("Neg", 0.4)]),
            ("sible", 0.7, [("sible", 0.7), ("itive", 0.3)]),
        )
    )
    assert res.raw == pytest.approx({"positive": 0.15, "negative": 0.4})
    assert res.unmatched == pytest.approx(0.35)
    assert res.bounds["positive"] == pytest.approx((0.15, 0.15 + 0.1))
    assert res.bounds["negative"] == pytest.approx((0.0, 0.4 + 0.1))


SCORE_ROWS = [
    pytest.param(
        [("10", 0.7, [("10", 0.7), ("9", 0.2), ("1", 0.05)])],
        {"10": 0.7, "9": 0.2, "1": 0.0},
        {frozenset({"1", "10"}): 0.05},
        id="ten-is-one-token",
    ),
    pytest.param(
        [
            ("1", 0.7, [("1", 0.7), ("9", 0.2)]),
            ("0", 0.8, [("0", 0.8), ("/", 0.15)]),
        ],
        {"10": 0.56, "9": 0.2, "1": 0.7 * 0.15},
        {},
        id="ten-is-one-then-zero",
    ),
]


@pytest.mark.parametrize(("positions", "raw", "ambiguous"), SCORE_ROWS)
def test_scores_one_to_ten_either_tokenisation(positions, raw, ambiguous):
    """Score "10" as one token, or "1" + "0": the first token "1" is shared by 1 and 10."""
    res = Labels([str(s) for s in range(1, 11)]).probs(dist(*positions))
    assert {k: res.raw[k] for k in raw} == pytest.approx(raw)
    assert res.ambiguous_sets == pytest.approx(ambiguous)


def test_partial_utf8_candidate_is_a_prefix_on_bytes():
    """A token holding half of a character is matched on its bytes ("国" split)."""
    guo = "国".encode()
    body = chat_completion(
        [
            (guo[:2], LN(0.6), [(guo[:2], LN(0.6)), ("日", LN(0.3))]),
            (guo[2:], 0.0, [(guo[2:], 0.0)]),
        ]
    )
    res = Labels(["国", "日"]).probs(tp.parse(body))
    assert res.raw == pytest.approx({"国": 0.6, "日": 0.3})


# --- the answer position (at=) -------------------------------------------------------------------

AT_ROWS = [
    pytest.param(
        [(" ", 0.9, []), ("\n", 0.9, []), ("Yes", 0.6, [("Yes", 0.6), ("No", 0.4)])],
        None,
        2,
        id="default-skips-whitespace",
    ),
    pytest.param(
        [("<|channel|>", 1.0, []), ("No", 0.6, [("No", 0.6), ("Yes", 0.4)])],
        None,
        1,
        id="default-skips-control-tokens",
    ),
    pytest.param(
        [("Yes", 0.6, [("Yes", 0.6)]), (" no", 0.5, [(" no", 0.5), (" yes", 0.5)])],
        1,
        1,
        id="a-position",
    ),
    pytest.param(
        [("Answer:", 0.6, []), (" No", 0.7, [(" No", 0.7), (" Yes", 0.3)])],
        Char(8),
        1,
        id="a-character-offset",
    ),
    pytest.param(
        [
            ('{"', 1.0, []),
            ("answer", 1.0, []),
            ('":', 1.0, []),
            (' "', 1.0, []),
            ("yes", 0.8, [("yes", 0.8), ("no", 0.2)]),
            ('"}', 1.0, []),
        ],
        "answer",
        4,
        id="a-json-key",
    ),
]


@pytest.mark.parametrize(("positions", "at", "position"), AT_ROWS)
def test_answer_position(positions, at, position):
    """`at=` resolves to the position holding the answer."""
    assert Labels(YES_NO).probs(dist(*positions), at=at).position == position


@pytest.mark.parametrize(
    ("at", "message"),
    [
        pytest.param(7, "position 7 out of range", id="position-out-of-range"),
        pytest.param(Char(99), "offset 99 is outside", id="offset-out-of-range"),
        pytest.param("missing", "no JSON key 'missing'.*pass at=", id="json-key-absent"),
    ],
)
def test_answer_position_errors(at, message):
    """A position that is not there is a typed error saying which."""
    with pytest.raises(LabelPositionError, match=message):
        Labels(YES_NO).probs(dist(("Yes", 0.6, [])), at=at)


def test_only_whitespace_has_no_answer_position():
    """A distribution of whitespace only has no default answer position."""
    with pytest.raises(LabelPositionError, match="content-bearing"):
        Labels(YES_NO).probs(dist((" ", 0.9, []), ("\n", 0.9, [])))


def test_legacy_completions_without_bytes():
    """Legacy completions (no bytes): matching derives them from the token text."""
    body = completion([(" Yes", LN(0.7), [(" Yes", LN(0.7)), (" No", LN(0.2))])])
    res = Labels(YES_NO).probs(tp.parse(body))
    assert res.raw == pytest.approx({"yes": 0.7, "no": 0.2})


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        pytest.param({"yes": []}, "no variants", id="class-without-variants"),
        pytest.param(["yes", "  "], "empty", id="blank-variant"),
        pytest.param({"a": ["Yes"], "b": ["yes"]}, "both", id="variant-in-two-classes"),
        pytest.param([], "at least one", id="no-labels"),
        pytest.param(
            ["yes", "yes", "no"], r"labels \['yes'\] are given more than once", id="repeated-label"
        ),
    ],
)
def test_invalid_label_sets(labels, message):
    """A label set that cannot be matched unambiguously is refused, saying why."""
    with pytest.raises(ValueError, match=message):
        Labels(labels)


ECHO = [
    ("Yes", None, []),
    (" No", math.log(0.5), [(" No", math.log(0.5)), (" Yes", math.log(0.3))]),
]


@pytest.mark.parametrize("at", [pytest.param(None, id="default"), pytest.param(0, id="explicit")])
def test_a_position_without_a_logprob_is_refused_not_read_as_nan(at):
    """The first echoed token has a null logprob: a LabelPositionError, not NaN bounds and tail."""
    d = tp.parse(completion(ECHO))
    with pytest.raises(LabelPositionError, match=r"position 0 \('Yes'\) has no logprob"):
        Labels(["yes", "no"]).probs(d, at=at)


def test_a_position_without_a_logprob_is_that_inputs_error_in_probs_many():
    """In `probs_many` it is the input's error in place; the next position reads as usual."""
    d = tp.parse(completion(ECHO))
    res = Labels(["yes", "no"]).probs_many([d], at=0)
    assert isinstance(res[0], LabelPositionError)
    assert Labels(["yes", "no"]).probs(d, at=1).raw == pytest.approx({"yes": 0.3, "no": 0.5})


def test_a_judge_score_without_a_logprob_is_refused():
    """`expected_score` at a null position raises rather than returning NaN everywhere."""
    d = tp.parse(completion([("7", None, []), (" ok", -0.1, [])]))
    with pytest.raises(LabelPositionError, match="has no logprob"):
        tp.labels.expected_score(d)


ANSWER_ALTS = [("Yes", math.log(0.8)), ("No", math.log(0.15))]


@pytest.mark.parametrize(
    "before",
    [
        pytest.param(["**"], id="bold"),
        pytest.param([" *"], id="space-italic"),
        pytest.param(["__"], id="underscores"),
        pytest.param(["`"], id="backtick"),
        pytest.param(["**", '"'], id="bold-then-quote"),
        pytest.param(["\u201c"], id="curly-quote"),
        pytest.param(["\n", "~~"], id="newline-strike"),
    ],
)
def test_the_default_position_skips_markdown_emphasis_and_quotes(before):
    """`**Yes**` is read at "Yes", not at "**" (which no label starts)."""
    tokens = [(t, 0.0, []) for t in before] + [("Yes", math.log(0.8), ANSWER_ALTS), ("**", 0.0, [])]
    res = Labels(["yes", "no"]).probs(tp.parse(chat_completion(tokens)))
    assert res.position == len(before)
    assert res.label == "yes"
    assert res.raw == pytest.approx({"yes": 0.8, "no": 0.15})


def test_decoration_that_starts_a_label_is_the_answer():
    """With star ratings as labels, "**" is the answer, not emphasis to skip."""
    alts = [("**", math.log(0.6)), ("***", math.log(0.3)), ("*", math.log(0.1))]
    d = tp.parse(chat_completion([("**", math.log(0.6), alts), ("\n", 0.0, [])]))
    res = Labels(["*", "**", "***"]).probs(d)
    assert res.position == 0
    assert res.label == "**"


def test_only_decoration_is_no_content_bearing_position():
    """An answer of emphasis alone is a LabelPositionError that says what was skipped."""
    d = tp.parse(chat_completion([("**", math.log(0.9), []), ("**", math.log(0.9), [])]))
    with pytest.raises(LabelPositionError, match="markdown emphasis"):
        Labels(["yes", "no"]).probs(d)
