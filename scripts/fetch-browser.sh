#!/usr/bin/env bash
# A real browser for the page tests: Debian's Chromium and its WebDriver (chromedriver),
# installed with apt when missing (as root or with passwordless sudo). The browser's own
# downloads (playwright install) are not reachable here; Debian's packages are signed by apt,
# and their versions are printed.
# stdout: CAIRN_CHROMIUM=... CAIRN_CHROMEDRIVER=... (progress goes to stderr).
set -euo pipefail
"$(dirname "$0")/apt-install.sh" chromium chromium >&2
"$(dirname "$0")/apt-install.sh" chromedriver chromium-driver >&2
path=$(command -v chromium)
driver=$(command -v chromedriver)
echo "fetch-browser: $("$path" --version 2>/dev/null); $("$driver" --version 2>/dev/null)" >&2
echo "CAIRN_CHROMIUM=$path"
echo "CAIRN_CHROMEDRIVER=$driver"
