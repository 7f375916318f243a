#!/usr/bin/env bash
# kill -9 of the server during a burst of signed webhooks, token refreshes and patient changes queued for
# Fullscript (the simulator failing, then slow, at the patient updates), restarted on the same
# files, ROUNDS times (default 3): integrity_check ok, no acknowledged event lost or left pending, the
# practitioner still connected, no row written twice, every acknowledged patient change in Fullscript
# and synced (scripts/fault_test.py says how). The simulator runs in its own process with 300 s
# access tokens, inside the server's refresh margin, so clicks keep refreshing.
# Then the PostgreSQL round: 2 replicas on PostgreSQL 15 behind nginx (scripts/lib/replicas.sh); clicks and
# signed webhooks through nginx while PostgreSQL gets a fast shutdown and, a few seconds later, a restart:
# clicks get the 503 database_unavailable page, nothing acknowledged is lost, the replicas recover by
# themselves (`fault_test.py postgres` says how).
#
# usage: scripts/fault-test.sh     env: ROUNDS (3), SEED (random), FSR_BINARY (default: the debug build),
#                                  POSTGRES_ROUND (1; 0 skips it)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
FSR_BINARY="${FSR_BINARY:-$(swift build --show-bin-path)/fullscript-redirect}"
[[ -x "$FSR_BINARY" ]] || { echo "no $FSR_BINARY: run swift build first" >&2; exit 1; }
say() { printf '[fault-test] %s\n' "$*" >&2; }
source scripts/lib/demo.sh

WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/fsr-faults.XXXXXX")
SANDBOX_PID=""
cleanup() {
    [[ -z "$SANDBOX_PID" ]] || kill "$SANDBOX_PID" 2>/dev/null || true
    rm -rf "$WORKDIR"
}
trap cleanup EXIT
for dir in config Public Migrations; do ln -s "$ROOT/$dir" "$WORKDIR/$dir"; done
PORT=$(free_port)
SANDBOX_PORT=$(free_port)
LOG_LEVEL=warning "$FSR_BINARY" sandbox --port "$SANDBOX_PORT" --public-host localhost --rate-limit 100000000 \
    --access-token-lifetime 300 --redirect-uri "http://127.0.0.1:$PORT/oauth/fullscript/callback" \
    >"$WORKDIR/sandbox.log" 2>&1 &
SANDBOX_PID=$!
for _ in $(seq 100); do
    curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$SANDBOX_PORT/_sandbox/stats" && break
    sleep 0.1
done
timeout -k 5 600 python3 scripts/fault_test.py --binary "$FSR_BINARY" --work-dir "$WORKDIR" --port "$PORT" \
    --sandbox-port "$SANDBOX_PORT" --rounds "${ROUNDS:-3}" ${SEED:+--seed "$SEED"} || {
    status=$?
    say "failed; the last server log:"
    tail -n 30 "$(ls -t "$WORKDIR"/server-*.log | head -1)" >&2 || true
    exit "$status"
}

[[ "${POSTGRES_ROUND:-1}" != 0 ]] || exit 0
# In a subshell: scripts/lib/replicas.sh has variables of its own (SANDBOX_PID among them) and its own EXIT trap.
(
    started=$SECONDS
    RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/fsr-pg-faults.XXXXXX")
    chmod 755 "$RUN_DIR"
    source scripts/lib/replicas.sh
    finish() {
        local status=$?
        replicas_stop
        if [[ $status -ne 0 ]]; then
            say "the PostgreSQL round failed; the replicas' last lines:"
            tail -n 15 "$RUN_DIR"/logs/replica-*.log >&2 || true
        fi
        rm -rf "$RUN_DIR"
    }
    trap finish EXIT
    postgres_start
    replicas_configure
    sandbox_start
    replicas_prepare_database
    replica_start 1
    replica_start 2
    nginx_start
    control="$RUN_DIR/control"
    mkdir "$control"
    psql_command="$PG_BIN/psql -qAt -h $RUN_DIR/pg -U postgres -d fullscript_redirect"
    [[ "$(id -u)" -ne 0 ]] || psql_command="runuser -u postgres -- $psql_command"
    timeout -k 5 120 python3 scripts/fault_test.py postgres --port "$NGINX_PORT" --sandbox-port "$SANDBOX_PORT" \
        --replica-ports "${REPLICA_PORTS[1]},${REPLICA_PORTS[2]}" --control "$control" --psql "$psql_command" &
    outage=$!
    # The script asks for each step by a file; it is done when X.done appears. Gives up when the script has ended.
    when_asked() {
        until [[ -e "$control/$1" ]]; do kill -0 "$outage" 2>/dev/null || return 1; sleep 0.02; done
    }
    if when_asked stop; then
        as_postgres "$PG_BIN/pg_ctl" -D "$RUN_DIR/pg/data" stop -m fast -w >>"$RUN_DIR/logs/postgres.log" 2>&1
        wait "$PG_PID" 2>/dev/null || true
        touch "$control/stop.done"
        if when_asked start; then
            postgres_launch
            touch "$control/start.done"
        fi
    fi
    wait "$outage"
    say "PostgreSQL round: $((SECONDS - started)) s"
)
