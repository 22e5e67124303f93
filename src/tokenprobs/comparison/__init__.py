"""Comparing two outputs of the same text: per-position divergence intervals.

```python
import tokenprobs as tp

c = tp.compare(d1, d2, floor=None)  # two models (or temperatures) on one text
c.tv, c.js, c.kl  # each (T, 2): [lo, hi] that contain the true divergence
```
"""

from tokenprobs._public import rehome
from tokenprobs.comparison._compare import Comparison, ComparisonError, compare

__all__ = ["Comparison", "ComparisonError", "compare"]

rehome(__name__, Comparison, ComparisonError)
