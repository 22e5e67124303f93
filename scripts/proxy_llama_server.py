# ruff: noqa: INP001
"""Start llama-cpp-python's stock OpenAI-compatible server with llama.cpp's extra buffers off.

llama.cpp's extra buffer types (AMX repacking) crash with SIGILL on Q4_1 weights on some CPUs,
and llama-cpp-python 0.3.36 has no setting for them. This launcher wraps
`llama_cpp.llama_cpp.llama_model_default_params` so that every model it loads gets
`use_extra_bufts = False`, then runs `llama_cpp.server` unchanged, with the same arguments::

    python scripts/proxy_llama_server.py --model M.gguf --port 8000 ...
"""

from __future__ import annotations

import runpy
from typing import Any

import llama_cpp.llama_cpp as low

_default_params = low.llama_model_default_params


def _params() -> Any:  # noqa: ANN401 - llama-cpp-python's ctypes struct
    params = _default_params()
    params.use_extra_bufts = False
    return params


low.llama_model_default_params = _params

if __name__ == "__main__":
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
