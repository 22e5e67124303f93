"""The fixtures of every scoring test file: `test_score.py`'s fake local server and client."""

from tests.scoring.test_score import client, local

__all__ = ["client", "local"]
