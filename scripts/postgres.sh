#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and the scale-out bench, on 127.0.0.1 only.
#
#   scripts/postgres.sh start    install PostgreSQL if missing, start the cluster, print its URL
#   scripts/postgres.sh url      print the URL (the cluster must be running)
#   scripts/postgres.sh status   exit 0 when it runs
#   scripts/postgres.sh stop     stop it and delete its data (it is a test cluster)
#
# Safe to run again: `start` on a running cluster only prints the URL.
# Knobs: REHEARSE_PG_PORT (55432), REHEARSE_PG_DIR (/tmp/rehearse-pg-<port>),
#        REHEARSE_PG_USER / REHEARSE_PG_PASSWORD / REHEARSE_PG_DB (rehearse).
# Only the URL goes to stdout, so `url=$(scripts/postgres.sh start)` works; progress goes to stderr.
set -euo pipefail

PORT="${REHEARSE_PG_PORT:-55432}"
DIR="${REHEARSE_PG_DIR:-/tmp/rehearse-pg-$PORT}"
DB_USER="${REHEARSE_PG_USER:-rehearse}"
DB_PASSWORD="${REHEARSE_PG_PASSWORD:-rehearse}"
DB_NAME="${REHEARSE_PG_DB:-rehearse}"
DATA="$DIR/data"
LOG="$DIR/server.log"
URL="postgresql://$DB_USER:$DB_PASSWORD@127.0.0.1:$PORT/$DB_NAME"

say() { echo "postgres.sh: $*" >&2; }

sudo_cmd() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

bin_dir() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$found" ] && [ -x "$found/initdb" ] && echo "$found"
}

install_if_missing() {
    bin_dir >/dev/null && return 0
    say "installing the Debian package postgresql"
    sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive sudo_cmd apt-get install -y -qq postgresql >/dev/null
    bin_dir >/dev/null || { say "postgresql installed but no initdb under /usr/lib/postgresql"; exit 1; }
}

# PostgreSQL refuses to run as root: as root the cluster belongs to the `postgres` user.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

owner() {
    if [ "$(id -u)" -eq 0 ]; then echo postgres; else id -un; fi
}

running() {
    local bin
    bin=$(bin_dir) || return 1
    [ -f "$DATA/PG_VERSION" ] && as_owner "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

port_taken() {
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null
}

psql_admin() {
    as_owner "$(bin_dir)/psql" -h "$DIR" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt "$@"
}

ensure_db() {
    local exists
    exists=$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER'")
    if [ "$exists" != "1" ]; then
        psql_admin -c "CREATE ROLE \"$DB_USER\" LOGIN PASSWORD '$DB_PASSWORD'"
    fi
    exists=$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")
    if [ "$exists" != "1" ]; then
        psql_admin -c "CREATE DATABASE \"$DB_NAME\" OWNER \"$DB_USER\""
    fi
}

start() {
    install_if_missing
    local bin
    bin=$(bin_dir)
    if running; then
        ensure_db
        echo "$URL"
        return 0
    fi
    if port_taken; then
        say "port $PORT on 127.0.0.1 is taken by another program; set REHEARSE_PG_PORT to a free port"
        exit 1
    fi
    mkdir -p "$DIR"
    chown "$(owner)" "$DIR"
    chmod 700 "$DIR"
    if [ ! -f "$DATA/PG_VERSION" ]; then
        say "creating a cluster in $DATA"
        as_owner "$bin/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
            --encoding=UTF8 --no-instructions >/dev/null
    fi
    say "starting PostgreSQL on 127.0.0.1:$PORT (log: $LOG)"
    as_owner "$bin/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
        -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off" \
        start >/dev/null || { tail -n 20 "$LOG" >&2 || true; exit 1; }
    ensure_db
    echo "$URL"
}

stop() {
    local bin
    if bin=$(bin_dir) && running; then
        say "stopping PostgreSQL on 127.0.0.1:$PORT"
        as_owner "$bin/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
    fi
    case "$DIR" in
        /tmp/* | */.venv/*) rm -rf "$DIR" ;;
        *) say "kept $DIR (only folders under /tmp or .venv are deleted)" ;;
    esac
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    url) running && echo "$URL" || { say "not running"; exit 1; } ;;
    status) running ;;
    *) echo "usage: $0 [start|stop|url|status]" >&2; exit 2 ;;
esac
