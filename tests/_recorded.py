"""Where the recorded real responses live inside the repository: `tests/fixtures/recorded/`.

Byte-identical copies of the project's shared recordings (their origins are in `SOURCES.md` there),
so a fresh clone needs nothing beside it.
"""

from __future__ import annotations

from pathlib import Path

import tokenprobs as tp

__all__ = ["RECORDED", "parsed", "parsed_recordings"]

RECORDED = Path(__file__).resolve().parent / "fixtures" / "recorded"


def parsed(path: Path) -> list[tp.TokenDistribution]:
    """Every distribution of the recording at `path`; none for an error body or a fragment."""
    try:
        return tp.parse_all(path)
    except tp.TokenprobsError:  # nothing to compare
        return []


def parsed_recordings() -> dict[str, list[tp.TokenDistribution]]:
    """The recordings that parse, by file name, each parsed anew."""
    return {
        p.name: ds for p in sorted(RECORDED.iterdir()) if p.suffix != ".md" if (ds := parsed(p))
    }
