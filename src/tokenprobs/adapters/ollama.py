"""Ollama's native API (`/api/chat`, `/api/generate`): a finished answer that has no logprobs.

The native bodies and NDJSON lines are read by the stream accumulator (kind `"ollama"`): a
`logprobs` list of `{token, logprob, bytes, top_logprobs}` beside `message` or `response`. An
answer that finished (`done: true`) with text and no entries at all was not asked for them, and
says so here rather than giving an empty distribution.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tokenprobs.exceptions import MissingLogprobsError

if TYPE_CHECKING:
    from tokenprobs.models import TokenDistribution

__all__ = ["HINT", "checked"]

HINT = (
    'send "logprobs": true, "top_logprobs": k with the /api/chat or /api/generate request '
    "(Ollama 0.12.11 or later; with its Python client: ollama.chat(..., logprobs=True, "
    "top_logprobs=k))"
)


def checked(out: list[TokenDistribution]) -> list[TokenDistribution]:
    """`out` as it is, unless a finished answer has text but no logprob entries.

    Raises:
        MissingLogprobsError: The answer ended (`done: true`) with text and no `logprobs`.
    """
    for d in out:
        if not len(d) and d.content and not d.incomplete:
            msg = "the Ollama answer has text but no 'logprobs' entries"
            err = MissingLogprobsError(msg, hint=HINT)
            err.not_requested = True
            raise err
    return out
