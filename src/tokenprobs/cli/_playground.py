"""`tokenprobs playground [--base-url URL] [--model M]`: the local web page (needs `[playground]`).

The app is imported only when the command runs, so `tokenprobs --help` works without the extra,
and the command without it fails with the install line (exit 2).
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

from tokenprobs._optional import require
from tokenprobs.cli._args import api_key, base_url, model_name, port, utf8
from tokenprobs.cli._views import EXIT_USAGE

if TYPE_CHECKING:
    import argparse

__all__ = ["add_playground_parser", "run_playground"]


def add_playground_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the `playground` subcommand on the `tokenprobs` parser's subparsers."""
    p = subparsers.add_parser(
        "playground",
        help="a local web page: answers token by token, coloured by probability, with branching",
    )
    p.add_argument(
        "--base-url",
        help="an OpenAI-compatible server (vLLM, llama.cpp ...; default OPENAI_BASE_URL, else "
        "OpenAI's API with OPENAI_API_KEY)",
    )
    p.add_argument("--model", type=model_name, help="the model the page proposes")
    p.add_argument(
        "--profile",
        choices=("openai", "vllm", "llama.cpp", "compatible"),
        help="the guards' rules (default: detected from the server's answers, else its URL)",
    )
    p.add_argument(
        "--chat",
        action="store_true",
        help="start with chat messages rather than a raw completion prompt",
    )
    p.add_argument(
        "--port",
        type=port,
        default=0,
        help="the port on 127.0.0.1, 0 to 65535 (default 0: a free one)",
    )
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.set_defaults(run=run_playground)


def run_playground(args: argparse.Namespace) -> int:
    """Run `tokenprobs playground` until Ctrl-C; return the exit code.

    Raises:
        MissingDependencyError: The `[playground]` extra is not installed.
        UsageError: The base URL (`--base-url` or `OPENAI_BASE_URL`) is not an http(s) URL, or
            `OPENAI_API_KEY` is one no HTTP header can carry.
        InputError: `--model` is not UTF-8.
    """
    began = time.perf_counter()
    api_key()  # a key no header can carry: said now, not as every request's failure on the page
    url = base_url(args)
    model = None if args.model is None else utf8(args.model, "--model")
    feature = "tokenprobs playground"
    for module in ("starlette", "uvicorn"):
        require(module, extra="playground", feature=feature)
    # imported when run, like the extra's own modules: `tokenprobs --help` needs neither
    playground = require("tokenprobs.playground", extra="playground", feature=feature)
    try:
        playground.serve(
            playground.Upstream.from_env(url, profile=args.profile),
            model=model,
            endpoint="chat.completions" if args.chat else "completions",
            port=args.port,
            open_browser=not args.no_browser,
            began=began,
        )
    except KeyboardInterrupt:
        return 0
    except OSError as exc:  # the port: taken, or not ours to bind
        why = f"tokenprobs: cannot listen on 127.0.0.1:{args.port}: {exc.strerror}"
        print(why, file=sys.stderr)  # noqa: T201
        return EXIT_USAGE
    return 0
