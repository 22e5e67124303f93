"""msgspec structs of a chat completion body, for the fast path's accelerator (`_fast_typed`).

Importing this module needs msgspec (the `fast` extra). Every struct forbids keys it does not
name, so a body with anything else (ids, vLLM's extras) is left to the regex path.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

__all__ = ["decode"]

_Byte = Annotated[int, msgspec.Meta(ge=0, le=255)]
_UNSET: Any = msgspec.UNSET


class _Alt(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    token: str
    logprob: float
    bytes: msgspec.Raw = msgspec.Raw(b"null")  # the JSON text; a missing key reads as null


class _Entry(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    token: str
    logprob: float
    bytes: list[_Byte] | None = None
    top_logprobs: list[_Alt] | None = None


class _Logprobs(msgspec.Struct, forbid_unknown_fields=True):
    content: list[_Entry] | msgspec.UnsetType | None = _UNSET
    refusal: list[_Entry] | msgspec.UnsetType | None = _UNSET


class _Choice(msgspec.Struct, forbid_unknown_fields=True):
    logprobs: _Logprobs | msgspec.UnsetType | None = _UNSET
    index: Any = _UNSET
    message: Any = _UNSET
    finish_reason: Any = _UNSET
    stop_reason: Any = _UNSET
    content_filter_results: Any = _UNSET


class _Chat(msgspec.Struct, forbid_unknown_fields=True):
    object: str
    choices: list[_Choice]
    id: Any = _UNSET
    created: Any = _UNSET
    model: Any = _UNSET
    usage: Any = _UNSET
    system_fingerprint: Any = _UNSET
    service_tier: Any = _UNSET
    prompt_filter_results: Any = _UNSET


_DECODER = msgspec.json.Decoder(_Chat)


def decode(data: bytes) -> dict[str, Any] | None:
    """The chat completion `data` as the regex path's dict (token entries as structs), or None.

    `None` for any body it does not decode exactly: another shape, a key a chat completion
    does not have, a type or value out of place, invalid JSON.
    """
    try:
        top = _DECODER.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    if top.object != "chat.completion":
        return None
    out = _fields(top)
    out["choices"] = choices = [_fields(c) for c in top.choices]
    for c in choices:
        if isinstance(lp := c.get("logprobs"), _Logprobs):
            c["logprobs"] = _fields(lp)
    return out


def _fields(struct: msgspec.Struct) -> dict[str, Any]:
    """A struct's fields that the body set, in field order (as a dict of the body)."""
    return {
        name: value
        for name in struct.__struct_fields__
        if (value := getattr(struct, name)) is not _UNSET
    }
