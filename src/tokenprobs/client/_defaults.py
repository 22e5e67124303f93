"""The SDK clients tokenprobs calls: the given one or a default from the environment.

The default clients are cached per process (sync) and per event loop (async), keyed by a digest
of the API key, so the key itself is held only by the client.
"""

from __future__ import annotations

import hashlib
import os
import weakref
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

import openai

from tokenprobs._said import a_type
from tokenprobs._urls import known_secrets, openai_host, public_url, redact_logs, url_problem
from tokenprobs.client._retry import checked
from tokenprobs.exceptions import MissingAPIKeyError

if TYPE_CHECKING:
    import asyncio

    from tokenprobs.client._retry import RetryPolicy

__all__ = [
    "NO_KEY",
    "async_client",
    "base_url_of",
    "key_problem",
    "secrets_of",
    "servable",
    "sync_client",
]

redact_logs()  # the HTTP libraries log whole URLs: a key in one is masked there

_sync_defaults: dict[tuple[str, str | None], openai.OpenAI] = {}
_async_defaults: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[str, str | None], openai.AsyncOpenAI]
] = weakref.WeakKeyDictionary()


NO_KEY = "sk-no-key-required"
"""The placeholder key sent to a compatible server that needs none (the SDK insists on one)."""


def _env_key() -> tuple[str, tuple[str, str | None]]:
    key = os.environ.get("OPENAI_API_KEY")
    base_url = os.environ.get("OPENAI_BASE_URL") or None
    servable(base_url, "OPENAI_BASE_URL")
    if not key:
        # a compatible server (vLLM, llama.cpp, Ollama ...) named by OPENAI_BASE_URL needs no key;
        # OpenAI's own API does
        if base_url is None or openai_host(urlsplit(base_url).hostname):
            raise MissingAPIKeyError
        key = NO_KEY
    _sendable_key(key, "OPENAI_API_KEY")
    # the cache is keyed by a digest, so the key itself is kept only by the client
    return key, (hashlib.sha256(key.encode()).hexdigest(), base_url)


def secrets_of(client: object = None, *urls: object) -> frozenset[str]:
    """What no message of a call through `client` may show (`known_secrets`).

    Its key, the secrets of its base URL and of `urls`, the environment's; not the placeholder
    `NO_KEY` a keyless server is sent.
    """
    key, url = getattr(client, "api_key", None), getattr(client, "base_url", None)
    return known_secrets(key, urls=(url, *urls)) - {NO_KEY}


def base_url_of(client: object) -> str | None:
    """The client's base URL (the environment's default when no client is given)."""
    if client is None:
        return os.environ.get("OPENAI_BASE_URL")
    url = getattr(client, "base_url", None)
    return None if url is None else str(url)


_Client = TypeVar("_Client", openai.OpenAI, openai.AsyncOpenAI)


_WRONG_TWIN: dict[type, str] = {
    openai.OpenAI: (
        "got an AsyncOpenAI client where a sync openai.OpenAI goes: pass an OpenAI client, or "
        "await the async twin of this function (aget_token_distribution, "
        "aget_token_distributions, aclassify ...)"
    ),
    openai.AsyncOpenAI: (
        "got a sync OpenAI client where an openai.AsyncOpenAI goes: pass an AsyncOpenAI "
        "client, or call the sync twin of this function (get_token_distribution, "
        "get_token_distributions, classify ...)"
    ),
}
"""What a function wanting each kind of client says when given the other twin's kind."""


def _ready(client: _Client, retry: RetryPolicy | None, *, kind: type, wrong: type) -> _Client:
    """A given client of the right kind (else `TypeError`), the SDK's retries off if we retry."""
    if isinstance(client, wrong):
        raise TypeError(_WRONG_TWIN[kind])
    if not isinstance(client, kind) and (
        isinstance(client, type) or not hasattr(client, "with_options")
    ):
        raise TypeError(_not_a_client(client, kind))
    if issubclass(type(client), openai.OpenAI | openai.AsyncOpenAI):  # not a test's mock
        servable(str(client.base_url), "the client's base_url")
        if isinstance(key := client.api_key, str):  # a callable provider is the SDK's to call
            _sendable_key(key, "the client's api_key")
    return client.with_options(max_retries=0) if retry is not None else client


def servable(url: object, where: str) -> None:
    """Refuse a base URL no request can reach (`localhost:8000`, `ftp://...`, `5`) before sending.

    Sent, it fails as a connection error only after every retry, naming a garbled URL.
    """
    if url is not None and not isinstance(url, str):
        msg = f"{where} is a URL, a str such as 'http://127.0.0.1:8000/v1', got {a_type(url)}"
        raise TypeError(msg)
    why = url_problem(url) if url else None
    if url and why is not None:
        msg = (
            f"{where} {public_url(url)!r} is not a server URL ({why}): give it as "
            "http://HOST[:PORT]/v1, e.g. http://127.0.0.1:8000/v1"
        )
        raise ValueError(msg)


def _sendable_key(key: str, where: str) -> None:
    """Refuse a key no HTTP header can carry (a line break, a curly quote), never showing it.

    Sent, the HTTP library refuses the header as a connection error whose message holds the
    whole `Authorization` header, key included, after every retry.
    """
    why = key_problem(key)
    if why is not None:
        msg = (
            f"{where} {why}, which no HTTP header can carry, so no request could be sent: "
            "an API key is one line of ASCII letters, digits and dashes; remove it (e.g. "
            "key.strip() for a key read from a file; the key itself is not shown here)"
        )
        raise ValueError(msg)


def key_problem(key: str) -> str | None:
    """What in `key` an HTTP header refuses, named without showing the key, or `None`."""
    if key != key.strip():
        return (
            "starts or ends with whitespace (a line break from a file or a .env saved on Windows?)"
        )
    for c in key:
        if not c.isascii():
            return f"holds {c!r} (U+{ord(c):04X}), not ASCII (a quote pasted from a document?)"
        if not c.isprintable():
            return f"holds the control character {c!r}"
    return None


def _not_a_client(client: object, kind: type) -> str:
    """What to pass instead of `client` (never its value: it may well be the API key)."""
    name = f"openai.{kind.__name__}"
    azure = kind.__name__.replace("OpenAI", "AzureOpenAI")  # AzureOpenAI, AsyncAzureOpenAI
    if isinstance(client, type):
        got = f"the class {client.__name__} itself; make one: client={client.__name__}(...)"
    else:
        got = a_type(client)
        if isinstance(client, str | bytes):
            got += f"; to give an API key, pass client={name}(api_key=...)"
    return (
        f"client must be an {name} (or an {azure}, or one made with base_url= for an "
        f"OpenAI-compatible server), got {got}"
    )


def _default(cache: dict[tuple[str, str | None], _Client], make: type[_Client]) -> _Client:
    """The environment's default client from `cache`, made (`make(api_key=...)`) on first use."""
    key, cache_key = _env_key()
    client = cache.get(cache_key)
    if client is None:
        client = cache[cache_key] = make(api_key=key)
    return client


def sync_client(client: openai.OpenAI | None, retry: RetryPolicy | None) -> openai.OpenAI:
    """The client to call: the given or default one, with the SDK's retries off if we retry."""
    checked(retry)
    if client is None:
        client = _default(_sync_defaults, openai.OpenAI)
    return _ready(client, retry, kind=openai.OpenAI, wrong=openai.AsyncOpenAI)


def async_client(
    client: openai.AsyncOpenAI | None, retry: RetryPolicy | None
) -> openai.AsyncOpenAI:
    """The async twin of `sync_client` (the default client is one per event loop)."""
    checked(retry)
    if client is None:
        import asyncio  # noqa: PLC0415

        per_loop = _async_defaults.setdefault(asyncio.get_running_loop(), {})
        client = _default(per_loop, openai.AsyncOpenAI)
    return _ready(client, retry, kind=openai.AsyncOpenAI, wrong=openai.OpenAI)
