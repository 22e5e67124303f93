"""The check at the tools' doors: a `TokenDistribution`, or a `TypeError` saying how to get one."""

from __future__ import annotations

from tokenprobs._said import a_type
from tokenprobs.models._distribution import TokenDistribution

__all__ = ["expect_distribution"]


def expect_distribution(obj: object, name: str) -> TokenDistribution:
    """`obj` when it is a `TokenDistribution`; else a `TypeError` naming `name` and the fix."""
    if isinstance(obj, TokenDistribution):
        return obj
    msg = (
        f"{name} takes a TokenDistribution: got {a_type(obj)}, not a TokenDistribution; "
        "`tp.parse(response)` makes one from a response, a dict or JSON text"
    )
    raise TypeError(msg)
