"""The public surface: __all__ sorted and complete, __version__ from the installed metadata."""

from __future__ import annotations

import importlib.metadata
import types

import tokenprobs as tp


def test_all_is_sorted_and_complete():
    """__all__ is sorted, names only real attributes, and lists every public non-module name."""
    assert tp.__all__ == sorted(tp.__all__)
    assert all(hasattr(tp, name) for name in tp.__all__)
    public = {
        n
        for n, v in vars(tp).items()
        if not n.startswith("_") and not isinstance(v, types.ModuleType)
    }
    assert public <= set(tp.__all__)


def test_version_matches_metadata():
    """__version__ equals the installed distribution's version."""
    assert tp.__version__ == importlib.metadata.version("pytokenprobs")


def test_design_names_exist():
    """The names DESIGN.md promises exist."""
    for name in [
        "TopLogprob",
        "TokenLogprob",
        "TokenDistribution",
        "parse",
        "parse_all",
        "TokenprobsError",
        "MissingLogprobsError",
        "UnsupportedResponseError",
        "GuardError",
        "metrics",
    ]:
        assert hasattr(tp, name), name
