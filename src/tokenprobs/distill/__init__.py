"""Distillation from top-k soft labels: records, storage, student vocabularies, targets, losses.

```python
from tokenprobs import distill

records = distill.collect([Path("batch_output.jsonl")], inputs="batch_input.jsonl")
distill.write_parquet(records, "kd/")  # raw values, schema tokenprobs.kd/1
vocab = distill.StudentVocab.from_tiktoken(tiktoken.get_encoding("o200k_base"))
for r in distill.read_parquet("kd/"):
    a = distill.to_arrays(r, k=20, tail="bucket", vocab=vocab)  # (T, K) targets
```
"""

from tokenprobs._public import rehome
from tokenprobs.distill._arrays import KDArrays, TailRule, to_arrays
from tokenprobs.distill._collect import collect, read_inputs
from tokenprobs.distill._cross import StudentArrays, to_student_arrays
from tokenprobs.distill._dask import dask_collect_to_parquet
from tokenprobs.distill._formats import (
    AXOLOTL_PAD_LOGPROB,
    to_axolotl,
    to_distillkit,
    to_tinker,
    write_axolotl,
    write_distillkit,
)
from tokenprobs.distill._jsonl import from_json, read_jsonl, to_json, write_jsonl
from tokenprobs.distill._loss import topk_loss
from tokenprobs.distill._parallel import collect_to_parquet
from tokenprobs.distill._parquet import read_parquet, write_parquet
from tokenprobs.distill._record import SCHEMA, Candidate, DistillError, KDRecord, Semantics, Teacher
from tokenprobs.distill._vocab import Coverage, StudentVocab, coverage

__all__ = [
    "AXOLOTL_PAD_LOGPROB",
    "SCHEMA",
    "Candidate",
    "Coverage",
    "DistillError",
    "KDArrays",
    "KDRecord",
    "Semantics",
    "StudentArrays",
    "StudentVocab",
    "TailRule",
    "Teacher",
    "collect",
    "collect_to_parquet",
    "coverage",
    "dask_collect_to_parquet",
    "from_json",
    "read_inputs",
    "read_jsonl",
    "read_parquet",
    "to_arrays",
    "to_axolotl",
    "to_distillkit",
    "to_json",
    "to_student_arrays",
    "to_tinker",
    "topk_loss",
    "write_axolotl",
    "write_distillkit",
    "write_jsonl",
    "write_parquet",
]

rehome(
    __name__,
    Candidate,
    Coverage,
    DistillError,
    KDArrays,
    KDRecord,
    StudentArrays,
    StudentVocab,
    Teacher,
)
