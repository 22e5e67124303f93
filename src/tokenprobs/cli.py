"""The `tokenprobs` command: `demo`, `show FILE`, `ask PROMPT`.

Exit codes: 0 success, 2 usage error (argparse's), 3 input that cannot be parsed (file missing,
binary, too large, not a response), 4 an API error, 5 a request the guards refused, 6 some lines
of a Batch output file failed (the others are shown, each failure in its place).
"""

from __future__ import annotations

import argparse
import html
import importlib.resources
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pydantic_core

from tokenprobs import render
from tokenprobs._cells import MODES, canonical_mode, plural
from tokenprobs.adapters import parse_all
from tokenprobs.batch import read_results
from tokenprobs.exceptions import APIResponseError, MissingDependencyError, TokenprobsError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tokenprobs.models import TokenDistribution

__all__ = ["EXIT_API", "EXIT_GUARD", "EXIT_INPUT", "EXIT_SOME_FAILED", "EXIT_USAGE", "main"]

EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_API = 4
EXIT_GUARD = 5
EXIT_SOME_FAILED = 6

DEMO_FILE = "chat_gpt-4o-mini_top2_openai_apiref_example.json"
MAX_BYTES = 256 * 1024 * 1024
Format = Literal["text", "html", "json"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        code: int = args.run(args)
    except MissingDependencyError as exc:
        print(f"tokenprobs: {exc}", file=sys.stderr)  # noqa: T201
        return EXIT_USAGE
    except APIResponseError as exc:
        print(f"tokenprobs: {exc}", file=sys.stderr)  # noqa: T201
        return EXIT_API
    except TokenprobsError as exc:
        print(f"tokenprobs: {exc}", file=sys.stderr)  # noqa: T201
        return EXIT_INPUT
    except BrokenPipeError:
        return 0
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tokenprobs",
        description="See an LLM's token probabilities: every token with its probability, "
        "and the alternatives where the model was unsure.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="show a bundled real response (no key, no network)")
    _add_view_options(demo)
    demo.set_defaults(run=_run_demo, top=20)  # the bundled answer is short: detail every token

    show = sub.add_parser(
        "show", help="show a saved response: JSON, JSONL (one response per line) or an SSE capture"
    )
    show.add_argument("file", type=Path, help="the file; - reads standard input")
    show.add_argument("--choice", type=int, default=None, help="only this choice (n > 1)")
    show.add_argument(
        "--max-bytes", type=int, default=MAX_BYTES, help="refuse files larger than this"
    )
    _add_view_options(show)
    show.set_defaults(run=_run_show)

    _add_ask(sub)
    return parser


def _add_ask(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `ask` (its code lives beside the client, in `_cli_ask`)."""
    import importlib  # noqa: PLC0415

    try:
        ask = importlib.import_module("tokenprobs._cli_ask")
    except ModuleNotFoundError:  # the client's part has not landed
        return
    ask.add_ask_parser(sub)


def _add_view_options(p: argparse.ArgumentParser) -> None:
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
    p.add_argument("--top", type=int, default=5, help="how many uncertain positions to detail")


def _mode(value: str) -> str:
    try:
        return canonical_mode(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _run_demo(args: argparse.Namespace) -> int:
    data = importlib.resources.files("tokenprobs").joinpath("data", DEMO_FILE).read_bytes()
    _emit(parse_all(data), args)
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
    _emit(dists, args)
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


Item = tuple[str, "TokenDistribution | TokenprobsError"]
"""A labelled result: a distribution, or the error of a Batch output line that failed."""


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
    _emit_items(items, args, batch=True)
    failed = sum(isinstance(r, TokenprobsError) for _, r in items)
    if failed:
        print(  # noqa: T201
            f"tokenprobs: {failed} of {plural(len(items), 'line')} failed", file=sys.stderr
        )
        return EXIT_SOME_FAILED
    return 0


def _emit(dists: list[TokenDistribution], args: argparse.Namespace) -> None:
    """Show distributions; several are labelled by their choice."""
    labels = [f"choice {d.choice} ({d.source})" for d in dists] if len(dists) > 1 else [""]
    _emit_items(list(zip(labels, dists, strict=True)), args, batch=False)


def _emit_items(items: list[Item], args: argparse.Namespace, *, batch: bool) -> None:
    """Show labelled results; in JSON, a Batch line is `{"custom_id", "distribution" | "error"}`."""
    fmt: Format = args.format
    out = sys.stdout
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
    console = _rich_console() if _color() else None
    for n, (label, r) in enumerate(items):
        if label:
            out.write(f"{'' if n == 0 else chr(10)}── {label} ──\n")
        if isinstance(r, TokenprobsError):
            out.write(f"failed: {r}\n")
        elif console is not None:
            console.print(render.to_rich(r, mode=args.mode, top=args.top))
        else:
            out.write(render.to_text(r, mode=args.mode, top=args.top, color=_color()))
        out.flush()


def _rich_console() -> Any:  # noqa: ANN401 - rich is optional
    """A rich Console when rich is installed (the `[rich]` extra), else `None`."""
    try:
        from rich.console import Console  # noqa: PLC0415
    except ImportError:
        return None
    return Console()


def _color() -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()


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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
