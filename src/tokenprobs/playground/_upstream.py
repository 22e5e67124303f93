"""The server the playground talks to: its URL, its key (kept server-side), what it can do.

The key comes from the environment (`OPENAI_API_KEY`) and stays in this process: the page, its
HTML, the saved sessions and the logs see `public_url` and scrubbed messages only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import openai

from tokenprobs.client._defaults import NO_KEY, OPENAI_HOSTS

__all__ = ["BRANCHING", "Upstream", "branch_refusal"]

BRANCHING: dict[str, str | None] = {
    "completions": None,
    "chat.completions": (
        "branching needs a server that continues a given prefix: legacy completions do "
        "(OpenAI's instruct models, vLLM, llama.cpp), chat completions do not (the API starts "
        "a new assistant message, and a trailing assistant message is not continued); switch to "
        "the completion prompt to branch"
    ),
}
"""Per endpoint, why a branch cannot be regenerated from a position (`None`: it can). A branch
asks for the text before the position plus the chosen token as the prompt, and lets the model
continue from there."""


def branch_refusal(endpoint: str) -> str | None:
    """Why the page cannot branch an answer of `endpoint`, or `None` when it can."""
    return BRANCHING.get(endpoint, f"branching is not available for {endpoint!r}")


@dataclass(frozen=True)
class Upstream:
    """The server: base URL (None: OpenAI's) and the key, never shown (`repr` leaves it out)."""

    base_url: str | None
    api_key: str | None = field(default=None, repr=False)
    profile: str | None = None
    """The guards' profile (`"openai"`, `"vllm"`, `"llama.cpp"` ...); None: the one detected
    from the server's answers, else the one its URL selects."""

    @classmethod
    def from_env(cls, base_url: str | None = None, *, profile: str | None = None) -> Upstream:
        """`base_url` (else `OPENAI_BASE_URL`) and `OPENAI_API_KEY` from the environment."""
        url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        return cls(url, os.environ.get("OPENAI_API_KEY") or None, profile)

    @property
    def needs_key(self) -> bool:
        """True for OpenAI's own API without a key (a compatible server needs none)."""
        host = urlsplit(self.base_url).hostname if self.base_url else "api.openai.com"
        return not self.api_key and host in OPENAI_HOSTS

    @property
    def public_url(self) -> str:
        """The base URL without credentials or query (what the page may show)."""
        if not self.base_url:
            return "https://api.openai.com/v1"
        parts = urlsplit(self.base_url)
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))

    def client(self) -> openai.AsyncOpenAI:
        """A fresh async client (no SDK retries: tokenprobs owns the retry layer)."""
        return openai.AsyncOpenAI(
            api_key=self.api_key or NO_KEY, base_url=self.base_url, max_retries=0
        )

    def scrub(self, text: str) -> str:
        """`text` with the key, and the credentials of the base URL, replaced by `***`."""
        secrets = [self.api_key] if self.api_key else []
        if self.base_url:
            parts = urlsplit(self.base_url)
            secrets += [s for s in (parts.password, parts.query) if s]
        for secret in sorted(secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text
