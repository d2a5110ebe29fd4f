#!/usr/bin/env bash
# The main job on the embedded default, from a fresh clone: fetch the pinned model and ONNX
# Runtime (cached), build cairn, ingest docs-sample into the embedded Qdrant, search it, then
# serve the HTTP API on CAIRN_BIND (default 127.0.0.1:8080) until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

eval "$(scripts/fetch-models.sh)"
export CAIRN_MODEL_DIR CAIRN_ORT_LIB

# --all-targets: the same feature set as the test build (dev-dependencies unify features),
# so running this after scripts/test.sh reuses that build instead of recompiling.
cargo build --release --locked --workspace --all-targets
cairn=${CARGO_TARGET_DIR:-target}/release/cairn

"$cairn" ingest docs-sample/corpus --collection docs-sample --prune
"$cairn" collections list
question="${1:-How long are deleted notes kept?}"
echo "search: $question"
"$cairn" search --collection docs-sample --top-k 5 "$question"
exec "$cairn" serve
