"""The `tokenprobs` command: `demo`, `show FILE`, `ask PROMPT`.

Exit codes: 0 success, 2 usage error (argparse's), 3 input that cannot be parsed (file missing,
binary, too large, not a response), 4 an API error, 5 a request the guards refused.
"""

from __future__ import annotations

import argparse
import importlib.resources
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tokenprobs.adapters import parse_all
from tokenprobs.exceptions import APIResponseError, MissingDependencyError, TokenprobsError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tokenprobs.models import TokenDistribution

__all__ = ["EXIT_API", "EXIT_GUARD", "EXIT_INPUT", "EXIT_USAGE", "main"]

EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_API = 4
EXIT_GUARD = 5

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
        choices=["prob", "entropy", "margin"],
        default="prob",
        help="what colours the tokens",
    )
    p.add_argument("--top", type=int, default=5, help="how many uncertain positions to detail")


def _run_demo(args: argparse.Namespace) -> int:
    data = importlib.resources.files("tokenprobs").joinpath("data", DEMO_FILE).read_bytes()
    _emit(parse_all(data), args)
    return 0


def _run_show(args: argparse.Namespace) -> int:
    raw = _read(args.file, max_bytes=args.max_bytes)
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
        if len(lines) < 2:  # noqa: PLR2004
            raise
        out: list[TokenDistribution] = []
        for n, line in enumerate(lines, 1):
            try:
                out += parse_all(line)
            except TokenprobsError as exc:
                msg = f"line {n}: {exc}"
                raise type(whole)(msg) from exc
        return out


def _emit(dists: list[TokenDistribution], args: argparse.Namespace) -> None:
    fmt: Format = args.format
    out = sys.stdout
    if fmt == "json":
        for d in dists:
            out.write(d.model_dump_json() + "\n")
        return
    from tokenprobs import render  # noqa: PLC0415

    if fmt == "html":
        out.write(_html_page(dists, args.mode))
        return
    console = _rich_console() if _color() else None
    for n, d in enumerate(dists):
        if len(dists) > 1:
            out.write(f"{'' if n == 0 else chr(10)}── choice {d.choice} ({d.source}) ──\n")
        if console is not None and args.mode == "prob":
            console.print(d)
        else:
            out.write(render.to_text(d, mode=args.mode, top=args.top, color=_color()))


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


def _html_page(dists: list[TokenDistribution], mode: Literal["prob", "entropy", "margin"]) -> str:
    """One standalone page: the first view standalone, the other choices' views inside it."""
    from tokenprobs import render  # noqa: PLC0415

    page = render.to_html(dists[0], mode=mode, standalone=True)
    if len(dists) == 1:
        return page
    rest = "".join(f"<h2>choice {d.choice}</h2>" + render.to_html(d, mode=mode) for d in dists[1:])
    return page.replace("</body>", rest + "</body>", 1)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
