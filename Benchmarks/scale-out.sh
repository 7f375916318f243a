#!/usr/bin/env bash
# Issue 15's performance figures in one run, all on loopback, every process stopped by its PID at exit:
#
#   1. server CPU µs per click, SQLite vs PostgreSQL, at the same load (CLICKS clicks at CPU_CONNS connections,
#      the server's utime+stime from /proc/PID/stat divided by the clicks it audited), run in turn ROUNDS times:
#      the demo on SQLite, and one `serve` replica on PostgreSQL 15 asked directly (no nginx in between);
#   2. the latency we add at RATE clicks/s arriving at random moments (open loop), with UPSTREAM_MS of latency on
#      every dynamic-link call at the simulator: measured minus UPSTREAM_MS, on SQLite (the demo asked directly)
#      and on 3 replicas through nginx;
#   3. clicks/s through nginx (deploy/nginx.conf) with that upstream latency: 1 replica, 3 replicas (each with
#      fullscript.max_connections = POOL), and 1 replica with the default outbound pool (256), in turn ROUNDS
#      times; where each run's CPU went (the machine's cores: busy, and each part's share).
#
# The simulator runs in a process of its own (one for each store). The load generators (wrk, paced_clicks.py),
# nginx, the simulators, PostgreSQL and the replicas share this machine's cores: the script prints how busy
# they were.
#
# usage: Benchmarks/scale-out.sh
# env:   ROUNDS (3), CLICKS (3000), CPU_CONNS (16), UPSTREAM_MS (150), LB_CONNS (150), LB_SECONDS (10),
#        POOL (32: fullscript.max_connections of the replicas in part 2), RATE (200), RATE_SECONDS (10),
#        FSR_BINARY: a fullscript-redirect to use instead of the release build of this checkout,
#        HTTP_EVENT_LOOPS (2: the demo's and every replica's, so that they compare alike on any machine; the replicas'
#        PostgreSQL connections grow with it)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

ROUNDS="${ROUNDS:-3}"
CLICKS="${CLICKS:-3000}"
export HTTP_EVENT_LOOPS="${HTTP_EVENT_LOOPS:-2}"
CPU_CONNS="${CPU_CONNS:-16}"
UPSTREAM_MS="${UPSTREAM_MS:-150}"
LB_CONNS="${LB_CONNS:-150}"
LB_SECONDS="${LB_SECONDS:-10}"
POOL="${POOL:-32}"
RATE="${RATE:-200}"
RATE_SECONDS="${RATE_SECONDS:-10}"
DEFAULT_POOL=256

ensure_command wrk
ensure_command curl
ensure_command sqlite3
[[ -x "${NGINX_BIN:-/usr/sbin/nginx}" ]] || die "no nginx: run scripts/install-deps.sh"
[[ -x "${POSTGRES_BIN:-/usr/lib/postgresql/15/bin}/postgres" ]] || die "no PostgreSQL 15: run scripts/install-deps.sh"
if [[ -z "${FSR_BINARY:-}" ]]; then
    (cd "$REPO_DIR" && swift build -c release --product fullscript-redirect >&2)
    FSR_BINARY="$REPO_DIR/.build/release/fullscript-redirect"
fi
export FSR_BINARY BENCH_DIR
raise_fd_limit 20000
ticks_per_second="$(getconf CLK_TCK)"
cores="$(nproc)"

# scripts/lib/replicas.sh: PostgreSQL, the simulator, replicas and nginx. Its processes are stopped first at exit.
ROOT="$REPO_DIR" # replicas.sh finds the repository by it
export ROOT
make_temp_dir RUN_DIR
chmod 755 "$RUN_DIR" # PostgreSQL runs as the postgres user when we are root
say() { log "$*"; }
# shellcheck source=../scripts/lib/replicas.sh
source "$REPO_DIR/scripts/lib/replicas.sh"
trap 'replicas_stop; _cleanup' EXIT

# --- CPU accounting -------------------------------------------------------------------------------------------

# ticks PID...: the processes' utime+stime summed (a process gone meanwhile counts 0).
ticks() {
    local pid sum=0 own
    for pid in "$@"; do
        own="$(cpu_ticks "$pid" 2>/dev/null || true)"
        sum=$((sum + ${own:-0}))
    done
    echo "$sum"
}
children() { ps -o pid= --ppid "$1" 2>/dev/null || true; }
# The machine's busy and total ticks, all cores (/proc/stat: user nice system idle iowait irq softirq steal).
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }

# cpu_snapshot: "machine_busy machine_total replicas nginx simulator postgres" in ticks, for the scale-out part.
cpu_snapshot() {
    local postmaster
    postmaster="$(postmaster_pid)"
    # shellcheck disable=SC2046  # one PID per word
    echo "$(machine_ticks) $(ticks "${REPLICA_PIDS[@]}") $(ticks "$NGINX_PID" $(children "$NGINX_PID")) \
$(ticks "$SANDBOX_PID") $(ticks "$postmaster" $(children "$postmaster"))"
}

# cpu_shares BEFORE AFTER: the machine's busy share and each group's, in % of all cores.
cpu_shares() {
    awk -v cores="$cores" '{
        total = $8 - $2
        other = ($7 - $1) - ($9 - $3) - ($10 - $4) - ($11 - $5) - ($12 - $6)
        printf "%5.0f%% %8.0f%% %6.0f%% %9.0f%% %8.0f%% %6.0f%%", 100 * ($7 - $1) / total, 100 * ($9 - $3) / total,
            100 * ($10 - $4) / total, 100 * ($11 - $5) / total, 100 * ($12 - $6) / total, 100 * other / total }' <<<"$1 $2"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { print (b > 0) ? a / b : "nan" }'; }

# --- load -----------------------------------------------------------------------------------------------------

# wrk_clicks PORT SESSION CONNS [wrk arguments...]: one wrk run of clicks; prints its WRK_RESULT line's fields.
wrk_clicks() {
    local port="$1" session="$2" conns="$3" out
    shift 3
    out="$(run_bounded 600 wrk -t "$(((conns > 1) + 1))" -c "$conns" --timeout 10s -H "Cookie: fsr_session=$session" \
        "$@" "http://127.0.0.1:$port/recommend/p-1001" 2>&1 || true)"
    grep -q '^WRK_RESULT' <<<"$out" || die "wrk failed: $out"
    sed -n 's/^WRK_RESULT //p' <<<"$out"
}

# set_upstream_latency SANDBOX_PORT MS: every dynamic-link call at that simulator waits MS first (0: none).
set_upstream_latency() {
    local body='[]' status
    ((${2} == 0)) || body="[{\"latency_ms\":$2}]"
    status="$(curl -s -o /dev/null -w '%{http_code}' -X POST --data "$body" \
        "http://127.0.0.1:$1/_sandbox/faults?path_prefix=/api/clinic/dynamic_links/")"
    [[ "$status" == 204 ]] || die "the simulator on $1 refused the latency fault ($status)"
}

first_click_redirects() {
    local status
    status="$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: fsr_session=$2" "http://127.0.0.1:$1/recommend/p-1001")"
    [[ "$status" == 302 ]] || die "a click on port $1 answered $status, not 302 (logs: $RUN_DIR)"
}

# nginx_use INDEX...: nginx sends to these replicas only (rendered again, reloaded with SIGHUP).
nginx_use() {
    local all index
    all="$(declare -p REPLICA_PORTS)"
    for index in "${!REPLICA_PORTS[@]}"; do
        [[ " $* " == *" $index "* ]] || unset "REPLICA_PORTS[$index]"
    done
    nginx_render
    eval "${all/declare -a/declare -ga}"
    kill -HUP "$NGINX_PID"
    # The reload is done when the old workers are gone: only the new configuration's workers answer then.
    for _ in $(seq 100); do
        [[ "$(children "$NGINX_PID" | wc -l)" -le "$(nproc)" ]] && break
        sleep 0.1
    done
}

# --- the two stores -------------------------------------------------------------------------------------------

log "$(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg) (other work on this machine shares the cores)"
log "SQLite: the demo, its simulator in a process of its own"
signed_in_demo --external-sandbox
sqlite_port="$port" sqlite_sandbox_port="$sandbox_port" sqlite_session="$session" sqlite_pid="$DEMO_PID"
sqlite_file="$work_dir/data/demo.sqlite"
first_click_redirects "$sqlite_port" "$sqlite_session"

log "PostgreSQL 15, the simulator, replicas of \`serve\` and nginx (scripts/lib/replicas.sh)"
postgres_start
replicas_configure
# The same settings as the SQLite demo: what differs is the store.
export LOG_LEVEL=warning FULLSCRIPT_MAX_CONNECTIONS="$POOL"
sandbox_start
replicas_prepare_database
for index in 1 2 3; do replica_start "$index"; done
FULLSCRIPT_MAX_CONNECTIONS="$DEFAULT_POOL" replica_start 4
nginx_start
pg_session="$(demo_session "$NGINX_PORT" "$RUN_DIR/cookies")"
[[ -n "$pg_session" ]] || die "no session cookie through nginx (logs: $RUN_DIR/logs)"
first_click_redirects "$NGINX_PORT" "$pg_session"

sqlite_redirected() { sqlite3 -readonly "$sqlite_file" "SELECT count(*) FROM recommendations WHERE outcome = 'redirected'"; }
pg_redirected() { psql_value "SELECT count(*) FROM recommendations WHERE outcome = 'redirected'"; }

# --- 1. CPU per click -----------------------------------------------------------------------------------------

# click_cpu LABEL PORT SESSION PID COUNT_FUNCTION: prints a row; appends µs per click to RUN_DIR/cpu-LABEL.
click_cpu() {
    local label="$1" port="$2" session="$3" pid="$4" count="$5" before after served pg_before pg_after result
    local postmaster
    postmaster="$(postmaster_pid)"
    served="$($count)"
    before="$(cpu_ticks "$pid")"
    # shellcheck disable=SC2046
    pg_before="$(ticks "$postmaster" $(children "$postmaster"))"
    read -ra result <<<"$(REQUESTS="$CLICKS" wrk_clicks "$port" "$session" "$CPU_CONNS" -t 1 -d 240s -s "$BENCH_DIR/wrk-bounded.lua")"
    after="$(cpu_ticks "$pid")"
    # shellcheck disable=SC2046
    pg_after="$(ticks "$postmaster" $(children "$postmaster"))"
    served=$(($($count) - served))
    ((served > 0)) || die "$label: no click was audited"
    local us=$(((after - before) * 1000000 / ticks_per_second / served))
    local pg_us=$(((pg_after - pg_before) * 1000000 / ticks_per_second / served))
    echo "$us" >>"$RUN_DIR/cpu-$label"
    [[ "$label" == sqlite ]] || echo "$pg_us" >>"$RUN_DIR/cpu-postgres-server"
    awk -v label="$label" -v served="$served" -v us="$us" -v pg="$([[ $label == sqlite ]] && echo - || echo "$pg_us")" '{
        printf "%-10s %7d %9.0f %8.2f %8.2f %7d %9d %12s\n", label, served, $1 / ($2 / 1e6), $3 / 1000, $5 / 1000, $8 + $9, us, pg }' \
        <<<"${result[*]}"
}

log "warming up: the first clicks map the patient and fill caches and pools (not counted)"
REQUESTS=400 wrk_clicks "$sqlite_port" "$sqlite_session" "$CPU_CONNS" -t 1 -d 60s -s "$BENCH_DIR/wrk-bounded.lua" >/dev/null
REQUESTS=400 wrk_clicks "${REPLICA_PORTS[1]}" "$pg_session" "$CPU_CONNS" -t 1 -d 60s -s "$BENCH_DIR/wrk-bounded.lua" >/dev/null

printf '\n1. server CPU per click: %s clicks at %s connections, the store alternating, %s rounds\n' "$CLICKS" "$CPU_CONNS" "$ROUNDS"
printf '%-10s %7s %9s %8s %8s %7s %9s %12s\n' store served 'clicks/s' 'p50 ms' 'p99 ms' errors 'cpu µs' 'postgres µs'
for _ in $(seq "$ROUNDS"); do
    click_cpu sqlite "$sqlite_port" "$sqlite_session" "$sqlite_pid" sqlite_redirected
    click_cpu postgres "${REPLICA_PORTS[1]}" "$pg_session" "${REPLICA_PIDS[1]}" pg_redirected
done
sqlite_us="$(median <"$RUN_DIR/cpu-sqlite")"
postgres_us="$(median <"$RUN_DIR/cpu-postgres")"
printf 'median: SQLite %s µs, PostgreSQL %s µs per click = %.2f× (goal ≤ 2×); PostgreSQL'"'"'s own processes %s µs more\n' \
    "$sqlite_us" "$postgres_us" "$(ratio "$postgres_us" "$sqlite_us")" "$(median <"$RUN_DIR/cpu-postgres-server")"

# --- 2. The latency we add at a fixed rate ----------------------------------------------------------------------

# paced LABEL PORT SESSION: RATE clicks/s for RATE_SECONDS, open loop; prints a row of the latency we add.
paced() {
    local out
    out="$(run_bounded $((RATE_SECONDS + 120)) python3 "$BENCH_DIR/paced_clicks.py" --port "$2" --session="$3" \
        --rate "$RATE" --seconds "$RATE_SECONDS" || true)"
    grep -q '^PACED' <<<"$out" || die "paced clicks failed: $out"
    awk -v label="$1" -v upstream="$UPSTREAM_MS" '/^PACED/ {
        printf "%-28s %7d %8.2f %8.2f %8.2f %9.2f %8d\n", label, $2, $3 - upstream, $4 - upstream, $5 - upstream, $6 - upstream, $7 }' \
        <<<"$out"
}

set_upstream_latency "$sqlite_sandbox_port" "$UPSTREAM_MS"
set_upstream_latency "$SANDBOX_PORT" "$UPSTREAM_MS"
printf '\n2. latency added over the upstream'"'"'s %s ms, %s clicks/s at random moments for %s s (open loop)\n' \
    "$UPSTREAM_MS" "$RATE" "$RATE_SECONDS"
printf '%-28s %7s %8s %8s %8s %9s %8s\n' where clicks 'p50 ms' 'p90 ms' 'p99 ms' 'max ms' failures
paced "SQLite, the demo" "$sqlite_port" "$sqlite_session"
# The SQLite demo and its simulator are done: their idle timers are not to share the cores from here on.
stop_pid "$sqlite_pid"
nginx_use 1 2 3
paced "PostgreSQL, 3 replicas, nginx" "$NGINX_PORT" "$pg_session"

# --- 3. clicks/s through nginx --------------------------------------------------------------------------------

# throughput LABEL REPLICAS...: LB_CONNS connections through nginx for LB_SECONDS; a row with where the CPU went.
throughput() {
    local label="$1" before after result
    shift
    nginx_use "$@"
    before="$(cpu_snapshot)"
    read -ra result <<<"$(wrk_clicks "$NGINX_PORT" "$pg_session" "$LB_CONNS" -d "${LB_SECONDS}s" -s "$BENCH_DIR/wrk-report.lua")"
    after="$(cpu_snapshot)"
    local rate
    rate="$(awk '{ printf "%.0f", $1 / ($2 / 1e6) }' <<<"${result[*]}")"
    echo "$rate" >>"$RUN_DIR/rate-$label"
    awk -v label="$label" -v rate="$rate" -v shares="$(cpu_shares "$before" "$after")" '{
        printf "%-22s %9d %8.1f %8.1f %7d   %s\n", label, rate, $3 / 1000, $5 / 1000, $8 + $9, shares }' <<<"${result[*]}"
}

printf '\n3. clicks/s through nginx, %s ms on every dynamic-link call, %s connections for %s s, %s rounds in turn\n' \
    "$UPSTREAM_MS" "$LB_CONNS" "$LB_SECONDS" "$ROUNDS"
printf '   bounds: the load generator %s clicks/s (%s connections / %s ms); an outbound pool of %s: %s clicks/s a replica\n' \
    "$((LB_CONNS * 1000 / UPSTREAM_MS))" "$LB_CONNS" "$UPSTREAM_MS" "$POOL" "$((POOL * 1000 / UPSTREAM_MS))"
printf '%-22s %9s %8s %8s %7s   %5s %9s %7s %10s %9s %7s\n' replicas 'clicks/s' 'p50 ms' 'p99 ms' errors \
    busy replicas nginx simulator postgres other
for _ in $(seq "$ROUNDS"); do
    throughput "1, pool $POOL" 1
    throughput "3, pool $POOL each" 1 2 3
    throughput "1, pool $DEFAULT_POOL" 4
done
one="$(median <"$RUN_DIR/rate-1, pool $POOL")"
three="$(median <"$RUN_DIR/rate-3, pool $POOL each")"
printf 'median: 1 replica %s clicks/s, 3 replicas %s = %.2f× (goal ≥ 2.5×); 1 replica with the default pool %s\n' \
    "$one" "$three" "$(ratio "$three" "$one")" "$(median <"$RUN_DIR/rate-1, pool $DEFAULT_POOL")"
printf '(busy: the machine'"'"'s %s cores; other: the load generator and whatever else runs here)\n' "$cores"

set_upstream_latency "$SANDBOX_PORT" 0
for index in "${!REPLICA_PIDS[@]}"; do
    kill -0 "${REPLICA_PIDS[$index]}" 2>/dev/null || die "replica $index died (see $RUN_DIR/logs/replica-$index.log)"
done
log "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
