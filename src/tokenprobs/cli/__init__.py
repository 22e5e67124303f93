"""The `tokenprobs` command line (`tokenprobs.cli:main`): `demo`, `show`, `ask`, `score`."""

from tokenprobs.cli._main import main
from tokenprobs.cli._views import (
    EXIT_API,
    EXIT_GUARD,
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_SOME_FAILED,
    EXIT_USAGE,
)

__all__ = [
    "EXIT_API",
    "EXIT_GUARD",
    "EXIT_INPUT",
    "EXIT_INTERRUPTED",
    "EXIT_SOME_FAILED",
    "EXIT_USAGE",
    "main",
]
