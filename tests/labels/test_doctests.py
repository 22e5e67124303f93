"""The examples in the labels and calibration docstrings run.

Classes are found in the public package that re-exports them (their `__module__`), functions in
the private module that defines them.
"""

from __future__ import annotations

import doctest

import pytest

from tokenprobs import labels
from tokenprobs.labels import _judge, _uncertainty
from tokenprobs.metrics import _calibration


@pytest.mark.parametrize(
    "module", [_calibration, _judge, _uncertainty, labels], ids=lambda m: m.__name__
)
def test_docstring_examples(module):
    """Every `>>>` example in the module gives the output it shows."""
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
