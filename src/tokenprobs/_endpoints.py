"""The three APIs that return logprobs, in one table.

What the guards, client, Batch files and CLI know about each: its path, its Batch URL, the SDK
attribute that calls it, how logprobs are asked for. A leaf: imports nothing of tokenprobs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

__all__ = ["ENDPOINTS", "INCLUDE_LOGPROBS", "NAMES", "Endpoint", "EndpointInfo"]

Endpoint: TypeAlias = Literal["chat.completions", "responses", "completions"]
"""Which API: Chat Completions, Responses, or legacy Completions."""

INCLUDE_LOGPROBS = "message.output_text.logprobs"
"""The Responses `include` value that asks for the output text's logprobs."""


@dataclass(frozen=True, slots=True)
class EndpointInfo:
    """One API's facts."""

    name: Endpoint
    """The name tokenprobs uses (also the SDK attribute path: `client.chat.completions`)."""
    path: str
    """The path under the base URL (`/chat/completions`)."""
    batch_url: str
    """The Batch API's `url` of a request line (and `endpoint` of `batches.create`)."""
    sdk_attribute: tuple[str, ...]
    """The attributes from a client to the resource whose `create()` calls it."""
    ask_logprobs: str
    """How to ask this API for logprobs, as an instruction (the `MissingLogprobsError` hint)."""


ENDPOINTS: dict[Endpoint, EndpointInfo] = {
    info.name: info
    for info in (
        EndpointInfo(
            "chat.completions",
            "/chat/completions",
            "/v1/chat/completions",
            ("chat", "completions"),
            "pass logprobs=True (and top_logprobs=k for alternatives) to "
            "client.chat.completions.create()",
        ),
        EndpointInfo(
            "responses",
            "/responses",
            "/v1/responses",
            ("responses",),
            'pass include=["message.output_text.logprobs"] (and top_logprobs=k) to '
            "client.responses.create()",
        ),
        EndpointInfo(
            "completions",
            "/completions",
            "/v1/completions",
            ("completions",),
            "pass logprobs=k (0 to 5) to client.completions.create()",
        ),
    )
}
"""Every endpoint, by name, in the order tokenprobs documents them."""

NAMES: tuple[Endpoint, ...] = tuple(ENDPOINTS)
"""`("chat.completions", "responses", "completions")`."""
