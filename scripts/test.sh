#!/usr/bin/env bash
# The whole test suite, from a fresh clone: fetch the pinned embedding model and ONNX Runtime,
# build llama-server and fetch a small GGUF model, install schemathesis and Chromium (all cached),
# then build and run every test in release mode (the same build the run command uses).
set -euo pipefail
cd "$(dirname "$0")/.."

eval "$(scripts/fetch-models.sh)"
export CAIRN_MODEL_DIR CAIRN_ORT_LIB
# A real local LLM (llama-server + SmolLM2) for the end-to-end tests; built once, then cached.
eval "$(scripts/fetch-llm.sh)"
export CAIRN_LLAMA_SERVER CAIRN_LLM_GGUF
# The API fuzzer schemathesis (PyPI, pinned with hashes) for the contract test.
eval "$(scripts/fetch-schemathesis.sh)"
export CAIRN_SCHEMATHESIS
# A real browser (Debian's Chromium) for the page tests.
eval "$(scripts/fetch-browser.sh)"
export CAIRN_CHROMIUM CAIRN_CHROMEDRIVER

if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --release --locked --workspace --no-fail-fast "$@"
else
    cargo test --release --locked --workspace --no-fail-fast "$@"
fi
