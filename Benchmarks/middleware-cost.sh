#!/usr/bin/env bash
# What the router's groups and middleware cost the listener: wrk on bench-server's /healthz (a route
# with no middleware), /mw/healthz (the same answer through the middleware the application's /healthz
# passes: its router-wide response headers) and /chain/healthz (through four, as a signed-in user's
# group: response headers, a do/catch, an origin check, a locked rate-limit count), in turn in one run
# so all see the same machine. Prints req/s per round, the medians and the costs; exits 1 when
# /healthz's middleware costs more than MAX_COST_PERCENT (the chain's cost is reported, not judged).
#
# usage: Benchmarks/middleware-cost.sh [--no-build]
# env:   ROUNDS (default 3), DURATION seconds per wrk run (default 10), CONNS (default 64),
#        MAX_COST_PERCENT (default 5)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

ROUNDS="${ROUNDS:-3}" DURATION="${DURATION:-10}" CONNS="${CONNS:-64}" MAX_COST_PERCENT="${MAX_COST_PERCENT:-5}"
[[ "${1:-}" == "--no-build" ]] || build_bench_server
ensure_command wrk
launch_server ours
work_dir=""
make_temp_dir work_dir

rps_of() { # rps_of ROUTE: one wrk run, prints its requests per second
    local out="$work_dir/wrk.out" threads=$((CONNS < 2 ? CONNS : 2))
    run_bounded $((DURATION + 30)) wrk -t "$threads" -c "$CONNS" -d "${DURATION}s" --timeout 5s \
        -s "$BENCH_DIR/wrk-report.lua" "http://127.0.0.1:$SERVER_PORT$1" >"$out" 2>&1 || true
    awk '$1 == "WRK_RESULT" { if ($9 + $10 > 0) exit 1; printf "%.0f\n", $2 / ($3 / 1e6) }' "$out" \
        || die "wrk saw errors on $1: $(cat "$out")"
}

routes=(/healthz /mw/healthz /chain/healthz)
declare -A results
printf '%s connections, %s s per run, %s rounds\n%-6s %12s %14s %16s\n' "$CONNS" "$DURATION" "$ROUNDS" round "${routes[@]}"
for round in $(seq "$ROUNDS"); do
    # Rotate which goes first, so a machine that warms up or slows down favours none.
    row=()
    for index in 0 1 2; do
        route=${routes[$(((index + round) % 3))]}
        results[$route]+="$(rps_of "$route") "
    done
    printf '%-6s %12s %14s %16s\n' "$round" $(for route in "${routes[@]}"; do awk '{ print $NF }' <<<"${results[$route]}"; done)
done
plain=$(tr ' ' '\n' <<<"${results[/healthz]}" | grep . | median)
guarded=$(tr ' ' '\n' <<<"${results[/mw/healthz]}" | grep . | median)
chained=$(tr ' ' '\n' <<<"${results[/chain/healthz]}" | grep . | median)
cost() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (a - b) / a * 100 }'; }
printf '%-6s %12s %14s %16s\n' median "$plain" "$guarded" "$chained"
printf "cost of /healthz's middleware: %s%% of /healthz req/s (limit %s%%); of a four-middleware chain: %s%%\n" \
    "$(cost "$plain" "$guarded")" "$MAX_COST_PERCENT" "$(cost "$plain" "$chained")"
awk -v cost="$(cost "$plain" "$guarded")" -v max="$MAX_COST_PERCENT" 'BEGIN { exit !(cost <= max) }' \
    || die "the middleware costs more than $MAX_COST_PERCENT%"
