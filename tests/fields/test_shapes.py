"""Every response shape `tp.parse` reads gives the same fields (the walk sees only bytes)."""

from __future__ import annotations

import pytest

import tokenprobs as tp
from tokenprobs import fields, testing

POSITIONS = [
    ('{"city":"', -0.01, [('{"city":"', -0.01)]),
    ("Séoul ", -0.4, [("Séoul ", -0.4), ("Paris", -1.3)]),
    (b"\xea\xb0", -0.2, []),
    (b"\x95", -0.1, []),
    ('","n":', -0.02, []),
    ("12", -0.5, [("12", -0.5), ("13", -1.5)]),
    (".5}", -0.3, []),
]
EXPECTED = [(("city",), "Séoul 강", range(5)), (("n",), 12.5, range(5, 7))]

SHAPES = [
    pytest.param(lambda: testing.chat_completion(POSITIONS), id="chat"),
    pytest.param(lambda: testing.chat_chunks(POSITIONS), id="chat.stream"),
    pytest.param(lambda: testing.sse(testing.chat_chunks(POSITIONS)), id="chat.stream.sse"),
    pytest.param(lambda: testing.response(POSITIONS), id="responses"),
    pytest.param(lambda: testing.response_events(POSITIONS), id="responses.stream"),
    pytest.param(lambda: testing.completion(POSITIONS), id="completions-no-bytes"),
    pytest.param(lambda: testing.azure(testing.chat_completion(POSITIONS)), id="azure"),
]


@pytest.mark.parametrize("make", SHAPES)
def test_same_fields_from_every_shape(make):
    """Paths, values, token positions and joints agree across shapes."""
    fc = fields.confidence(make())
    assert [(f.path, f.value, f.positions) for f in fc] == EXPECTED
    assert fc["n"].logprob == pytest.approx(-0.5 - 0.3)
    assert fc["city"].logprob == pytest.approx(-0.01 - 0.4 - 0.2 - 0.1 - 0.02)


def test_the_choice_asked_for():
    """With `n > 1`, `tp.parse(response, choice=1)` picks the output to read."""
    body = testing.chat_completion(POSITIONS, [('{"n":', 0.0, []), ("7}", -0.9, [])])
    assert fields.confidence(tp.parse(body, choice=1))["n"].value == 7
    assert fields.confidence(body)["n"].value == 12.5
