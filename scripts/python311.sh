#!/usr/bin/env bash
# Prints the path of a Python 3.11 with pip ($PYTHON, python3.11 or python3), or says what to
# install and fails. The pinned wheels the fetch scripts install are cp311.
set -euo pipefail
for p in "${PYTHON:-}" python3.11 python3; do
  if [[ -n $p ]] && command -v "$p" >/dev/null &&
     "$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
    "$p" -m pip --version >/dev/null 2>&1 ||
      { echo "error: $p has no pip: install it (apt-get install python3-pip)" >&2; exit 1; }
    command -v "$p"
    exit 0
  fi
done
echo "error: Python 3.11 not found (tried \$PYTHON, python3.11, python3): install python3.11 with pip and venv" >&2
exit 1
