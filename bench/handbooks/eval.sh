#!/usr/bin/env bash
# Evaluates cairn on the handbooks set: ingests corpus/ into a scratch data directory, imports
# the tune and report halves as datasets, and runs `cairn eval` on one half with the variants of
# bench/handbooks/cairn.toml (`before` first: every comparison is against it).
#
# usage: bench/handbooks/eval.sh [tune|report] [OUT_DIR]
#   writes OUT_DIR/<half>.json (cairn eval --json) and OUT_DIR/<half>.html (its report).
# Needs target/release/cairn and the model (eval "$(scripts/fetch-models.sh)").
set -euo pipefail
cd "$(dirname "$0")/../.."
half=${1:-tune}
out=${2:-target/handbooks}
cairn=${CARGO_TARGET_DIR:-target}/release/cairn
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
mkdir -p "$out"
python3 bench/handbooks/build.py --check
run() { "$cairn" --data-dir "$data" --config bench/handbooks/cairn.toml "$@"; }
run ingest bench/handbooks/corpus --collection handbooks --prune >&2
run datasets import "handbooks-$half" "bench/handbooks/$half.jsonl" >&2
variants=(before default hybrid no-rerank expand)
run eval --collection handbooks --dataset "handbooks-$half" \
    "${variants[@]/#/--variant=}" --json --report "$out/$half.html" > "$out/$half.json"
echo "wrote $out/$half.json and $out/$half.html" >&2
