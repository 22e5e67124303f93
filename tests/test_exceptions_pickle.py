"""Every tokenprobs error pickles to an equal one, as a worker process sends it back.

The default `BaseException` pickle calls `cls(*args)` on the finished message: errors whose
`__init__` builds the message doubled it, and those taking other arguments did not unpickle.
"""

import pickle
import warnings

import openai
import pytest

import tokenprobs as tp
from tokenprobs import exceptions as e
from tokenprobs.comparison import ComparisonError
from tokenprobs.distill import DistillError
from tokenprobs.labels._position import LabelPositionError
from tokenprobs.testing import chat_completion


def _guard_error():
    params = {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "x"}],
        "logprobs": True,
        "top_logprobs": 99,
    }
    with pytest.raises(tp.GuardError) as info:
        tp.check_request("chat.completions", params)
    return info.value


def _interrupted():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = tp.parse(chat_completion([("a", -0.1, [])]))
    return e.StreamInterruptedError(ConnectionError("reset"), [d])


ERRORS = {
    "missing-logprobs": lambda: e.MissingLogprobsError("no logprobs", endpoint="chat.completions"),
    "missing-logprobs-any": lambda: e.MissingLogprobsError("no logprobs"),
    "unsupported": lambda: e.UnsupportedResponseError("bad", field="choices[0]"),
    "api-error": lambda: e.APIResponseError("bad", type="x", code=400, body={"error": {}}),
    "dependency": lambda: e.MissingDependencyError("plots", "matplotlib", "plot"),
    "api-key": e.MissingAPIKeyError,
    "interrupted": _interrupted,
    "not-finished": lambda: e.StreamNotFinishedError("iterate it first"),
    "scoring": lambda: e.ScoringError("cannot score", server="vllm", hint="use echo"),
    "guard": _guard_error,
    "label-position": lambda: LabelPositionError("no such key"),
    "distill": lambda: DistillError("bad record"),
    "comparison": lambda: ComparisonError("not one text"),
}


@pytest.mark.parametrize("make", ERRORS.values(), ids=ERRORS.keys())
def test_an_error_unpickles_to_the_same_message_type_and_attributes(make):
    """Message, args and attributes survive; `__init__` is not run again on the message."""
    error = make()
    back = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own
    assert type(back) is type(error)
    assert str(back) == str(error)
    assert back.args == error.args
    assert vars(back).keys() == vars(error).keys()
    plain = (str, int, type(None), bool, dict)
    for name, value in vars(error).items():
        if isinstance(value, plain):
            assert getattr(back, name) == value, name


def test_a_guard_error_unpickles_as_the_sdks_error_too():
    """The guards' error is still the SDK's `BadRequestError`, with its status and param."""
    back = pickle.loads(pickle.dumps(_guard_error()))  # noqa: S301 - our own
    assert isinstance(back, openai.BadRequestError)
    assert back.status_code == 400
    assert back.param == "top_logprobs"
