"""Refuse locally, before any network call, what the API would refuse, exactly as it would.

```python
import tokenprobs as tp

tp.check_request("chat.completions", {"model": "gpt-4o", "top_logprobs": 25, "logprobs": True})
# openai.BadRequestError (also tp.GuardError): Error code: 400 - Invalid value for
# 'top_logprobs': must be less than or equal to 20.
```

The raised exception is an instance of the class the installed SDK raises for the server's
answer (`openai.BadRequestError`, or `openai.PermissionDeniedError` for a 403), built from an
HTTP response of the installed SDK's own HTTP library (`httpx2` for openai 3.x, `httpx` for 2.x)
through the SDK's own message logic, so `status_code`, `body`, `message`, `param`, `code` and
`type` equal the server's (only `request_id` is `None`). It is also a `tokenprobs.GuardError`.

The rules are data (`_openai.py` and `_servers.py`, rendered into `docs/guards.md`); `_check.py`
selects a profile and a model family, walks the rules in the server's order and raises the first
that fires. `register_model` and `register_profile` change the tables at run time.
`CAPABILITIES` (`_capabilities.py`) is what each kind of server can do with a prompt (continue
a prefix, continue a final assistant message, echo prompt logprobs, take token ids): scoring and
the playground read it, and `server_kind` tells the kinds apart from their answers.
"""

from tokenprobs._public import rehome
from tokenprobs.guards._capabilities import (
    CAPABILITIES,
    Capability,
    ServerCapabilities,
    capabilities_markdown,
    server_capabilities,
    server_kind,
    servers_that,
)
from tokenprobs.guards._check import (
    check_request,
    detected_server,
    register_model,
    register_profile,
    remember_server,
    reset,
    resolve_model,
    rules,
    select_profile,
)
from tokenprobs.guards._detect import detect_server
from tokenprobs.guards._docs import render_markdown
from tokenprobs.guards._errors import (
    GuardBadRequestError,
    GuardInternalServerError,
    GuardPermissionDeniedError,
)
from tokenprobs.guards._types import GuardMode, GuardProfile, ModelFamily, Rule

__all__ = [
    "CAPABILITIES",
    "Capability",
    "GuardBadRequestError",
    "GuardInternalServerError",
    "GuardMode",
    "GuardPermissionDeniedError",
    "GuardProfile",
    "ModelFamily",
    "Rule",
    "ServerCapabilities",
    "capabilities_markdown",
    "check_request",
    "detect_server",
    "detected_server",
    "register_model",
    "register_profile",
    "remember_server",
    "render_markdown",
    "reset",
    "resolve_model",
    "rules",
    "select_profile",
    "server_capabilities",
    "server_kind",
    "servers_that",
]

rehome(
    __name__,
    Capability,
    GuardBadRequestError,
    GuardInternalServerError,
    GuardPermissionDeniedError,
    GuardProfile,
    ModelFamily,
    Rule,
    ServerCapabilities,
)
