"""OpenAI Batch API files: write the input JSONL, read the output JSONL into distributions.

`write_requests` writes one guard-checked request per line, each with a stable `custom_id`;
`read_results` streams an output (or error) file into `(custom_id, distribution or error)`
pairs, one line in memory at a time, through the raw-JSON path of `tp.parse` (bytes to columns,
no SDK objects built). Uploading, creating and polling the batch are three SDK calls (see
`docs/batch.md`):

```python
batch_file = client.files.create(file=open("in.jsonl", "rb"), purpose="batch")
job = client.batches.create(
    input_file_id=batch_file.id, endpoint="/v1/chat/completions", completion_window="24h"
)
job = client.batches.retrieve(job.id)  # until job.status is "completed" (or failed ...)
client.files.content(job.output_file_id).write_to_file("out.jsonl")
```
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pydantic_core

from tokenprobs._endpoints import ENDPOINTS
from tokenprobs._files import atomic_file
from tokenprobs._gc import paused_gc
from tokenprobs.adapters import parse
from tokenprobs.client._request import build_params, guard
from tokenprobs.exceptions import TokenprobsError, UnsupportedResponseError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from tokenprobs._endpoints import Endpoint
    from tokenprobs.client import Prompt
    from tokenprobs.guards import GuardMode
    from tokenprobs.models import TokenDistribution

__all__ = ["URLS", "read_results", "write_requests"]

URLS: dict[str, str] = {name: info.batch_url for name, info in ENDPOINTS.items()}
"""The Batch API `url` (and `endpoint` of `batches.create`) of each endpoint."""


def custom_id(index: int, body: Mapping[str, object]) -> str:
    """A stable id: the line's index and a digest of its body (same input, same ids).

    Examples:
        >>> custom_id(7, {"model": "m"})
        'tp-000007-548f58d1c36c'
    """
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:12]
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

    The file appears complete or not at all (written beside `path`, then renamed).

    Args:
        path: Where to write the JSONL file.
        prompts: Prompt strings or lists of messages; or a mapping from your own `custom_id`s to
            them. Otherwise ids are `tp-<index>-<digest of the body>`, stable across runs.
        model: The model id.
        top_logprobs: Alternatives per position (`logprobs=k` on legacy Completions).
        endpoint: `"chat.completions"`, `"responses"` or `"completions"`.
        guards: `"strict"` refuses the whole file if one line would be refused; `"warn"`;
            `"off"`.
        base_url: The base URL the batch will run against (selects the guards' profile).
        **create_kwargs: Added to every request body (`temperature`, `max_tokens` ...).

    Returns:
        The `custom_id` of each line, in order.

    Raises:
        GuardError: A line the API would refuse (a note names its index and `custom_id`).
        IsADirectoryError: `path` is a folder (nothing is read).
        FileNotFoundError: `path`'s folder does not exist (nothing is read).
    """
    ids: list[str] = []
    seen: set[str] = set()
    with atomic_file(path, writer="write_requests") as tmp, tmp.open("w", encoding="utf-8") as out:
        items = prompts.items() if isinstance(prompts, Mapping) else enumerate(prompts)
        for n, (key, prompt) in enumerate(items):
            body = build_params(
                prompt,
                model=model,
                top_logprobs=top_logprobs,
                endpoint=endpoint,
                create_kwargs=create_kwargs,
            )
            cid = key if isinstance(key, str) else custom_id(n, body)
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
            out.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
            ids.append(cid)
    return ids


def read_results(
    path: str | os.PathLike[str], /
) -> Iterator[tuple[str, TokenDistribution | TokenprobsError]]:
    """Stream a Batch API output (or error) file into `(custom_id, result)` pairs, in file order.

    One line is held at a time, so memory stays flat whatever the file size. A line whose
    request failed (`error` set, or a non-200 `status_code` with an error body) gives an
    `APIResponseError`; a response without logprobs a `MissingLogprobsError`. Lines come in the
    order the API wrote them, which is not the input order: match them by `custom_id`.

    Args:
        path: The JSONL file, e.g. from `client.files.content(id).write_to_file(path)`.

    Yields:
        `(custom_id, TokenDistribution)`, or `(custom_id, error)` for a failed line.

    Raises:
        UnsupportedResponseError: A line is not JSON or has no `custom_id` (the message gives
            the line number).
    """
    with Path(path).open("rb") as f:
        for number, line in numbered_lines(f):
            yield _read_line(line, number, path)


def numbered_lines(lines: Iterable[bytes], /) -> Iterator[tuple[int, bytes]]:
    """The lines that count in a Batch file, each with its 1-based number (blank ones skipped)."""
    return ((number, line) for number, line in enumerate(lines, 1) if line.strip())


def _read_line(
    line: bytes, number: int, path: str | os.PathLike[str]
) -> tuple[str, TokenDistribution | TokenprobsError]:
    # JSON builds no reference cycles, so the cyclic GC has nothing to find here; pausing it for
    # the line (never across a yield) halves the time on top-20 bodies of tens of thousands of
    # small containers.
    with paused_gc():
        try:
            obj = pydantic_core.from_json(line)
        except ValueError as exc:
            msg = f"line {number} of {os.fspath(path)!r} is not JSON ({exc})"
            raise UnsupportedResponseError(msg) from exc
        cid = obj.get("custom_id") if isinstance(obj, dict) else None
        if not isinstance(cid, str):
            msg = f"line {number} of {os.fspath(path)!r} is not a Batch output line"
            raise UnsupportedResponseError(msg, field="custom_id")
        try:
            return cid, parse(obj)
        except TokenprobsError as exc:
            return cid, exc


read_line = _read_line  # one line, numbered, of a Batch output file: distill reads files in ranges
