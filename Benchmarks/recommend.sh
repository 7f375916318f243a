#!/usr/bin/env bash
# Full clicks: `GET /recommend/p-1001` with a signed-in, connected practitioner's session against the
# local simulator (the demo), so each request is a session read, a token read, a Fullscript
# draft-link call over loopback, the audit row and the 302. Reports req/s and latency per concurrency.
#
# usage: Benchmarks/recommend.sh      env: DURATION (default 10), CONNS (default "1 16 64")
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

DURATION="${DURATION:-10}"
CONNS="${CONNS:-1 16 64}"
ensure_command wrk
ensure_command curl
signed_in_demo
base="http://127.0.0.1:$port"
status="$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: fsr_session=$session" "$base/recommend/p-1001")"
[[ "$status" == 302 ]] || die "a click answered $status, not 302 (see $work_dir/demo.log)"

printf '\nGET /recommend/p-1001 (connected practitioner, simulator on loopback), %ss per run\n' "$DURATION"
printf '%5s %11s %10s %10s %7s\n' conns 'clicks/s' 'p50 ms' 'p99 ms' errors
for conns in $CONNS; do
    threads=$((conns < 2 ? conns : 2))
    out="$(run_bounded $((DURATION + 30)) wrk -t "$threads" -c "$conns" -d "${DURATION}s" --timeout 5s \
        -H "Cookie: fsr_session=$session" -s "$BENCH_DIR/wrk-report.lua" "$base/recommend/p-1001" 2>&1 || true)"
    awk -v conns="$conns" '$1 == "WRK_RESULT" {
        printf "%5s %11.0f %10.2f %10.2f %7d\n", conns, $2 / ($3 / 1e6), $4 / 1000, $6 / 1000, $9 + $10 }' <<<"$out"
done
