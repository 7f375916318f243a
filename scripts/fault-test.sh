#!/usr/bin/env bash
# kill -9 of the server during a burst of signed webhooks, token refreshes and patient changes queued for
# Fullscript (the simulator failing, then slow, at the patient updates), restarted on the same
# files, ROUNDS times (default 3): integrity_check ok, no acknowledged event lost or left pending, the
# practitioner still connected, no row written twice, every acknowledged patient change in Fullscript
# and synced (scripts/fault_test.py says how). The simulator runs in its own process with 300 s
# access tokens, inside the server's refresh margin, so clicks keep refreshing.
#
# usage: scripts/fault-test.sh     env: ROUNDS (3), SEED (random), FSR_BINARY (default: the debug build)
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
