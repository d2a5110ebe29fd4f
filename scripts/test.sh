#!/usr/bin/env bash
# The whole test suite, from a fresh clone: fetch the pinned model and ONNX Runtime (cached),
# then build and run every test in release mode (the same build the run command uses).
set -euo pipefail
cd "$(dirname "$0")/.."

eval "$(scripts/fetch-models.sh)"
export CAIRN_MODEL_DIR CAIRN_ORT_LIB

if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --release --locked --workspace --no-fail-fast "$@"
else
    cargo test --release --locked --workspace --no-fail-fast "$@"
fi
