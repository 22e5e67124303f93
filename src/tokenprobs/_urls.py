"""A URL as messages, reprs and logs may show it: no credentials, no query, no fragment.

A base URL can carry a key in three places: its password (`http://user:KEY@host`), its user name
(`http://KEY@host`, as some gateways take it) and its query (`?api-key=KEY`, Azure's style).
Every message that names a server goes through `public_url`, which keeps the scheme, host, port
and path only. The HTTP libraries' own request logs (`httpx`, `httpx2`, and openai 2.x's debug
log) print the whole URL: `redact_logs` gives them a filter that masks the credentials and the
key-like query values there (`redact_url`), leaving the rest of each line as it was.
"""

from __future__ import annotations

import logging
import os
import re
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable

__all__ = [
    "known_secrets",
    "openai_host",
    "public_url",
    "redact",
    "redact_logs",
    "redact_url",
    "scrub",
    "url_problem",
    "url_secrets",
]

_OPENAI_HOST = re.compile(r"(?:[a-z0-9-]+\.)*api\.openai\.com")


def openai_host(host: str | None) -> bool:
    """Whether `host` is OpenAI's own API: `api.openai.com` or a regional (data residency) host.

    Examples:
        >>> openai_host("api.openai.com"), openai_host("eu.api.openai.com")
        (True, True)
        >>> openai_host("api.openai.com.example.net"), openai_host(None)
        (False, False)
    """
    return host is not None and _OPENAI_HOST.fullmatch(host.lower()) is not None


_USERINFO = re.compile(r"(?<=//)[^/?#@\s]*@")


def public_url(url: object) -> str:
    """`url` (a `str`, `httpx.URL` ...) with its user name, password, query and fragment removed.

    Examples:
        >>> public_url("http://user:sk-secret@gpu-box:8000/v1?api-key=sk-secret")
        'http://gpu-box:8000/v1'
        >>> public_url("http://[::1]:8080/v1/")
        'http://[::1]:8080/v1/'
    """
    text = str(url)
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:  # not a URL urllib can split (a bad port, an open bracket)
        return _USERINFO.sub("", text).split("?", 1)[0].split("#", 1)[0]
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def url_problem(url: str) -> str | None:
    """What makes `url` unusable as a base URL (`http(s)://host[:port]/...`), or `None`.

    Examples:
        >>> url_problem("http://127.0.0.1:8000/v1") is None
        True
        >>> url_problem("localhost:8000")
        'it must start with http:// or https://'
    """
    if any(c.isspace() for c in url):
        return "it contains a space"
    if any("\ud800" <= c <= "\udfff" for c in url):  # a command line's bytes that are not UTF-8
        return "it holds bytes that are not UTF-8"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number from 0 to 65535
    except ValueError as exc:  # an open bracket, a port that is not a number or too large
        return str(exc)
    if parts.scheme not in {"http", "https"}:
        return "it must start with http:// or https://"
    if not parts.hostname:
        return "it names no host"
    return None


_KEY_LENGTH = 8
"""A user name this long may be a key (`http://KEY@host`); a shorter one is only a name."""


def url_secrets(url: str | None) -> set[str]:
    """The parts of `url` that may be a key (a long user name, the password, the query).

    The query whole and each of its values (a server may echo `KEY` without `api-key=`), each
    as written, decoded, and encoded again as an HTTP library may (`%20` for a space).
    """
    if not url:
        return set()
    try:
        parts = urlsplit(url)
    except ValueError:
        return set()
    user = parts.username if len(parts.username or "") >= _KEY_LENGTH else None
    out: set[str] = set()
    values = [value for _, value in parse_qsl(parts.query) if len(value) >= _KEY_LENGTH]
    for secret in filter(None, (user, parts.password, parts.query, *values)):
        plain = unquote(secret)
        out |= {secret, plain, quote(plain, safe=""), quote(plain, safe="!$&'()*+,;=:")}
    return out


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with each of `secrets` replaced by `***`, the longest first (a key inside another).

    Examples:
        >>> redact("bad key sk-12345678 at http://u:sk-12345678@h", {"sk-12345678"})
        'bad key *** at http://u:***@h'
    """
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, _MASK)
    return text


MIN_KEY = 8
"""A shorter "key" is no secret (a local server's `EMPTY`, `none`, a test's `x`) and is not
redacted: replacing each such word of a message would garble it."""


def known_secrets(*keys: object, urls: Iterable[object] = ()) -> frozenset[str]:
    """What no message may show: the `keys`, the `urls`' secrets, the environment's.

    Each key of `MIN_KEY` characters or more, `url_secrets` of each URL, `OPENAI_API_KEY` and
    the secrets of `OPENAI_BASE_URL`.
    """
    keys = (*keys, os.environ.get("OPENAI_API_KEY"))
    found = {k for k in keys if isinstance(k, str) and len(k) >= MIN_KEY}
    for url in (*urls, os.environ.get("OPENAI_BASE_URL")):
        found |= url_secrets(str(url) if url else None)
    return frozenset(found)


_E = TypeVar("_E", bound=BaseException)


def scrub(exc: _E, secrets: Collection[str]) -> _E:
    """`exc`, its message, notes and attributes with each of `secrets` replaced by `***`.

    For tokenprobs' own errors, whose messages quote a server's (a gateway may echo the key it
    was sent); changed in place, so raising it again keeps its traceback. The strings inside an
    attribute's JSON-like value (`APIResponseError.body`: dicts, lists, tuples) are masked too,
    in a copy; the server's object itself is left as it was.
    """
    if not secrets:
        return exc
    exc.args = tuple(_masked(a, secrets) for a in exc.args)
    for name, value in vars(exc).items():
        if isinstance(value, str | dict | list | tuple):
            setattr(exc, name, _masked(value, secrets))
    notes = getattr(exc, "__notes__", None)
    if isinstance(notes, list):
        notes[:] = [redact(n, secrets) if isinstance(n, str) else n for n in notes]
    return exc


def _masked(value: object, secrets: Collection[str], depth: int = 0) -> object:
    """`value` with `secrets` masked in each string it holds: strings, and JSON's containers.

    Dicts (their keys too), lists and tuples are copied; a body nested deeper than `_DEEPEST`
    levels is masked whole rather than walked.
    """
    if isinstance(value, str):
        return redact(value, secrets)
    if not isinstance(value, dict | list | tuple):
        return value
    if depth >= _DEEPEST:
        return _MASK
    if isinstance(value, dict):
        return {
            _masked(k, secrets, depth + 1): _masked(v, secrets, depth + 1) for k, v in value.items()
        }
    items = [_masked(v, secrets, depth + 1) for v in value]
    return items if isinstance(value, list) else tuple(items)


_DEEPEST = 64
"""How deep `_masked` walks a body (JSON error bodies are two or three levels)."""
_SECRET_NAMES = ("key", "token", "secret", "sig", "password", "auth", "credential")
"""A query parameter whose name holds one of these is a credential (`api-key`, `access_token`)."""
_MASK = "***"


def _secret_name(name: object) -> bool:
    return any(word in str(name).lower() for word in _SECRET_NAMES)


def redact_url(url: object) -> str:
    """`url` with its user name, password and key-like query values replaced by `***`.

    Unlike `public_url` it keeps the rest (for logs, where the query may matter).

    Examples:
        >>> redact_url("http://user:pw@gpu-box:8000/v1/chat?api-version=1&api-key=sk-1")
        'http://***:***@gpu-box:8000/v1/chat?api-version=1&api-key=***'
    """
    text = str(url)
    try:
        parts = urlsplit(text)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return public_url(text)
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    if parts.username is not None or parts.password is not None:
        netloc = f"{_MASK}:{_MASK}@{netloc}" if parts.password is not None else f"{_MASK}@{netloc}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_secret_name(k) for k, _ in pairs):
            query = urlencode([(k, _MASK if _secret_name(k) else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


class _RedactUrls(logging.Filter):
    """Masks credentials in a record's URL arguments and in a `params` mapping (openai 2.x)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple):
            record.args = tuple(_redacted(a) for a in args)
        elif isinstance(args, dict) and isinstance(args.get("params"), dict):
            params = {k: _MASK if _secret_name(k) else v for k, v in args["params"].items()}
            record.args = {**args, "params": params}
        return True


def _redacted(arg: object) -> object:
    if type(arg).__name__ == "URL" or (isinstance(arg, str) and "://" in arg):
        return redact_url(arg)
    return arg


_LOGGERS = ("httpx", "httpx2", "openai._base_client")
"""The loggers that print a request's URL (or, openai 2.x's debug log, its query params)."""


def redact_logs() -> None:
    """Give the HTTP libraries' loggers the filter, once (`tokenprobs.client` calls it)."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactUrls) for f in logger.filters):
            logger.addFilter(_RedactUrls())
