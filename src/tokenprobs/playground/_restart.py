"""A page left open across a restart of the playground: told so, never served the new answers.

The session lives in the process, and a restarted playground numbers its answers from #1 again:
the old page's "branch 1" would name an answer the new one never had, or another answer of the
same number. Every run of the app has an instance id, sent on every response (the
`X-Playground-Instance` header). The page sends back the one it has seen; a request naming
answers (branching, alternatives, export, compare, views) or saving the session (whose answers
would not be the page's) from a page of another instance is refused with 409 and a message saying
the playground restarted.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["HEADER", "RESTARTED", "SameInstance", "new_instance"]

HEADER = "x-playground-instance"
"""The header that carries the instance id, both ways (an export link carries `?instance=`)."""
RESTARTED = (
    "the playground restarted since this page was loaded: it has none of the answers drawn on "
    "the page (it numbers its answers from #1 again), so their alternatives, branches, exports "
    "and comparisons are gone; reload the page (Save session before stopping the playground "
    "keeps the answers across restarts)"
)
_NAMING = ("/api/branch", "/api/compare", "/api/views")
"""The paths of the requests that name answers (`/api/branch` covers `/api/branches/`)."""
_SAVE = ("GET", "/api/session")
"""Saving the session: the new playground's, not the answers the old page shows (loading one is
not refused: it replaces the session whatever the page saw)."""


def new_instance() -> str:
    """A new instance id: random, so that no two runs of the playground share one."""
    return secrets.token_urlsafe(12)


class SameInstance:
    """Refuse a request naming answers from a page of another instance; tag every response."""

    def __init__(
        self, app: ASGIApp, *, instance: str, respond: Callable[[object, int], ASGIApp]
    ) -> None:
        """Wrap `app`; `respond(data, status)` is the app's JSON response."""
        self.app, self.instance, self.respond = app, instance, respond

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse a stale page's request (409), else pass it on; add the header either way."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tag = (HEADER.encode("latin-1"), self.instance.encode("latin-1"))

        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), tag]
            await send(message)

        seen = self.seen(scope)
        if seen is not None and seen != self.instance and self.stale(scope):
            event = {"t": "error", "kind": "restarted", "message": RESTARTED}
            await self.respond(event, 409)(scope, receive, tagged)
            return
        await self.app(scope, receive, tagged)

    @staticmethod
    def stale(scope: Scope) -> bool:
        """Whether the request means the answers of the page's instance (refused from another)."""
        path: str = scope["path"]
        return path.startswith(_NAMING) or (scope.get("method"), path) == _SAVE

    @staticmethod
    def seen(scope: Scope) -> str | None:
        """The instance the page sent: its header, else an `instance=` query parameter."""
        for key, value in scope["headers"]:
            if key.decode("latin-1").lower() == HEADER:
                return str(value.decode("latin-1"))
        query: bytes = scope.get("query_string", b"")
        return dict(parse_qsl(query.decode("latin-1"))).get("instance")
