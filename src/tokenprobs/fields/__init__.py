"""Per-field confidence of structured (JSON) outputs, from the token bytes.

```python
from tokenprobs import fields

fc = fields.confidence(d, schema=MyModel)  # every leaf of the JSON in d's content
fc["/items/0/sku"].value, fc["/items/0/sku"].prob, fc["/items/0/sku"].decision
invoice, fc = fields.parse(d, MyModel)  # the model validated, leaves keyed by its field names
```
"""

from tokenprobs._public import rehome
from tokenprobs.fields._confidence import confidence
from tokenprobs.fields._decision import Decision
from tokenprobs.fields._errors import FieldsError, JSONNotFoundError, SchemaError
from tokenprobs.fields._pydantic import parse
from tokenprobs.fields._result import FieldConfidence, FieldConfidences, Key
from tokenprobs.fields._tokens import FORCED_GAP

__all__ = [
    "FORCED_GAP",
    "Decision",
    "FieldConfidence",
    "FieldConfidences",
    "FieldsError",
    "JSONNotFoundError",
    "Key",
    "SchemaError",
    "confidence",
    "parse",
]

rehome(
    __name__,
    Decision,
    FieldConfidence,
    FieldConfidences,
    FieldsError,
    JSONNotFoundError,
    SchemaError,
)
