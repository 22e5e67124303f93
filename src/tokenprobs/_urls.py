"""A URL as messages, reprs and logs may show it: no credentials, no query, no fragment.

A base URL can carry a key in three places: its password (`http://user:KEY@host`), its user name
(`http://KEY@host`, as some gateways take it) and its query (`?api-key=KEY`, Azure's style).
Every message that names a server goes through `public_url`, which keeps the scheme, host, port
and path only.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

__all__ = ["public_url", "url_secrets"]

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
