"""What a test does when the real part it needs (a server, a browser) is not there."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(why: str, *, ci: str) -> NoReturn:
    """Fail in CI, where every real part is installed and started; skip when run by hand.

    `make integration` and `make test` provide what these tests need, and the integration runner
    also fails a CI run in which any test was skipped; a skip only happens when someone runs one
    test file outside them.
    """
    if os.environ.get("CI"):
        pytest.fail(f"{ci}: {why}")
    pytest.skip(why)
