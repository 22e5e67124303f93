"""The playground's ASGI app (Starlette): the page, its static files, and a small JSON API.

Every answer streams to the page as JSON lines (`application/x-ndjson`, see `_runs.py`). The app
answers on the loopback interface only and refuses what another site could make a browser send:
a foreign `Host` (DNS rebinding), a foreign `Origin`, or a body that is not JSON (a cross-site
form), so no page but its own can spend the key it holds.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tokenprobs import render
from tokenprobs._optional import require
from tokenprobs._said import a_type
from tokenprobs.playground._compare import compare_answers
from tokenprobs.playground._fields import (
    BodyTooLargeError,
    bounded_body,
    integer,
    parse_json,
    query_integer,
)
from tokenprobs.playground._fork import fork
from tokenprobs.playground._restart import SameInstance, new_instance
from tokenprobs.playground._runs import error_event, run_events, summary
from tokenprobs.playground._session import Branch, Request, Session, SessionError
from tokenprobs.playground._upstream import Upstream, branch_refusal
from tokenprobs.playground._view import ViewFrames, cell_starts, position_panel, split_view

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping

    from starlette.applications import Starlette
    from starlette.requests import Request as HTTPRequest
    from starlette.responses import Response, StreamingResponse
    from starlette.types import ASGIApp, Receive, Scope, Send

    from tokenprobs.guards import ServerCapabilities
    from tokenprobs.models import TokenDistribution

__all__ = ["CSP", "create_app"]

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
"""Only the app's own script runs: an inline handler in a token could not, even unescaped. The
views' own `<style>` and `style=` need 'unsafe-inline' for styles."""
_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_STATIC = "tokenprobs.playground"
_REFUSED = {
    "t": "error",
    "kind": "usage",
    "message": "refused: the request did not come from the playground's own page",
}


class _SameOrigin:
    """Refuse a request with a body that another origin (a cross-site form or fetch) sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in {"GET", "HEAD"}:
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            origin = headers.get("origin")
            host = headers.get("host", "")
            kind = headers.get("content-type", "").split(";", 1)[0].strip()
            if (origin is not None and origin != f"http://{host}") or kind != "application/json":
                await _json(_REFUSED, status=403)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(
    upstream: Upstream,
    *,
    model: str | None = None,
    endpoint: str = "completions",
    hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
) -> Starlette:
    """The playground app for one server: one session, in memory, for the one page that uses it.

    Args:
        upstream: The inference server (its key stays in this process).
        model: The model the page proposes.
        endpoint: The prompt the page starts with: `"completions"` (a raw prompt) or
            `"chat.completions"` (messages).
        hosts: The `Host` names the app answers to.

    Raises:
        MissingDependencyError: The `[playground]` extra (Starlette) is not installed.
    """
    require("starlette", extra="playground", feature="tokenprobs.playground.create_app")
    # the extra's modules, imported when an app is made (the package imports without them)
    from starlette.applications import Starlette  # noqa: PLC0415
    from starlette.middleware import Middleware  # noqa: PLC0415
    from starlette.middleware.trustedhost import TrustedHostMiddleware  # noqa: PLC0415
    from starlette.routing import Mount, Route  # noqa: PLC0415
    from starlette.staticfiles import StaticFiles  # noqa: PLC0415

    h = _Handlers(upstream, model or "", endpoint)
    routes = [
        Route("/", h.index),
        Route("/api/config", h.config),
        Route("/api/run", h.run, methods=["POST"]),
        Route("/api/branch", h.branch, methods=["POST"]),
        Route("/api/branches/{id}/positions", h.positions),
        Route("/api/branches/{id}/export", h.export),
        Route("/api/views", h.views, methods=["POST"]),
        Route("/api/session", h.save, methods=["GET"]),
        Route("/api/session", h.load, methods=["POST"]),
        Route("/api/compare", h.compare),
        Mount("/static", StaticFiles(packages=[(_STATIC, "static")]), name="static"),
    ]
    middleware = [
        Middleware(TrustedHostMiddleware, allowed_hosts=list(hosts)),
        Middleware(_SameOrigin),
        Middleware(SameInstance, instance=new_instance(), respond=_json),
    ]
    return Starlette(routes=routes, middleware=middleware)


class _Handlers:
    """The routes of one app: its server, and its session (one page, in memory)."""

    def __init__(self, upstream: Upstream, model: str, endpoint: str) -> None:
        self.upstream, self.model, self.endpoint = upstream, model, endpoint
        self.session = Session()

    def error(self, exc: BaseException, status: int) -> Response:
        """`exc` as the page's error event (`413` for a body past `MAX_BODY`, else `status`)."""
        status = 413 if isinstance(exc, BodyTooLargeError) else status
        return _json(error_event(exc, self.upstream), status=status)

    async def index(self, _: HTTPRequest) -> Response:
        return _response(_static_text("index.html"), "text/html")

    async def config(self, _: HTTPRequest) -> Response:
        return _json(
            {
                "base_url": self.upstream.public_url,
                "model": self.model,
                "endpoint": self.endpoint,
                "modes": list(render.MODES),
                "branching": {
                    e: branch_refusal(e, self.upstream.capabilities)
                    for e in ("completions", "chat.completions")
                },
                "server": self.upstream.capabilities.kind,
                "needs_key": self.upstream.needs_key,
            }
        )

    async def run(self, request: HTTPRequest) -> Response:
        try:
            data = await _body(request)
            req, mode = Request.from_page(data, also=("mode",)), _mode(data)
        except SessionError as exc:
            return self.error(exc, 400)
        branch = self.session.add(req)
        view = ViewFrames(mode=mode)
        events = run_events(branch, self.upstream, view)
        return _stream(_announce(branch, self.upstream, events))

    async def branch(self, request: HTTPRequest) -> Response:
        try:
            data = await _body(request)
            parent = self.session.get(integer(data, "parent", 1))
            position, alternative = integer(data, "position", 0), integer(data, "alternative", 0)
            server = self.upstream.capabilities
            refusal = branch_refusal(parent.request.endpoint, server)
            if refusal:
                raise SessionError(refusal)
            start, forced = fork(parent, position, alternative, server)
            mode = _mode(data)
        except ValueError as exc:  # SessionError, and fork's
            return self.error(exc, 400)
        child = self.session.add(parent.request, parent=parent.id, position=position, forced=forced)
        view = ViewFrames(mode=mode)
        events = run_events(child, self.upstream, view, start=start)
        return _stream(_announce(child, self.upstream, events))

    async def positions(self, request: HTTPRequest) -> Response:
        try:
            lo = query_integer(request.query_params, "start", 0)
            hi = query_integer(request.query_params, "stop", lo + 1)
        except SessionError as exc:
            return self.error(exc, 400)
        try:
            branch, d = self.answered(request.path_params)
        except SessionError as exc:
            return self.error(exc, 404)
        return _json(
            {
                "branch": branch.id,
                "refusal": branch_refusal(branch.request.endpoint, self.upstream.capabilities),
                "positions": [position_panel(d, i) for i in range(max(lo, 0), min(hi, len(d)))],
            }
        )

    async def views(self, request: HTTPRequest) -> Response:
        try:
            mode = _mode(await _body(request))
        except SessionError as exc:
            return self.error(exc, 400)
        return await self.views_of(mode)

    async def export(self, request: HTTPRequest) -> Response:
        try:
            mode = render.canonical_mode(request.query_params.get("mode", "least-likely"))
        except ValueError as exc:
            return self.error(exc, 400)
        try:
            branch, d = self.answered(request.path_params, finished="export")
        except SessionError as exc:
            return self.error(exc, 404)
        name = f"tokenprobs-branch-{branch.id}.html"
        return _response(
            render.to_html(d, mode=mode, standalone=True), "text/html", attachment=name
        )

    async def save(self, _: HTTPRequest) -> Response:
        return _response(
            self.session.dumps(), "application/json", attachment="tokenprobs-session.json"
        )

    async def load(self, request: HTTPRequest) -> Response:
        try:
            data = await _body(request)
            loaded = Session.loads(json.dumps(data.get("session")))
            mode = _mode(data)
        except SessionError as exc:
            return self.error(exc, 400)
        self.session.branches, self.session.next_id = loaded.branches, loaded.next_id
        return await self.views_of(mode)

    async def views_of(self, mode: str) -> Response:
        server = self.upstream.capabilities
        branches = self.session.branches.values()
        return _json({"branches": [_described(b, mode, server) for b in branches]})

    async def compare(self, request: HTTPRequest) -> Response:
        try:
            ids = [query_integer(request.query_params, name, lo=1) for name in ("a", "b")]
        except SessionError as exc:
            return self.error(exc, 400)
        try:
            a, b = (self.session.get(i) for i in ids)
            return _json(compare_answers(self.session, a, b))
        except SessionError as exc:
            return self.error(exc, 404)

    def answered(
        self, path: Mapping[str, str], *, finished: str | None = None
    ) -> tuple[Branch, TokenDistribution]:
        """The branch the path names (`/api/branches/{id}/...`) and its answer.

        Args:
            path: The path's parameters.
            finished: What needs the whole answer (`"export"`): refused while it arrives.

        Raises:
            SessionError: The id is not an integer, no branch has it, it has no answer yet, or
                (`finished`) its answer is still arriving.
        """
        branch = self.session.get(query_integer(path, "id", lo=1))
        if finished is not None and branch.running:
            msg = (
                f"branch {branch.id}'s answer has not finished arriving: {finished} it when it has"
            )
            raise SessionError(msg)
        return branch, branch.answer()


def _static_text(name: str) -> str:
    from importlib.resources import files  # noqa: PLC0415 - only the index needs it

    return (files(_STATIC) / "static" / name).read_text(encoding="utf-8")


def _response(
    body: str | bytes, media_type: str, *, status: int = 200, attachment: str | None = None
) -> Response:
    """A response with the page's security headers (a download when `attachment` names it)."""
    from starlette.responses import Response  # noqa: PLC0415 - the [playground] extra

    headers = dict(_HEADERS)
    if attachment is not None:
        headers["Content-Disposition"] = f'attachment; filename="{attachment}"'
    return Response(body, status_code=status, media_type=media_type, headers=headers)


def _json(data: object, status: int = 200) -> Response:
    return _response(_encoded(data), "application/json", status=status)


def _encoded(data: object) -> bytes:
    """`data` as UTF-8 JSON; with a lone surrogate (a server's), as ASCII JSON (lossless)."""
    body = json.dumps(data, ensure_ascii=False, allow_nan=False)
    try:
        return body.encode()
    except UnicodeEncodeError:  # UTF-8 has no lone surrogates; JSON's ASCII escapes do
        return json.dumps(data, allow_nan=False).encode()


async def _body(
    request: HTTPRequest,
) -> dict[str, Any]:  # Any: the page's JSON, read field by field (`_fields`)
    """The request's JSON object.

    Raises:
        BodyTooLargeError: The body is larger than `MAX_BODY` (read no further).
        SessionError: The body is not JSON, or not an object.
    """
    data = parse_json(await bounded_body(request), "the request's body")
    if not isinstance(data, dict):
        msg = f"the request's body must be a JSON object, got {a_type(data)}"
        raise SessionError(msg)
    return data


def _mode(data: dict[str, Any]) -> str:
    """The view's `mode` (`least-likely` when not given).

    Raises:
        SessionError: It is no mode (a 400, as every other malformed field).
    """
    given = data.get("mode")
    if given is None or given == "":
        return "least-likely"
    try:
        return render.canonical_mode(given if isinstance(given, str) else repr(given))
    except ValueError as exc:
        raise SessionError(str(exc).replace("`mode`", "mode", 1)) from exc


def _meta(branch: Branch, server: ServerCapabilities) -> dict[str, object]:
    return {
        "id": branch.id,
        "label": branch.label,
        "parent": branch.parent,
        "position": branch.position,
        "forced": branch.forced,
        "forced_shown": None if branch.forced is None else render.visible(branch.forced),
        "endpoint": branch.request.endpoint,
        "model": branch.request.model,
        "refusal": branch_refusal(branch.request.endpoint, server),
    }


async def _announce(
    branch: Branch, upstream: Upstream, events: AsyncIterator[dict[str, object]]
) -> AsyncIterator[dict[str, object]]:
    """The branch's `branch` event, then its run's; the branch is `running` until they end."""
    branch.started()
    finished = False
    try:
        yield {"t": "branch", **_meta(branch, upstream.capabilities)}
        async for event in events:
            if event.get("t") == "done":  # the answer told which server it is: what it can branch
                event["refusal"] = branch_refusal(branch.request.endpoint, upstream.capabilities)
            finished = event.get("t") in {"done", "error"}
            yield event
    finally:  # also when the page stopped reading (the stream cancelled, or closed)
        branch.stopped(finished=finished)


def _stream(events: AsyncIterator[dict[str, object]]) -> StreamingResponse:
    from starlette.responses import StreamingResponse  # noqa: PLC0415 - the [playground] extra

    async def lines() -> AsyncIterator[bytes]:
        async for event in events:
            yield _encoded(event) + b"\n"

    headers = {**_HEADERS, "X-Accel-Buffering": "no"}
    return StreamingResponse(lines(), media_type="application/x-ndjson", headers=headers)


def _described(branch: Branch, mode: str, server: ServerCapabilities) -> dict[str, object]:
    """A branch as the page draws it whole (after a load, or a change of mode)."""
    out = _meta(branch, server)
    d = branch.distribution
    if d is not None:
        head, cells, tail = split_view(render.to_html(d, mode=mode))
        out |= {
            "head": head,
            "tail": tail,
            "cut": 0,
            "cells": cells,
            "starts": cell_starts(d),
            "n": len(d),
            "summary": summary(d),
        }
    if branch.error is not None:
        out["error"] = branch.error
    if branch.running:  # streaming to another page (a tab open before this one)
        out["running"] = True
    return out
