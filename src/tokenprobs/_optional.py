"""Optional dependencies: `require(module, extra=...)` gives the module or says how to install it.

The public names of a feature exist whatever is installed; only using it needs the extra.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from tokenprobs.exceptions import MissingDependencyError

if TYPE_CHECKING:
    from types import ModuleType

__all__ = ["require"]


def require(module: str, *, extra: str, feature: str) -> ModuleType:
    """Import `module` for `feature`, or raise the install line of the `[extra]` that brings it.

    Args:
        module: The module to import (`"pandas"`, `"rich.table"`, `"matplotlib.pyplot"`).
        extra: The tokenprobs extra that installs it (`pandas`, `rich`, `plot`).
        feature: What needs it, as the user called it (`"TokenDistribution.to_pandas()"`).

    Raises:
        MissingDependencyError: The module is not installed; the message gives
            `pip install "pytokenprobs[extra]"`.
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        package = module.split(".", 1)[0]
        raise MissingDependencyError(feature, package, extra) from None
