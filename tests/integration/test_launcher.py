"""The AMX-off launcher's patch, on a stand-in `llama_cpp` (no llama.cpp build needed)."""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

import pytest

LAUNCHER = Path(__file__).parents[2] / "scripts" / "llama_server_noamx.py"


@pytest.fixture
def fake_llama_cpp(monkeypatch):
    """A `llama_cpp.llama_cpp` whose default model params have extra buffer types on."""
    calls = []

    class Params:
        use_extra_bufts = True
        n_gpu_layers = 0

    def default_params():
        calls.append(1)
        return Params()

    package = types.ModuleType("llama_cpp")
    package.__path__ = []
    inner = types.ModuleType("llama_cpp.llama_cpp")
    inner.llama_model_default_params = default_params
    package.llama_cpp = inner
    monkeypatch.setitem(sys.modules, "llama_cpp", package)
    monkeypatch.setitem(sys.modules, "llama_cpp.llama_cpp", inner)
    return inner, calls


def _launcher():
    spec = importlib.util.spec_from_file_location("llama_server_noamx", LAUNCHER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_patch_turns_extra_buffer_types_off(fake_llama_cpp):
    """After the patch, every default params object has `use_extra_bufts` False, the rest kept."""
    inner, calls = fake_llama_cpp
    _launcher().disable_extra_bufts()
    params = inner.llama_model_default_params()
    assert params.use_extra_bufts is False
    assert params.n_gpu_layers == 0
    assert calls == [1]  # the stock function still made them
