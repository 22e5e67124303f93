"""The server the playground talks to: its URL, its key (kept server-side), what it can do.

The key comes from the environment (`OPENAI_API_KEY`) and stays in this process: the page, its
HTML, the saved sessions and the logs see `public_url` and scrubbed messages only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import openai

from tokenprobs._said import a_type
from tokenprobs._urls import openai_host, public_url, redact, url_problem
from tokenprobs.client._defaults import NO_KEY, secrets_of
from tokenprobs.guards import ServerCapabilities, select_profile, server_capabilities, server_kind

__all__ = ["Upstream", "branch_refusal"]

_COMPLETIONS_REFUSAL = (
    "{name} does not continue a given prompt on legacy completions ({how}): branching needs "
    "a server that does"
)
_CHAT_REFUSAL = (
    "{name} cannot branch a chat answer: {how}; switch to the completion prompt to branch"
)


def branch_refusal(endpoint: str, server: ServerCapabilities) -> str | None:
    """Why the page cannot branch an answer of `endpoint` on `server`, or `None` when it can.

    A completion branch sends the text before the position plus the chosen token as the prompt;
    a chat branch sends the messages and a final assistant message holding that text, with the
    server's prefill flags (`server.prefill_flags`). Both need the server's table entry to say
    it continues what it is given.
    """
    if endpoint == "completions":
        cell, template = server.completion_prefix, _COMPLETIONS_REFUSAL
    elif endpoint == "chat.completions":
        cell, template = server.chat_prefill, _CHAT_REFUSAL
    else:
        return f"branching is not available for {endpoint!r}"
    return None if cell.able else template.format(name=server.name, how=cell.how)


@dataclass(frozen=True)
class Upstream:
    """The server: base URL (None: OpenAI's) and the key, never shown (`repr` leaves it out)."""

    base_url: str | None
    api_key: str | None = field(default=None, repr=False)
    profile: str | None = None
    """The guards' profile (`"openai"`, `"vllm"`, `"llama.cpp"` ...); None: the one detected
    from the server's answers, else the one its URL selects."""
    http_client: Any = field(default=None, repr=False, compare=False)
    """A factory of the `http_client` the SDK client is given (a proxy, a test transport);
    None: the SDK's own. Any: the installed SDK's HTTP library (`httpx2` or `httpx`)."""
    seen: list[str] = field(default_factory=list, repr=False, compare=False)
    """The server kind `server_kind` read from its latest answer that told (empty: none yet)."""

    def __post_init__(self) -> None:
        """Refuse a base URL no request can reach, before a page is served for it.

        Raises:
            ValueError: `base_url` is not an `http://` or `https://` URL with a host, or urllib
                cannot split it (an open bracket `http://[::1/v1`, a port past 65535); or
                `profile` names no guard profile.
            TypeError: `base_url`, `api_key` or `profile` is not a str (or None).
        """
        for name in ("base_url", "api_key", "profile"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                msg = f"Upstream's {name} is a str or None, got {a_type(value)}"
                raise TypeError(msg)
        if self.base_url is not None:
            _check_url(self.base_url)
        if self.profile is not None:
            select_profile(profile=self.profile)  # an unknown name: refused before any page

    @classmethod
    def from_env(cls, base_url: str | None = None, *, profile: str | None = None) -> Upstream:
        """`base_url` (else `OPENAI_BASE_URL`) and `OPENAI_API_KEY` from the environment.

        Raises:
            ValueError: The base URL is not one a request can reach (see `Upstream`).
        """
        url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        return cls(url, os.environ.get("OPENAI_API_KEY") or None, profile)

    @property
    def needs_key(self) -> bool:
        """True for OpenAI's own API without a key (a compatible server needs none)."""
        host = urlsplit(self.base_url).hostname if self.base_url else "api.openai.com"
        return not self.api_key and openai_host(host)

    def __repr__(self) -> str:
        """The base URL as `public_url` shows it: no key, no credentials, no query."""
        return f"Upstream(base_url={self.public_url!r}, profile={self.profile!r})"

    @property
    def public_url(self) -> str:
        """The base URL without credentials or query (what the page may show)."""
        return public_url(self.base_url) if self.base_url else "https://api.openai.com/v1"

    def client(self) -> openai.AsyncOpenAI:
        """A fresh async client (no SDK retries: tokenprobs owns the retry layer)."""
        return openai.AsyncOpenAI(
            api_key=self.api_key or NO_KEY,
            base_url=self.base_url,
            max_retries=0,
            http_client=self.http_client() if self.http_client else None,
        )

    def saw(self, response: object) -> None:
        """Remember which kind of server wrote `response` (when its fields tell)."""
        kind = server_kind(response)
        if kind is not None:
            self.seen[:] = [kind]

    @property
    def capabilities(self) -> ServerCapabilities:
        """What the server can do (`tokenprobs.guards.CAPABILITIES`).

        Read from its answers so far, else the profile named for it, else its URL.
        """
        return server_capabilities(
            self.base_url, profile=self.profile, seen=self.seen[-1] if self.seen else None
        )

    def scrub(self, text: str) -> str:
        """`text` with the key, and the credentials of the base URL, replaced by `***`.

        A key too short to be a secret (a local server's `x`) is left: masking each of its
        letters would garble every message (see `tokenprobs._urls.MIN_KEY`).
        """
        return redact(text, secrets_of(self))


def _check_url(url: str) -> None:
    """Refuse `url` unless it is `http(s)://host[:port]/...` (the message shows no credentials).

    Raises:
        ValueError: It is not.
    """
    why = url_problem(url)
    if why is None:
        return
    msg = (
        f"base URL {public_url(url)!r} is not a URL a request can reach ({why}): "
        "give it as http://host:port/v1"
    )
    raise ValueError(msg)
