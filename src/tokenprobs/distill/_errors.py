"""The error of distillation data: `DistillError` (public as `tokenprobs.distill.DistillError`)."""

from __future__ import annotations

from tokenprobs.exceptions import TokenprobsError

__all__ = ["DistillError"]


class DistillError(TokenprobsError, ValueError):
    """Distillation data that cannot be turned into what was asked (the message says why)."""
