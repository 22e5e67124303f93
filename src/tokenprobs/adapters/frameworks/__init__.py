"""What LLM frameworks hand back (LangChain, LiteLLM, pydantic-ai, DSPy, Ollama's client), read.

Detected by the module of the object's class (`langchain_core.`, `litellm.`, `pydantic_ai.`,
`dspy.`, `ollama.`), so no framework is imported unless the object comes from it. When the
framework object carries no logprobs, the `MissingLogprobsError` names the framework and the
option that keeps them (or says the version in use cannot).
"""

from tokenprobs.adapters.frameworks._detect import (
    Generic,
    parse_dumped,
    parse_framework,
    refuse_dumped_messages,
)

__all__ = ["Generic", "parse_dumped", "parse_framework", "refuse_dumped_messages"]
