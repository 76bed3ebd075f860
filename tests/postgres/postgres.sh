# Sourced by scripts/test and the suites that need PostgreSQL: starts a throwaway cluster from the image's
# server binaries on a free loopback port in a temporary folder, and stops it again.
#
#   yard_postgres_start   # exports YARD_TEST_POSTGRES_URL (postgresql://yard@127.0.0.1:PORT/yard)
#   yard_postgres_stop    # stops the cluster this shell started and removes its folder
#
# initdb refuses to run as root, so as root the cluster belongs to the `postgres` user. The cluster is
# for tests only: fsync is off (its data is thrown away at the end) and authentication is `trust` on
# loopback. Set YARD_POSTGRES_BIN to use binaries other than the newest under /usr/lib/postgresql.
yard_postgres_start() {
    local bin="${YARD_POSTGRES_BIN:-}"
    if [[ -z "$bin" ]]; then
        bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
    fi
    if [[ -z "$bin" || ! -x "$bin/initdb" ]]; then
        echo "PostgreSQL server binaries not found under /usr/lib/postgresql/<version>/bin (set YARD_POSTGRES_BIN)." >&2
        echo "On Debian: apt-get install postgresql" >&2
        return 1
    fi
    YARD_POSTGRES_DIR="$(mktemp -d "${TMPDIR:-/tmp}/yard-postgres.XXXXXX")"
    chmod 755 "$YARD_POSTGRES_DIR"
    if [[ "$(id -u)" == 0 ]]; then chown postgres "$YARD_POSTGRES_DIR"; fi
    YARD_POSTGRES_BIN_DIR="$bin"
    local port
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    if ! yard_postgres_as "$bin/initdb" -D "$YARD_POSTGRES_DIR/data" -U yard --auth=trust -E UTF8 --locale=C.UTF-8 \
            >"$YARD_POSTGRES_DIR/initdb.log" 2>&1; then
        echo "initdb failed:" >&2; cat "$YARD_POSTGRES_DIR/initdb.log" >&2
        yard_postgres_stop; return 1
    fi
    if ! yard_postgres_as "$bin/pg_ctl" -D "$YARD_POSTGRES_DIR/data" -l "$YARD_POSTGRES_DIR/server.log" -w -t 60 \
            -o "-h 127.0.0.1 -p $port -k $YARD_POSTGRES_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" \
            start >/dev/null; then
        echo "PostgreSQL did not start on port $port:" >&2; cat "$YARD_POSTGRES_DIR/server.log" >&2
        yard_postgres_stop; return 1
    fi
    export YARD_POSTGRES_PORT="$port" YARD_POSTGRES_DIR YARD_POSTGRES_BIN_DIR
    if ! yard_postgres_as "$bin/psql" -h 127.0.0.1 -p "$port" -U yard -d postgres -q -c "CREATE DATABASE yard" >/dev/null; then
        echo "could not create the test database:" >&2; cat "$YARD_POSTGRES_DIR/server.log" >&2
        yard_postgres_stop; return 1
    fi
    export YARD_TEST_POSTGRES_URL="postgresql://yard@127.0.0.1:$port/yard"
    echo "[postgres] $("$bin/postgres" --version) at $YARD_TEST_POSTGRES_URL (data in $YARD_POSTGRES_DIR)" >&2
}

# Runs a command as the cluster's owner (the `postgres` user when this shell is root).
yard_postgres_as() {
    if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Stops the server (fast shutdown) without removing its data, for tests that restart it under load.
# Works from any shell that has the exported YARD_POSTGRES_* variables (tests/postgres/ctl).
yard_postgres_pause() {
    yard_postgres_as "$YARD_POSTGRES_BIN_DIR/pg_ctl" -D "$YARD_POSTGRES_DIR/data" -m fast -w stop >/dev/null
}

yard_postgres_resume() {
    yard_postgres_as "$YARD_POSTGRES_BIN_DIR/pg_ctl" -D "$YARD_POSTGRES_DIR/data" -l "$YARD_POSTGRES_DIR/server.log" -w -t 60 \
        -o "-h 127.0.0.1 -p $YARD_POSTGRES_PORT -k $YARD_POSTGRES_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" \
        start >/dev/null
}

yard_postgres_stop() {
    if [[ -n "${YARD_POSTGRES_DIR:-}" ]]; then
        if [[ -f "$YARD_POSTGRES_DIR/data/postmaster.pid" ]]; then
            yard_postgres_as "$YARD_POSTGRES_BIN_DIR/pg_ctl" -D "$YARD_POSTGRES_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
        fi
        rm -rf "$YARD_POSTGRES_DIR"
        YARD_POSTGRES_DIR=""
    fi
}
