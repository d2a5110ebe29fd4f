#!/usr/bin/env bash
# A real browser for the page tests: Debian's Chromium, installed with apt when missing (as
# root or with passwordless sudo). The browser's own downloads (playwright install) are not
# reachable here; Debian's package is signed by apt, and its version is printed.
# stdout: CAIRN_CHROMIUM=... (progress goes to stderr).
set -euo pipefail
"$(dirname "$0")/apt-install.sh" chromium chromium >&2
path=$(command -v chromium)
echo "fetch-browser: $("$path" --version 2>/dev/null)" >&2
echo "CAIRN_CHROMIUM=$path"
