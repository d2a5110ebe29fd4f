#!/usr/bin/env bash
# The whole test suite, from a fresh clone: fetch the pinned embedding model and ONNX Runtime,
# build llama-server and fetch a small GGUF model, install schemathesis and Chromium (all cached),
# start a throwaway PostgreSQL server, then build and run every test in release mode (the same
# build the run command uses). Tests needing a real Qdrant server or PostgreSQL run when those
# are at hand and are reported as skipped when not.
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

# Tests that need a real server are #[ignore]d (skipped by a plain `cargo nextest run`). Here
# they run when their server is at hand; where it is not, a filter leaves them out, and
# nextest reports them as skipped, not passed.
skip=()
# A real Qdrant server (../shared/bin/qdrant on developers' machines and CI).
export CAIRN_QDRANT_BIN="${CAIRN_QDRANT_BIN:-$(cd .. && pwd)/shared/bin/qdrant}"
if [ ! -x "$CAIRN_QDRANT_BIN" ]; then
    echo "test.sh: skipped: no Qdrant server at $CAIRN_QDRANT_BIN" >&2
    skip+=("not test(/qdrant_server/)")
fi
# A throwaway PostgreSQL server (Debian's apt) for the PostgreSQL answer log.
postgres=$(scripts/start-postgres.sh)
if [ -n "$postgres" ]; then
    eval "$postgres"
    export CAIRN_TEST_POSTGRES_URL
    if [ -n "${CAIRN_TEST_POSTGRES_CA:-}" ]; then
        export CAIRN_TEST_POSTGRES_CA
    else
        echo "test.sh: skipped: PostgreSQL without TLS" >&2
        skip+=("not test(/postgres_tls/)")
    fi
    trap 'scripts/start-postgres.sh --stop "$CAIRN_TEST_POSTGRES_DIR"' EXIT
else
    echo "test.sh: skipped: no PostgreSQL server" >&2
    skip+=("not test(/postgres/)")
fi
filter=(--run-ignored all)
if [ ${#skip[@]} -gt 0 ]; then
    joined=$(printf ' and %s' "${skip[@]}")
    filter+=(-E "${joined# and }")
fi

if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --release --locked --workspace --no-fail-fast "${filter[@]}" "$@"
else
    # Without nextest the server tests stay ignored.
    cargo test --release --locked --workspace --no-fail-fast "$@"
fi
