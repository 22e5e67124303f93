"""What scripts/integration-proxy.sh tells the proxy integration tests, or why they cannot run."""

from __future__ import annotations

import os

from tests._unavailable import unavailable

SMOLLM2 = (
    "TOKENPROBS_PROXY_URL",
    "TOKENPROBS_PROXY_BASE_GGUF",
    "TOKENPROBS_PROXY_EXPERT_GGUF",
    "TOKENPROBS_PROXY_ANTI_GGUF",
)
"""The SmolLM2 base server, its GGUF, and the tuned twin (expert, anti-expert)."""
GEMMA = ("TOKENPROBS_PROXY_GEMMA_URL", "TOKENPROBS_PROXY_EXPERT_GGUF", "TOKENPROBS_PROXY_ANTI_GGUF")
"""The Gemma 3 base server and the same twin (another tokenizer than the base's)."""


def proxy_env(names: tuple[str, ...]) -> list[str]:
    """The variables' values, in order; fail in CI (skip by hand) when one is not set."""
    missing = [v for v in names if not os.environ.get(v)]
    if missing:
        why = f"{', '.join(missing)} not set: run scripts/integration-proxy.sh (make integration)"
        unavailable(why, ci="CI needs the real base servers and models")
    return [os.environ[v] for v in names]
