"""OpenAI Batch API files: write the input JSONL, read the output JSONL into distributions.

`write_requests` writes one guard-checked request per line, each with a stable `custom_id`;
`read_results` streams an output (or error) file into `(custom_id, distribution or error)`
pairs (one per choice), one line in memory at a time, through the raw-JSON path of `tp.parse`
(bytes to columns, no SDK objects built); a line that failed or cannot be read is its error, in
its place. Uploading, creating and polling the batch are three SDK calls: `docs/batch.md`
shows them.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tokenprobs._batch_body import body_kwargs
from tokenprobs._batch_lines import batch_line, line_distributions, salvaged_id
from tokenprobs._endpoints import ENDPOINTS
from tokenprobs._files import atomic_file
from tokenprobs._gc import paused_gc
from tokenprobs._listed import not_one_text
from tokenprobs._said import a_type, check_items
from tokenprobs._warn import warn
from tokenprobs.adapters._plausible import Held, checked_asked
from tokenprobs.client._defaults import servable
from tokenprobs.client._request import build_params, check_json, check_options, guard
from tokenprobs.exceptions import TokenprobsError, UnsupportedResponseError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tokenprobs._endpoints import Endpoint
    from tokenprobs.client import Prompt
    from tokenprobs.guards import GuardMode
    from tokenprobs.models import TokenDistribution

__all__ = ["URLS", "read_results", "write_requests"]

URLS: dict[str, str] = {name: info.batch_url for name, info in ENDPOINTS.items()}
"""The Batch API `url` (and `endpoint` of `batches.create`) of each endpoint."""

BOM = b"\xef\xbb\xbf"
"""The UTF-8 byte order mark Windows tools (Notepad, PowerShell) put before a file's text."""


def refuse_utf16(head: bytes, /, *, name: str = "the file") -> None:
    """Refuse a file whose first bytes `head` are a UTF-16 byte order mark, saying how to convert.

    `name` is what the message calls the input (`"standard input"` for a pipe).

    Raises:
        UnsupportedResponseError: The file is UTF-16 (what Windows PowerShell's `>` writes).
    """
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        msg = (
            f"{name} is UTF-16 (it starts with a UTF-16 byte order mark, as Windows "
            "PowerShell's `>` writes), not UTF-8: convert it, e.g. `Get-Content in.jsonl | "
            "Set-Content -Encoding utf8 out.jsonl` or `iconv -f UTF-16 -t UTF-8 in.jsonl`"
        )
        raise UnsupportedResponseError(msg)


def custom_id(index: int, body: Mapping[str, object]) -> str:
    """A stable id: the line's index and a digest of its body (same input, same ids).

    Examples:
        >>> custom_id(7, {"model": "m"})
        'tp-000007-548f58d1c36c'
    """
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # surrogatepass: an id for any body given (write_requests refuses a lone surrogate before)
    digest = hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"tp-{index:06d}-{digest}"


def write_requests(
    path: str | os.PathLike[str],
    prompts: Iterable[Prompt] | Mapping[str, Prompt],
    /,
    *,
    model: str,
    top_logprobs: int = 5,
    endpoint: Endpoint = "chat.completions",
    guards: GuardMode = "strict",
    base_url: str | None = None,
    **create_kwargs: object,
) -> list[str]:
    """Write a Batch API input file asking for logprobs, one guard-checked request per line.

    The file appears complete or not at all (written beside `path`, then renamed): whatever is
    refused, nothing is written.

    Args:
        path: Where to write the JSONL file.
        prompts: A list of prompt strings or lists of messages; or a mapping from your own
            `custom_id`s (strings) to them. Otherwise ids are `tp-<index>-<digest of the body>`,
            stable across runs.
        model: The model id.
        top_logprobs: Alternatives per position (`logprobs=k` on legacy Completions).
        endpoint: `"chat.completions"`, `"responses"` or `"completions"`.
        guards: `"strict"` refuses the whole file if one line would be refused; `"warn"`;
            `"off"`.
        base_url: The base URL the batch will run against (selects the guards' profile).
        **create_kwargs: Added to every request body (`temperature`, `max_tokens` ...);
            `extra_body`'s fields are merged in, as the SDK does.

    Returns:
        The `custom_id` of each line, in order.

    Raises:
        GuardError: A line the API would refuse (a note names its index and `custom_id`).
        ValueError: `extra_headers`, `extra_query` or `timeout` (a file has none), `messages`,
            `prompt` or `input` (the prompts give them), a NaN or infinite number, an empty
            `model` or `custom_id`, a `custom_id` given twice, or a `base_url` that is no
            `http(s)://` URL.
        TypeError: `prompts` is one `str`; a prompt is not a str or list of messages (a note
            names its index); `model`, `base_url` or a `custom_id` is not a str; a mapping in
            the body has a key that is not a str.
        IsADirectoryError: `path` is a folder (nothing is read).
        FileNotFoundError: `path`'s folder does not exist (nothing is read).
    """
    check_options(model=model, endpoint=endpoint, guards=guards)
    servable(base_url, "base_url")
    kwargs = body_kwargs(create_kwargs, endpoint)
    ids: list[str] = []
    seen: set[str] = set()
    with atomic_file(path, writer="write_requests") as tmp, tmp.open("w", encoding="utf-8") as out:
        for n, (key, prompt) in enumerate(_prompt_items(prompts)):
            check_prompt(prompt, n, key)
            try:
                body = build_params(
                    prompt,  # type: ignore[arg-type]  # checked just above
                    model=model,
                    top_logprobs=top_logprobs,
                    endpoint=endpoint,
                    create_kwargs=kwargs,
                )
                check_json(body, "body", str_keys=True)
            except (TypeError, ValueError) as exc:
                named = f" (custom_id {key!r})" if key is not None else ""
                exc.add_note(f"in the batch request at index {n}{named}")
                raise
            cid = key if key is not None else custom_id(n, body)
            try:
                guard(endpoint, body, base_url=base_url, mode=guards)
            except Exception as exc:
                exc.add_note(f"in the batch request at index {n} (custom_id {cid!r})")
                raise
            if cid in seen:
                msg = f"custom_id {cid!r} appears twice: the Batch API needs unique ids"
                raise ValueError(msg)
            seen.add(cid)
            line = {"custom_id": cid, "method": "POST", "url": URLS[endpoint], "body": body}
            text = json.dumps(line, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
            out.write(text + "\n")  # UTF-8: build_params refused a lone surrogate, by its field
            ids.append(cid)
    return ids


def _prompt_items(
    prompts: Iterable[Prompt] | Mapping[str, Prompt],
) -> Iterator[tuple[str | None, object]]:
    """Each prompt with its `custom_id` (`None`: one is made), once `prompts` is a collection."""
    given: object = prompts  # typed, but called with what users pass
    not_one_text(given, "prompts", "prompt")
    if isinstance(given, Mapping):
        for key in given:
            _check_custom_id(key)
        return iter(given.items())
    if not isinstance(given, Iterable):
        msg = (
            "prompts must be a list of prompts or a mapping {custom_id: prompt}, "
            f"got {a_type(given)}"
        )
        raise TypeError(msg)
    return ((None, prompt) for prompt in given)


def _check_custom_id(key: object) -> None:
    """Refuse a mapping key that cannot be a Batch `custom_id` (a non-empty string)."""
    if not isinstance(key, str):
        msg = (
            f"the custom_id {key!r} is {a_type(key)}: the Batch API's custom_id is a string, "
            f"so use str keys (e.g. {str(key)!r})"
        )
        raise TypeError(msg)
    if not key:
        msg = "a custom_id is empty: the Batch API needs a non-empty id on every line"
        raise ValueError(msg)


def check_prompt(prompt: object, n: int, key: str | None) -> None:
    """Refuse a prompt that is neither a string nor a list of messages (naming its index)."""
    which = f"the prompt at index {n}" + (f" (custom_id {key!r})" if key is not None else "")
    if isinstance(prompt, str):
        return
    if isinstance(prompt, Sequence) and not isinstance(prompt, bytes | bytearray):
        check_items(
            prompt,
            Mapping,
            lambda i: f"message {i} of {which}",
            ": each message is a dict such as {'role': 'user', 'content': ...}",
        )
        return
    if isinstance(prompt, Mapping):
        msg = f"{which} is a single message dict: wrap it in a list, [message]"
    else:
        msg = f"{which} is {a_type(prompt)}: give a str or a list of messages"
    raise TypeError(msg)


def read_results(
    path: str | os.PathLike[str], /, *, top_logprobs: int | None = None
) -> Iterator[tuple[str, TokenDistribution | TokenprobsError]]:
    """Stream a Batch API output (or error) file into `(custom_id, result)` pairs, in file order.

    One line is held at a time, so memory stays flat whatever the file size. A line whose
    request failed (`error` set, or a `status_code` other than 200) gives an `APIResponseError`;
    a response without logprobs a `MissingLogprobsError`; a line that is not JSON (truncated) or
    has no `custom_id` an `UnsupportedResponseError` naming its line number, with the
    `custom_id` still readable in it, else `""`. Every failure is yielded in its place, and the
    lines after it are read. A request with `n > 1` gives one pair per choice, in index order,
    with the same `custom_id` (tell them apart by `d.choice`). Lines come in the order the API
    wrote them, which is not the input order: match them by `custom_id`. A leading UTF-8 byte
    order mark is skipped.

    Args:
        path: The JSONL file, e.g. from `client.files.content(id).write_to_file(path)`.
        top_logprobs: The `top_logprobs` the requests asked for: when the file is read to its
            end, a `TokenprobsWarning` if every position of its answers held one count below
            it, or none held any (a capping server; see `tp.parse`).

    Returns:
        A generator of `(custom_id, TokenDistribution)` per choice, or `(custom_id, error)`.

    Raises:
        TypeError: `path` is not a str or path, or `top_logprobs` no integer (at the call, not
            at the first line; `ValueError`: `top_logprobs` below 0).
    """
    given: object = path  # typed, but called with what users pass
    if not isinstance(given, str | os.PathLike):
        msg = f"read_results reads a file: path must be a str or pathlib.Path, got {a_type(given)}"
        raise TypeError(msg)
    return _file_results(Path(path), checked_asked(top_logprobs))


def _file_results(
    path: Path, asked: int | None
) -> Iterator[tuple[str, TokenDistribution | TokenprobsError]]:
    held = Held()
    with path.open("rb") as f:
        for _number, cid, result in numbered_results(f, where=repr(os.fspath(path))):
            if asked and not isinstance(result, TokenprobsError):  # counted only when asked
                held.add(result)
            yield cid, result
    if (why := held.capped(asked)) is not None:
        warn(why)


def numbered_results(
    lines: Iterable[bytes], /, *, where: str
) -> Iterator[tuple[int, str, TokenDistribution | TokenprobsError]]:
    """`(line number, custom_id, result)` for each choice or failure of a Batch file's lines.

    `where` names the file in the messages of unreadable lines (`tokenprobs show` reads bytes).
    """
    for number, line in numbered_lines(lines):
        for cid, result in line_results(line, number, where):
            yield number, cid, result


def numbered_lines(lines: Iterable[bytes], /) -> Iterator[tuple[int, bytes]]:
    """The lines that count in a Batch file, each with its 1-based number.

    Blank lines are skipped, and a UTF-8 byte order mark before the first line is dropped.

    Raises:
        UnsupportedResponseError: The file is UTF-16 (it starts with a UTF-16 byte order mark).
    """
    for number, line in enumerate(lines, 1):
        if number == 1:
            refuse_utf16(line)
        text = line.removeprefix(BOM) if number == 1 else line
        if text.strip():
            yield number, text


def line_results(
    line: bytes, number: int, where: str
) -> list[tuple[str, TokenDistribution | TokenprobsError]]:
    """The line's `(custom_id, distribution)` per choice, or its one `(custom_id, error)`.

    `where` names the file in the error of a line that is not JSON or has no `custom_id` (its
    id salvaged from the line if it can be); `distill.collect` reads its lines with it.
    """
    # JSON builds no reference cycles, so the cyclic GC has nothing to find here; pausing it for
    # the line (never across a yield) halves the time on top-20 bodies of tens of thousands of
    # small containers.
    with paused_gc():
        try:
            cid, obj = batch_line(line, number, where)
        except UnsupportedResponseError as exc:
            return [(salvaged_id(line), exc)]
        try:
            return [(cid, d) for d in line_distributions(obj)]
        except TokenprobsError as exc:
            return [(cid, exc)]
