r"""Real responses bundled with the package, to try everything without a key or a network.

Each example is a recorded response (its origin is in the package's `data/SOURCES.md`):

| name | what it shows |
|---|---|
| `apiref` | OpenAI's API-reference chat example, `top_logprobs=2` |
| `emoji` | gpt-4o writing 💙, split over two tokens (`\xf0\x9f\x92` + `\x99`) |
| `structured` | a Structured Outputs answer (the SDK's `ParsedChatCompletion` dump) |
| `stream` | a chat stream, as the SSE text the server sent |
| `responses` | a Responses API answer with output-text logprobs |

Examples:
    >>> from tokenprobs import examples
    >>> d = examples.load("emoji")
    >>> d.text.splitlines()[-1], d.tokens[10:12]
    ('💙 Blue Heart', ['\\xf0\\x9f\\x92', '\\x99'])
    >>> examples.names()
    ('apiref', 'emoji', 'responses', 'stream', 'structured')
"""

from __future__ import annotations

import importlib.resources
from typing import TYPE_CHECKING

from tokenprobs._said import a_type
from tokenprobs.adapters import parse

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from tokenprobs.models import TokenDistribution

__all__ = ["load", "names", "path", "raw"]

_FILES = {
    "apiref": "chat_gpt-4o-mini_top2_openai_apiref_example.json",
    "emoji": "chat_gpt-4o_blue_heart_emoji_split_reconstructed.json",
    "responses": "responses_gpt-4o-mini_output_text_logprobs_top0.json",
    "stream": "chat_stream_gpt-4o-2024-08-06_logprobs_foo.sse",
    "structured": "chat_gpt-4o-2024-08-06_structured_output_sdk_dump.json",
}


def names() -> tuple[str, ...]:
    """The names of the bundled examples, sorted."""
    return tuple(_FILES)


def path(name: str) -> Traversable:
    """The bundled file of example `name` (a `Traversable`; a real path in an installed wheel).

    Raises:
        KeyError: If there is no example of that name (the message lists the names).
        TypeError: If `name` is not a str (a list of names, say).
    """
    given: object = name  # typed, but called with what users pass
    if not isinstance(given, str):
        msg = f"an example's name is a str, one of {', '.join(_FILES)}; got {a_type(given)}"
        raise TypeError(msg)
    try:
        file = _FILES[name]
    except KeyError:
        msg = f"no bundled example {name!r}; the examples are: {', '.join(_FILES)}"
        raise KeyError(msg) from None
    return importlib.resources.files("tokenprobs").joinpath("data", file)


def raw(name: str) -> bytes:
    """The bytes of example `name`, exactly as recorded (JSON, or SSE text for `stream`)."""
    return path(name).read_bytes()


def load(name: str) -> TokenDistribution:
    """Example `name` parsed: `tp.parse(raw(name))`."""
    return parse(raw(name))
