"""Re-exported classes name the public module they are imported from."""

from __future__ import annotations

__all__ = ["rehome"]


def rehome(module: str, *classes: type) -> None:
    """Set each class's `__module__` to `module`, the public path users import it from.

    Pickles, reprs and documentation then name `tokenprobs.models.TokenDistribution`, not the
    private file it is defined in; the layout behind a package can change without breaking them.
    """
    for cls in classes:
        cls.__module__ = module
