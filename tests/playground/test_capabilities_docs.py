"""The docs' copies of the servers' capability table are the table (no drift)."""

import json
import re
from pathlib import Path

import pytest

import tokenprobs as tp

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCK = re.compile(
    r"<!-- capabilities: generated [^>]*-->\n\n(.*?)\n\n<!-- /capabilities -->", re.DOTALL
)


@pytest.mark.parametrize("page", ["playground.md", "scoring.md"])
def test_the_docs_table_is_rendered_from_the_one_table(page):
    """Regenerate with `tp.guards.capabilities_markdown()` between the markers when this fails."""
    copies = BLOCK.findall((DOCS / page).read_text(encoding="utf-8"))
    assert copies == [tp.guards.capabilities_markdown()]


def test_every_kind_has_every_cell_and_a_source_where_verified():
    """A cell that says yes or no names where that was verified; the profiles exist."""
    for kind, caps in tp.guards.CAPABILITIES.items():
        assert caps.kind == kind
        assert tp.guards.select_profile(None, caps.profile).name == caps.profile
        for name in ("completion_prefix", "chat_prefill", "echo_logprobs", "token_id_prompts"):
            cell = getattr(caps, name)
            assert cell.able in (True, False, None)
            if cell.able is not None and kind != "compatible":
                assert cell.source, (kind, name)
        if caps.prefill_flags:
            assert caps.chat_prefill.able is True


def test_the_scoring_hint_names_the_tables_echo_servers():
    """tp.score's hint lists the servers the table marks as echoing, and those that ignore it."""
    from tokenprobs.scoring._echo import _ECHO_HINT  # noqa: PLC0415 - the hint, as raised

    can, cannot = tp.guards.servers_that("echo_logprobs")
    assert {c.kind for c in can} == {"openai", "vllm", "llama-cpp-python"}
    assert all(c.name in _ECHO_HINT for c in can + cannot)


def test_the_playground_docs_name_the_flags_the_table_sends():
    """docs/playground.md's chat-branch table says what CAPABILITIES' prefill_flags send."""
    text = (DOCS / "playground.md").read_text(encoding="utf-8").split("<!-- capabilities:")[0]
    rows = {
        "vllm": "| vLLM (`--profile vllm`) |",
        "llama-server": "| llama.cpp's C++ `llama-server` |",
        "ollama": "| Ollama |",
        "tgi": "| Text Generation Inference |",
    }
    for kind, start in rows.items():
        (line,) = [x for x in text.splitlines() if x.startswith(start)]
        flags = tp.guards.CAPABILITIES[kind].prefill_flags
        if flags:
            assert all(f"`{k}: {json.dumps(v)}`" in line for k, v in flags.items()), kind
        else:
            assert line.removeprefix(start).strip().startswith("nothing:"), kind
