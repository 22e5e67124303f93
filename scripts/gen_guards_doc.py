# ruff: noqa: INP001
"""Write docs/guards.md from the guard rule table (tests/test_guards.py checks it is current)."""

import pathlib

from tokenprobs.guards import render_markdown

DOC = pathlib.Path(__file__).parents[1] / "docs" / "guards.md"

if __name__ == "__main__":
    DOC.write_text(render_markdown() + "\n", encoding="utf-8")
