#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the tests, in a new temporary directory, on a free
# loopback port, and prints the shell assignments that point the tests at it:
#   eval "$(scripts/start-postgres.sh)"   # sets CAIRN_TEST_POSTGRES_URL, CAIRN_TEST_POSTGRES_DIR,
#                                          # and CAIRN_TEST_POSTGRES_CA when it serves TLS
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
# TLS, for the sslmode tests: a throwaway CA and a certificate it signs for "localhost" only,
# so that verify-full to 127.0.0.1 must fail and verify-ca must not. Without openssl the
# server runs without TLS and the TLS tests are skipped.
tls=$dir/tls
tls_options=""
if command -v openssl >/dev/null && mkdir "$tls" && (
    ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
    openssl req -x509 "${ec[@]}" -days 2 -subj "/CN=cairn test CA" \
        -keyout "$tls/ca.key" -out "$tls/ca.crt" &&
    openssl req "${ec[@]}" -subj "/CN=localhost" -keyout "$tls/server.key" -out "$tls/server.csr" &&
    printf 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
        >"$tls/server.ext" &&
    openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" \
        -CAcreateserial -days 2 -extfile "$tls/server.ext" -out "$tls/server.crt"
) >"$dir/openssl.log" 2>&1; then
    chmod 600 "$tls/server.key"
    [ "$(id -u)" = 0 ] && chown -R postgres: "$tls"
    tls_options="-c ssl=on -c ssl_cert_file=$tls/server.crt -c ssl_key_file=$tls/server.key"
else
    echo "start-postgres: no TLS (no openssl, or it failed: $dir/openssl.log)" >&2
fi
as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 $tls_options" start >/dev/null \
    || { echo "start-postgres: skipped: the server did not start ($dir/server.log)" >&2; exit 0; }
echo "CAIRN_TEST_POSTGRES_URL=postgres://cairn@127.0.0.1:$port/postgres"
echo "CAIRN_TEST_POSTGRES_DIR=$dir"
echo "CAIRN_TEST_POSTGRES_BIN=$bin"
[ -n "$tls_options" ] && echo "CAIRN_TEST_POSTGRES_CA=$tls/ca.crt"
exit 0
