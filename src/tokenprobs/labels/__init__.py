"""Decisions from token probabilities: label probabilities, judge scores, calibration.

```python
import tokenprobs as tp

res = tp.Labels(["yes", "no"]).probs(d)  # at the first content-bearing position
res.probs, res.bounds, res.tail  # normalised, [lo, hi] on the truth, what top-k missed
```
"""

from tokenprobs._public import rehome
from tokenprobs.labels._calibrate import (
    MIN_EXAMPLES,
    BatchCalibration,
    CalibrationWarning,
    Calibrator,
    ContextualCalibration,
    PlattScaling,
    TemperatureScaling,
    VectorScaling,
    calibrate,
)
from tokenprobs.labels._classify import DEFAULT_PROMPT, LabelsWarning, aclassify, classify
from tokenprobs.labels._judge import ExpectedScore, expected_score
from tokenprobs.labels._labels import Labels
from tokenprobs.labels._plot import reliability_diagram
from tokenprobs.labels._position import Char, LabelPositionError
from tokenprobs.labels._result import LabelResult, LabelResults
from tokenprobs.labels._uncertainty import (
    UncertaintyScores,
    log_perplexity,
    maximum_sequence_probability,
    mean_token_entropy,
    mean_token_entropy_bounds,
    mean_token_negentropy,
    min_probability,
    min_token_negentropy,
    probability_margin,
    sequence_probability,
    uncertainty_scores,
)

__all__ = [
    "DEFAULT_PROMPT",
    "MIN_EXAMPLES",
    "BatchCalibration",
    "CalibrationWarning",
    "Calibrator",
    "Char",
    "ContextualCalibration",
    "ExpectedScore",
    "LabelPositionError",
    "LabelResult",
    "LabelResults",
    "Labels",
    "LabelsWarning",
    "PlattScaling",
    "TemperatureScaling",
    "UncertaintyScores",
    "VectorScaling",
    "aclassify",
    "calibrate",
    "classify",
    "expected_score",
    "log_perplexity",
    "maximum_sequence_probability",
    "mean_token_entropy",
    "mean_token_entropy_bounds",
    "mean_token_negentropy",
    "min_probability",
    "min_token_negentropy",
    "probability_margin",
    "reliability_diagram",
    "sequence_probability",
    "uncertainty_scores",
]

rehome(
    __name__,
    BatchCalibration,
    CalibrationWarning,
    Calibrator,
    Char,
    ContextualCalibration,
    ExpectedScore,
    LabelPositionError,
    LabelResult,
    LabelResults,
    Labels,
    LabelsWarning,
    PlattScaling,
    TemperatureScaling,
    UncertaintyScores,
    VectorScaling,
)
