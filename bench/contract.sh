#!/usr/bin/env bash
# Contract test of the HTTP API against its own OpenAPI document: schemathesis 4.32.5 (installed,
# pinned and cached, by scripts/fetch-schemathesis.sh) sends generated requests, valid and
# invalid, to every operation in $CAIRN_URL/openapi.json and runs all its checks on the
# responses (no 5xx, status codes, content types, headers and bodies as documented, invalid input
# rejected, valid input accepted, 405 for undeclared methods, ...), in all four phases: examples,
# coverage, fuzzing and stateful (chains of calls along the API's links, e.g. PUT a collection
# then GET and DELETE it). Fixed seed, one worker, so a run is repeatable and the server is not
# overloaded; it mutates the server's data (creates and deletes collections), so point it at a
# throwaway data dir, not one you care about.
#
# How to run: start a server first, then the contract test, e.g.
#   ./scripts/run.sh                # terminal 1: ingests docs-sample, serves on 127.0.0.1:8080
#   bench/contract.sh               # terminal 2
#   CAIRN_URL=http://127.0.0.1:9000 bench/contract.sh --exclude-checks positive_data_acceptance
# Extra arguments go to `schemathesis run` as they are, e.g. --exclude-checks CHECK[,CHECK],
# --exclude-path /metrics, --exclude-path-regex '^/v1/answers', --exclude-operation-id ID,
# --exclude-method POST, --max-failures N (see: $CAIRN_SCHEMATHESIS run --help).
#
# Environment:
#   CAIRN_URL              the server (default http://127.0.0.1:8080)
#   CONTRACT_MAX_EXAMPLES  schemathesis --max-examples: most generated cases per operation in the
#                          fuzzing phase, and most stateful scenarios (default 200). The coverage
#                          phase is not capped by it, and an operation with little to vary (no
#                          parameters, like /healthz) gets far fewer, so the total is not simply
#                          operations x this: CONTRACT_MIN_CASES checks the real total.
#   CONTRACT_MIN_CASES     fewest test cases in total for a run to count (default 1000)
#   CONTRACT_SEED          default 20240601
#   CONTRACT_OUT           reports and schemathesis' own state (default target/contract):
#                          report.json, junit.xml, and .schemathesis/ for `st replay ID`
#
# Exit status: 0 only if schemathesis found no failure and no error, and it generated at least
# CONTRACT_MIN_CASES test cases (its summary line "Test cases: N generated, N passed").
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

URL=${CAIRN_URL:-http://127.0.0.1:8080}
URL=${URL%/}
MAX_EXAMPLES=${CONTRACT_MAX_EXAMPLES:-200}
MIN_CASES=${CONTRACT_MIN_CASES:-1000}
SEED=${CONTRACT_SEED:-20240601}
OUT=${CONTRACT_OUT:-$ROOT/target/contract}

log() { echo "contract: $*" >&2; }
die() { echo "contract: error: $*" >&2; exit 1; }

# scripts/test.sh has already installed it; run by hand, this installs it (once, cached).
if [[ ! -x ${CAIRN_SCHEMATHESIS:-} ]]; then
  eval "$("$ROOT/scripts/fetch-schemathesis.sh")"
fi
[[ -x ${CAIRN_SCHEMATHESIS:-} ]] || die "scripts/fetch-schemathesis.sh printed no CAIRN_SCHEMATHESIS"

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -f "$OUT/report.json" "$OUT/junit.xml"
# schemathesis and hypothesis keep state in the working directory (.schemathesis/ with the
# crashes that `st replay` reads, .hypothesis/): keep it out of the source tree.
cd "$OUT"

# shellcheck disable=SC2054  # the commas are schemathesis list syntax, not array separators
# Every check runs: schemathesis 4 enables all of them by default (all but max_response_time,
# which needs a limit). `--checks all` on the command line would override the per-operation
# settings of bench/schemathesis.toml, so it is not given.
cmd=("$CAIRN_SCHEMATHESIS" --config-file "$ROOT/bench/schemathesis.toml" run "$URL/openapi.json"
  --url "$URL"                    # send requests here even if the document names other servers
  --phases examples,coverage,fuzzing,stateful
  --max-examples "$MAX_EXAMPLES"
  --workers 1
  --seed "$SEED"
  --generation-database none      # no replay of earlier runs' examples: the seed alone decides
  --continue-on-failure           # report every failure of an operation, not only its first
  --wait-for-schema 30            # the server may still be starting
  --report json,junit --report-json-path "$OUT/report.json" --report-junit-path "$OUT/junit.xml"
  "$@")
log "running: ${cmd[*]}"
rc=0
"${cmd[@]}" || rc=$?

[[ -f $OUT/report.json ]] || die "schemathesis exited $rc without a report (is a server answering at $URL/openapi.json?)"
# Total test cases over all phases and operations, from the JSON report: the same number as the
# summary's "Test cases: N generated, ..." line. (After a schema loading error its sections are null.)
read -r generated tested failures errors < <(python3 - "$OUT/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print((r.get("test_cases") or {}).get("generated", 0), (r.get("operations") or {}).get("tested", 0),
      len(r.get("failures") or []), len(r.get("errors") or []))
PY
)
log "$generated test cases over $tested operations (seed $SEED, --max-examples $MAX_EXAMPLES): $failures kinds of failure, $errors errors; reports in $OUT"
((rc == 0)) || die "schemathesis exited $rc: failures or errors above (FAILURES section, or a schema loading error), and in $OUT/report.json; replay one with: cd $OUT && $CAIRN_SCHEMATHESIS replay ID"
((generated >= MIN_CASES)) ||
  die "only $generated test cases were generated, fewer than $MIN_CASES: raise CONTRACT_MAX_EXAMPLES (now $MAX_EXAMPLES)"
log "passed"
