"""The examples in the labels and calibration docstrings run."""

from __future__ import annotations

import doctest

import pytest

from tokenprobs import _calibration
from tokenprobs.labels import _judge, _labels, _uncertainty


@pytest.mark.parametrize(
    "module", [_calibration, _labels, _judge, _uncertainty], ids=lambda m: m.__name__
)
def test_docstring_examples(module):
    """Every `>>>` example in the module gives the output it shows."""
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
