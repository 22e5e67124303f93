"""tokenprobs' own JSON (`d.model_dump_json()`, `tokenprobs show --format json`) reads back.

`tp.parse` of it said "logprobs.content: expected a list, got str": the saved distribution's
`content` and `logprobs` keys were taken for a chat `logprobs` object.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from tests._recorded import RECORDED

import tokenprobs as tp
from tokenprobs import cli, testing

APIREF = RECORDED / "chat_gpt-4o-mini_top2_openai_apiref_example.json"


@pytest.fixture
def d():
    """A recorded OpenAI answer (top-2), parsed."""
    return tp.parse(APIREF.read_text(encoding="utf-8"))


def test_a_saved_distribution_parses_back_equal_in_every_form(d):
    """The JSON text, its bytes and the dict `json.loads` gives: the same distribution."""
    saved = d.model_dump_json()
    for form in (saved, saved.encode(), json.loads(saved)):
        back = tp.parse(form)
        assert back == d
        assert back.tokens == d.tokens
        np.testing.assert_array_equal(back.top_logprobs, d.top_logprobs)


def test_a_large_saved_distribution_takes_no_fast_path_shortcut():
    """A body past the fast path's size (many positions, -inf padding) reads back equal too."""
    positions = [
        (f"t{i}", -0.01 * (i % 7), [(f"t{i}", -0.01 * (i % 7)), ("x", -3.0)] if i % 5 else [])
        for i in range(3000)
    ]
    d = tp.parse(testing.chat_completion(positions))
    saved = d.model_dump_json()
    assert len(saved) > 100_000
    assert tp.parse(saved) == d
    assert np.isneginf(tp.parse(saved).top_logprobs).any()


def test_its_choice_is_kept_and_another_is_refused(d):
    """`choice=` names the saved choice or it is a typed error, not the wrong answer."""
    saved = d.model_dump_json()
    assert tp.parse(saved, choice=0) == d
    with pytest.raises(tp.UnsupportedResponseError, match="there is no choice 1: the saved"):
        tp.parse(saved, choice=1)


def test_a_damaged_saved_distribution_names_what_does_not_validate(d):
    """A column cut short: a typed error naming the columns, not pydantic's bare error."""
    damaged = json.loads(d.model_dump_json())
    damaged["logprobs"] = damaged["logprobs"][:-1]
    with pytest.raises(tp.UnsupportedResponseError, match=r"does not validate: .*columns disagree"):
        tp.parse(damaged)


def test_show_reads_what_show_format_json_wrote(tmp_path, capsys):
    """`tokenprobs show x --format json > y; tokenprobs show y`: the same view as of `x`."""
    assert cli.main(["show", str(APIREF), "--format", "json"]) == 0
    out = tmp_path / "saved.json"
    out.write_text(capsys.readouterr().out, encoding="utf-8")
    assert cli.main(["show", str(APIREF)]) == 0
    first = capsys.readouterr().out
    assert cli.main(["show", str(out)]) == 0
    assert capsys.readouterr().out == first
