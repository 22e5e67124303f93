"""`FieldConfidences` views and export: HTML, terminal, rich, pandas; the docstring examples."""

from __future__ import annotations

import doctest
import math

import pytest

import tokenprobs as tp
from tokenprobs import examples, fields
from tokenprobs.fields import _confidence
from tokenprobs.testing import chat_completion


@pytest.fixture
def fc():
    """A two-leaf output: one sure value (p≈0.99), one unsure (p=0.2)."""
    body = chat_completion(
        [
            ('{"a":', 0.0, []),
            ('"x"', math.log(0.99), []),
            (',"b":', 0.0, []),
            ("7", math.log(0.2), []),
            ("}", 0.0, []),
        ]
    )
    return fields.confidence(tp.parse(body))


def test_html_shades_each_value_by_its_probability(fc):
    """Each value is a span whose shade grows as its probability falls; structure is plain."""
    out = fc.to_html()
    assert out == fc._repr_html_()
    sure = out.index('title="/a: p 0.99')
    unsure = out.index('title="/b: p 0.2')
    alpha = [
        float(out[out.rindex("rgba(220, 50, 47, ", 0, i) + 18 :].split(")")[0])
        for i in (sure, unsure)
    ]
    assert alpha[0] < alpha[1]
    assert out.startswith('<pre class="tokenprobs-fields"')
    assert "{&quot;a&quot;:<span" in out


def test_text_view_without_color_shows_probabilities(fc):
    """The plain terminal view writes each value's probability after it."""
    assert fc.to_text(color=False) == '{"a":"x"⟨0.99⟩,"b":7⟨0.2⟩}'
    assert "\x1b[48;2;255;" in fc.to_text()


@pytest.mark.parametrize("value", ["no", None, 0])
def test_a_view_flag_that_is_no_bool_is_refused(fc, value):
    """`color="no"` is truthy: it coloured; `color=None` wrote no colour. Now a TypeError."""
    with pytest.raises(TypeError, match=r"^`color` must be True or False .*got "):
        fc.to_text(color=value)


@pytest.mark.extras
@pytest.mark.parametrize("value", ["no", None, 1])
def test_a_pandas_flag_that_is_no_bool_is_refused(fc, value):
    """`decisions="no"` is truthy: it read every decision. Now a TypeError."""
    with pytest.raises(TypeError, match=r"^`decisions` must be True or False .*got "):
        fc.to_pandas(decisions=value)


@pytest.mark.extras
def test_rich_view(fc):
    """The rich renderable holds the document text, values styled."""
    from rich.console import Console  # noqa: PLC0415 - an optional extra

    console = Console(record=True, width=80, color_system="truecolor", force_terminal=True)
    console.print(fc)
    assert console.export_text(clear=False).strip() == '{"a":"x","b":7}'
    assert "48;2;255;" in console.export_text(styles=True)


@pytest.mark.extras
def test_to_pandas_one_row_per_leaf(fc):
    """One row per leaf with the numbers of the result."""
    df = fc.to_pandas()
    assert list(df["pointer"]) == ["/a", "/b"]
    assert df["prob"].tolist() == pytest.approx([0.99, 0.2])
    assert df["forced"].tolist() == [False, False]
    assert "decided" not in df


@pytest.mark.extras
def test_to_pandas_with_decisions():
    """`decisions=True` adds each leaf's decided value and its probability."""
    body = chat_completion(
        [
            ('{"ok":', 0.0, []),
            ("false", math.log(0.6), [("false", math.log(0.6)), ("true", math.log(0.3))]),
            (',"n":', 0.0, []),
            ("7", math.log(0.5), [("7", math.log(0.5)), ("8", math.log(0.25))]),
            ("}", 0.0, []),
        ]
    )
    df = fields.confidence(tp.parse(body)).to_pandas(decisions=True)
    assert df["decided_at"].tolist() == [1, 3]
    assert df["decided"].tolist() == [False, "7"]
    assert df["decided_p"].tolist() == pytest.approx([0.6 / 0.9, 0.5])


def test_view_of_recorded_structured_output():
    """The recorded Structured Outputs answer renders with all four values shaded."""
    out = fields.confidence(examples.load("structured")).to_html()
    assert out.count("<span") == 4


def test_docstring_examples():
    """Every `>>>` example in the fields docstrings gives the output it shows."""
    result = doctest.testmod(_confidence, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
