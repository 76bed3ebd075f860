# Sourced by scripts/test and tests/s3/run: starts moto's S3 on a free loopback port with authentication
# enforced, and stops it again.
#
#   yard_moto_start    # exports YARD_TEST_S3_ENDPOINT, _BUCKET, _ACCESS_KEY_ID, _SECRET_ACCESS_KEY
#   yard_moto_stop     # stops the server this shell started (by its pid) and removes its folder
#
# The server's log is kept in a temporary folder and printed if start-up fails.
yard_moto_start() {
    local repo venv port
    repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
    venv="$("$repo/scripts/moto-env.sh")" || return 1
    YARD_MOTO_DIR="$(mktemp -d "${TMPDIR:-/tmp}/yard-moto.XXXXXX")"
    port="$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    # The bootstrap makes exactly three unauthenticated calls (see moto_bootstrap.py); every later
    # request must be signed by the access key it creates.
    INITIAL_NO_AUTH_ACTION_COUNT=3 "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" \
        >"$YARD_MOTO_DIR/moto.log" 2>&1 </dev/null &
    YARD_MOTO_PID=$!
    local waited=0
    until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        if ! kill -0 "$YARD_MOTO_PID" 2>/dev/null || (( waited >= 300 )); then
            echo "moto did not start on port $port:" >&2
            cat "$YARD_MOTO_DIR/moto.log" >&2
            yard_moto_stop
            return 1
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    local exports
    exports="$("$venv/bin/python" "$repo/tests/s3/moto_bootstrap.py" "http://127.0.0.1:$port" yard-tests)" || {
        echo "moto bootstrap failed:" >&2
        cat "$YARD_MOTO_DIR/moto.log" >&2
        yard_moto_stop
        return 1
    }
    eval "$exports"
    echo "[moto] S3 at $YARD_TEST_S3_ENDPOINT (bucket $YARD_TEST_S3_BUCKET, signatures checked)" >&2
}

yard_moto_stop() {
    if [[ -n "${YARD_MOTO_PID:-}" ]]; then
        kill "$YARD_MOTO_PID" 2>/dev/null || true
        wait "$YARD_MOTO_PID" 2>/dev/null || true
        YARD_MOTO_PID=""
    fi
    if [[ -n "${YARD_MOTO_DIR:-}" ]]; then
        rm -rf "$YARD_MOTO_DIR"
        YARD_MOTO_DIR=""
    fi
}
