"""Labels and answers compared as Unicode text: NFC-composed, and no label of invisible characters.

An accented letter has two spellings, precomposed (`"\u00e9"`) and decomposed (`"e"` and the
combining acute `"\u0301"`), which are one character to a reader. Before, `Labels(["café"])`
matched only the spelling the label was given in; a label of only a zero-width space was
accepted, though no answer spelling it can be told from no answer.
"""

from __future__ import annotations

import math
import re

import pytest

import tokenprobs as tp
from tokenprobs.labels import Labels
from tokenprobs.testing import chat_completion

LN = math.log
CAFE = "caf\u00e9"
"""`café` precomposed (NFC)."""
CAFE_NFD = "cafe\u0301"
"""`café` decomposed (NFD): an `e`, then a combining acute."""
ACUTE = "\u0301"


def dist(*positions, finish_reason="length"):
    """A chat distribution from `(token, prob, [(alt, prob), ...])` positions (probabilities)."""
    return tp.parse(
        chat_completion(
            [(t, LN(p), [(a, LN(q)) for a, q in alts]) for t, p, alts in positions],
            finish_reason=finish_reason,
        )
    )


@pytest.mark.parametrize(
    ("label", "answer", "options"),
    [
        pytest.param(CAFE, CAFE_NFD, {}, id="precomposed-label-decomposed-answer"),
        pytest.param(CAFE_NFD, CAFE, {}, id="decomposed-label-precomposed-answer"),
        pytest.param(CAFE, "CAFE\u0301", {}, id="decomposed-capitals-fold"),
        pytest.param("Caf\u00e9", "Cafe\u0301", {"case_sensitive": True}, id="case-sensitive"),
        pytest.param("\u1ec7", "e\u0323\u0302", {}, id="two-marks-vietnamese"),
        pytest.param("K", "\u212a", {"case_sensitive": True}, id="kelvin-sign-is-k"),
        pytest.param("\u00c5", "\u212b", {"case_sensitive": True}, id="angstrom-sign-is-a-ring"),
    ],
)
def test_canonically_equivalent_spellings_match(label, answer, options):
    """A label and an answer that differ only in how their accents are encoded are one string."""
    d = dist((answer, 0.7, [(answer, 0.7), ("no", 0.2)]))
    res = Labels([label, "no"], **options).probs(d)
    assert res.raw == pytest.approx({label: 0.7, "no": 0.2})
    assert res.bounds[label][0] == pytest.approx(0.7)


def test_the_accent_in_the_next_token_is_followed():
    """`cafe` then `\u0301` is café: the sampled path is followed, as for a two-token label."""
    d = dist(
        ("cafe", 0.7, [("cafe", 0.7), ("th\u00e9", 0.2)]),
        (ACUTE, 0.9, [(ACUTE, 0.9), (" ", 0.05)]),
    )
    res = Labels([CAFE, "th\u00e9"]).probs(d)
    assert res.raw == pytest.approx({CAFE: 0.63, "th\u00e9": 0.2})
    lo, hi = res.bounds[CAFE]
    assert lo == pytest.approx(0.63)
    assert hi >= lo
    assert CAFE in res.multi_token


def test_the_accent_split_inside_its_bytes_is_followed():
    """The combining acute's two bytes in two tokens: still café once both are read."""
    mark = ACUTE.encode()
    d = dist(
        ("cafe", 0.7, [("cafe", 0.7), ("th\u00e9", 0.2)]),
        (mark[:1], 0.9, [(mark[:1], 0.9)]),
        (mark[1:], 1.0, [(mark[1:], 1.0)]),
    )
    res = Labels([CAFE, "th\u00e9"]).probs(d)
    assert res.raw == pytest.approx({CAFE: 0.63, "th\u00e9": 0.2})


def test_a_precomposed_letter_split_inside_its_bytes_matches_a_decomposed_label():
    """`caf` then `é` cut after its lead byte: the label given decomposed still matches."""
    e = "\u00e9".encode()
    d = dist(("caf", 0.7, [("caf", 0.7)]), (e[:1], 0.9, [(e[:1], 0.9)]), (e[1:], 1.0, []))
    assert Labels([CAFE_NFD, "th\u00e9"]).probs(d).raw[CAFE_NFD] == pytest.approx(0.63)


def test_the_results_keep_the_names_as_given():
    """A decomposed name is the key of the results, as given: only the matching composes it."""
    res = Labels([CAFE_NFD, "no"]).probs(dist((CAFE, 0.7, [(CAFE, 0.7)])))
    assert res.label == CAFE_NFD
    assert list(res.probs) == [CAFE_NFD, "no"]
    assert Labels({"x": [CAFE_NFD]}).variants == {"x": (CAFE_NFD,)}


def test_a_label_spelled_exactly_is_that_label_beside_an_accented_one():
    """`a` beside `à`: the token `a` is the label a (models write accents precomposed).

    A combining grave could follow it, but reading every `a` as ambiguous would move it out of
    the estimate each time the model did not write the accent.
    """
    d = dist(("\u00e0", 0.6, [("\u00e0", 0.6), ("a", 0.3)]))
    res = Labels(["a", "\u00e0"]).probs(d)
    assert res.raw == pytest.approx({"a": 0.3, "\u00e0": 0.6})
    assert res.ambiguous == 0


def test_the_sampled_path_shows_the_accent_after_a_label():
    """`a` then a combining grave, sampled: the answer is à, not a, and the bounds say so."""
    d = dist(("a", 0.6, [("a", 0.6), ("b", 0.3)]), ("\u0300", 0.9, [("\u0300", 0.9)]))
    res = Labels(["a", "\u00e0", "b"]).probs(d)
    assert res.raw == pytest.approx({"a": 0.0, "\u00e0": 0.54, "b": 0.3})
    assert res.bounds["\u00e0"][0] == pytest.approx(0.54)
    assert res.bounds["a"][1] < 0.54


def test_a_mark_after_a_label_that_makes_no_label_is_no_match():
    """`a` then a combining grave where only `a` is a label: à is not a (the word goes on)."""
    d = dist(("a", 0.6, [("a", 0.6), ("b", 0.3)]), ("\u0300", 0.9, [("\u0300", 0.9)]))
    res = Labels(["a", "b"]).probs(d)
    assert res.raw == pytest.approx({"a": 0.0, "b": 0.3})
    # what else follows `a` (0.6 x 0.1) and the first position's tail may still be a
    assert res.bounds["a"] == pytest.approx((0.0, 0.06 + 0.1))


def test_a_hangul_syllable_is_not_the_start_of_another():
    """`그` is not the start of `긍정` (decomposed, `긍` is `그` and a final jamo, no mark)."""
    d = dist(("\ubd80\uc815", 0.5, [("\ubd80\uc815", 0.5), ("\uadf8", 0.3)]))
    res = Labels(["\uae0d\uc815", "\ubd80\uc815"]).probs(d)
    assert res.raw == pytest.approx({"\uae0d\uc815": 0.0, "\ubd80\uc815": 0.5})


def test_two_labels_that_differ_only_in_their_encoding_are_refused():
    """Precomposed and decomposed café are one string: two labels of it are the same label."""
    with pytest.raises(ValueError, match=r"in both .*'caf\\xe9' and 'cafe\\u0301' are one string"):
        Labels([CAFE, CAFE_NFD])


@pytest.mark.parametrize(
    ("labels", "variant", "name", "points"),
    [
        pytest.param(["yes", "\u200b"], "\u200b", "\u200b", "U+200B", id="zero-width-space"),
        pytest.param(["yes", " \u200b "], " \u200b ", " \u200b ", "U+200B", id="in-whitespace"),
        pytest.param(["yes", "\u200d\u200c"], "\u200d\u200c", None, "U+200D, U+200C", id="joiners"),
        pytest.param({"yes": ["Yes"], "no": ["\u2060"]}, "\u2060", "no", "U+2060", id="variant"),
        pytest.param(["yes", "\ufeff"], "\ufeff", None, "U+FEFF", id="byte-order-mark"),
        pytest.param(["yes", "\u00ad"], "\u00ad", None, "U+00AD", id="soft-hyphen"),
        pytest.param(["yes", "\u200e"], "\u200e", None, "U+200E", id="left-to-right-mark"),
        pytest.param(["yes", "\U000e0041"], "\U000e0041", None, "U+E0041", id="tag-character"),
        pytest.param(["yes", "'\u200b"], "'\u200b", None, "U+200B", id="after-a-quote"),
    ],
)
def test_a_label_of_invisible_characters_only_is_refused(labels, variant, name, points):
    """A label that is empty once its invisible characters go is refused, naming it.

    Before, `Labels(["yes", "\u200b"])` was accepted: an answer spelling it is no answer to read.
    """
    name = variant if name is None else name
    want = (
        f"variant {variant!r} of label {name!r} is empty after normalisation: it holds only "
        f"invisible characters ({points}"
    )
    with pytest.raises(ValueError, match="^" + re.escape(want)):
        Labels(labels)


@pytest.mark.parametrize(
    "label",
    [
        pytest.param("\U0001f468\u200d\U0001f469\u200d\U0001f467", id="zwj-emoji-sequence"),
        pytest.param("\u2764\ufe0f", id="emoji-with-variation-selector"),
        pytest.param("a\u200bb", id="zero-width-space-inside"),
        pytest.param("\u0915\u094d\u200d", id="devanagari-half-form"),
    ],
)
def test_a_label_with_something_visible_is_kept(label):
    """Invisible characters beside visible ones are part of the label (an emoji sequence)."""
    assert Labels([label, "no"]).names == (label, "no")
