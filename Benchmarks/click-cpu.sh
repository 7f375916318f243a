#!/usr/bin/env bash
# What a click costs the server in CPU: a bounded number of clicks (`GET /recommend/p-1001` with a
# connected practitioner's session, answered 302 to the simulator's draft link) at each concurrency,
# the server's utime+stime from /proc/PID/stat before and after, divided by the clicks it audited.
# The simulator runs in a process of its own, so its CPU is not counted. /healthz is the floor: the
# same listener, no session, no database, no Fullscript call.
#
# usage: Benchmarks/click-cpu.sh
# env:   CLICKS (3000 per run), HEALTHZ (30000 per run), CONNS ("1 16"), RUNS (2 per concurrency),
#        FSR_BINARY: a fullscript-redirect to use instead of building the release one
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

CLICKS="${CLICKS:-3000}"
HEALTHZ="${HEALTHZ:-30000}"
CONNS="${CONNS:-1 16}"
RUNS="${RUNS:-2}"
ensure_command wrk
ensure_command curl
ensure_command sqlite3
signed_in_demo --external-sandbox
base="http://127.0.0.1:$port"
status="$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: fsr_session=$session" "$base/recommend/p-1001")"
[[ "$status" == 302 ]] || die "a click answered $status, not 302 (see $work_dir/demo.log)"
ticks_per_second="$(getconf CLK_TCK)"
export BENCH_DIR

redirected() {
    sqlite3 -readonly "$work_dir/data/demo.sqlite" "SELECT count(*) FROM recommendations WHERE outcome = 'redirected'"
}

# measure PATH CONNS REQUESTS [WRK ARGS...]: one bounded wrk run; prints "cpu_us WRK_RESULT fields...".
measure() {
    local path="$1" conns="$2" requests="$3" before after out
    before="$(cpu_ticks "$DEMO_PID")"
    # One wrk thread: it keeps 16 connections busy, and the count that stops the run is one thread's.
    out="$(REQUESTS="$requests" run_bounded 300 wrk -t 1 -c "$conns" -d 240s --timeout 5s \
        "${@:4}" -s "$BENCH_DIR/wrk-bounded.lua" "$base$path" 2>&1 || true)"
    after="$(cpu_ticks "$DEMO_PID")"
    grep -q '^WRK_RESULT' <<<"$out" || die "wrk failed: $out"
    printf '%s %s\n' $(((after - before) * 1000000 / ticks_per_second)) "$(grep '^WRK_RESULT' <<<"$out")"
}

# report LABEL CONNS SERVED CPU_US WRK_RESULT...: one line of the table.
report() {
    awk -v label="$1" -v conns="$2" -v served="$3" -v cpu="$4" '{
        printf "%-9s %5s %8d %11.0f %10.2f %10.2f %7d %8.0f\n", label, conns, served, $2 / ($3 / 1e6), $4 / 1000, $6 / 1000,
            $9 + $10, cpu / served }' <<<"${*:5}"
}

# Warm-up: the first clicks map the patient and fill caches and connection pools; not counted.
measure /recommend/p-1001 16 400 -H "Cookie: fsr_session=$session" >/dev/null
measure /healthz 16 2000 >/dev/null

printf '\nserver CPU per request (utime+stime of pid %s, %s ticks/s), simulator in its own process\n' "$DEMO_PID" "$ticks_per_second"
printf '%-9s %5s %8s %11s %10s %10s %7s %8s\n' route conns served 'req/s' 'p50 ms' 'p99 ms' errors 'cpu µs'
for _ in $(seq "$RUNS"); do
    for conns in $CONNS; do
        clicks_before="$(redirected)"
        read -ra result <<<"$(measure /recommend/p-1001 "$conns" "$CLICKS" -H "Cookie: fsr_session=$session")"
        served=$(($(redirected) - clicks_before))
        report click "$conns" "$served" "${result[@]}"
        read -ra result <<<"$(measure /healthz "$conns" "$HEALTHZ")"
        report /healthz "$conns" "${result[2]}" "${result[@]}"
    done
done
kill -0 "$DEMO_PID" 2>/dev/null || die "the demo died (see $work_dir/demo.log)"
