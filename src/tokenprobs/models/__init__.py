"""The typed data: tokens, a whole output's distribution, the candidate set at each position.

`TopLogprob` and `TokenLogprob` mirror the SDK's `TopLogprob` / `ChatCompletionTokenLogprob`;
`TokenDistribution` is columnar; `Candidates` and `align` are the shared base of the tools
(labels, fields, scoring, distillation, divergences, proxy-tuning).
"""

from tokenprobs._public import rehome
from tokenprobs.models._align import AlignedPosition, align
from tokenprobs.models._arrays import SENTINEL
from tokenprobs.models._distribution import TokenDistribution
from tokenprobs.models._support import Candidates
from tokenprobs.models._tokens import DistributionMeta, Span, TokenLogprob, TopLogprob

__all__ = [
    "SENTINEL",
    "AlignedPosition",
    "Candidates",
    "DistributionMeta",
    "Span",
    "TokenDistribution",
    "TokenLogprob",
    "TopLogprob",
    "align",
]

rehome(
    __name__,
    AlignedPosition,
    Candidates,
    DistributionMeta,
    Span,
    TokenDistribution,
    TokenLogprob,
    TopLogprob,
)
