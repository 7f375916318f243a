#!/usr/bin/env bash
# Load test one server with wrk: /healthz, /redirect, /static/4k.bin at 1, 64 and 512
# connections, plus /healthz with "Connection: close" at 64 connections.
#
# usage: Benchmarks/load.sh [SERVER [ARGS...]]
#   SERVER: ours (default: .build/release/bench-server, built if missing), hummingbird,
#           flyingfox, or any executable; it is started as `SERVER ARGS --port N --root DIR`.
# env:    DURATION    seconds per wrk run (default 10)
#         CONNS       connection counts (default "1 64 512")
#         BENCH_ROOT  document root holding 4k.bin (default: a fresh temp dir)
#         PORT        port to use (default: a free one)
#         RESULTS_TSV append one row per run to this file: label route conns rps p50_ms p99_ms errors
#         LABEL       server name in RESULTS_TSV (default: SERVER's basename)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

DURATION="${DURATION:-10}"
CONNS="${CONNS:-1 64 512}"
ROUTES=(/healthz /redirect /static/4k.bin)
CLOSE_CONNS=64

ensure_command wrk
launch_server "$@"
check_routes
work_dir=""
make_temp_dir work_dir
wrk_out="$work_dir/wrk.out"

printf '\n%s, %ss per run\n' "$SERVER_LABEL" "$DURATION"
printf '%-18s %5s %11s %10s %10s %7s\n' route conns 'req/s' 'p50 ms' 'p99 ms' errors
run_wrk() { # run_wrk ROUTE CONNS [HEADER]
    local route="$1" conns="$2" header="${3:-}" name="$1"
    local threads=$((conns < 2 ? conns : 2))
    local args=(-t "$threads" -c "$conns" -d "${DURATION}s" --timeout 5s -s "$BENCH_DIR/wrk-report.lua")
    if [[ -n "$header" ]]; then
        args+=(-H "$header")
        name="$route (close)"
    fi
    local out rps="" p50="" p99="" errors=""
    run_bounded $((DURATION + 30)) wrk "${args[@]}" "http://127.0.0.1:$SERVER_PORT$route" >"$wrk_out" 2>&1 || true
    out="$(<"$wrk_out")"
    read -r rps p50 p99 errors < <(awk '$1 == "WRK_RESULT" {
            printf "%.0f %.2f %.2f %d\n", $2 / ($3 / 1e6), $4 / 1000, $6 / 1000, $9 + $10 }' <<<"$out") || true
    if [[ -z "$rps" ]]; then
        log "wrk failed on $route with $conns connections:"
        printf '%s\n' "$out" >&2
        rps=- p50=- p99=- errors=-
    fi
    printf '%-18s %5s %11s %10s %10s %7s\n' "$name" "$conns" "$rps" "$p50" "$p99" "$errors"
    if [[ -n "${RESULTS_TSV:-}" ]]; then
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$SERVER_LABEL" "$name" "$conns" "$rps" "$p50" "$p99" "$errors" >>"$RESULTS_TSV"
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || die "server died during $name at $conns connections"
}

for route in "${ROUTES[@]}"; do
    for conns in $CONNS; do
        run_wrk "$route" "$conns"
    done
done
run_wrk /healthz "$CLOSE_CONNS" "Connection: close"
