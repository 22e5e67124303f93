"""The only network I/O: one call, retries, streams and many prompts, each with an async twin.

`get_token_distribution` builds the request (`build_params`), runs the guards, calls the SDK with
retries (`RetryPolicy`) and parses the answer; `stream=True` gives a `DistributionStream` of
updates; `get_token_distributions` runs many prompts with bounded concurrency.
"""

from tokenprobs._endpoints import Endpoint
from tokenprobs._public import rehome
from tokenprobs.client._call import aget_token_distribution, get_token_distribution
from tokenprobs.client._many import aget_token_distributions, get_token_distributions
from tokenprobs.client._request import ENDPOINTS, Prompt, build_params
from tokenprobs.client._retry import DEFAULT_RETRY, RetryPolicy, no_sleep
from tokenprobs.client._state import StreamUpdate
from tokenprobs.client._stream import AsyncDistributionStream, DistributionStream
from tokenprobs.guards import GuardMode

__all__ = [
    "DEFAULT_RETRY",
    "ENDPOINTS",
    "AsyncDistributionStream",
    "DistributionStream",
    "Endpoint",
    "GuardMode",
    "Prompt",
    "RetryPolicy",
    "StreamUpdate",
    "aget_token_distribution",
    "aget_token_distributions",
    "build_params",
    "get_token_distribution",
    "get_token_distributions",
    "no_sleep",
]

rehome(__name__, AsyncDistributionStream, DistributionStream, RetryPolicy, StreamUpdate)
