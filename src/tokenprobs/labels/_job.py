"""What the labels' sync/async twins share: prompts sent through the many-prompts machinery.

`classify` / `aclassify` and `Labels.score` / `Labels.ascore` each build a `Job` (every input and
argument checked before any request), then `send` or `asend` it: the one step where the twins
differ is which of `get_token_distributions` and `aget_token_distributions` sends the prompts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from tokenprobs.client import aget_token_distributions, get_token_distributions

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tokenprobs.client import Prompt
    from tokenprobs.models import TokenDistribution

__all__ = ["Job"]

R = TypeVar("R")


@dataclass(frozen=True)
class Job(Generic[R]):
    """The prompts, the keyword arguments of `get_token_distributions`, and how answers are read.

    Subclasses define `finish`, which turns the answers (a distribution or the exception of a
    failed request, in prompt order) into the result.
    """

    prompts: Sequence[Prompt]
    options: dict[str, Any]

    def finish(self, answers: Sequence[TokenDistribution | Exception]) -> R:
        """The result of the answers."""
        raise NotImplementedError

    def send(self) -> R:
        """Send the prompts with `get_token_distributions` and read the answers."""
        return self.finish(get_token_distributions(self.prompts, **self.options))

    async def asend(self) -> R:
        """Send the prompts with `aget_token_distributions` and read the answers."""
        return self.finish(await aget_token_distributions(self.prompts, **self.options))
