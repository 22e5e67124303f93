"""The `tokenprobs` command: `demo`, `show FILE`, `ask PROMPT`, `score FILE`.

Exit codes: 0 success, 2 usage error (argparse's, a malformed base URL, a missing extra), 3 input
that cannot be parsed (file missing, binary, not UTF-8, too large, not a response), 4 an API
error, 5 a request the guards refused, 6 some lines of a Batch output file (or texts of `score`)
failed (the others are shown, each failure in its place), 130 interrupted (Ctrl-C). Output cut
short by its reader (`tokenprobs show FILE | head`) ends the command quietly, with the exit code
of what it found: 0, or 6 (and the count on stderr) when some lines or texts failed, read or
not. No error line shows the API key or the base URL's credentials.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import io
import os
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import tokenprobs
from tokenprobs._urls import redact
from tokenprobs.cli._args import InputError, UsageError
from tokenprobs.cli._ask import add_ask_parser
from tokenprobs.cli._playground import add_playground_parser
from tokenprobs.cli._redact import secrets_of
from tokenprobs.cli._score import add_score_parser
from tokenprobs.cli._show import add_show_parsers
from tokenprobs.cli._views import (
    EXIT_API,
    EXIT_CODES,
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    discard_output,
)
from tokenprobs.exceptions import APIResponseError, MissingDependencyError, TokenprobsError
from tokenprobs.render import visible

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    if sys.stderr is None:  # `2>&-`: print(file=None) would write the error lines into stdout
        sink_path = Path(os.devnull)
        with sink_path.open("w", encoding="utf-8") as sink, contextlib.redirect_stderr(sink):
            return _main(argv)
    return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # named by the subcommand, with its usage: `tokenprobs show: error: ...`
        getattr(args, "subparser", parser).error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    if sys.stdout is None:  # Python's value for a closed standard output (`>&-`)
        msg = "standard output is closed (>&-): nothing could be shown; redirect it instead"
        return _fail(UsageError(msg), args, EXIT_USAGE)
    _utf8_output(sys.stdout)
    with warnings.catch_warnings():  # the caller's way of showing warnings back after the run
        warnings.showwarning = _warning_line(args)
        return _run(args)


def _utf8_output(out: TextIO) -> None:
    r"""Make `out` write what tokenprobs shows (`·`, `▸`, any script's tokens) without failing.

    A file or a pipe gets UTF-8, what JSON is and what the HTML page declares (Windows gives a
    redirected output the ANSI code page, cp1252, which has neither `▸` nor Hangul); a terminal
    keeps its encoding, and what it cannot show is written as `\u25b8`, not a traceback.
    """
    encoding = getattr(out, "encoding", None) or "utf-8"
    if codecs.lookup(encoding).name == "utf-8" or not isinstance(out, io.TextIOWrapper):
        return
    if out.isatty():
        out.reconfigure(errors="backslashreplace")
    else:
        out.reconfigure(encoding="utf-8")


def _warning_line(args: argparse.Namespace) -> Callable[..., None]:
    """A `warnings.showwarning` that prints `tokenprobs: warning: ...` as one line.

    Python's own shows the file and line of tokenprobs' source that warned, which tell someone
    at a terminal nothing; the message may quote a file or a server: it is shown escaped, with
    the key as `***`, as error lines are.
    """

    def show(message: Warning | str, *_: object, **__: object) -> None:
        line = visible(redact(str(message), secrets_of(args)), keep=" ")
        print(f"tokenprobs: warning: {line}", file=sys.stderr)  # noqa: T201

    return show


def _run(args: argparse.Namespace) -> int:
    """Run the subcommand; each failure is one line and its exit code."""
    try:
        code: int = args.run(args)
    except BrokenPipeError:  # demo, ask: nothing failed that the reader did not read
        discard_output()
        return 0
    except KeyboardInterrupt:
        print("tokenprobs: interrupted", file=sys.stderr)  # noqa: T201
        return EXIT_INTERRUPTED
    except (UsageError, MissingDependencyError) as exc:
        return _fail(exc, args, EXIT_USAGE)
    except APIResponseError as exc:
        return _fail(exc, args, EXIT_API)
    except (InputError, TokenprobsError) as exc:
        return _fail(exc, args, EXIT_INPUT)
    return code


def _fail(exc: Exception, args: argparse.Namespace, code: int) -> int:
    """Print `exc` as one `tokenprobs: ...` line, without the key or URL credentials.

    The message may quote a file or a server (an API error's text): its control characters are
    shown escaped, never sent to the terminal.
    """
    line = visible(redact(str(exc), secrets_of(args)), keep=" \n")
    print(f"tokenprobs: {line}", file=sys.stderr)  # noqa: T201
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tokenprobs",
        description="See an LLM's token probabilities: every token with its probability, "
        "and the alternatives where the model was unsure.",
        epilog="exit codes: " + ", ".join(f"{code} {meaning}" for code, meaning in EXIT_CODES),
    )
    parser.add_argument(
        "--version", action="version", version=f"tokenprobs {tokenprobs.__version__}"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_show_parsers(sub)
    add_ask_parser(sub)
    add_score_parser(sub)
    add_playground_parser(sub)
    for command in sub.choices.values():
        command.set_defaults(subparser=command)
    return parser
