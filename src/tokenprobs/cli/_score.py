"""`tokenprobs score FILE --model M`: the log-likelihood and perplexity of each line of a file.

Registered by `tokenprobs.cli` (`add_score_parser`). Each non-empty line is one text, scored by
`tokenprobs.scoring.score_many` (one echoed request per text, `--concurrency` at a time, a
progress bar on a terminal); one output line per text, in order: the summed logprob, the count
of tokens with a logprob, the perplexity and the text, tab-separated (or a strict JSON object
per line with `--json`, which also counts the `unscored` tokens). On a terminal a text's control
characters (an `ESC [2J` from the file) are shown escaped, never obeyed; a file or a pipe gets
the text as read.
A file with no text (empty, or blank lines only) is an input error (exit 3), nothing sent.
A text that could not be scored prints its error in its place, and the count on stderr; the
exit code is then 6, also when the reader closed the output first (`| head -1`). Ctrl-C
stops sending: the texts scored are printed, the others say `not run`, and the exit code is 130.
"""

from __future__ import annotations

import json
import math
import re
import sys
from concurrent.futures import CancelledError
from typing import TYPE_CHECKING

import numpy as np

from tokenprobs.cli._args import (
    MAX_TEXT_BYTES,
    InputError,
    count,
    model_name,
    positive,
    read_text,
    utf8,
)
from tokenprobs.cli._ask import CLI_RETRY, NO_KEY_MESSAGE, client_of, one_line
from tokenprobs.cli._redact import secrets_of
from tokenprobs.cli._views import EXIT_INTERRUPTED, EXIT_SOME_FAILED, EXIT_USAGE, written
from tokenprobs.client._many import not_sent
from tokenprobs.render import plural, visible
from tokenprobs.scoring import score_many

if TYPE_CHECKING:
    import argparse

    from tokenprobs.models import TokenDistribution

__all__ = ["add_score_parser", "run_score"]

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
"""What ends a line of the file: not `str.splitlines`' form feeds and Unicode separators
(U+2028, U+0085 ...), which are text inside a line and would cut it into two texts."""


def add_score_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the `score` subcommand on the `tokenprobs` parser's subparsers."""
    p = subparsers.add_parser(
        "score",
        help="the log-likelihood and perplexity of each line of a file, computed by a server "
        "that echoes prompts with logprobs (vLLM, llama-cpp-python, OpenAI base models)",
    )
    p.add_argument("file", help="a text file, one text per line; - reads standard input")
    p.add_argument("--model", required=True, type=model_name, help="the model id (a base model)")
    p.add_argument("--base-url", help="an OpenAI-compatible server (vLLM, llama-cpp-python)")
    p.add_argument("--context", default="", help="text before each line, conditioned on")
    p.add_argument("--concurrency", type=positive, default=8, help="requests at once (default 8)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument(
        "--max-bytes",
        type=count,
        default=MAX_TEXT_BYTES,
        help=f"refuse input larger than this (default {MAX_TEXT_BYTES:,}: 16 MiB)",
    )
    p.set_defaults(run=run_score)


def run_score(args: argparse.Namespace) -> int:
    """Run `tokenprobs score`; return the exit code.

    Raises:
        InputError: The file has no text (empty or blank), or it, `--model` or `--context` is
            not UTF-8.
        TokenprobsError: The file cannot be read, is over `--max-bytes`, UTF-16 or binary.
        UsageError: The base URL is malformed.
    """
    text = read_text(args.file, max_bytes=args.max_bytes, option="--max-bytes")
    lines = _LINE_BREAK.split(text)
    numbers = [n for n, line in enumerate(lines, 1) if line.strip()]  # each text's line
    texts = [lines[n - 1] for n in numbers]
    if not texts:
        name = "standard input" if args.file == "-" else repr(args.file)
        msg = f"{name} has no text to score: every line is empty or blank (one text per line)"
        raise InputError(msg)
    model, context = utf8(args.model, "--model"), utf8(args.context, "--context")
    client = client_of(args)
    if client is None:
        print(NO_KEY_MESSAGE, file=sys.stderr)  # noqa: T201
        return EXIT_USAGE
    try:
        results = score_many(
            texts,
            model=model,
            context=context,
            client=client,
            concurrency=args.concurrency,
            progress=True,
            retry=CLI_RETRY,
        )
    finally:
        client.close()
    errors = _errors(results, numbers, secrets_of(args, client))

    # on a terminal, a text's escape sequences are shown, not obeyed; a file or a pipe gets the
    # text as read (JSON escapes them itself)
    shown = _escaped if not args.json and sys.stdout.isatty() else _as_read

    def write() -> None:
        for text, result, error in zip(texts, results, errors, strict=True):
            print(_line(shown(text), result, error, as_json=args.json))  # noqa: T201

    written(write)  # what failed is said and returned though the reader closed the output
    not_run = sum(isinstance(r, CancelledError) for r in results)
    if not_run:  # Ctrl-C: score_many returned what finished
        why = f"tokenprobs: interrupted ({not_run} of {plural(len(texts), 'text')} not scored)"
        print(why, file=sys.stderr)  # noqa: T201
        return EXIT_INTERRUPTED
    failed = sum(isinstance(r, Exception) for r in results)
    if failed:
        print(f"tokenprobs: {failed} of {plural(len(texts), 'text')} failed", file=sys.stderr)  # noqa: T201
        return EXIT_SOME_FAILED
    return 0


def _errors(
    results: list[TokenDistribution | Exception], numbers: list[int], secrets: frozenset[str]
) -> list[str | None]:
    """Each failed text's error on one line (`None` for a text scored).

    A text not sent because another's request stopped the run (a used-up quota, a server that
    could not be connected to) names both by their line in the file, as the user sees them,
    where `score_many` counts the texts from 0.
    """
    stoppers = {id(r): i for i, r in enumerate(results) if isinstance(r, Exception)}
    errors: list[str | None] = []
    for i, result in enumerate(results):
        if not isinstance(result, Exception):
            errors.append(None)
            continue
        error = one_line(result, secrets)
        first = stoppers.get(id(result.__cause__))
        said = f"{type(result).__name__}: {not_sent(i, first or 0)}"
        if first is not None and error.startswith(said):
            lines = f"line {numbers[i]} was not sent: line {numbers[first]}'s request"
            error = f"{type(result).__name__}: {lines}{error[len(said) :]}"
        errors.append(error)
    return errors


def _line(
    text: str, result: TokenDistribution | Exception, error: str | None, *, as_json: bool
) -> str:
    """One output line: the error in the text's place, or its sum, token count and perplexity.

    The sum and the perplexity are over the tokens with a logprob (a first token without
    context has none); a text with none has both unknown: `nan` in text, `null` in JSON,
    where an infinite value (a token of probability 0) is `null` too, JSON having no infinity.
    """
    if isinstance(result, Exception):
        if as_json:
            return json.dumps({"text": text, "error": error})
        return f"error\t{error}\t{text}"
    scored = ~np.isnan(result.logprobs)
    tokens = int(scored.sum())
    total = float(result.logprobs[scored].sum()) if tokens else math.nan
    ppl = result.perplexity if tokens else math.nan
    if not as_json:
        return f"{total:.6f}\t{tokens}\t{ppl:.6f}\t{text}"
    fields = {
        "text": text,
        "logprob": _finite(total),
        "tokens": tokens,
        "unscored": len(result) - tokens,
        "perplexity": _finite(ppl),
    }
    return json.dumps(fields, allow_nan=False)


def _as_read(text: str) -> str:
    return text


def _escaped(text: str) -> str:
    """`text` for a terminal: spaces as they are, tabs and control characters as marks."""
    return visible(text, keep=" ")


def _finite(x: float) -> float | None:
    """`x`, or `None` (JSON's `null`) for NaN and infinity, which JSON cannot carry."""
    return x if math.isfinite(x) else None
