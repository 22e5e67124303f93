"""The exceptions guards raise: the installed SDK's own classes, built as the SDK builds them."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, cast

import openai

from tokenprobs._endpoints import ENDPOINTS
from tokenprobs.exceptions import GuardError

if TYPE_CHECKING:
    from types import ModuleType

    from tokenprobs._endpoints import Endpoint
    from tokenprobs.guards._types import Fields, Rule

__all__ = [
    "GuardBadRequestError",
    "GuardErrors",
    "GuardInternalServerError",
    "GuardPermissionDeniedError",
    "build_error",
]


class GuardBadRequestError(GuardError, openai.BadRequestError):
    """A 400 the API would answer, raised locally: an `openai.BadRequestError` and a `GuardError`.

    Attributes:
        rule: The id of the rule that fired (see `docs/guards.md`).
    """

    rule: str


class GuardPermissionDeniedError(GuardError, openai.PermissionDeniedError):
    """The 403 the API would answer, raised locally (`openai.PermissionDeniedError` too).

    Attributes:
        rule: The id of the rule that fired (see `docs/guards.md`).
    """

    rule: str


class GuardInternalServerError(GuardError, openai.InternalServerError):
    """The HTTP 500 llama.cpp answers for some invalid values, raised locally.

    An `openai.InternalServerError` and a `GuardError`; never retried.

    Attributes:
        rule: The id of the rule that fired (see `docs/guards.md`).
    """

    rule: str


GuardErrors = GuardBadRequestError | GuardPermissionDeniedError | GuardInternalServerError
_CLASSES: Mapping[int, type[GuardErrors]] = {
    400: GuardBadRequestError,
    403: GuardPermissionDeniedError,
    500: GuardInternalServerError,
}


def build_error(rule: Rule, fields: Fields, base_url: str, endpoint: Endpoint) -> GuardErrors:
    """The SDK's exception for the server's answer, built as the SDK builds it."""
    status = cast("int", rule.status)
    http = _sdk_http()
    url = str(base_url).rstrip("/") + ENDPOINTS[endpoint].path
    response = http.Response(
        status, request=http.Request("POST", url), json={"error": rule.body(fields)}
    )
    err_msg, body = _sdk_message(response)
    error = _CLASSES[status](err_msg, response=response, body=body)
    error.rule = rule.id
    return error


def _sdk_http() -> ModuleType:
    """`httpx2` under openai 3.x, `httpx` under 2.x: whichever the installed SDK speaks."""
    base_client = importlib.import_module("openai._base_client")
    return cast("ModuleType", getattr(base_client, "httpx2", None) or base_client.httpx)


class _Capture:
    """Stands in for a client: receives what the SDK would build the exception from."""

    def _make_status_error(self, err_msg: str, *, body: object, response: object) -> object:
        del response
        inner = body.get("error", body) if isinstance(body, Mapping) else body
        return (err_msg, inner)


def _sdk_message(response: object) -> tuple[str, object]:
    """The installed SDK's own `(message, body)` for this response (its format changed at 3.38)."""
    make = openai.OpenAI._make_status_error_from_response  # noqa: SLF001 - the SDK's own logic
    return cast("tuple[str, object]", make(cast("openai.OpenAI", _Capture()), response))  # type: ignore[arg-type]
