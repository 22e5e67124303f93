"""at=None finds the answer: after reasoning the logprobs also cover, and never inside JSON."""

from __future__ import annotations

import math
import re

import pytest

import tokenprobs as tp
from tokenprobs.labels import LabelPositionError
from tokenprobs.testing import chat_completion

LN = math.log
YES_NO = tp.Labels(["yes", "no"])


def dist(positions, content=None, reasoning=None):
    """A chat distribution from `(token, prob, [(alt, prob), ...])`; the message as given."""
    body = chat_completion([(t, LN(p), [(a, LN(q)) for a, q in alts]) for t, p, alts in positions])
    message = body["choices"][0]["message"]
    if content is not None:
        message["content"] = content
    if reasoning is not None:
        message["reasoning_content"] = reasoning
    return tp.parse(body)


NO = ("No", 0.9, [("No", 0.9), ("Yes", 0.1)])
YES = ("Yes", 0.6, [("Yes", 0.6), ("No", 0.4)])


def test_reasoning_tokens_in_the_logprobs_are_skipped_sglang():
    """sglang: `<think>...</think>` tokens in logprobs.content, the message's content the answer."""
    d = dist(
        [("<think>", 1.0, []), NO, (" wait", 1.0, []), ("</think>", 1.0, []), YES],
        content="Yes",
        reasoning="No wait",
    )
    r = YES_NO.probs(d)
    assert (r.label, r.position) == ("yes", 4)
    assert r.probs == pytest.approx({"yes": 0.6, "no": 0.4})


def test_reasoning_tokens_without_tags_are_skipped():
    """A reasoning parser that strips the tags but leaves the tokens: the answer is the content."""
    d = dist([NO, (" wait", 1.0, []), (".", 1.0, []), YES], content="Yes", reasoning="No wait.")
    assert (YES_NO.probs(d).label, YES_NO.probs(d).position) == ("yes", 3)


def test_an_answer_that_also_starts_the_reasoning_is_read_at_the_answer():
    """Content "No" after reasoning that opens with "No": the answer's own token, not the first."""
    no_answer = ("No", 0.7, [("No", 0.7), ("Yes", 0.3)])
    d = dist([NO, (" wait", 1.0, []), (".", 1.0, []), no_answer], content="No", reasoning="x")
    r = YES_NO.probs(d)
    assert (r.label, r.position) == ("no", 3)
    assert r.probs["no"] == pytest.approx(0.7)


def test_a_think_block_in_the_content_is_skipped():
    """No reasoning parser: the content opens with `<think>...</think>`; the answer follows it."""
    d = dist([("<think>", 1.0, []), NO, ("</think>", 1.0, []), ("\n\n", 1.0, []), YES])
    assert d.text_matches_content
    assert YES_NO.probs(d).position == 4
    assert YES_NO.probs(d).label == "yes"


def test_an_unclosed_think_block_is_an_error_not_a_reasoning_token():
    """Cut by max_tokens while thinking: no answer was written, and the error says so."""
    d = dist([("<think>", 1.0, []), NO, (" wait", 1.0, [])])
    with pytest.raises(LabelPositionError, match=r"still reasoning.*max_tokens"):
        YES_NO.probs(d)
    assert YES_NO.probs(d, at=1).label == "no"  # a position asked for is still read


def test_a_json_answer_names_its_keys_instead_of_reading_nan():
    """`{"label": "yes"}` read at `{"` had no label (NaN probabilities): now the keys are named."""
    d = dist(
        [
            ('{"', 1.0, []),
            ("label", 1.0, []),
            ('":"', 1.0, []),
            ("yes", 0.7, [("yes", 0.7), ("no", 0.3)]),
            ('", "why": "', 1.0, []),
            ("x", 1.0, []),
            ('"}', 1.0, []),
        ]
    )
    with pytest.raises(LabelPositionError, match=r"keys 'label', 'why'.*at='label'"):
        YES_NO.probs(d)
    r = YES_NO.probs(d, at="label")
    assert (r.label, r.position) == ("yes", 3)
    assert r.probs == pytest.approx({"yes": 0.7, "no": 0.3})


@pytest.mark.parametrize(
    ("spelt", "key"),
    [
        pytest.param("ключ", "ключ", id="cyrillic"),
        pytest.param("答案", "答案", id="cjk"),
        pytest.param("\\u043a\\u043b\\u044e\\u0447", "ключ", id="cyrillic-as-escapes"),
        pytest.param('a\\"b', 'a"b', id="an-escaped-quote"),
    ],
)
def test_a_json_key_is_found_however_the_text_spells_it(spelt, key):
    r"""A key that is no ASCII was searched as `json.dumps` escapes it, so never found.

    And the error of `at=None` named it as spelt (`'a\"b'`): an `at=` that then failed.
    """
    d = dist(
        [
            ('{"', 1.0, []),
            (spelt, 1.0, []),
            ('": "', 1.0, []),
            ("yes", 0.7, [("yes", 0.7), ("no", 0.3)]),
            ('"}', 1.0, []),
        ]
    )
    with pytest.raises(LabelPositionError, match=rf"keys {re.escape(repr(key))}"):
        YES_NO.probs(d)
    r = YES_NO.probs(d, at=key)
    assert (r.label, r.position) == ("yes", 3)


def test_a_plain_answer_is_read_where_it_always_was():
    """Nothing to skip: the first content-bearing position, after quotes and emphasis."""
    d = dist([("**", 1.0, []), YES, ("**", 1.0, [])])
    assert YES_NO.probs(d).position == 1
