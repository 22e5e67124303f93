"""Proxy-tuning over an API's top-k: steer a large model with a small tuned pair.

```python
from tokenprobs import proxy

step = proxy.combine(base, expert, anti, alpha=1.0, support="union")
step.distribution.tokens, step.certified, step.imputed_mass, step.base_coverage
```
"""

from tokenprobs._public import rehome
from tokenprobs.proxy._bytes import BytePrefix, ByteScorer, PrefixLogprobs
from tokenprobs.proxy._choose import MultipleChoice, choose
from tokenprobs.proxy._combine import ProxyStep, Support, combine
from tokenprobs.proxy._dense import DenseLogprobs
from tokenprobs.proxy._drafter import CompletionsDrafter, Drafter, Generation
from tokenprobs.proxy._generate import generate
from tokenprobs.proxy._hf import TransformersScorer
from tokenprobs.proxy._llama import LlamaCppScorer
from tokenprobs.proxy._scorer import Scorer

__all__ = [
    "BytePrefix",
    "ByteScorer",
    "CompletionsDrafter",
    "DenseLogprobs",
    "Drafter",
    "Generation",
    "LlamaCppScorer",
    "MultipleChoice",
    "PrefixLogprobs",
    "ProxyStep",
    "Scorer",
    "Support",
    "TransformersScorer",
    "choose",
    "combine",
    "generate",
]

rehome(
    __name__,
    BytePrefix,
    ByteScorer,
    CompletionsDrafter,
    DenseLogprobs,
    Drafter,
    Generation,
    LlamaCppScorer,
    MultipleChoice,
    PrefixLogprobs,
    ProxyStep,
    Scorer,
    TransformersScorer,
)
