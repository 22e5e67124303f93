"""Which server wrote a response: the guard profile to use for the next request to it.

A base URL on a random local port says nothing; the response's own fields do. Measured here
(tests/integration/recorded/): llama-cpp-python answers with ids `chatcmpl-<uuid4>` /
`cmpl-<uuid4>`, no `system_fingerprint` key at all, and `bytes: null` everywhere (LiteLLM's
proxy writes the same ids, `"chatcmpl-" + str(uuid.uuid4())`, but with `"system_fingerprint":
null`: that key, even null, is not llama-cpp-python's); vLLM adds fields of its
own (`prompt_logprobs`, `kv_transfer_params`, `prompt_token_ids`), `null` unless asked for, so
their presence is what tells (its ids are hex, like OpenAI's in length); OpenAI's ids are base62
(`chatcmpl-AigSM81a...`) and its responses carry an `fp_...` system fingerprint or the
Responses API's `resp_...` ids.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from tokenprobs._access import get

__all__ = ["detect_server"]

_UUID4_ID = re.compile(
    r"(?:chatcmpl|cmpl)-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
)
_OPENAI_ID = re.compile(r"(?:chatcmpl|cmpl)-[A-Za-z0-9]{20,40}|resp_[0-9a-f]{20,}")
_VLLM_FIELDS = ("prompt_logprobs", "kv_transfer_params", "prompt_token_ids")


def detect_server(response: object) -> str | None:
    """The guard profile (`"openai"`, `"vllm"`, `"llama.cpp"`) a response's fields point to.

    Args:
        response: A response as an SDK object or its dict.

    Returns:
        The profile's name, or `None` when the fields do not tell.

    Examples:
        >>> detect_server({"id": "chatcmpl-AigSM81aLFRN07IUezlC3zlZ9zdaU", "choices": []})
        'openai'
        >>> detect_server({"id": "cmpl-dfa90eb8-0b5e-4c8e-9d2a-6f1b2c3d4e5f", "choices": []})
        'llama.cpp'
    """
    extra = getattr(response, "model_extra", None) or {}
    if isinstance(response, dict):
        extra = response
    if any(name in extra for name in _VLLM_FIELDS):
        return "vllm"
    ident = get(response, "id")
    if not isinstance(ident, str):
        return None
    fingerprint = get(response, "system_fingerprint")
    if _UUID4_ID.fullmatch(ident) and not _sent(response, "system_fingerprint"):
        return "llama.cpp"
    if _OPENAI_ID.fullmatch(ident) or (
        isinstance(fingerprint, str) and fingerprint.startswith("fp_")
    ):
        return "openai"
    return None


def _sent(response: object, name: str) -> bool:
    """Whether the response carried the field `name` at all, even as `null`.

    A dict says so by its keys; an SDK object (a pydantic model) by its `model_fields_set`,
    which holds the fields its JSON had, or by its extra fields.
    """
    if isinstance(response, Mapping):
        return name in response
    fields = getattr(response, "model_fields_set", None) or set()
    extra = getattr(response, "model_extra", None) or {}
    return name in fields or name in extra
