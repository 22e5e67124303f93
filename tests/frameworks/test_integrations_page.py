"""The examples of docs/integrations.md run, unchanged, against the loopback server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests._gemini_bodies import BODY as GEMINI_BODY
from tests._gemini_bodies import SSE as GEMINI_SSE
from tests.frameworks._bodies import BUILT_CHAT, RECORDED_CHAT
from tests.frameworks._ollama_bodies import CHAT as OLLAMA_CHAT
from tests.frameworks._ollama_bodies import without_bytes

import tokenprobs as tp

PAGE = Path(__file__).resolve().parents[2] / "docs" / "integrations.md"
ANSWER = tp.testing.chat_completion(
    [
        ("[[ ## answer ## ]]\n", -0.01, []),
        ("yes", -0.2, [("yes", -0.2), ("no", -1.8)]),
        ("\n\n[[ ## completed ## ]]", -0.05, []),
    ]
)
"""An answer in DSPy's ChatAdapter format, for the page's `dspy.Predict`."""


def examples() -> dict[str, str]:
    """Each `## With X` section's Python block, by X."""
    text = PAGE.read_text(encoding="utf-8")
    sections = re.split(r"^## With (\w[\w-]*)\n", text, flags=re.MULTILINE)[1:]
    found = {}
    for name, body in zip(sections[::2], sections[1::2], strict=True):
        blocks = re.findall(r"```python\n(.*?)```", body, flags=re.DOTALL)
        assert len(blocks) == 1, f"{name}: one runnable example per framework"
        found[name] = blocks[0]
    return found


# What each example is answered with: its plain call's body, then the next calls' bodies (a list
# of lines is an NDJSON stream, Ollama's).
REPLIES = {
    "LangChain": [RECORDED_CHAT.body, BUILT_CHAT.stream],
    "LiteLLM": [RECORDED_CHAT.body, RECORDED_CHAT.stream],
    "pydantic-ai": [RECORDED_CHAT.body, BUILT_CHAT.stream],
    "DSPy": [RECORDED_CHAT.body, ANSWER],
    "Ollama": [OLLAMA_CHAT.lines, OLLAMA_CHAT.lines],
    "Gemini": [GEMINI_BODY, GEMINI_SSE],
}
FIRST = {"Ollama": without_bytes(OLLAMA_CHAT.lines)}
"""What the example's `d` parses as, when not the first reply itself (the ollama client drops
the entries' `bytes`)."""


def test_every_framework_has_an_example():
    """The page has one example for each framework the tests answer for."""
    assert set(examples()) == set(REPLIES)


@pytest.mark.parametrize("name", sorted(REPLIES))
def test_example_runs_and_parses_what_the_server_sent(server, monkeypatch, capsys, name):
    """The example, run as written, gives the distributions of the bodies the server sent."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OLLAMA_HOST", server.root)
    monkeypatch.setenv("GEMINI_API_KEY", "test-key")
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", server.root)
    for reply in REPLIES[name]:
        if isinstance(reply, list):
            server.reply_ndjson(reply)
        else:
            server.reply(reply)
    namespace: dict[str, object] = {}
    exec(compile(examples()[name], f"integrations.md ({name})", "exec"), namespace)  # noqa: S102
    assert not server.replies, "every queued answer was asked for"
    first = tp.parse(FIRST.get(name, REPLIES[name][0]))
    assert namespace["d"] == first.model_copy(update={"response": namespace["d"].response})
    assert capsys.readouterr().out.startswith(first.text)
    second = tp.parse(REPLIES[name][1])
    got = namespace.get("stream") or tp.parse(namespace["prediction"])
    assert got.tokens == second.tokens
    assert got.logprobs.tolist() == second.logprobs.tolist()
