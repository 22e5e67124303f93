"""Keys out of every error line the commands print.

A server (a gateway, a proxy) may echo the key it was sent in its error message, and a base URL
may carry one (`http://user:KEY@host`, `?api-key=KEY`); `redact` replaces each by `***` before
the line reaches the terminal (`tokenprobs._urls.redact`, which the Playground uses too).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from tokenprobs._urls import url_secrets
from tokenprobs.client._defaults import NO_KEY

if TYPE_CHECKING:
    import argparse

__all__ = ["secrets_of"]

_MIN_KEY = 4
"""A shorter "key" (`x`, a test value) is not redacted: replacing it would garble the line."""


def secrets_of(args: argparse.Namespace, client: object = None) -> frozenset[str]:
    """What must not be printed: the key (the environment's and `client`'s), URL credentials."""
    keys = {os.environ.get("OPENAI_API_KEY"), getattr(client, "api_key", None)}
    urls = {getattr(args, "base_url", None), os.environ.get("OPENAI_BASE_URL")}
    if client is not None:
        urls.add(str(getattr(client, "base_url", "")))
    found = {k for k in keys if isinstance(k, str) and len(k) >= _MIN_KEY and k != NO_KEY}
    for url in urls:
        found |= url_secrets(url)
    return frozenset(found)
