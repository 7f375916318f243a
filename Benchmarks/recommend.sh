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
(cd "$REPO_DIR" && swift build -c release --product fullscript-redirect >&2)
work_dir=""
make_temp_dir work_dir
for dir in config Public Migrations; do ln -s "$REPO_DIR/$dir" "$work_dir/$dir"; done
port="$(free_port)"
sandbox_port="$(free_port)"
(cd "$work_dir" && LOG_LEVEL=warning exec "$REPO_DIR/.build/release/fullscript-redirect" demo --port "$port" --sandbox-port "$sandbox_port" \
    --sandbox-rate-limit 100000000 \
    >"$work_dir/demo.log" 2>&1) &
server_pid=$!
trap 'stop_pid "$server_pid"' EXIT
for _ in $(seq 100); do
    http_status_is 200 "http://127.0.0.1:$port/readyz" && break
    sleep 0.1
done

# Sign in through the demo page and connect as prac-1 (the simulator approves without its page).
jar="$work_dir/cookies"
base="http://127.0.0.1:$port"
launch="$(curl -s -c "$jar" -b "$jar" -o /dev/null -w '%{redirect_url}' -d 'user=dr-quinn&return_to=/' "$base/demo/sign-in")"
curl -s -c "$jar" -b "$jar" -o /dev/null "$launch"
authorize="$(curl -s -c "$jar" -b "$jar" -o /dev/null -w '%{redirect_url}' "$base/oauth/fullscript/connect?return_to=/")"
callback="$(curl -s -o /dev/null -w '%{redirect_url}' "${authorize/localhost/127.0.0.1}&auto_approve=prac-1")"
curl -s -c "$jar" -b "$jar" -o /dev/null "$callback"
session="$(awk '$6 == "fsr_session" { print $7 }' "$jar")"
[[ -n "$session" ]] || die "no session cookie"
status="$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: fsr_session=$session" "$base/recommend/p-1001")"
[[ "$status" == 302 ]] || die "a click answered $status, not 302 (see $work_dir/demo.log)"

printf '\nGET /recommend/p-1001 (connected practitioner, simulator on loopback), %ss per run\n' "$DURATION"
printf '%5s %11s %10s %10s %7s\n' conns 'clicks/s' 'p50 ms' 'p99 ms' errors
for conns in $CONNS; do
    threads=$((conns < 2 ? conns : 2))
    out="$(run_bounded $((DURATION + 30)) wrk -t "$threads" -c "$conns" -d "${DURATION}s" --timeout 5s \
        -H "Cookie: fsr_session=$session" -s "$BENCH_DIR/wrk-report.lua" "$base/recommend/p-1001" 2>&1 || true)"
    awk -v conns="$conns" '$1 == "WRK_RESULT" {
        printf "%5s %11.0f %10.2f %10.2f %7d\n", conns, $2 / ($3 / 1e6), $4 / 1000, $5 / 1000, $6 + $7 }' <<<"$out"
done
