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


def _subclasses(cls: type) -> list[type]:
    return [cls, *(c for sub in cls.__subclasses__() for c in _subclasses(sub))]


def test_the_error_tree_names_every_error():
    """docs/concepts.md's tree of errors names each `TokenprobsError` the package defines."""
    import tokenprobs as tp  # noqa: PLC0415

    page = (ROOT / "docs" / "concepts.md").read_text(encoding="utf-8")
    tree = page.split("## Errors", 1)[1].split("```", 2)[1]
    ours = [c for c in _subclasses(tp.TokenprobsError) if c.__module__.startswith("tokenprobs")]
    missing = [c.__name__ for c in ours if c.__name__ not in tree]
    assert len(ours) > 10, ours
    assert not missing, f"docs/concepts.md's error tree does not name {missing}"


def test_the_warning_tree_names_every_warning():
    """docs/concepts.md's tree of warnings names each `TokenprobsWarning` the package defines."""
    import tokenprobs as tp  # noqa: PLC0415

    page = (ROOT / "docs" / "concepts.md").read_text(encoding="utf-8")
    tree = page.split("## Errors", 1)[1].split("```", 2)[1].split("TokenprobsWarning", 1)[1]
    ours = [c for c in _subclasses(tp.TokenprobsWarning) if c.__module__.startswith("tokenprobs")]
    missing = [c.__name__ for c in ours[1:] if c.__name__ not in tree]
    assert len(ours) > 3, ours
    assert not missing, f"docs/concepts.md's tree of warnings does not name {missing}"
