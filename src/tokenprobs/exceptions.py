"""The errors and warnings tokenprobs raises, all under one root.

```
TokenprobsError
├── MissingLogprobsError        the response carries no logprobs: says which parameter asks for them
├── UnsupportedResponseError    the shape is not one we know, or a known field has a wrong value
├── APIResponseError            the body is an API error ({"error": {...}}), not a response
├── MissingDependencyError      an optional extra is not installed: gives the pip install line
├── MissingAPIKeyError          no client given and OPENAI_API_KEY unset (also openai.OpenAIError)
├── StreamInterruptedError      a stream broke mid-way: carries what arrived (.distributions)
├── StreamNotFinishedError      a stream's result read before its end (also a RuntimeError)
├── ScoringError                a server cannot score given text (ignores echo, shifts it, refuses
│                               echo with logprobs): names the server and the alternative
└── GuardError                  a request the API would refuse, refused locally (also the SDK's
                                own BadRequestError / PermissionDeniedError, see tokenprobs.guards)

TokenprobsWarning (UserWarning)
└── GuardWarning                a request the API would accept but alter (e.g. clamp)
```

Errors from the SDK itself (network, status errors from the server) pass through unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import openai

from tokenprobs._endpoints import ENDPOINTS

if TYPE_CHECKING:
    from tokenprobs.models import TokenDistribution

__all__ = [
    "APIResponseError",
    "GuardError",
    "GuardWarning",
    "MissingAPIKeyError",
    "MissingDependencyError",
    "MissingLogprobsError",
    "ScoringError",
    "StreamInterruptedError",
    "StreamNotFinishedError",
    "TokenprobsError",
    "TokenprobsWarning",
    "UnsupportedResponseError",
]

_ENABLE_HINT = {name: info.ask_logprobs for name, info in ENDPOINTS.items()}


class TokenprobsError(Exception):
    """The root of every error tokenprobs raises itself.

    Every one pickles to an equal error (message, type and attributes), as a worker process
    sends it back: its `__init__` is not called again on the finished message.
    """

    def __reduce__(self) -> tuple[object, ...]:
        """Rebuild from the message and the attributes, not by calling `__init__` again.

        The default calls `cls(*self.args)`: an `__init__` that builds its message from its
        arguments doubled it ("the body is an API error, not a response: the body is an API
        error ..."), and one that takes other arguments failed to unpickle at all.
        """
        return _rebuilt, (type(self), self.args, self.__dict__)


def _rebuilt(
    cls: type[BaseException], args: tuple[object, ...], state: dict[str, object]
) -> BaseException:
    """An error of `cls` with `args` and the attributes `state`, without its `__init__`."""
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class MissingLogprobsError(TokenprobsError):
    """The response is of a known shape but carries no log-probabilities.

    Attributes:
        endpoint: The endpoint the response came from (`"chat.completions"`, `"responses"`,
            `"completions"`), or `None` when it could not be told.
        hint: How to ask for logprobs on that endpoint.
        not_requested: True when the likely cause is that logprobs were not asked for (the hint
            then says how to ask); False when the cause is known to be another one.
    """

    def __init__(self, what: str, *, endpoint: str | None = None, hint: str | None = None) -> None:
        """Build the error from what was missing and the endpoint it came from."""
        self.endpoint = endpoint
        self.not_requested = hint is None
        if hint is None:
            hint = (
                _ENABLE_HINT[endpoint]
                if endpoint in _ENABLE_HINT
                else "; ".join(f"{k}: {v}" for k, v in _ENABLE_HINT.items())
            )
        self.hint = hint
        super().__init__(f"{what}. To get them, {hint}.")


class UnsupportedResponseError(TokenprobsError):
    """The object is not a response shape tokenprobs knows, or a known field is malformed.

    Attributes:
        field: The path of the offending field (e.g. `choices[0].logprobs.content[3].logprob`),
            or `None` when the whole object was not recognised.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        """Build the error; `message` says what was seen and what was expected."""
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class APIResponseError(TokenprobsError):
    """The body is an error returned by an API, not a response with logprobs.

    Recognises OpenAI's `{"error": {message, type, param, code}}`, vLLM's top-level
    `{"object": "error", ...}` with a numeric `code`, a bare `{"detail": ...}`, and Google's
    `{"error": {code, message, status}}`.

    Attributes:
        message: The server's message.
        type: The error type (`invalid_request_error`, `BadRequestError`, `INVALID_ARGUMENT` ...).
        param: The offending parameter, when the server named one.
        code: The server's code, as given (a string, an integer, or `None`).
        body: The error object itself.
    """

    def __init__(
        self,
        message: str,
        *,
        type: str | None = None,  # noqa: A002 - mirrors the API's field name
        param: str | None = None,
        code: str | int | None = None,
        body: object = None,
    ) -> None:
        """Build the error from the fields of the server's error object."""
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.body = body
        details = ", ".join(
            f"{k}={v!r}" for k, v in (("type", type), ("param", param), ("code", code)) if v
        )
        super().__init__(
            f"the body is an API error, not a response: {message}"
            + (f" ({details})" if details else "")
        )


class MissingDependencyError(TokenprobsError, ImportError):
    """An optional extra needed for this feature is not installed."""

    def __init__(self, feature: str, package: str, extra: str) -> None:
        """Say which feature needs which package and how to install it."""
        self.package = package
        self.extra = extra
        super().__init__(
            f"{feature} needs {package}, which is not installed: "
            f'pip install "pytokenprobs[{extra}]"'
        )


class MissingAPIKeyError(TokenprobsError, openai.OpenAIError):
    """No client was given and `OPENAI_API_KEY` is not set, so no default client can be built."""

    def __init__(self) -> None:
        """Say which variable to set, and the alternatives."""
        super().__init__(
            "no client was given and OPENAI_API_KEY is not set: set it, or pass "
            "client=OpenAI(api_key=..., base_url=...) (any OpenAI-compatible server works)"
        )


class StreamInterruptedError(TokenprobsError):
    """The stream broke before its end; what arrived is kept, marked `incomplete`.

    Attributes:
        distributions: One incomplete distribution per choice that had received positions.
        distribution: The first of them (choice 0, usually), or `None` when nothing arrived.
    """

    def __init__(self, cause: BaseException, distributions: list[TokenDistribution]) -> None:
        """Wrap the error that broke the stream, with the partial distributions."""
        self.distributions = distributions
        self.distribution = distributions[0] if distributions else None
        got = ", ".join(
            f"choice {d.choice}: {len(d)} position{'s' * (len(d) != 1)}" for d in distributions
        )
        super().__init__(
            f"the stream broke ({type(cause).__name__}: {cause}); "
            f"kept what arrived ({got or 'no positions'}) as .distributions"
        )


class StreamNotFinishedError(TokenprobsError, RuntimeError):
    """A stream's final distribution was asked for before the stream ended.

    Iterate it to its end, or call `until_done()`, first. Also a `RuntimeError` (what it was).
    """


class ScoringError(TokenprobsError):
    """The server cannot score given text, or its answer would be a wrong score.

    Raised instead of a silently wrong result: a server that ignores `echo` (llama.cpp's C++
    server: the distribution would be of generated tokens), one whose echoed logprobs are
    shifted by a position (llama-cpp-python without a BOS token), one that refuses `echo` with
    `logprobs` (OpenAI's instruct models), or an answer whose echo does not spell the prompt.

    Attributes:
        server: Who answered (`"llama.cpp"`, `"vllm"`, `"openai"`, a base URL), when known.
        hint: What to do instead.
    """

    def __init__(self, what: str, *, server: str | None = None, hint: str) -> None:
        """Build the error from what went wrong, who answered and the alternative."""
        self.server = server
        self.hint = hint
        super().__init__(f"{what}. {hint}.")


class GuardError(TokenprobsError):
    """A request the API would refuse, refused before any network call.

    Instances raised by the guards are also instances of the SDK's own exception class for the
    server's answer (`openai.BadRequestError` or `openai.PermissionDeniedError`), with the same
    status, body, message, `param` and `code`.
    """


class TokenprobsWarning(UserWarning):
    """The root of every warning tokenprobs emits."""


class GuardWarning(TokenprobsWarning):
    """A request the API would accept but not honour as written (e.g. a silently clamped value)."""
