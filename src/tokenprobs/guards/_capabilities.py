"""What each kind of server can do with a prompt: one table, read by scoring and the playground.

The guard profiles (`_servers.py`) say what a server refuses; this table says what it can do
beyond sampling: continue a given prefix on legacy completions, continue a final assistant message
on chat completions (and with which flags), echo a prompt with its logprobs, take token ids as a
prompt. Each cell names where it was verified; `able=None` means not verified here.

`server_kind` tells the kinds apart from a response's own fields (the guard profiles lump
llama-cpp-python and llama.cpp's C++ `llama-server` together, or cannot tell them at all).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tokenprobs._access import get
from tokenprobs._said import a_value, among
from tokenprobs._urls import openai_host
from tokenprobs.guards._detect import detect_server

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "CAPABILITIES",
    "Capability",
    "ServerCapabilities",
    "capabilities_markdown",
    "server_capabilities",
    "server_kind",
    "servers_that",
]


@dataclass(frozen=True)
class Capability:
    """One thing a server can (or cannot) do, how, and where that was verified."""

    able: bool | None
    """True: it can; False: it cannot; None: not verified here."""
    how: str
    """What to send, or what the server does instead (a sentence, for docs and refusals)."""
    source: str = ""
    """Where it was verified (a file of the server's source, a measured recording, a doc)."""


_UNVERIFIED = Capability(None, "")


@dataclass(frozen=True, kw_only=True)
class ServerCapabilities:
    """The capabilities of one kind of server."""

    kind: str
    """`"openai"`, `"vllm"`, `"llama-server"`, `"llama-cpp-python"`, `"ollama"`, `"tgi"` or
    `"compatible"` (a server nothing identified)."""
    name: str
    profile: str
    """The guard profile its requests are checked with."""
    completion_prefix: Capability = _UNVERIFIED
    """Legacy `/v1/completions` continues the prompt as given (what a completion branch needs)."""
    chat_prefill: Capability
    """Chat completions continue a final assistant message instead of starting a new one."""
    prefill_flags: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    """The request-body fields a chat prefill needs beside the messages (`extra_body`)."""
    echo_logprobs: Capability = _UNVERIFIED
    """`echo=True` with `logprobs` returns the prompt's own logprobs (what `tp.score` needs)."""
    token_id_prompts: Capability = _UNVERIFIED
    """A legacy completion's `prompt` may be a list of token ids."""
    detected_by: str
    """How `server_kind` recognises its answers (or why it cannot)."""


_CAPABILITY_FIELDS = tuple(
    f.name for f in fields(ServerCapabilities) if f.type in ("Capability", Capability)
)
"""The fields of `ServerCapabilities` that are a `Capability` (what `servers_that` reads)."""


def _yes(how: str, source: str = "") -> Capability:
    return Capability(able=True, how=how, source=source)


def _no(how: str, source: str = "") -> Capability:
    return Capability(able=False, how=how, source=source)


def _unverified(how: str, source: str = "") -> Capability:
    return Capability(able=None, how=how, source=source)


_VLLM_PROTOCOL = (
    "vLLM's ChatCompletionRequest (vllm/entrypoints/openai/chat_completion/protocol.py): "
    "add_generation_prompt (default true), continue_final_message (default false, 'cannot be "
    "used at the same time as add_generation_prompt')"
)
_LLAMA_SERVER_CHAT = (
    "llama.cpp tools/server/server-common.cpp, oaicompat_chat_params_parse: 'if the assistant "
    "message appears at the end of list, we do not add end-of-turn token'"
)
_LCP = "llama-cpp-python 0.3.36"
_SCORING = "docs/scoring.md (measured: make integration, make integration-vllm)"

CAPABILITIES: Mapping[str, ServerCapabilities] = MappingProxyType(
    {
        c.kind: c
        for c in (
            ServerCapabilities(
                kind="openai",
                name="OpenAI",
                profile="openai",
                completion_prefix=_yes(
                    "legacy completions continue the prompt (gpt-3.5-turbo-instruct, "
                    "davinci-002, babbage-002)",
                    "OpenAI API reference, Completions",
                ),
                chat_prefill=_no(
                    "chat completions start a new assistant message: a trailing assistant "
                    "message is read as an earlier turn, not continued",
                    "OpenAI API reference, Chat Completions (no prefill parameter)",
                ),
                echo_logprobs=_yes(
                    "base models only: davinci-002, babbage-002 (at most 5 logprobs); "
                    "gpt-3.5-turbo-instruct refuses echo with logprobs, chat models have no echo",
                    _SCORING,
                ),
                token_id_prompts=_yes(
                    "legacy completions take a token array as the prompt",
                    "OpenAI API reference, Completions (`prompt`)",
                ),
                detected_by="api.openai.com or Azure base URLs; base62 ids, `fp_` fingerprints",
            ),
            ServerCapabilities(
                kind="vllm",
                name="vLLM",
                profile="vllm",
                completion_prefix=_yes("legacy completions continue the prompt", _SCORING),
                chat_prefill=_yes(
                    "`continue_final_message: true` and `add_generation_prompt: false`: the chat "
                    "template leaves the final assistant message open and the model continues it",
                    _VLLM_PROTOCOL,
                ),
                prefill_flags=MappingProxyType(
                    {"continue_final_message": True, "add_generation_prompt": False}
                ),
                echo_logprobs=_yes(
                    "echo on /v1/completions, and `prompt_logprobs` beside it", _SCORING
                ),
                token_id_prompts=_yes(
                    "`prompt` may be a list of token ids",
                    "vLLM's CompletionRequest (`prompt`)",
                ),
                detected_by="`--profile vllm`, or vLLM's own fields in a response "
                "(`prompt_logprobs`, `prompt_token_ids`, `kv_transfer_params`)",
            ),
            ServerCapabilities(
                kind="llama-server",
                name="llama.cpp's llama-server",
                profile="compatible",
                completion_prefix=_yes(
                    "legacy completions continue the prompt",
                    "llama.cpp tools/server/README.md (`/v1/completions`)",
                ),
                chat_prefill=_yes(
                    "a final assistant message is a prefill, no flag needed: the template is "
                    "applied to the messages before it and its content appended as is (unless "
                    "the server runs with `--no-prefill-assistant`; a thinking template refuses "
                    "it: 'Assistant response prefill is incompatible with enable_thinking.')",
                    _LLAMA_SERVER_CHAT,
                ),
                echo_logprobs=_no("ignores echo: the answer is generated tokens only", _SCORING),
                token_id_prompts=_yes(
                    "`prompt` may hold token ids",
                    "llama.cpp tools/server/README.md (`prompt`)",
                ),
                detected_by="its `system_fingerprint`, the build: `b<number>-<commit>`",
            ),
            ServerCapabilities(
                kind="llama-cpp-python",
                name="llama-cpp-python's server",
                profile="llama.cpp",
                completion_prefix=_yes(
                    "legacy completions continue the prompt",
                    "make integration (the playground's browser test branches on it)",
                ),
                chat_prefill=_no(
                    "every message is closed and a new assistant turn opened (its chat formatter "
                    "renders with add_generation_prompt=True, and the request has no field to "
                    "change it): a trailing assistant message is not continued",
                    f"{_LCP}: llama_cpp/llama_chat_format.py (Jinja2ChatFormatter), "
                    "llama_cpp/server/types.py (CreateChatCompletionRequest); measured: "
                    "tests/integration/test_playground_prefill.py",
                ),
                echo_logprobs=_yes(
                    "echo on /v1/completions; shifted by one position for a model without a BOS "
                    "token (upstream issue #1983), which `tp.score` refuses",
                    _SCORING,
                ),
                token_id_prompts=_no(
                    "`prompt` is a string or a list of strings",
                    f"{_LCP}: llama_cpp/server/types.py (CreateCompletionRequest)",
                ),
                detected_by="ids `chatcmpl-<uuid4>` / `cmpl-<uuid4>` without a fingerprint",
            ),
            ServerCapabilities(
                kind="ollama",
                name="Ollama",
                profile="compatible",
                completion_prefix=_unverified(
                    "Ollama may wrap a completion prompt in the model's template",
                ),
                chat_prefill=_yes(
                    "a final assistant message is continued where the model's template leaves "
                    "the last message open (Ollama's own templates do), no flag needed",
                    "ollama/ollama issues #6778 and #5890 (the maintainers' answers); not "
                    "measured here",
                ),
                detected_by="its `system_fingerprint`: `fp_ollama`",
            ),
            ServerCapabilities(
                kind="tgi",
                name="Text Generation Inference",
                profile="compatible",
                chat_prefill=_yes(
                    "`continue_final_message: true` continues the final message",
                    "huggingface/text-generation-inference pull request #2733 (merged); not "
                    "measured here",
                ),
                prefill_flags=MappingProxyType({"continue_final_message": True}),
                detected_by="not detected: its answers carry nothing verified as TGI's own",
            ),
            ServerCapabilities(
                kind="compatible",
                name="any other compatible server",
                profile="compatible",
                completion_prefix=_yes(
                    "assumed: what legacy completions are for (not verified per server)"
                ),
                chat_prefill=_no(
                    "nothing identified the server, so whether it continues a final assistant "
                    "message or answers it is unknown (vLLM: `--profile vllm`; llama.cpp's "
                    "llama-server and Ollama are recognised from their answers)",
                ),
                echo_logprobs=_unverified("`tp.score` checks the answer"),
                detected_by="what is left when nothing else matched",
            ),
        )
    }
)
"""The capabilities of each kind of server, by kind."""

_BUILD = re.compile(r"b\d+-[0-9a-f]{6,40}")
_AZURE_DOMAINS = (".azure.com", ".azure.us")
"""Azure's hosts, whose OpenAI API is the one under `/openai` (other paths serve other models)."""
_PROFILE_KIND = {"openai": "openai", "vllm": "vllm", "llama.cpp": "llama-cpp-python"}


def server_kind(response: object) -> str | None:
    """The kind of server (a key of `CAPABILITIES`) a response's own fields point to.

    Examples:
        >>> server_kind({"id": "chatcmpl-x", "system_fingerprint": "b6123-4e1a2f3", "choices": []})
        'llama-server'
        >>> server_kind({"id": "chatcmpl-730", "system_fingerprint": "fp_ollama", "choices": []})
        'ollama'
        >>> server_kind({"id": "cmpl-dfa90eb8-0b5e-4c8e-9d2a-6f1b2c3d4e5f", "choices": []})
        'llama-cpp-python'
    """
    fingerprint = get(response, "system_fingerprint")
    if isinstance(fingerprint, str):
        if _BUILD.fullmatch(fingerprint):
            return "llama-server"
        if fingerprint == "fp_ollama":
            return "ollama"
    profile = detect_server(response)
    return "llama-cpp-python" if profile == "llama.cpp" else profile


def server_capabilities(
    base_url: str | None, *, profile: str | None = None, seen: str | None = None
) -> ServerCapabilities:
    """The capabilities of the server at `base_url`.

    Args:
        base_url: The client's base URL (`None`: OpenAI's API).
        profile: The guard profile named for it, if any (`"vllm"` identifies vLLM).
        seen: The kind `server_kind` read from one of its answers, if any. On a base URL of
            OpenAI's own this is ignored; elsewhere an `"openai"` reading is too (vLLM's and
            other servers' ids can look like OpenAI's).

    Raises:
        TypeError: If `base_url`, `profile` or `seen` is not a str or None (a URL object, as
            `client.base_url` is, is read as its text).
    """
    url: object = base_url  # typed, but a caller may pass anything
    if not isinstance(url, str) and all(hasattr(url, a) for a in ("scheme", "host", "path")):
        url = str(url)  # a URL object: httpx's (`client.base_url`), yarl's
    if url is not None and not isinstance(url, str):
        msg = (
            "server_capabilities: base_url is the client's base URL, a str or None "
            f"(OpenAI's API), got {a_value(url, width=40)}"
        )
        raise TypeError(msg)
    given: dict[str, object] = {"profile": profile, "seen": seen}
    for name, value in given.items():
        if value is not None and not isinstance(value, str):
            msg = f"server_capabilities: {name} is a str or None, got {a_value(value, width=40)}"
            raise TypeError(msg)
    parts = urlsplit(url or "https://api.openai.com/v1")
    host, path = parts.hostname or "", parts.path
    azure = host.endswith(_AZURE_DOMAINS) and path.startswith("/openai")
    if openai_host(host) or azure:
        return CAPABILITIES["openai"]
    if seen is not None and seen != "openai" and seen in CAPABILITIES:
        return CAPABILITIES[seen]
    return CAPABILITIES[_PROFILE_KIND.get(profile or "", "compatible")]


def servers_that(
    capability: str,
) -> tuple[tuple[ServerCapabilities, ...], tuple[ServerCapabilities, ...]]:
    """The kinds whose `capability` cell says yes, and those whose cell says no.

    `capability` is a field of `ServerCapabilities` (`"echo_logprobs"`, `"chat_prefill"` ...);
    a kind whose cell is not verified is in neither.

    Examples:
        >>> can, cannot = servers_that("echo_logprobs")
        >>> [c.kind for c in cannot]
        ['llama-server']

    Raises:
        TypeError: If `capability` is not a str.
        ValueError: If it names no capability (the message lists them).
    """
    name: object = capability  # typed, but a caller may pass anything
    if not among(name, _CAPABILITY_FIELDS):
        if not isinstance(name, str):
            msg = f"servers_that: capability is a field's name, a str, got {a_value(name)}"
            raise TypeError(msg)
        msg = (
            f"servers_that: {capability!r} is no capability; the capabilities are "
            f"{', '.join(_CAPABILITY_FIELDS)}"
        )
        raise ValueError(msg)
    cells = [(c, getattr(c, capability)) for c in CAPABILITIES.values()]
    can = tuple(c for c, cell in cells if cell.able is True)
    return can, tuple(c for c, cell in cells if cell.able is False)


def _cell(c: Capability) -> str:
    if c.able is None:
        return "not verified" + (f": {c.how}" if c.how else "")
    return ("**yes**: " if c.able else "**no**: ") + c.how


def capabilities_markdown() -> str:
    """The table as Markdown (docs/playground.md and docs/scoring.md hold this copy)."""
    lines = [
        (
            "| server | continues a prefix (completions) | chat prefill | echo with logprobs "
            "| token-id prompts | recognised by |"
        ),
        "|---|---|---|---|---|---|",
    ]
    for c in CAPABILITIES.values():
        cells = (c.completion_prefix, c.chat_prefill, c.echo_logprobs, c.token_id_prompts)
        lines.append(
            f"| {c.name} | " + " | ".join(_cell(x) for x in cells) + f" | {c.detected_by} |"
        )
    lines += ["", "Where each cell was verified:", ""]
    for c in CAPABILITIES.values():
        named = (
            ("prefix", c.completion_prefix),
            ("prefill", c.chat_prefill),
            ("echo", c.echo_logprobs),
            ("token ids", c.token_id_prompts),
        )
        sources = "; ".join(f"{what}: {x.source}" for what, x in named if x.source)
        lines.append(f"- {c.name}: {sources or 'nothing verified here'}")
    return "\n".join(lines)
