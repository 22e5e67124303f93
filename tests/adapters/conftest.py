"""Fixtures for the adapter tests: the recorded responses in tests/fixtures/recorded."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from tests._recorded import RECORDED

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def recorded_path():
    """A function from a recorded fixture's file name to its path (the file must exist)."""

    def path(name: str) -> Path:
        p = RECORDED / name
        assert p.is_file(), f"missing recorded fixture {p}"
        return p

    return path


@pytest.fixture
def recorded(recorded_path):
    """A function from a recorded fixture's file name to its parsed JSON."""

    def load(name: str) -> Any:
        return json.loads(recorded_path(name).read_text(encoding="utf-8"))

    return load
