"""Framework objects are told by their class's module: no framework is imported to parse."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from langchain_core.messages import HumanMessage
from pydantic_ai.messages import ModelRequest

import tokenprobs as tp

FRAMEWORKS = (
    "langchain_core",
    "langchain_openai",
    "langchain_ollama",
    "litellm",
    "pydantic_ai",
    "dspy",
    "ollama",
    "google.genai",
)


def test_parsing_imports_no_framework():
    """Importing tokenprobs and parsing every API shape leaves the frameworks unimported."""
    code = textwrap.dedent(
        f"""
        import sys
        import tokenprobs as tp
        from tokenprobs.testing import chat_chunks, chat_completion, response, response_events, sse
        p = [("Hi", -0.1, [("Hi", -0.1), ("Hello", -2.0)])]
        ollama_line = {{"model": "m", "response": "Hi", "done": True, "logprobs": []}}
        gemini = {{"candidates": [{{"content": {{"parts": [{{"text": "Hi"}}]}}, "logprobsResult":
                   {{"chosenCandidates": [{{"token": "Hi", "logProbability": -0.1}}]}}}}]}}
        for shape in (chat_completion(p), chat_chunks(p), sse(chat_chunks(p)), response(p),
                      response_events(p), [{{"text": "Hi", "logprobs": None}}], ollama_line,
                      gemini):
            try:
                tp.parse(shape)
            except tp.TokenprobsError:
                pass
        print(sorted(m for m in {FRAMEWORKS!r} if m in sys.modules))
        """
    )
    out = subprocess.run(  # noqa: S603 - our own code, run by the current interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]", out.stderr


def test_a_framework_object_without_an_answer_says_what_was_expected():
    """A LangChain HumanMessage, or pydantic-ai messages with no response, name what to pass."""
    with pytest.raises(tp.UnsupportedResponseError, match="HumanMessage is not a chat model's"):
        tp.parse(HumanMessage("hi"))
    with pytest.raises(tp.UnsupportedResponseError, match="holds no ModelResponse"):
        tp.parse([ModelRequest.user_text_prompt("hi")])
