"""Where the recorded real responses live inside the repository: `tests/fixtures/recorded/`.

Byte-identical copies of the project's shared recordings (their origins are in `SOURCES.md` there),
so a fresh clone needs nothing beside it.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["RECORDED"]

RECORDED = Path(__file__).resolve().parent / "fixtures" / "recorded"
