"""`tokenprobs demo` and `tokenprobs show FILE`: a bundled or saved response, viewed."""

from __future__ import annotations

import importlib.resources
import io
import sys
from collections import Counter
from typing import TYPE_CHECKING, TypeAlias

import pydantic_core

from tokenprobs._batch_lines import not_json
from tokenprobs._warn import warn
from tokenprobs.adapters import parse_all
from tokenprobs.adapters._plausible import capped
from tokenprobs.batch import BOM, numbered_results
from tokenprobs.cli._args import count, read_bytes
from tokenprobs.cli._views import (
    EXIT_SOME_FAILED,
    add_view_options,
    emit,
    emit_items,
    written,
)
from tokenprobs.exceptions import APIResponseError, TokenprobsError, UnsupportedResponseError
from tokenprobs.render import plural

if TYPE_CHECKING:
    import argparse

    from tokenprobs.models import TokenDistribution

__all__ = ["add_show_parsers"]

DEMO_FILE = "chat_gpt-4o-mini_top2_openai_apiref_example.json"
MAX_BYTES = 256 * 1024 * 1024

Row: TypeAlias = "tuple[int, str, TokenDistribution | TokenprobsError]"
"""A result of a file: its line number (0: the whole file), its label, a distribution or error."""


def add_show_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `demo` and `show` on the `tokenprobs` parser's subparsers."""
    demo = sub.add_parser("demo", help="show a bundled real response (no key, no network)")
    add_view_options(demo)
    demo.set_defaults(run=_run_demo, top=20)  # the bundled answer is short: detail every token

    show = sub.add_parser(
        "show", help="show a saved response: JSON, JSONL (one response per line) or an SSE capture"
    )
    # a str, not a Path: Path("./-") is "-", which would read standard input, not the file
    show.add_argument("file", help="the file; - reads standard input (./- is a file named -)")
    show.add_argument(
        "--choice", type=count, default=None, help="only this choice (n > 1; 0 or more)"
    )
    show.add_argument(
        "--max-bytes", type=count, default=MAX_BYTES, help="refuse files larger than this"
    )
    show.add_argument(
        "--top-logprobs",
        type=count,
        default=None,
        metavar="K",
        help="the top_logprobs the request(s) asked for: warn if the server sent fewer everywhere",
    )
    add_view_options(show)
    show.set_defaults(run=_run_show)


def _run_demo(args: argparse.Namespace) -> int:
    data = importlib.resources.files("tokenprobs").joinpath("data", DEMO_FILE).read_bytes()
    emit(parse_all(data), args)
    return 0


def _run_show(args: argparse.Namespace) -> int:
    raw = _read(args.file, max_bytes=args.max_bytes)
    _refuse_batch_input(raw, args.file)
    own = _is_own_output(raw)
    batch = own or _is_batch_output(raw)
    if own:
        rows = _own_rows(raw, as_json=args.format == "json")
    else:
        rows = _batch_rows(raw, args) if batch else _file_rows(raw)
    shown = _chosen(rows, args.choice)
    if not shown:  # only when --choice names a choice no line has; main shows the name escaped
        msg = f"no choice {args.choice} in {args.file}"
        raise TokenprobsError(msg)
    answers = [r for _, _, r in rows if not isinstance(r, TokenprobsError)]
    if (why := capped(answers, args.top_logprobs)) is not None:  # every line's, taken together
        warn(why)
    failed = sum(isinstance(r, TokenprobsError) for _, _, r in shown)
    if not batch and not failed and all(number == 0 for number, _, _ in shown):  # one response
        emit([r for _, _, r in shown if not isinstance(r, TokenprobsError)], args)
        return 0
    written(lambda: emit_items([(label, r) for _, label, r in shown], args, batch=batch))
    if failed:  # said and returned though the reader closed the output before the failures
        lines = len({number for number, _, _ in rows})
        print(f"tokenprobs: {failed} of {plural(lines, 'line')} failed", file=sys.stderr)  # noqa: T201
        return EXIT_SOME_FAILED
    return 0


def _chosen(rows: list[Row], choice: int | None) -> list[Row]:
    """The rows of `--choice` (failed lines kept in place); none when no line has that choice."""
    if choice is None or not rows:
        return rows
    if all(isinstance(r, TokenprobsError) for _, _, r in rows):
        return rows  # every line failed: there is no choice to look for, only failures to show
    kept = [row for row in rows if isinstance(row[2], TokenprobsError) or row[2].choice == choice]
    return kept if any(not isinstance(r, TokenprobsError) for _, _, r in kept) else []


def _read(path: str, *, max_bytes: int) -> bytes:
    """The file's bytes, refusing what is too large or plainly binary (nothing is evaluated).

    A pipe is read as a file is (`tokenprobs show <(curl ...)`), up to the limit: only a regular
    file has a size before it is read. A leading UTF-8 byte order mark is dropped.
    """
    name = "standard input" if path == "-" else path
    raw = read_bytes(path, name=name, max_bytes=max_bytes, option="--max-bytes")
    raw = raw.removeprefix(BOM)  # Windows tools (Notepad, PowerShell) start text with one
    if not raw.strip():
        msg = f"{name} is empty: no response in it (not JSON, JSONL or an SSE capture)"
        raise TokenprobsError(msg)
    return raw


def _file_rows(raw: bytes) -> list[Row]:
    """A JSON response, an SSE capture or NDJSON stream; else one response per line (JSONL).

    In a JSONL file a line that fails is its error, in its place, and the others are read (the
    first line too: a log cut at its start); when no line can be read, the first line's error is
    raised (naming it), or the whole file's when that line is not JSON (a cut pretty-printed
    response).
    """
    try:
        return [(0, "", d) for d in parse_all(raw)]
    except TokenprobsError as whole:
        lines = [ln for ln in raw.splitlines() if ln.strip()]
        if len(lines) < 2 or _first_object(lines) is None:  # noqa: PLR2004 - not JSONL
            raise
        rows = [row for n, line in enumerate(lines, 1) for row in _line_rows(n, line)]
        errors = [r for _, _, r in rows if isinstance(r, TokenprobsError)]
        if len(errors) == len(rows):  # no line is a response: the file is not JSONL of them
            if isinstance(whole, APIResponseError) or not _is_json(lines[0]):
                raise
            msg = f"line {rows[0][0]}: {errors[0]}"
            raise type(whole)(msg) from errors[0]
        return rows


_CUT_LOG = "the file is truncated (a log cut as it was written, or a copy that stopped)"


def _line_rows(n: int, line: bytes) -> list[Row]:
    """The rows of one JSONL line: each choice, labelled by the line; or the line's error.

    A line that is not JSON says where, in its own bytes (`parse` counts lines of what it was
    given: "line 1" of line 7), or that it is cut short.
    """
    try:
        pydantic_core.from_json(line)
    except ValueError as exc:
        why = f"line {n} {not_json(line, exc, fix=_CUT_LOG)}"
        return [(n, f"line {n}", UnsupportedResponseError(why))]
    try:
        dists = parse_all(line)
    except TokenprobsError as exc:
        return [(n, f"line {n}", exc)]
    return [(n, _label(f"line {n}", d, len(dists)), d) for d in dists]


def _label(name: str, d: TokenDistribution, choices: int) -> str:
    """`name`, with the choice when its line has several."""
    return f"{name} · choice {d.choice}" if choices > 1 else name


def _is_json(line: bytes) -> bool:
    try:
        pydantic_core.from_json(line)
    except ValueError:  # not JSON, or nested too deep to read
        return False
    return True


_LOOK = 8
"""How many lines to look through for the first JSON object (lines before it may be cut)."""


def _first_object(lines: list[bytes]) -> dict[str, object] | None:
    """The first of the first few lines that is a JSON object, read; `None` if none is."""
    for line in lines[:_LOOK]:
        try:
            obj = pydantic_core.from_json(line)
        except ValueError:  # not JSON (a cut line), or nested too deep to read
            continue
        if isinstance(obj, dict):
            return obj
    return None


def _refuse_batch_input(raw: bytes, source: str) -> None:
    """Refuse a Batch input file (requests: `custom_id`, `method`, `url`, `body`), saying which.

    Raises:
        TokenprobsError: The first JSON line is a request line.
    """
    obj = _first_object([ln for ln in raw.splitlines()[:_LOOK] if ln.strip()])
    if obj is None or not {"custom_id", "body", "url"} <= obj.keys() or "response" in obj:
        return
    name = "standard input" if source == "-" else source
    msg = (
        f"{name} is a Batch input file: its lines are requests (custom_id, method, url, body), "
        "not results; show the batch's output file, client.files.content("
        "batch.output_file_id).write_to_file(path)"
    )
    raise TokenprobsError(msg)


def _is_own_output(raw: bytes) -> bool:
    """The first JSON line is one `show --format json` wrote of a Batch file (or a JSONL log).

    `{"custom_id", "distribution"}`, or `{"custom_id", "error"}` with the error's message: a
    Batch error line's `error` is an object.
    """
    obj = _first_object([ln for ln in raw.splitlines()[:_LOOK] if ln.strip()])
    return (
        obj is not None
        and "custom_id" in obj
        and ("distribution" in obj or isinstance(obj.get("error"), str))
    )


def _own_rows(raw: bytes, *, as_json: bool) -> list[Row]:
    """The lines `show --format json` wrote, read back: each its `custom_id` and result.

    A choice of `n > 1` is a line of its own, with the same `custom_id`; in text, those are
    labelled by their choice, as when the Batch file itself is shown.
    """
    found: list[tuple[int, str, TokenDistribution | TokenprobsError]] = []
    for number, line in enumerate(raw.splitlines(), 1):
        if line.strip():
            found.append((number, *_own_line(line, number)))
    several = {cid for _, cid, r in found if not isinstance(r, TokenprobsError) and r.choice}
    rows: list[Row] = []
    for number, cid, r in found:
        label = cid if as_json else cid or f"line {number}"
        if not as_json and not isinstance(r, TokenprobsError) and cid in several:
            label = _label(label, r, 2)
        rows.append((number, label, r))
    return rows


def _own_line(line: bytes, number: int) -> tuple[str, TokenDistribution | TokenprobsError]:
    """One line `show --format json` wrote: its `custom_id`, and its distribution or error."""
    try:
        obj = pydantic_core.from_json(line)
    except ValueError as exc:
        return "", TokenprobsError(f"line {number} is not JSON ({exc})")
    cid = obj.get("custom_id") if isinstance(obj, dict) else None
    if not isinstance(cid, str):
        msg = f"line {number} has no custom_id, unlike the first (what show --format json writes)"
        return "", TokenprobsError(msg)
    if isinstance(obj.get("error"), str):
        return cid, TokenprobsError(obj["error"])
    try:
        (d,) = parse_all(obj.get("distribution"))
    except TokenprobsError as exc:
        return cid, exc
    return cid, d


def _is_batch_output(raw: bytes) -> bool:
    """The first JSON line is a Batch output (or error) line: `custom_id` and a response or error.

    Lines before it that are not JSON (a file cut at its start) are the Batch file's failed lines.
    """
    obj = _first_object([ln for ln in raw.splitlines()[: _LOOK * 4] if ln.strip()])
    return obj is not None and "custom_id" in obj and ("response" in obj or "error" in obj)


def _batch_rows(raw: bytes, args: argparse.Namespace) -> list[Row]:
    """Every line of a Batch output file, labelled by `custom_id` (and choice); failures in place.

    In JSON the label is the `custom_id` as written (`""` when a line has none legible).
    """
    where = "standard input" if args.file == "-" else args.file
    found = list(numbered_results(io.BytesIO(raw), where=where))
    per_line = Counter(number for number, _, _ in found)
    rows: list[Row] = []
    for number, cid, r in found:
        if args.format == "json":
            label = cid
        else:
            label = cid or f"line {number}"
            if not isinstance(r, TokenprobsError):
                label = _label(label, r, per_line[number])
        rows.append((number, label, r))
    return rows
