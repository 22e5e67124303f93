"""Honest top-k maths on token log-probabilities: pure numpy, array in, array out.

An API returns only the head of each next-token distribution. At one position the *support* is
the set of distinct returned tokens (the alternatives plus the sampled token, counted once); the
mass outside it is the *tail*. Quantities that need the whole distribution are either estimates
over the renormalised support (`entropy`, `renormalize`) or bounds (`entropy_bounds`); the rest
(`probs`, `margin`, `tail_mass`, the sequence aggregates) are exact. Divergences between two
truncated distributions (`tv_bounds`, `js_bounds`, `kl_bounds`) are intervals that contain the
truth. `summary` computes the per-position quantities together, from one `exp`.

Conventions, shared by every function (see docs/metrics.md for the formulas):

* Logprobs are natural logs. `-9999.0` (the API's "outside the top 20" sentinel), anything below
  it and `-inf` mean *no mass, not a member*. Positive values (coarse API rounding) are clipped
  to 0; `+inf`, no logprob at all, is a `ValueError`. NaN means *unknown* (the API gave `null`)
  and makes the result at that position NaN.
* Reductions run along `axis` (default: the last), with scipy's `keepdims`; `base=None` gives
  nats, `base=2` bits. Nothing loops over positions in Python and nothing emits RuntimeWarning.
"""

from tokenprobs._public import rehome
from tokenprobs.metrics._calibration import (
    Binning,
    BrierDecomposition,
    ECEInterval,
    Reliability,
    brier_decomposition,
    brier_score,
    ece,
    ece_interval,
    nll,
    reliability,
)
from tokenprobs.metrics._divergence import js_bounds, kl_bounds, tv_bounds
from tokenprobs.metrics._entropy_bounds import entropy_bounds
from tokenprobs.metrics._numeric import SENTINEL
from tokenprobs.metrics._position import (
    Summary,
    entropy,
    log_margin,
    margin,
    probs,
    renormalize,
    summary,
    support,
    tail_mass,
)
from tokenprobs.metrics._sequence import mean_logprob, perplexity, sequence_logprob, surprisal

__all__ = [
    "SENTINEL",
    "Binning",
    "BrierDecomposition",
    "ECEInterval",
    "Reliability",
    "Summary",
    "brier_decomposition",
    "brier_score",
    "ece",
    "ece_interval",
    "entropy",
    "entropy_bounds",
    "js_bounds",
    "kl_bounds",
    "log_margin",
    "margin",
    "mean_logprob",
    "nll",
    "perplexity",
    "probs",
    "reliability",
    "renormalize",
    "sequence_logprob",
    "summary",
    "support",
    "surprisal",
    "tail_mass",
    "tv_bounds",
]

rehome(__name__, BrierDecomposition, ECEInterval, Reliability, Summary)
