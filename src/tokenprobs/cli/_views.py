"""What `demo`, `show` and `ask` share: the view options, the exit codes, showing results."""

from __future__ import annotations

import argparse
import errno
import html
import json
import os
import shutil
import sys
from typing import TYPE_CHECKING, Any, Literal

from tokenprobs import render
from tokenprobs._urls import redact
from tokenprobs.cli._args import count
from tokenprobs.cli._redact import secrets_of
from tokenprobs.exceptions import TokenprobsError
from tokenprobs.render import MODES, canonical_mode
from tokenprobs.render._terminal import color_allowed

if TYPE_CHECKING:
    from collections.abc import Callable

    from tokenprobs.models import TokenDistribution

__all__ = [
    "EXIT_API",
    "EXIT_CODES",
    "EXIT_GUARD",
    "EXIT_INPUT",
    "EXIT_INTERRUPTED",
    "EXIT_SOME_FAILED",
    "EXIT_USAGE",
    "Item",
    "add_view_options",
    "discard_output",
    "emit",
    "emit_items",
    "written",
]

EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_API = 4
EXIT_GUARD = 5
EXIT_SOME_FAILED = 6
EXIT_INTERRUPTED = 130
"""Ctrl-C: 128 + SIGINT, what a shell reports for a command the signal stopped."""
EXIT_CODES: tuple[tuple[int, str], ...] = (
    (0, "done"),
    (EXIT_USAGE, "usage error"),
    (EXIT_INPUT, "input that cannot be read"),
    (EXIT_API, "API error"),
    (EXIT_GUARD, "refused before sending"),
    (EXIT_SOME_FAILED, "some lines or texts failed (the others shown)"),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C)"),
)
"""Each exit code and what it means, as `tokenprobs --help` lists them."""

Format = Literal["text", "html", "json"]
Item = tuple[str, "TokenDistribution | TokenprobsError"]
"""A labelled result: a distribution, or the error of a Batch output line that failed."""


def add_view_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--format",
        choices=["text", "html", "json"],
        default="text",
        help="text (terminal view), html (a standalone page) or json (the distribution)",
    )
    p.add_argument(
        "--mode",
        type=_mode,
        default="least-likely",
        metavar="{" + ",".join(MODES) + "}",
        help="what stands out (default least-likely: the less probable, the stronger; "
        "prob is the old name of least-likely)",
    )
    p.add_argument(
        "--top", type=count, default=5, help="how many uncertain positions to detail (0 or more)"
    )


def _mode(value: str) -> str:
    try:
        return canonical_mode(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def emit(dists: list[TokenDistribution], args: argparse.Namespace) -> None:
    """Show distributions; several are labelled by their choice."""
    labels = [f"choice {d.choice} ({d.source})" for d in dists] if len(dists) > 1 else [""]
    emit_items(list(zip(labels, dists, strict=True)), args, batch=False)


def emit_items(items: list[Item], args: argparse.Namespace, *, batch: bool) -> None:
    """Show labelled results; in JSON, a Batch line is `{"custom_id", "distribution" | "error"}`.

    A failed line's message may quote the key (a saved 401 that echoes it): it is redacted, as in
    every error line the command prints.
    """
    fmt: Format = args.format
    out = sys.stdout
    secrets = secrets_of(args)
    items = [(label, _redacted(r, secrets)) for label, r in items]
    if fmt == "json":
        for label, r in items:
            if isinstance(r, TokenprobsError):
                out.write(json.dumps({"custom_id": label, "error": str(r)}) + "\n")
            elif batch:
                out.write(f'{{"custom_id":{json.dumps(label)},"distribution":')
                out.write(r.model_dump_json() + "}\n")
            else:
                out.write(r.model_dump_json() + "\n")
        return
    if fmt == "html":
        out.write(_html_page(items, args.mode))
        return
    color = color_allowed()
    console = _rich_console() if color else None
    for n, (label, r) in enumerate(items):
        if (
            label
        ):  # a custom_id, and below an error's message, come from the file: shown, not obeyed
            out.write(f"{'' if n == 0 else chr(10)}── {render.visible(label, keep=' ')} ──\n")
        if isinstance(r, TokenprobsError):
            out.write(f"failed: {render.visible(str(r), keep=' ')}\n")
        elif console is not None:
            console.print(render.to_rich(r, mode=args.mode, top=args.top))
        else:
            out.write(render.to_text(r, mode=args.mode, top=args.top, color=color))
        out.flush()


def written(write: Callable[[], object]) -> bool:
    """Run `write`, the command's output; `False` when its reader closed it first (`| head -1`).

    The command goes on to say (on stderr) and return what it found: lines that failed exit 6
    though the reader stopped before them. Standard output then points at `os.devnull`, where
    Python's flush at exit would fail again on the closed pipe (the signal module's advice).
    """
    try:
        write()
    except BrokenPipeError:
        discard_output()
        return False
    return True


def discard_output() -> None:
    """Point the file descriptor of standard output at `os.devnull`, when it has one."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # a test's or an embedding program's stream
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def _redacted(
    r: TokenDistribution | TokenprobsError, secrets: frozenset[str]
) -> TokenDistribution | TokenprobsError:
    """`r`; an error as a `TokenprobsError` whose message has each of `secrets` as `***`."""
    if not isinstance(r, TokenprobsError) or not secrets:
        return r
    shown = redact(str(r), secrets)
    return r if shown == str(r) else TokenprobsError(shown)


def _rich_console() -> Any:  # noqa: ANN401 - rich is optional
    """A rich Console that colours, when rich is installed (the `[rich]` extra), else `None`.

    Made only once `_color` said yes, it colours whatever rich would make of the environment
    (`FORCE_COLOR` on a dumb terminal: rich's own reading drops the colour the user asked for),
    as wide as the plain view is drawn.
    Its output closed by the reader (`| head`), it raises `BrokenPipeError`, which the command
    ends on quietly as without rich (rich's own Console exits with 1).
    """
    try:
        from rich.console import Console  # noqa: PLC0415
    except ImportError:
        return None

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError(errno.EPIPE, "the output was closed by its reader")

    dumb = os.environ.get("TERM", "").lower() in {"dumb", "unknown"}  # rich's own test
    # the plain view's width: rich takes `COLUMNS=0` as a width of 0 and prints nothing
    width = shutil.get_terminal_size((100, 24)).columns
    return _Console(force_terminal=True, color_system="standard" if dumb else "auto", width=width)


def _html_page(items: list[Item], mode: str) -> str:
    """One standalone page: the first view standalone, the other results' views inside it."""

    def section(label: str, r: TokenDistribution | TokenprobsError) -> str:
        head = f"<h2>{html.escape(label)}</h2>" if label else ""
        if isinstance(r, TokenprobsError):
            return f"{head}<p>failed: {html.escape(str(r))}</p>"
        return head + render.to_html(r, mode=mode)

    first = next((r for _, r in items if not isinstance(r, TokenprobsError)), None)
    if first is None:
        page = '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        page += "<title>tokenprobs</title></head><body></body></html>\n"
        return page.replace("</body>", "".join(section(*it) for it in items) + "</body>", 1)
    page = str(render.to_html(first, mode=mode, standalone=True))
    if len(items) == 1:
        return page
    body_start = page.index("<body>\n") + len("<body>\n")
    body_end = page.index("\n</body>")
    return page[:body_start] + "".join(section(*it) for it in items) + page[body_end:]
