#!/usr/bin/env bash
# Installs Debian packages that are missing, as root or with passwordless sudo.
# Usage: scripts/apt-install.sh COMMAND PACKAGE...  (skipped when COMMAND is already on PATH)
set -euo pipefail
command=$1; shift
command -v "$command" >/dev/null && exit 0
echo "apt-install: installing $* (for $command)" >&2
sudo=""
if [[ $(id -u) != 0 ]]; then
  sudo -n true 2>/dev/null || { echo "apt-install: error: $command is missing: apt-get install $*" >&2; exit 1; }
  sudo="sudo -n"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2 && $sudo apt-get install -y -qq --no-install-recommends "$@" >&2 \
  || { echo "apt-install: error: apt-get install $* failed" >&2; exit 1; }
