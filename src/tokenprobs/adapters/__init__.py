"""Every response shape to `TokenDistribution`: `parse` (one choice) and `parse_all` (all).

The shape is detected, never declared: SDK objects, their dicts, JSON text or bytes, lists or
iterators of stream chunks / events, and raw SSE or NDJSON text.
"""

from tokenprobs._public import rehome
from tokenprobs.adapters._dispatch import parse, parse_all
from tokenprobs.adapters.callbacks import DistributionCollector, langchain_collector
from tokenprobs.adapters.stream import SSE, StreamAccumulator, parse_sse

__all__ = [
    "SSE",
    "DistributionCollector",
    "StreamAccumulator",
    "langchain_collector",
    "parse",
    "parse_all",
    "parse_sse",
]

rehome(__name__, StreamAccumulator)
