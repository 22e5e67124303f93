"""Keys out of every error line the commands print.

A server (a gateway, a proxy) may echo the key it was sent in its error message, and a base URL
may carry one (`http://user:KEY@host`, `?api-key=KEY`); `redact` replaces each by `***` before
the line reaches the terminal (`tokenprobs._urls.redact`, which the Playground uses too).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tokenprobs.client._defaults import secrets_of as client_secrets

if TYPE_CHECKING:
    import argparse

__all__ = ["secrets_of"]


def secrets_of(args: argparse.Namespace, client: object = None) -> frozenset[str]:
    """What must not be printed: the key (the environment's and `client`'s), URL credentials."""
    return client_secrets(client, getattr(args, "base_url", None))
