"""`tokenprobs demo` and `tokenprobs show FILE`: a bundled or saved response, viewed."""

from __future__ import annotations

import importlib.resources
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pydantic_core

from tokenprobs.adapters import parse_all
from tokenprobs.batch import read_results
from tokenprobs.cli._views import (
    EXIT_INPUT,
    EXIT_SOME_FAILED,
    Item,
    add_view_options,
    emit,
    emit_items,
)
from tokenprobs.exceptions import APIResponseError, TokenprobsError
from tokenprobs.render import plural

if TYPE_CHECKING:
    import argparse

    from tokenprobs.models import TokenDistribution

__all__ = ["add_show_parsers"]

DEMO_FILE = "chat_gpt-4o-mini_top2_openai_apiref_example.json"
MAX_BYTES = 256 * 1024 * 1024


def add_show_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `demo` and `show` on the `tokenprobs` parser's subparsers."""
    demo = sub.add_parser("demo", help="show a bundled real response (no key, no network)")
    add_view_options(demo)
    demo.set_defaults(run=_run_demo, top=20)  # the bundled answer is short: detail every token

    show = sub.add_parser(
        "show", help="show a saved response: JSON, JSONL (one response per line) or an SSE capture"
    )
    show.add_argument("file", type=Path, help="the file; - reads standard input")
    show.add_argument("--choice", type=int, default=None, help="only this choice (n > 1)")
    show.add_argument(
        "--max-bytes", type=int, default=MAX_BYTES, help="refuse files larger than this"
    )
    add_view_options(show)
    show.set_defaults(run=_run_show)


def _run_demo(args: argparse.Namespace) -> int:
    data = importlib.resources.files("tokenprobs").joinpath("data", DEMO_FILE).read_bytes()
    emit(parse_all(data), args)
    return 0


def _run_show(args: argparse.Namespace) -> int:
    raw = _read(args.file, max_bytes=args.max_bytes)
    if _is_batch_output(raw):
        return _show_batch(raw, args)
    dists = _parse_file(raw)
    if args.choice is not None:
        dists = [d for d in dists if d.choice == args.choice]
        if not dists:
            print(f"tokenprobs: no choice {args.choice} in {args.file}", file=sys.stderr)  # noqa: T201
            return EXIT_INPUT
    emit(dists, args)
    return 0


def _read(path: Path, *, max_bytes: int) -> bytes:
    """The file's bytes, refusing what is too large or plainly binary (nothing is evaluated)."""
    if str(path) == "-":
        raw = sys.stdin.buffer.read(max_bytes + 1)
    else:
        try:
            size = path.stat().st_size
        except OSError as exc:
            msg = f"cannot read {path}: {exc.strerror}"
            raise TokenprobsError(msg) from exc
        if not path.is_file():
            msg = f"{path} is not a file"
            raise TokenprobsError(msg)
        if size > max_bytes:
            msg = f"{path} is {size:,} bytes, over the limit of {max_bytes:,} (--max-bytes)"
            raise TokenprobsError(msg)
        raw = path.read_bytes()
    if len(raw) > max_bytes:
        msg = f"the input is over the limit of {max_bytes:,} bytes (--max-bytes)"
        raise TokenprobsError(msg)
    if b"\x00" in raw[:8192]:
        msg = f"{path} looks binary (it has NUL bytes): expected JSON, JSONL or SSE text"
        raise TokenprobsError(msg)
    return raw


def _parse_file(raw: bytes) -> list[TokenDistribution]:
    """A JSON response, an SSE capture or NDJSON stream; else one response per line (JSONL)."""
    try:
        return parse_all(raw)
    except APIResponseError:
        raise
    except TokenprobsError as whole:
        lines = [ln for ln in raw.splitlines() if ln.strip()]
        if len(lines) < 2 or not _is_json(lines[0]):  # noqa: PLR2004 - not JSONL: the whole error
            raise
        out: list[TokenDistribution] = []
        for n, line in enumerate(lines, 1):
            try:
                out += parse_all(line)
            except TokenprobsError as exc:
                msg = f"line {n}: {exc}"
                raise type(whole)(msg) from exc
        return out


def _is_json(line: bytes) -> bool:
    try:
        pydantic_core.from_json(line)
    except ValueError:  # not JSON, or nested too deep to read
        return False
    return True


def _is_batch_output(raw: bytes) -> bool:
    """The first line is a Batch output (or error) line: `custom_id` and a response or error."""
    first = next((ln for ln in raw.splitlines() if ln.strip()), b"")
    try:
        obj = pydantic_core.from_json(first)
    except ValueError:  # not JSON, or nested too deep to read
        return False
    return isinstance(obj, dict) and "custom_id" in obj and ("response" in obj or "error" in obj)


def _show_batch(raw: bytes, args: argparse.Namespace) -> int:
    """Every line of a Batch output file, labelled by `custom_id`; failed lines in place."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "batch_output.jsonl"  # read_results reads a file: stdin included
        path.write_bytes(raw)
        items: list[Item] = []
        try:
            items.extend(read_results(path))
        except TokenprobsError as exc:  # a line that is not a Batch output line at all
            where = "standard input" if str(args.file) == "-" else str(args.file)
            items.append(("?", type(exc)(str(exc).replace(repr(str(path)), where))))
    emit_items(items, args, batch=True)
    failed = sum(isinstance(r, TokenprobsError) for _, r in items)
    if failed:
        print(  # noqa: T201
            f"tokenprobs: {failed} of {plural(len(items), 'line')} failed", file=sys.stderr
        )
        return EXIT_SOME_FAILED
    return 0
