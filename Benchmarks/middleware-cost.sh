#!/usr/bin/env bash
# What the router's groups and middleware cost the listener: wrk on bench-server's /healthz (a route
# with no middleware) and /mw/healthz (the same answer through a group with four middleware standing
# in for the application's list: response headers, a do/catch, an origin check, a locked rate-limit
# count), alternated in one run so both see the same machine. Prints req/s per round, the medians and
# the cost; exits 1 when the middleware costs more than MAX_COST_PERCENT.
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

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

plain=() guarded=()
printf '%s connections, %s s per run, %s rounds\n%-6s %12s %14s\n' "$CONNS" "$DURATION" "$ROUNDS" round '/healthz' '/mw/healthz'
for round in $(seq "$ROUNDS"); do
    # Alternate which goes first, so a machine that warms up or slows down favours neither.
    if ((round % 2)); then
        a=$(rps_of /healthz) b=$(rps_of /mw/healthz)
    else
        b=$(rps_of /mw/healthz) a=$(rps_of /healthz)
    fi
    plain+=("$a") guarded+=("$b")
    printf '%-6s %12s %14s\n' "$round" "$a" "$b"
done
plain_median=$(printf '%s\n' "${plain[@]}" | median)
guarded_median=$(printf '%s\n' "${guarded[@]}" | median)
cost=$(awk -v a="$plain_median" -v b="$guarded_median" 'BEGIN { printf "%.1f", (a - b) / a * 100 }')
printf '%-6s %12s %14s\ncost of the middleware: %s%% of /healthz req/s (limit %s%%)\n' median "$plain_median" "$guarded_median" \
    "$cost" "$MAX_COST_PERCENT"
awk -v cost="$cost" -v max="$MAX_COST_PERCENT" 'BEGIN { exit !(cost <= max) }' || die "the middleware costs more than $MAX_COST_PERCENT%"
