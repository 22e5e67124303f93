"""Proxy-tuning over an API's top-k: steer a large model with a small tuned pair.

```python
from tokenprobs import proxy

step = proxy.combine(base, expert, anti, alpha=1.0, support="union")
step.distribution.tokens, step.certified, step.imputed_mass, step.base_coverage
```
"""

from tokenprobs._public import rehome
from tokenprobs.proxy._combine import ProxyStep, Support, combine
from tokenprobs.proxy._dense import DenseLogprobs

__all__ = ["DenseLogprobs", "ProxyStep", "Support", "combine"]

rehome(__name__, DenseLogprobs, ProxyStep)
