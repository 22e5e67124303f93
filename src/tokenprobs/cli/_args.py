"""What the commands check before they send anything: numbers, the key, the base URL, the text.

The argparse types (`count`, `positive`, `port`, `temperature`, `model_name`) turn a bad option
into argparse's own usage error (exit 2, one line naming the option); `api_key`, `base_url` and
`read_text` raise `UsageError` or `InputError`, which `tokenprobs.cli.main` prints as one line
with exit 2 or 3.
"""

from __future__ import annotations

import argparse
import errno
import math
import os
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tokenprobs._urls import public_url, url_problem
from tokenprobs.batch import refuse_utf16
from tokenprobs.client._defaults import key_problem
from tokenprobs.exceptions import TokenprobsError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "MAX_TEXT_BYTES",
    "InputError",
    "UsageError",
    "api_key",
    "base_url",
    "count",
    "model_name",
    "port",
    "positive",
    "prompt_text",
    "read_bytes",
    "read_text",
    "stdin_bytes",
    "temperature",
    "utf8",
]

_MAX_PORT = 65535


class UsageError(ValueError):
    """An argument the command cannot use (a malformed base URL): exit 2."""


class InputError(ValueError):
    """Input the command cannot read (not UTF-8, a missing file): exit 3."""


def _whole(lo: int, hi: int | None = None, *, what: str = "") -> Callable[[str], int]:
    """An argparse type: a whole number from `lo` (to `hi`), its error saying the range."""

    def read(value: str) -> int:
        n = _int(value)
        if n < lo or (hi is not None and n > hi):
            span = f"at least {lo}" if hi is None else f"{what}from {lo} to {hi}"
            msg = f"must be {span}, got {n}"
            raise argparse.ArgumentTypeError(msg)
        return n

    return read


count = _whole(0)
"""An int of at least 0 (`--top`, `--top-logprobs`)."""
positive = _whole(1)
"""An int of at least 1 (`--concurrency`, `--max-tokens`)."""
port = _whole(0, _MAX_PORT, what="a port (0: a free one) ")
"""A TCP port, 0 to 65535 (0: a free one)."""


def temperature(value: str) -> float:
    """A finite float of at least 0 (NaN and infinity cannot be sent as JSON)."""
    try:
        t = float(value)
    except ValueError:
        msg = f"must be a number, got {value!r}"
        raise argparse.ArgumentTypeError(msg) from None
    if not (math.isfinite(t) and t >= 0):
        msg = f"must be a finite number of at least 0, got {value!r}"
        raise argparse.ArgumentTypeError(msg)
    return t


def model_name(value: str) -> str:
    """A model id that is not empty (`--model ""`: the API would refuse it with a 400)."""
    if not value.strip():
        msg = f"must be a model's name (e.g. gpt-4o-mini, or your server's), got {value!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def prompt_text(value: str) -> str:
    """A prompt with something in it, or `-` (standard input, checked once read).

    An empty or blank user message is sent by the API as it is, and answered as a greeting: the
    probabilities of an answer to nothing (an unset shell variable, `ask "$Q"`).
    """
    if not value.strip():
        msg = (
            "must be the question to ask (or - to read it from standard input), got "
            f"{value!r}, which has no text"
        )
        raise argparse.ArgumentTypeError(msg)
    return value


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        msg = f"must be a whole number, got {value!r}"
        raise argparse.ArgumentTypeError(msg) from None


def api_key() -> str | None:
    """`OPENAI_API_KEY`, or `None` when it is unset or empty.

    Raises:
        UsageError: The key holds what no HTTP header can carry (a line break from a file, a
            curly quote); the message says what, never the key.
    """
    key = os.environ.get("OPENAI_API_KEY") or None
    why = None if key is None else key_problem(key)
    if why is not None:
        msg = (
            f"OPENAI_API_KEY {why}, which no HTTP header can carry: an API key is one line of "
            "ASCII letters, digits and dashes; set it again without that (the key is not shown)"
        )
        raise UsageError(msg)
    return key


def base_url(args: argparse.Namespace) -> str | None:
    """`--base-url`, else `OPENAI_BASE_URL`, else `None`; checked to be an http(s) URL.

    Raises:
        UsageError: The URL has no http(s) scheme or host, a bad port, a space, or does not split
            (an open bracket); the message shows it without credentials.
    """
    url = args.base_url or os.environ.get("OPENAI_BASE_URL") or None
    if url is None:
        return None
    where = "--base-url" if args.base_url else "OPENAI_BASE_URL"
    why = url_problem(url)
    if why is not None:
        msg = (
            f"{where} {public_url(url)!r} is not a server URL ({why}): give it as "
            "http://HOST[:PORT]/v1, e.g. http://127.0.0.1:8000/v1"
        )
        raise UsageError(msg)
    return url


MAX_TEXT_BYTES = 16 * 1024 * 1024
"""What `score` reads at most by default (`--max-bytes`), and `ask -` at most: 16 MiB.

Every text is held, then sent, one request per line: 16 MiB of short lines is hours of
requests already, and `yes | tokenprobs score -` stops here, nothing sent, not at the
machine's memory."""


def read_text(source: str, *, max_bytes: int = MAX_TEXT_BYTES, option: str = "") -> str:
    """The text of the file `source`, or of standard input for `-`, as strict UTF-8.

    A leading byte order mark (Notepad and PowerShell start UTF-8 text with one) is dropped: it
    is no part of the text, and sent it would be scored or answered as a character. At most
    `max_bytes` are read (`option` names the option that raises it, if there is one).

    Raises:
        TokenprobsError: The file cannot be read, is over `max_bytes`, UTF-16 or binary.
        InputError: The text is not UTF-8.
    """
    name = "standard input" if source == "-" else repr(source)
    raw = read_bytes(source, name=name, max_bytes=max_bytes, option=option)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = exc.object[exc.start : exc.end]
        msg = f"cannot read {name}: it is not UTF-8 (the bytes {bad!r} at byte {exc.start})"
        raise InputError(msg) from None
    return text.removeprefix("\ufeff")


def read_bytes(source: str, *, name: str, max_bytes: int, option: str = "") -> bytes:
    """The bytes of the file `source` (standard input for `-`), unless too large or binary.

    `name` is what the messages call the input. A regular file's size is checked before it is
    read; a pipe (`<(curl ...)`, standard input) is read up to the limit, its first `_HEAD` bytes
    checked first (`/dev/zero` is refused at once). `option` is the option that raises
    `max_bytes`, which the message names.

    Raises:
        TokenprobsError: The input cannot be read, is a directory, is over `max_bytes`, starts
            as UTF-16 or gzip, or has NUL bytes.
    """
    try:
        if source == "-":
            raw = _head_first(stdin_bytes, name, max_bytes=max_bytes)
        else:
            path = Path(source)
            info = path.stat()
            if stat.S_ISDIR(info.st_mode):
                msg = f"{name} is a directory, not a file"
                raise TokenprobsError(msg)
            if stat.S_ISREG(info.st_mode) and info.st_size > max_bytes:
                said = f"{name} is {info.st_size:,} bytes, over the limit of {max_bytes:,}"
                raise TokenprobsError(_past_limit(said, option, info.st_size))
            with path.open("rb") as file:
                raw = _head_first(file.read, name, max_bytes=max_bytes)
    except OSError as exc:
        msg = f"cannot read {name}: {exc.strerror or exc}"
        raise TokenprobsError(msg) from exc
    if len(raw) > max_bytes:
        said = f"{name} is over the limit of {max_bytes:,} bytes"
        raise TokenprobsError(_past_limit(said, option, None))
    return raw


def _past_limit(said: str, option: str, size: int | None) -> str:
    """`said`, and how to read the input all the same (the option, with a value that does)."""
    if not option:
        return f"{said}: no prompt needs that much; check what was piped in"
    more = f"{option} {size}" if size is not None else f"a larger {option}"
    return f"{said} ({option}): pass {more} to read it all, or split it"


_HEAD = 8192
"""The bytes read first, to refuse a binary input (`/dev/urandom`) before reading to the limit."""


def _head_first(read: Callable[[int], bytes], name: str, *, max_bytes: int) -> bytes:
    """Up to `max_bytes + 1` bytes from `read`, the first `_HEAD` of them checked to be text.

    Raises:
        TokenprobsError: The input starts as UTF-16 or gzip, or has NUL bytes (binary).
    """
    want = min(_HEAD, max_bytes + 1)
    head = read(want)
    refuse_utf16(head, name=name)
    if head.startswith(b"\x1f\x8b"):  # gzip's magic number, NUL bytes next
        msg = (
            f"{name} is gzip-compressed: decompress it and pipe it in, e.g. "
            "`gunzip -c FILE.gz | tokenprobs COMMAND -`"
        )
        raise TokenprobsError(msg)
    if b"\x00" in head:
        msg = f"{name} looks binary (it has NUL bytes), not text"
        raise TokenprobsError(msg)
    return head if len(head) < want else head + read(max_bytes + 1 - len(head))


def stdin_bytes(limit: int = -1) -> bytes:
    """Standard input's bytes, `limit` at most (all of them for -1).

    Raises:
        OSError: There is no standard input (closed: `tokenprobs show - <&-`), or it is a text
            stream (a test, an embedding program) whose text is not UTF-8.
    """
    stream = sys.stdin
    if stream is None:  # Python's value for a closed standard input
        raise OSError(errno.EBADF, "standard input is closed")
    binary = getattr(stream, "buffer", None)
    if binary is not None:
        data: bytes = binary.read(limit)
        return data
    text = stream.read(limit)  # replaced by a text stream: its text, as the bytes it stands for
    return text.encode("utf-8", "surrogateescape") if isinstance(text, str) else bytes(text)


def utf8(text: str, name: str) -> str:
    """`text` when it can be sent as UTF-8 (a command-line argument may carry escaped bytes).

    Raises:
        InputError: `text` holds bytes that are not UTF-8 (surrogate escapes, shown as the
            bytes), or another lone surrogate (Windows' UTF-16 argv can carry one).
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        piece = text[exc.start : exc.end]
        try:
            said = f"the bytes {piece.encode('utf-8', 'surrogateescape')!r}"
        except UnicodeEncodeError:  # not an escaped byte: a lone half of a UTF-16 pair
            said = f"{piece[0]!r}, half of a UTF-16 surrogate pair,"
        msg = f"cannot read {name}: it is not UTF-8 ({said} at character {exc.start})"
        raise InputError(msg) from None
    return text
