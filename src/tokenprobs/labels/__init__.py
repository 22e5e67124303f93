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
from tokenprobs.labels._classify import DEFAULT_PROMPT, LabelsWarning, classify
from tokenprobs.labels._judge import ExpectedScore, expected_score
from tokenprobs.labels._labels import Labels
from tokenprobs.labels._plot import reliability_diagram
from tokenprobs.labels._position import Char, LabelPositionError
from tokenprobs.labels._result import LabelResult, LabelResults

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
    "VectorScaling",
    "calibrate",
    "classify",
    "expected_score",
    "reliability_diagram",
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
    VectorScaling,
)
