"""Serve the playground with uvicorn on the loopback interface, and open the browser."""

from __future__ import annotations

import logging
import socket
import threading
import time
import webbrowser
from typing import TYPE_CHECKING

from tokenprobs._optional import require
from tokenprobs.playground._app import create_app

if TYPE_CHECKING:
    import uvicorn

    from tokenprobs.playground._upstream import Upstream

__all__ = ["serve"]

HOST = "127.0.0.1"
log = logging.getLogger("tokenprobs.playground")


def serve(
    upstream: Upstream,
    *,
    model: str | None = None,
    endpoint: str = "completions",
    port: int = 0,
    open_browser: bool = True,
    began: float | None = None,
) -> None:
    """Run the playground until interrupted (Ctrl-C), on 127.0.0.1.

    Args:
        upstream: The inference server.
        model: The model the page proposes.
        endpoint: The prompt the page starts with (`"completions"` or `"chat.completions"`).
        port: The port (0: a free one).
        open_browser: Open the page in the default browser, where there is one.
        began: When the command started (`time.perf_counter()`), for the "ready in" line.

    Raises:
        MissingDependencyError: The `[playground]` extra (uvicorn, Starlette) is not installed.
    """
    began = time.perf_counter() if began is None else began
    uvicorn = require("uvicorn", extra="playground", feature="tokenprobs.playground.serve")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError:
        sock.close()
        raise
    url = f"http://{HOST}:{sock.getsockname()[1]}/"
    app = create_app(upstream, model=model, endpoint=endpoint)
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    threading.Thread(
        target=_when_ready,
        args=(server, url, upstream.public_url, began),
        kwargs={"open_browser": open_browser},
        daemon=True,
    ).start()
    server.run(sockets=[sock])


def _when_ready(
    server: uvicorn.Server, url: str, upstream: str, began: float, *, open_browser: bool
) -> None:
    """Once uvicorn listens: print the address (and how long starting took), open the browser."""
    while not server.started:
        if server.should_exit:
            return
        time.sleep(0.005)
    ready = time.perf_counter() - began
    line = (
        f"tokenprobs playground: {url}  (ready in {ready:.2f} s; server {upstream}; Ctrl-C stops)"
    )
    print(line, flush=True)  # noqa: T201 - the command's one line of output
    if open_browser:
        _open(url)


def _open(url: str) -> None:
    """Open `url` in a browser if there is one (`webbrowser` finds none on a headless box)."""
    try:
        opened = webbrowser.open(url)
    except webbrowser.Error:
        opened = False
    if not opened:
        log.info("no browser to open here: visit %s", url)
