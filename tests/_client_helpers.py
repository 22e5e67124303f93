"""Helpers shared by the client tests: SDK-major-neutral errors, fixtures, clients.

Imported as `tests._client_helpers` (pytest runs with `--import-mode=importlib`, and
`tests.conftest` is loaded first, which makes the `tests` package importable).
"""

from __future__ import annotations

from pathlib import Path

import httpx
from tests.conftest import OPENAI_MAJOR, make_client

__all__ = ["FIXTURES", "MODEL", "OPENAI_MAJOR", "make_client", "read_fixture", "timeout_error"]

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "recorded"
"""The recorded responses, read where they are (`../shared/fixtures/recorded`), never copied."""

MODEL = "gpt-4o-mini"


def read_fixture(name: str) -> str:
    """The text of a recorded fixture."""
    return (FIXTURES / name).read_text(encoding="utf-8")


def timeout_error() -> Exception:
    """A read timeout from the HTTP library the installed SDK speaks (httpx2 on 3.x)."""
    if OPENAI_MAJOR >= 3:
        import httpx2  # noqa: PLC0415

        return httpx2.ReadTimeout("timed out")
    return httpx.ReadTimeout("timed out")


def connect_error() -> Exception:
    """A connection error from the HTTP library the installed SDK speaks."""
    if OPENAI_MAJOR >= 3:
        import httpx2  # noqa: PLC0415

        return httpx2.ConnectError("refused")
    return httpx.ConnectError("refused")
