"""A missing optional extra is a MissingDependencyError with the exact install line."""

from __future__ import annotations

import sys

import pytest

import tokenprobs as tp
from tokenprobs._optional import require


def test_require_returns_the_module():
    """An installed module comes back as itself."""
    assert require("json", extra="none", feature="a test") is sys.modules["json"]


def test_require_names_the_feature_and_the_install_line():
    """A missing module names the feature, the package and `pip install "pytokenprobs[extra]"`."""
    with pytest.raises(tp.MissingDependencyError) as caught:
        require("no_such_module_here.sub", extra="plot", feature="the plot")
    assert str(caught.value) == (
        "the plot needs no_such_module_here, which is not installed: "
        'pip install "pytokenprobs[plot]"'
    )
    assert isinstance(caught.value, ImportError)
    assert (caught.value.package, caught.value.extra) == ("no_such_module_here", "plot")


def test_to_pandas_without_pandas_says_how_to_install(monkeypatch):
    """`to_pandas()` without pandas installed: the `[pandas]` extra's install line."""
    monkeypatch.setitem(sys.modules, "pandas", None)  # what an uninstalled package looks like
    d = tp.examples.load("apiref")
    with pytest.raises(tp.MissingDependencyError, match=r'pip install "pytokenprobs\[pandas\]"'):
        d.to_pandas()
