"""tokenprobs: an LLM's token probabilities, typed, byte-exact and fast.

```python
import tokenprobs as tp

d = tp.parse(response)  # any logprobs-bearing response shape
d.tokens, d.probs, d.entropy  # columns, computed once
```
"""

from importlib.metadata import version as _version

from tokenprobs import (
    batch,
    client,
    comparison,
    distill,
    examples,
    export,
    fields,
    guards,
    labels,
    metrics,
    models,
    proxy,
    render,
    scoring,
    testing,
)
from tokenprobs.adapters import StreamAccumulator, parse, parse_all
from tokenprobs.client import (
    DEFAULT_RETRY,
    AsyncDistributionStream,
    DistributionStream,
    RetryPolicy,
    StreamUpdate,
    aget_token_distribution,
    aget_token_distributions,
    get_token_distribution,
    get_token_distributions,
)
from tokenprobs.comparison import Comparison, compare
from tokenprobs.exceptions import (
    APIResponseError,
    GuardError,
    GuardWarning,
    MissingAPIKeyError,
    MissingDependencyError,
    MissingLogprobsError,
    ScoringError,
    StreamInterruptedError,
    StreamNotFinishedError,
    TokenprobsError,
    TokenprobsWarning,
    UnsupportedResponseError,
)
from tokenprobs.guards import check_request
from tokenprobs.labels import LabelResult, Labels, aclassify, classify
from tokenprobs.models import Span, TokenDistribution, TokenLogprob, TopLogprob
from tokenprobs.scoring import ChoiceScores, ascore, ascore_choices, score, score_choices

__version__ = _version("pytokenprobs")

__all__ = [
    "APIResponseError",
    "AsyncDistributionStream",
    "ChoiceScores",
    "Comparison",
    "DEFAULT_RETRY",
    "DistributionStream",
    "GuardError",
    "GuardWarning",
    "LabelResult",
    "Labels",
    "MissingAPIKeyError",
    "MissingDependencyError",
    "MissingLogprobsError",
    "RetryPolicy",
    "ScoringError",
    "Span",
    "StreamAccumulator",
    "StreamInterruptedError",
    "StreamNotFinishedError",
    "StreamUpdate",
    "TokenDistribution",
    "TokenLogprob",
    "TokenprobsError",
    "TokenprobsWarning",
    "TopLogprob",
    "UnsupportedResponseError",
    "__version__",
    "aclassify",
    "aget_token_distribution",
    "aget_token_distributions",
    "ascore",
    "ascore_choices",
    "batch",
    "check_request",
    "classify",
    "client",
    "compare",
    "comparison",
    "distill",
    "examples",
    "export",
    "fields",
    "get_token_distribution",
    "get_token_distributions",
    "guards",
    "labels",
    "metrics",
    "models",
    "parse",
    "parse_all",
    "proxy",
    "render",
    "score",
    "score_choices",
    "scoring",
    "testing",
]
