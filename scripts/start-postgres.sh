#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the tests, in a new temporary directory, on a free
# loopback port, and prints the shell assignments that point the tests at it:
#   eval "$(scripts/start-postgres.sh)"   # sets CAIRN_TEST_POSTGRES_URL, CAIRN_TEST_POSTGRES_DIR
#   scripts/start-postgres.sh --stop DIR   # stops it and deletes DIR
# The server comes from Debian's apt (package postgresql, any Debian 12 revision: the registry
# drops old ones, and the version in use is printed). Where it cannot be installed, this prints
# nothing and says why on stderr: the PostgreSQL tests are then reported as skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

find_bin() {
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$d/initdb" ] && { echo "$d"; return 0; }
    done
    command -v initdb >/dev/null && { dirname "$(readlink -f "$(command -v initdb)")"; return 0; }
    return 1
}

as_owner() {
    # initdb and postgres refuse to run as root: run them as the postgres user then.
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "${1:-}" = --stop ]; then
    dir=$2
    bin=$(find_bin) || exit 0
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    exit 0
fi

if ! bin=$(find_bin); then
    scripts/apt-install.sh pg_ctlcluster postgresql >&2 || true
    bin=$(find_bin) || { echo "start-postgres: skipped: PostgreSQL could not be installed" >&2; exit 0; }
fi
echo "start-postgres: $("$bin/postgres" --version)" >&2

dir=$(mktemp -d /tmp/cairn-pg.XXXXXX)
chmod 755 "$dir"
[ "$(id -u)" = 0 ] && chown postgres: "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_owner "$bin/initdb" -D "$dir/data" -U cairn --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
    || { echo "start-postgres: skipped: initdb failed ($dir/initdb.log)" >&2; exit 0; }
as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200" start >/dev/null \
    || { echo "start-postgres: skipped: the server did not start ($dir/server.log)" >&2; exit 0; }
echo "CAIRN_TEST_POSTGRES_URL=postgres://cairn@127.0.0.1:$port/postgres"
echo "CAIRN_TEST_POSTGRES_DIR=$dir"
echo "CAIRN_TEST_POSTGRES_BIN=$bin"
