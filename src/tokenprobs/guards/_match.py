"""Which base URLs a profile's `base_urls` pattern selects: each part of it matches that part.

A pattern `scheme://host[:port][/path]` is matched part by part against the URL as urllib
splits it, so a `*` in the host can stand for labels (`*.azure.com`) but never reach into the
path (`https://proxy.example/x.azure.com/openai`), the user name (`https://api.openai.com@evil`)
or the port. The host is compared without case and without a trailing dot (`API.OpenAI.com.`);
a pattern without a port takes any port, one with a port takes that port (`:443` is https's
own); a pattern without a path takes any path, and the query and fragment never count. A
pattern that is not `scheme://...` (`*gpu-box*`) is matched against the whole URL, as written
minus its credentials, query and fragment.
"""

from __future__ import annotations

import fnmatch
from typing import NamedTuple
from urllib.parse import urlsplit

from tokenprobs._urls import public_url

__all__ = ["url_matches"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


class _Parts(NamedTuple):
    """A URL's parts as a pattern's parts are matched against them."""

    scheme: str
    host: str
    port: str
    path: str


def url_matches(url: str, pattern: str) -> bool:
    """Whether the base URL `url` is one that `pattern` (a profile's `base_urls` entry) selects.

    Examples:
        >>> url_matches("https://eu.api.openai.com/v1", "https://*.api.openai.com")
        True
        >>> url_matches("https://proxy.example/x.azure.com/openai", "https://*.azure.com/openai*")
        False
        >>> url_matches("http://gpu-box:8000/v1", "http://gpu-box:8000*")
        True
    """
    parts = _url_parts(url)
    if parts is None:
        return False
    if "://" not in pattern:
        return fnmatch.fnmatchcase(public_url(url).lower(), pattern.lower())
    scheme, host, port, path = _pattern_parts(pattern)
    return (
        fnmatch.fnmatchcase(parts.scheme, scheme)
        and fnmatch.fnmatchcase(parts.host, host)
        and (port is None or fnmatch.fnmatchcase(parts.port, port))
        and (path is None or fnmatch.fnmatchcase(parts.path, path))
    )


def _url_parts(url: str) -> _Parts | None:
    """`url`'s scheme, host, port (its scheme's own if none is written) and path, or `None`.

    `None`: urllib cannot split it (a port that is not a number, an open bracket).
    """
    try:
        split = urlsplit(url.strip())
        port = split.port
    except ValueError:
        return None
    scheme = split.scheme.lower()
    if port is None:
        port = _DEFAULT_PORTS.get(scheme)
    host = (split.hostname or "").rstrip(".")
    return _Parts(scheme, host, "" if port is None else str(port), split.path or "/")


def _pattern_parts(pattern: str) -> tuple[str, str, str | None, str | None]:
    """A `scheme://host[:port][/path]` pattern's parts (`None`: the pattern leaves it open)."""
    scheme, _, rest = pattern.lower().partition("://")
    authority, slash, path = rest.partition("/")
    authority = authority.rpartition("@")[2]
    if authority.startswith("[") and ":" in authority.partition("]")[0]:  # IPv6: [::1]:8000
        host, _, after = authority[1:].partition("]")
        port = after[1:] if after.startswith(":") else None
    else:
        host, colon, port_text = authority.rpartition(":")
        host, port = (host, port_text) if colon else (port_text, None)
    return scheme, host.rstrip("."), port, slash + path if slash else None
