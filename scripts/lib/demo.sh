# shellcheck shell=bash
# The demo on free loopback ports in a fresh working directory, for the end-to-end test scripts.
# Source it after defining `say`; `demo_binary` sets FSR_BINARY; `demo_start` sets PORT, SANDBOX_PORT,
# WORKDIR, SERVER_LOG and SERVER_PID; `demo_service_key` prints the key the demo printed; `demo_stop`
# (call it from the script's EXIT trap) stops the server and removes WORKDIR.

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

# demo_binary: FSR_BINARY as given, else a debug build of this checkout.
demo_binary() {
    if [[ -z "${FSR_BINARY:-}" ]]; then
        swift build --product fullscript-redirect
        FSR_BINARY="$(swift build --show-bin-path)/fullscript-redirect"
    fi
    [[ -x "$FSR_BINARY" ]] || { say "no executable at FSR_BINARY=$FSR_BINARY"; exit 1; }
}

# demo_service_key: the first service key the demo printed (a fresh one each start; the previous is
# revoked). The demo prints it just after it starts serving, so it may come a moment after /readyz.
demo_service_key() {
    local key=""
    for _ in $(seq 100); do
        key=$(sed -n 's/^.*Service key for \/api\/v1[^:]*: *//p' "$SERVER_LOG" | head -1 | tr -d '[:space:]')
        [[ -n "$key" ]] && { echo "$key"; return 0; }
        sleep 0.1
    done
    say "no service key in the demo's output:"
    cat "$SERVER_LOG" >&2
    return 1
}

# demo_start NAME [VAR=value ...]: the settings are added to the demo's environment.
demo_start() {
    local name="$1" dir
    shift
    PORT=$(free_port)
    SANDBOX_PORT=$(free_port)
    [[ "$SANDBOX_PORT" != "$PORT" ]] || SANDBOX_PORT=$(free_port)
    WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/fsr-$name.XXXXXX")
    for dir in config Public Migrations; do ln -s "$ROOT/$dir" "$WORKDIR/$dir"; done
    SERVER_LOG="$WORKDIR/server.log"
    (cd "$WORKDIR" && exec env HTTP_SHUTDOWN_GRACE_MS=2000 "$@" "$FSR_BINARY" demo --port "$PORT" --sandbox-port "$SANDBOX_PORT") \
        >"$SERVER_LOG" 2>&1 </dev/null &
    SERVER_PID=$!
    say "demo: EHR http://127.0.0.1:$PORT/, simulator http://localhost:$SANDBOX_PORT/ (log: $SERVER_LOG)"
    # Ready when the app's /readyz answers 200 and the simulator answers; 30 s at most.
    for _ in $(seq 300); do
        kill -0 "$SERVER_PID" 2>/dev/null || { say "the demo exited early:"; cat "$SERVER_LOG" >&2; return 1; }
        [[ "$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")" == 200 ]] \
            && [[ "$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' "http://127.0.0.1:$SANDBOX_PORT/_sandbox/stats")" == 200 ]] \
            && return 0
        sleep 0.1
    done
    say "the demo was not ready within 30 s:"
    cat "$SERVER_LOG" >&2
    return 1
}

# demo_stop [ARTIFACTS_DIR]: TERM, then KILL after 5 s; keeps the server log among the artifacts.
demo_stop() {
    if [[ -n "${SERVER_PID:-}" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    [[ -z "${1:-}" || ! -f "${SERVER_LOG:-}" ]] || cp "$SERVER_LOG" "$1/server.log"
    [[ -z "${WORKDIR:-}" ]] || rm -rf "$WORKDIR"
}
