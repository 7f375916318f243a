#!/usr/bin/env bash
# The load proof (README, Performance): full clicks against the simulator with 150 ms of added
# upstream latency on 1,000 connections while 10,000 idle keep-alive connections are held, the
# latency we add at a moderate load, and the server's RSS over a 10-minute soak.
#
# usage: Benchmarks/load-proof.sh
# env:   UPSTREAM_MS (150), CLICKS (1000 connections), CLICK_SECONDS (10), MODERATE (100 connections), OPEN_LOOP_RATE (200/s),
#        IDLE (10000), SOAK_SECONDS (600), SOAK_CONNS (100), MAX_GROWTH_MIB (32)
#        FSR_BINARY: a fullscript-redirect to use instead of building the release one
# The test command runs a short form: SOAK_SECONDS=20 CLICK_SECONDS=5 on the debug build.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

ensure_command wrk
ensure_command curl
raise_fd_limit 20000
clicks="${CLICKS:-1000}"
# Enough connections to Fullscript for every concurrent click: the upstream, not our pool, is the bound.
FULLSCRIPT_MAX_CONNECTIONS="$clicks" signed_in_demo --external-sandbox

soak="${SOAK_SECONDS:-600}"
run_bounded $((soak * 2 + 600)) python3 "$BENCH_DIR/load_proof.py" \
    --port "$port" --sandbox-port "$sandbox_port" --pid "$DEMO_PID" --session="$session" --service-key "$DEMO_SERVICE_KEY" \
    --upstream-ms "${UPSTREAM_MS:-150}" --clicks "$clicks" --click-seconds "${CLICK_SECONDS:-10}" \
    --moderate "${MODERATE:-100}" --open-loop-rate "${OPEN_LOOP_RATE:-200}" --idle "${IDLE:-10000}" --soak-seconds "$soak" \
    --soak-conns "${SOAK_CONNS:-100}" --max-growth-mib "${MAX_GROWTH_MIB:-32}" || {
    status=$?
    log "the load proof failed; the demo's log:"
    tail -n 20 "$work_dir/demo.log" >&2
    exit "$status"
}
kill -0 "$DEMO_PID" 2>/dev/null || die "the demo died (see $work_dir/demo.log)"
