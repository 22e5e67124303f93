"""Callback handlers that collect a `TokenDistribution` per model call, without patching anything.

LangChain's: `config={"callbacks": [collector]}` on any call, or `callbacks=[...]` on the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from tokenprobs._optional import require
from tokenprobs.adapters._dispatch import parse
from tokenprobs.adapters._plausible import checked_asked
from tokenprobs.exceptions import MissingLogprobsError, UnsupportedResponseError

if TYPE_CHECKING:
    from tokenprobs.models import TokenDistribution

__all__ = ["DistributionCollector", "langchain_collector"]


class DistributionCollector(Protocol):
    """What a collector holds: the distributions parsed so far, and the calls that had none."""

    distributions: list[TokenDistribution]
    """One per answer (per generation of each chat model call), in the order they ended."""
    errors: list[MissingLogprobsError | UnsupportedResponseError]
    """Why an answer gave no distribution (asked without logprobs, a tool call …)."""


def langchain_collector(*, top_logprobs: int | None = None) -> DistributionCollector:
    """A LangChain callback handler that parses every model answer as it ends.

    Pass it where LangChain takes callbacks; each answer's distribution (a chat model's, or a
    completion LLM's such as `langchain_openai.OpenAI(logprobs=k)`'s) is appended to
    `.distributions` (streamed answers too: LangChain hands the handler their sum). An answer
    without logprobs is not an error of the call: its `MissingLogprobsError` goes to `.errors`.

    Args:
        top_logprobs: The `top_logprobs` the model asks for: an answer holding fewer at every
            position warns, as `tp.parse(..., top_logprobs=k)` does (a capping server).

    Raises:
        MissingDependencyError: langchain-core is not installed.
        TypeError: `top_logprobs` is not an integer (`ValueError`: below 0).

    Examples:
        ```python
        collector = tp.adapters.langchain_collector()
        llm = ChatOpenAI(model="gpt-4o-mini", logprobs=True, top_logprobs=5)
        llm.invoke("Say hi", config={"callbacks": [collector]})
        collector.distributions[-1].perplexity
        ```
    """
    asked = checked_asked(top_logprobs)
    callbacks = require(
        "langchain_core.callbacks", feature="langchain_collector", extra="frameworks"
    )

    base: Any = callbacks.BaseCallbackHandler  # untyped here: langchain-core is optional

    class TokenDistributionCollector(base):  # type: ignore[misc]
        """Collects a `TokenDistribution` per LangChain model answer."""

        def __init__(self) -> None:
            self.distributions: list[TokenDistribution] = []
            self.errors: list[MissingLogprobsError | UnsupportedResponseError] = []

        def on_llm_end(self, response: Any, **kwargs: Any) -> None:  # noqa: ANN401, ARG002 - LangChain's signature
            for generations in response.generations:  # per prompt; in each, one per choice
                for j, generation in enumerate(generations):
                    message = getattr(generation, "message", None)
                    try:  # a completion LLM's Generation has no message: read it as it is
                        d = parse(generation if message is None else message, top_logprobs=asked)
                    except (MissingLogprobsError, UnsupportedResponseError) as exc:
                        self.errors.append(exc)
                        continue
                    self.distributions.append(d.model_copy(update={"choice": j}) if j else d)

    collector: DistributionCollector = TokenDistributionCollector()
    return collector
