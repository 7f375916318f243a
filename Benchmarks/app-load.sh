#!/usr/bin/env bash
# Load on the real program (not bench-server): /readyz reads SQLite on every request, so this
# shows the store under concurrent readers answers without "database is locked" or any error.
#
# usage: Benchmarks/app-load.sh      env: DURATION (default 10), CONNS (default "64 512")
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

DURATION="${DURATION:-10}"
CONNS="${CONNS:-64 512}"
ensure_command wrk
(cd "$REPO_DIR" && swift build -c release --product fullscript-redirect >&2)
work_dir=""
make_temp_dir work_dir
port="$(free_port)"
LOG_LEVEL=warning "$REPO_DIR/.build/release/fullscript-redirect" serve --port "$port" \
    --database "$work_dir/app.sqlite" --config "$REPO_DIR/config" --public "$REPO_DIR/Public" &
server_pid=$!
trap 'stop_pid "$server_pid"' EXIT
SERVER_PORT="$port"
for _ in $(seq 100); do
    http_status_is /readyz 200 && break
    sleep 0.1
done

printf '\nfullscript-redirect serve, %ss per run\n' "$DURATION"
printf '%-10s %5s %11s %10s %10s %7s\n' route conns 'req/s' 'p50 ms' 'p99 ms' errors
for route in /readyz /healthz; do
    for conns in $CONNS; do
        threads=$((conns < 2 ? conns : 2))
        out="$(run_bounded $((DURATION + 30)) wrk -t "$threads" -c "$conns" -d "${DURATION}s" --timeout 5s \
            -s "$BENCH_DIR/wrk-report.lua" "http://127.0.0.1:$port$route" 2>&1 || true)"
        awk -v route="$route" -v conns="$conns" '$1 == "WRK_RESULT" {
            printf "%-10s %5s %11.0f %10.2f %10.2f %7d\n", route, conns, $2 / ($3 / 1e6), $4 / 1000, $6 / 1000, $9 + $10 }' <<<"$out"
    done
done
