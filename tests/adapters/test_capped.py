"""`tp.parse(..., top_logprobs=k)`: a response whose server sent fewer alternatives than asked.

The same rule as the client's (tests/test_client_capped.py): every position holding one count
below `k` (two positions or more), or no position holding any, warns; fewer at some positions
only does not. pyproject.toml ignores this warning for the unit tests; `pytest.warns` records it
regardless, and `strict()` makes every warning an error where none may be given.
"""

import warnings
from contextlib import contextmanager

import numpy as np
import pytest

import tokenprobs as tp
from tokenprobs import TokenprobsWarning
from tokenprobs.testing import chat_chunks, chat_completion, completion, response

FIVE = [
    (tok, -0.1, [(tok, -0.1), *((f"{tok}{i}", -4.0 - i) for i in range(4))])
    for tok in ("Paris", " is", " nice")
]
"""Five alternatives at every position: an Azure answer to `top_logprobs=20`."""


@contextmanager
def strict():
    """Every warning an error inside the block."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(chat_completion(FIVE), id="chat"),
        pytest.param(chat_chunks(FIVE), id="chat-stream"),
        pytest.param(response(FIVE), id="responses"),
        pytest.param(completion(FIVE), id="legacy"),
    ],
)
def test_a_capped_answer_warns_at_the_caller_s_line(body):
    """Asked 20, five everywhere: the warning names both and points here; the answer is kept."""
    with pytest.warns(TokenprobsWarning, match=r"^top_logprobs=20 was asked, but every") as rec:
        d = tp.parse(body, top_logprobs=20)
    assert len(rec) == 1
    assert rec[0].filename == __file__
    assert "ask for top_logprobs=5 to match what it sends" in str(rec[0].message)
    with strict():
        assert d == tp.parse(body)  # without top_logprobs, nothing is said


def test_parse_all_takes_the_choices_together():
    """`n=2`: a choice holding what was asked shows the server sends it; capped ones warn once."""
    six = [("Paris", -0.1, [("Paris", -0.1), *((f"x{i}", -5.0 - i) for i in range(5))])]
    with strict():
        tp.parse_all(chat_completion(FIVE, six), top_logprobs=6)
    with pytest.warns(TokenprobsWarning, match="every position holds 5") as rec:
        tp.parse_all(chat_completion(FIVE, FIVE), top_logprobs=6)
    assert len(rec) == 1


def test_as_many_as_asked_or_a_pattern_missing_gives_no_warning():
    """Asked 5 and got 5; or the counts differ; or one position alone: nothing to say."""
    varied = [FIVE[0], ("!", -0.2, [("!", -0.2)])]
    with strict():
        tp.parse(chat_completion(FIVE), top_logprobs=5)
        tp.parse(chat_completion(varied), top_logprobs=20)
        tp.parse(chat_completion(FIVE[:1]), top_logprobs=20)
        tp.parse(chat_completion(FIVE), top_logprobs=0)


def test_no_alternative_anywhere_says_top_logprobs_was_ignored():
    """Asked 3, `top_logprobs: []` everywhere."""
    with pytest.warns(TokenprobsWarning, match="no position holds any alternative"):
        tp.parse(chat_completion([("Hi", -0.1, [])]), top_logprobs=3)


@pytest.mark.parametrize(
    ("value", "error", "says"),
    [
        pytest.param(
            True, TypeError, r"an integer \(the k the request asked for\), got True$", id="bool"
        ),
        pytest.param("5", TypeError, r"got '5'$", id="str"),
        pytest.param(5.0, TypeError, r"got 5\.0$", id="float"),
        pytest.param(-1, ValueError, "^top_logprobs must be at least 0, got -1$", id="negative"),
    ],
)
def test_a_top_logprobs_that_is_no_count_is_refused(value, error, says):
    """Checked before the body is read (or a stream wrapped): the type named, nothing parsed."""
    with pytest.raises(error, match=says):
        tp.parse(chat_completion(FIVE), top_logprobs=value)
    with pytest.raises(error, match=says):
        tp.DistributionStream(iter(chat_chunks(FIVE)), top_logprobs=value)


def test_a_numpy_integer_is_a_count():
    """`np.int64(5)` (a value read from a table) is taken as 5."""
    with strict():
        tp.parse(chat_completion(FIVE), top_logprobs=np.int64(5))
