"""`tokenprobs ask PROMPT --model M`: ask a model and show its token distribution.

Registered by `tokenprobs.cli` (`add_ask_parser`); shows the result with the same views as
`demo` and `show`. Exit codes are those of `tokenprobs.cli`: 2 usage (a missing key, a malformed
base URL, a bad number, an empty or blank prompt included), 3 a prompt that is not UTF-8 (or
standard input with no text), 4 an API error (after retries),
5 a request the guards refused, 130 Ctrl-C.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import openai

from tokenprobs._urls import openai_host, redact
from tokenprobs.cli._args import (
    InputError,
    UsageError,
    api_key,
    base_url,
    count,
    model_name,
    positive,
    prompt_text,
    read_text,
    temperature,
    utf8,
)
from tokenprobs.cli._redact import secrets_of
from tokenprobs.cli._views import EXIT_API, EXIT_GUARD, EXIT_USAGE, add_view_options, emit
from tokenprobs.client import ENDPOINTS, RetryPolicy, get_token_distribution
from tokenprobs.client._defaults import NO_KEY
from tokenprobs.exceptions import GuardError, TokenprobsError
from tokenprobs.render import visible

if TYPE_CHECKING:
    import argparse

    from tokenprobs.models import TokenDistribution

__all__ = ["CLI_RETRY", "NO_KEY_MESSAGE", "add_ask_parser", "client_of", "one_line", "run_ask"]

NO_KEY_MESSAGE = (
    "tokenprobs: no API key: set OPENAI_API_KEY, or pass --base-url (or set OPENAI_BASE_URL) "
    "for an OpenAI-compatible server, which needs none; `tokenprobs demo` and "
    "`tokenprobs show FILE` work offline"
)
CLI_RETRY = RetryPolicy(max_attempts=3, max_time=30.0)
"""Fewer, shorter retries than the library's default: someone is waiting at a terminal."""


def add_ask_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the `ask` subcommand on the `tokenprobs` parser's subparsers."""
    ask = subparsers.add_parser(
        "ask",
        help="ask a model (OPENAI_API_KEY, or --base-url for a compatible server) and show "
        "its token probabilities",
    )
    ask.add_argument(
        "prompt", type=prompt_text, help="the prompt (one user message); - reads standard input"
    )
    ask.add_argument("--model", required=True, type=model_name, help="the model id")
    ask.add_argument(
        "--top-logprobs", type=count, default=5, help="alternatives per position (default 5)"
    )
    ask.add_argument(
        "--endpoint", choices=ENDPOINTS, default="chat.completions", help="which API to call"
    )
    ask.add_argument(
        "--base-url", help="an OpenAI-compatible server (vLLM, llama.cpp ...); no key needed"
    )
    ask.add_argument("--max-tokens", type=positive, help="cap the answer's length (at least 1)")
    ask.add_argument("--temperature", type=temperature, help="sampling temperature (0 or more)")
    ask.add_argument("--json", action="store_true", help="print the distribution as JSON")
    add_view_options(ask)
    ask.set_defaults(run=run_ask)


def client_of(args: argparse.Namespace, **options: Any) -> openai.OpenAI | None:  # noqa: ANN401
    """The client for the command line, or `None` when there is no key and no `--base-url`.

    Raises:
        UsageError: The base URL (`--base-url` or `OPENAI_BASE_URL`) is not an http(s) URL, or
            `OPENAI_API_KEY` holds what no HTTP header can carry (a line break, a curly quote).
    """
    key = api_key()
    url = base_url(args)
    if not key and (url is None or openai_host(urlsplit(url).hostname)):
        return None
    return openai.OpenAI(api_key=key or NO_KEY, base_url=url, max_retries=0, **options)


def run_ask(args: argparse.Namespace) -> int:
    """Run `tokenprobs ask`; return the exit code.

    Raises:
        UsageError: The base URL is malformed, the key cannot be sent, or `--json` comes with
            `--format html`.
        InputError: The prompt (or standard input), or `--model`, is not UTF-8, or standard
            input has no text (empty or blank).
    """
    if args.json and args.format == "html":
        msg = "--json is --format json, and --format html was given too: keep one of them"
        raise UsageError(msg)
    prompt = read_text("-") if args.prompt == "-" else utf8(args.prompt, "the prompt")
    if not prompt.strip():  # the argument's was checked by argparse: this is standard input's
        msg = (
            "standard input has no text: there is no question to ask (pipe one in, or give it in "
            "place of -)"
        )
        raise InputError(msg)
    model = utf8(args.model, "--model")
    client = client_of(args)
    if client is None:
        print(NO_KEY_MESSAGE, file=sys.stderr)  # noqa: T201
        return EXIT_USAGE
    kwargs: dict[str, Any] = {}  # Any: the values go to create(), typed by the SDK
    if args.max_tokens is not None:
        kwargs["max_tokens" if args.endpoint != "responses" else "max_output_tokens"] = (
            args.max_tokens
        )
    if args.temperature is not None:
        kwargs["temperature"] = args.temperature
    try:
        d: TokenDistribution = get_token_distribution(
            prompt,
            model=model,
            top_logprobs=args.top_logprobs,
            endpoint=args.endpoint,
            client=client,
            retry=CLI_RETRY,
            **kwargs,
        )
    except GuardError as exc:
        why = visible(redact(str(exc), secrets_of(args, client)), keep=" \n")
        print(f"tokenprobs: refused before sending: {why}", file=sys.stderr)  # noqa: T201
        return EXIT_GUARD
    except (openai.APIError, TokenprobsError) as exc:
        print(f"tokenprobs: {one_line(exc, secrets_of(args, client))}", file=sys.stderr)  # noqa: T201
        return EXIT_API
    finally:
        client.close()
    if args.json:
        args.format = "json"
    emit([d], args)
    return 0


def one_line(exc: BaseException, secrets: frozenset[str] = frozenset()) -> str:
    """An error and its notes on one line, for a terminal, with each of `secrets` as `***`.

    The message may quote a server: its control characters (an `ESC [2J` that would clear the
    screen, a carriage return, a bidi override) are shown escaped, as `render.visible` shows them.
    """
    what = f"{type(exc).__name__}: {exc}"
    notes = getattr(exc, "__notes__", ())
    return visible(redact(" ".join([what, *notes]).replace("\n", " "), secrets), keep=" ")
