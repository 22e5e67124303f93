"""Fuzzed parsers: a correct distribution or a typed error, never anything else.

Mutated recorded and built responses end in a correct distribution or a typed error naming the
problem, never another exception, never NaN where a number is promised.
"""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.reliability._checks import agree, outcome, recorded_texts
from tests.reliability.conftest import SCALE
from tests.reliability.strategies import (
    hostile_values,
    mutate,
    mutate_text,
    positions,
    to_wire,
)

from tokenprobs import testing
from tokenprobs.adapters import parse_sse

RECORDED = recorded_texts()


def _seed_object(raw: bytes) -> object:
    """A recorded file as a tree to mutate: its JSON, or its SSE events' payloads."""
    try:
        return json.loads(raw)
    except ValueError:
        return parse_sse(raw.decode("utf-8")).payloads


SEEDS = {name: _seed_object(raw) for name, raw in RECORDED.items() if not name.endswith(".txt")}

BUILDERS = {
    "chat": lambda p: testing.chat_completion(p, p[:2]),
    "chat-refusal": lambda p: testing.chat_completion(p, refusal=True),
    "chat-chunks": lambda p: testing.chat_chunks(p, p[1:]),
    "completion": testing.completion,
    "completion-no-top": lambda p: testing.completion(p, top=False),
    "completion-chunks": testing.completion_chunks,
    "response": testing.response,
    "response-events": testing.response_events,
}


def test_every_recorded_fixture_parses_or_fails_typed():
    """The unmutated recorded files: the baseline the mutations start from."""
    for raw in RECORDED.values():
        outcome(raw, category="parse inputs")


def _every_form(tree: object) -> None:
    """The mutated tree as an object (checked in full), then as JSON text, bytes and SSE text.

    Each must give the same outcome: the raw-text paths agree with the object path.
    """
    reference = outcome(tree, category="parse inputs")
    for how in ("text", "bytes", "sse") if isinstance(tree, list) else ("text", "bytes"):
        agree(to_wire(tree, how), reference, category="parse inputs")


@settings(max_examples=120 * SCALE)
@given(data=st.data(), name=st.sampled_from(sorted(SEEDS)))
def test_mutated_recorded_responses(data, name):
    """Recorded responses with fields dropped, duplicated, emptied, shuffled or of a wrong type."""
    tree, _ = data.draw(mutate(SEEDS[name]))
    _every_form(tree)


@settings(max_examples=120 * SCALE)
@given(data=st.data(), kind=st.sampled_from(sorted(BUILDERS)), pos=positions())
def test_mutated_built_responses(data, kind, pos):
    """Built responses of every shape, mutated, as objects, JSON text or bytes, or SSE."""
    tree, _ = data.draw(mutate(BUILDERS[kind](pos)))
    _every_form(tree)


@settings(max_examples=200 * SCALE)
@given(data=st.data(), name=st.sampled_from(sorted(RECORDED)))
def test_mutated_recorded_bytes(data, name):
    """Recorded bodies as bytes: duplicated fields, cuts, invalid UTF-8, spliced events, CRLF."""
    raw, _ = data.draw(mutate_text(RECORDED[name]))
    outcome(raw, category="parse inputs")


@settings(max_examples=200 * SCALE)
@given(data=st.data(), kind=st.sampled_from(sorted(BUILDERS)), pos=positions())
def test_mutated_built_bytes(data, kind, pos):
    """Built bodies (JSON or SSE) mutated as bytes."""
    body = BUILDERS[kind](pos)
    raw = to_wire(body, "sse" if isinstance(body, list) else "bytes")
    raw, _ = data.draw(mutate_text(raw.encode() if isinstance(raw, str) else raw))
    outcome(raw, category="parse inputs")


@settings(max_examples=100 * SCALE)
@given(value=hostile_values())
def test_arbitrary_values(value):
    """Anything at all: a typed error, or (for a shape it recognises) a correct distribution."""
    outcome(value, category="parse inputs")
