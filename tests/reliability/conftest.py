"""Reliability suite: hypothesis profiles and the count of generated inputs.

Profiles: `ci` (selected when `CI=true` or `TOKENPROBS_FUZZ=ci`, unless
`TOKENPROBS_FUZZ=default`) tries at least 10,000 parse inputs in all, derandomised so every CI
run tries the same ones; `default` is a tenth of it, also derandomised. The number of generated
inputs per category is printed at the end of the run.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from tests.reliability._checks import COUNTS

_FUZZ = os.environ.get("TOKENPROBS_FUZZ", "")
CI = _FUZZ == "ci" or (os.environ.get("CI", "").lower() == "true" and _FUZZ != "default")
SCALE = 10 if CI else 1
"""Multiplies every fuzz test's example count: the CI profile tries ten times as many."""

_COMMON = {
    "deadline": None,
    "derandomize": True,
    "print_blob": True,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
settings.register_profile("ci", max_examples=1000, **_COMMON)
settings.register_profile("default", max_examples=100, **_COMMON)
settings.load_profile("ci" if CI else "default")


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001
    """Report how many generated inputs each category tried."""
    if not COUNTS:
        return
    parts = ", ".join(f"{n:,} {what}" for what, n in sorted(COUNTS.items()))
    profile = "ci" if CI else "default"
    terminalreporter.write_line(f"fuzz ({profile} profile): {parts}")
