"""Reading one line of a Batch output (or error) file: its `custom_id`, then its choices or error.

`tokenprobs.batch` numbers the lines and pairs each id with its results; this is what it finds
in one line.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pydantic_core

from tokenprobs._json import loads as json_loads
from tokenprobs._said import a_type, a_value
from tokenprobs.adapters import parse_all
from tokenprobs.adapters._common import error_body
from tokenprobs.exceptions import APIResponseError, UnsupportedResponseError

if TYPE_CHECKING:
    from tokenprobs.models import TokenDistribution

__all__ = ["batch_line", "line_distributions", "not_json", "salvaged_id"]

_CUSTOM_ID = re.compile(rb'"custom_id"\s*:\s*("(?:[^"\\]|\\.)*")')


def batch_line(line: bytes, number: int, where: str) -> tuple[str, dict[str, object]]:
    """The line's `custom_id` and object, once it is a Batch output (or error) line."""
    try:
        obj = json_loads(line)
    except ValueError as exc:
        msg = f"line {number} of {where} {not_json(line, exc, fix=_DOWNLOAD_AGAIN)}"
        raise UnsupportedResponseError(msg) from exc
    cid = obj.get("custom_id") if isinstance(obj, dict) else None
    if not isinstance(cid, str):
        msg = f"line {number} of {where} is not a Batch output line"
        if cid is not None:
            msg += (
                f": its custom_id is {a_value(cid)}, where the Batch API writes "
                "the string of the request line (write the input file's ids as strings)"
            )
        raise UnsupportedResponseError(msg, field="custom_id")
    return cid, obj


_AT = re.compile(r"^(?P<what>.*) at line (?P<line>\d+) column (?P<column>\d+)$")


_DOWNLOAD_AGAIN = (
    "the file is truncated; download it again, e.g. "
    "client.files.content(batch.output_file_id).write_to_file(path)"
)


def not_json(line: bytes, exc: ValueError, *, fix: str) -> str:
    """Why `line` (not JSON: `exc`) cannot be read, its place counted in the line's bytes from 1.

    A line cut short says so, then `fix` (what to do about the file).

    The JSON reader counts lines inside the text it was given: a Batch line cut short ends with
    the line break, where it said "at line 2 column 0", a line the file does not have.
    """
    text = line.rstrip()
    try:
        pydantic_core.from_json(text)
    except ValueError as stripped:
        why = str(stripped)
    else:  # what is wrong is between the JSON and the line break (a form feed)
        why = str(exc)
    if why.startswith("EOF while parsing"):
        inside = why.removeprefix("EOF while parsing ").partition(" at line ")[0]
        return f"is cut short (it stops after byte {len(text):,}, inside {inside}): {fix}"
    at = _AT.match(why)
    if at is None or at["line"] != "1":
        return f"is not JSON ({why})"
    return f"is not JSON at byte {int(at['column']):,} of the line ({at['what']})"


def salvaged_id(line: bytes) -> str:
    """The `custom_id` still legible in a line that cannot be read (a truncated one), else `""`."""
    match = _CUSTOM_ID.search(line)
    if match is None:
        return ""
    try:
        cid = json.loads(match.group(1))
    except ValueError:
        return ""
    return cid if isinstance(cid, str) else ""


def line_distributions(obj: dict[str, object]) -> list[TokenDistribution]:
    """Every choice of a line whose request succeeded; else the line's error, raised."""
    if "body" in obj and "response" not in obj and "error" not in obj:
        msg = (
            "this is a request line of a Batch input file (custom_id, method, url, body), not "
            "a result: read the batch's output file, client.files.content(job.output_file_id)"
        )
        raise UnsupportedResponseError(msg)
    response = obj.get("response")
    if obj.get("error") is None and isinstance(response, dict):
        _check_status(response)
    return parse_all(obj)


def _check_status(response: dict[str, object]) -> None:
    """Raise the error of a response whose `status_code` is not 200 (its body's, if it has one)."""
    status = response.get("status_code")
    body = response.get("body")
    if type(status) is int and status == 200:  # noqa: PLR2004 - the one success status
        _check_body(body)
        return
    if isinstance(body, dict) and (err := error_body(body)) is not None:
        raise err
    said = "no status_code" if status is None else f"status_code {status!r}"
    msg = f"the Batch line's response has {said}, where a success has 200 (its body is not read)"
    raise APIResponseError(msg, code=status if type(status) is int else None, body=body)


def _check_body(body: object) -> None:
    """Refuse a successful line's `body` that cannot hold a response (none, a number, a list).

    A string goes on to `parse` if it is the JSON text of an object (the response's, as text).

    Raises:
        UnsupportedResponseError: `body` is missing, `null`, neither an object nor a string, or
            a string that is not the JSON text of an object (`"x"`).
    """
    if isinstance(body, dict):
        return
    if isinstance(body, str):
        try:
            text_holds = json.loads(body)
        except ValueError:
            text_holds = None
        if isinstance(text_holds, dict):
            return
        msg = (
            "the Batch line's response has status_code 200 but a body that is text "
            f"({body[:40]!r}) and not a response's JSON, where a success has the "
            "response object (a chat completion, a Responses response ...)"
        )
        raise UnsupportedResponseError(msg, field="response.body")
    said = "no body" if body is None else f"a body that is {a_type(body)}"
    msg = (
        f"the Batch line's response has status_code 200 but {said}, where a success has the "
        "response object (a chat completion, a Responses response ...)"
    )
    raise UnsupportedResponseError(msg, field="response.body")
