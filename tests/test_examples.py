"""The bundled real examples load, are the recordings byte for byte, and their doctests run."""

from __future__ import annotations

import doctest

import pytest
from tests._recorded import RECORDED

import tokenprobs as tp
from tokenprobs import examples, models


@pytest.mark.parametrize("name", examples.names())
def test_every_example_parses(name):
    """Each bundled example parses to a non-empty distribution with text."""
    d = examples.load(name)
    assert len(d) > 0
    assert d.text
    assert d == tp.parse(examples.raw(name))


@pytest.mark.parametrize("name", sorted(set(examples.names()) - {"emoji"}))
def test_examples_are_the_recordings_byte_for_byte(name):
    """Every example but the reconstructed one is a byte-identical copy of its recording."""
    file = examples.path(name).name
    assert examples.raw(name) == (RECORDED / file).read_bytes()


def test_emoji_example_reproduces_the_printed_recording():
    """The reconstructed emoji example has exactly the tokens, bytes and logprobs printed."""
    printed = (RECORDED / "chat_gpt-4o_blue_heart_emoji_split_PRINTED_STDOUT.txt").read_text()
    d = examples.load("emoji")
    for position in d:
        block = f"Token: {position.token}\nLog prob: "
        assert block in printed
        assert f"Bytes: {position.bytes} \n" in printed
    assert d.text == "Here is the blue heart emoji and its name:\n\n💙 Blue Heart"
    assert d.tokens[10:12] == ["\\xf0\\x9f\\x92", "\\x99"]
    assert d.char_spans()[10].tolist() == d.char_spans()[11].tolist()


def test_unknown_example_lists_the_names():
    """An unknown name is a KeyError that lists the examples there are."""
    with pytest.raises(KeyError, match="apiref, emoji"):
        examples.load("nope")


@pytest.mark.parametrize("module", [examples, models], ids=lambda m: m.__name__)
def test_docstring_examples_run(module):
    """The `>>>` examples in the module's docstrings give the output they show."""
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize("name", [["apiref"], 3], ids=["list", "int"])
def test_a_name_that_is_not_a_str_is_a_type_error_listing_the_names(name):
    """`load(["apiref"])` said only "unhashable type: 'list'": now it lists the names."""
    with pytest.raises(TypeError, match="an example's name is a str, one of apiref, emoji"):
        examples.load(name)
