"""Helpers shared by the command-line tests. Imported as `tests._cli_helpers`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest

__all__ = ["scored_texts"]


def scored_texts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts `tokenprobs score` hands to `score_many`, which sends nothing (each fails)."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-cli-test")
    scored: list[str] = []

    def score_many(texts: list[str], **_: object) -> list[Exception]:
        scored.extend(texts)
        return [ValueError("not sent") for _ in texts]

    monkeypatch.setattr("tokenprobs.cli._score.score_many", score_many)
    return scored
