"""tokenprobs: an LLM's token probabilities, typed, byte-exact and fast.

```python
import tokenprobs as tp

d = tp.parse(response)  # any logprobs-bearing response shape
d.tokens, d.probs, d.entropy  # columns, computed once
```
"""

from importlib.metadata import version as _version

from tokenprobs import guards, metrics, render, testing
from tokenprobs.adapters import StreamAccumulator, parse, parse_all
from tokenprobs.exceptions import (
    APIResponseError,
    GuardError,
    GuardWarning,
    MissingDependencyError,
    MissingLogprobsError,
    TokenprobsError,
    TokenprobsWarning,
    UnsupportedResponseError,
)
from tokenprobs.guards import check_request
from tokenprobs.models import Span, TokenDistribution, TokenLogprob, TopLogprob

__version__ = _version("pytokenprobs")

__all__ = [
    "APIResponseError",
    "GuardError",
    "GuardWarning",
    "MissingDependencyError",
    "MissingLogprobsError",
    "Span",
    "StreamAccumulator",
    "TokenDistribution",
    "TokenLogprob",
    "TokenprobsError",
    "TokenprobsWarning",
    "TopLogprob",
    "UnsupportedResponseError",
    "__version__",
    "check_request",
    "guards",
    "metrics",
    "parse",
    "parse_all",
    "render",
    "testing",
]
