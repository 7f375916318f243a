#!/usr/bin/env bash
# The product scaled out on real parts, all on loopback: PostgreSQL 15 (initdb in a temporary folder),
# `migrate` once, the Fullscript simulator in its own process, 3 replicas of `serve` on that database, and
# nginx with deploy/nginx.conf in front (scripts/lib/replicas.sh). Through nginx: sign-in, OAuth connect,
# a click (302 to the simulator), a webhook stored once, a chart on one replica receiving within 1 s the plans
# whose webhooks went to the others (LISTEN/NOTIFY), Last-Event-ID resumed on another replica, then a
# rolling restart: SIGTERM to one replica while clicks run through nginx; its /readyz answers 503 at once,
# it stops taking connections after http.shutdown_delay_ms and drains, 0 clicks fail at the client, and once
# restarted it takes clicks again.
# Then what must happen once for all replicas: 30 concurrent clicks with an expired token make 1 refresh
# and 30 redirects; each webhook event is applied by one replica; a launch token and an OAuth callback
# replayed to every replica at once start one session and exchange one code.
#
# usage: scripts/replicas-test.sh   env: FSR_BINARY (default: the debug build), REPLICAS (3),
#        ARTIFACTS (a folder to keep the logs in; default: printed, under $TMPDIR)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
FSR_BINARY="${FSR_BINARY:-$(swift build --show-bin-path)/fullscript-redirect}"
[[ -x "$FSR_BINARY" ]] || { echo "no $FSR_BINARY: run swift build first" >&2; exit 1; }
[[ -x "${NGINX_BIN:-/usr/sbin/nginx}" ]] || { echo "no nginx: run scripts/install-deps.sh" >&2; exit 1; }
say() { printf '[replicas-test] %s\n' "$*" >&2; }
REPLICAS="${REPLICAS:-3}"
RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/fsr-replicas.XXXXXX")
chmod 755 "$RUN_DIR"
source scripts/lib/replicas.sh

finish() {
    local status=$?
    replicas_stop
    if [[ -n "${ARTIFACTS:-}" ]]; then mkdir -p "$ARTIFACTS" && cp -r "$RUN_DIR/logs/." "$ARTIFACTS/"; fi
    say "logs: ${ARTIFACTS:-$RUN_DIR/logs}"
    if [[ -n "${ARTIFACTS:-}" ]]; then rm -rf "$RUN_DIR"; else rm -rf "$RUN_DIR/pg" "$RUN_DIR/app" "$RUN_DIR/nginx"; fi
    if [[ $status -eq 0 ]]; then say "passed"; else say "FAILED (status $status)"; fi
}
trap finish EXIT

started=$SECONDS
postgres_start
replicas_configure
sandbox_start
replicas_prepare_database
for index in $(seq 1 "$REPLICAS"); do replica_start "$index"; done
nginx_start

check() { timeout -k 5 120 python3 scripts/replicas_test.py "$@" --port "$NGINX_PORT" --sandbox-port "$SANDBOX_PORT" --state "$RUN_DIR/state.json"; }

check connect
FULLSCRIPT_PATIENT=$(psql_value "SELECT fullscript_patient_id FROM patient_mappings WHERE ehr_patient_id = 'p-1001'")
[[ -n "$FULLSCRIPT_PATIENT" ]] || { say "the click linked no Fullscript patient"; exit 1; }

event=$(check webhook --fullscript-patient "$FULLSCRIPT_PATIENT" | python3 -c 'import json, sys; print(json.load(sys.stdin)["webhook_event"])')
stored=$(psql_value "SELECT COUNT(*) FROM webhook_events WHERE event_id = '$event'")
[[ "$stored" == 1 ]] || { say "the webhook $event is stored $stored times, not once"; exit 1; }
say "webhook: acknowledged through nginx and stored once"

check stream --fullscript-patient "$FULLSCRIPT_PATIENT" --replica-ports "${REPLICA_PORTS[*]}" | tee "$RUN_DIR/logs/stream.json"
# Every replica's processor reads the shared inbox; each event is applied under its claim, by one of them.
applied=$(cat "$RUN_DIR"/logs/replica-*.log | grep -o 'event_id=[^ ]* outcome=applied' | sort | uniq -c)
applied_twice=$(awk '$1 > 1' <<<"$applied" | wc -l)
say "webhook events applied: $(wc -l <<<"$applied") events, $applied_twice of them by more than one replica"
[[ "$applied_twice" == 0 ]] || { say "events applied by more than one replica:"; awk '$1 > 1' <<<"$applied" >&2; exit 1; }

# The rolling restart: clicks for 12 s through nginx; 2 s in, SIGTERM to replica 1.
victim=1
victim_port="${REPLICA_PORTS[$victim]}"
check clicks --seconds 12 --workers 4 >"$RUN_DIR/logs/rolling-clicks.json" &
clicks_pid=$!
sleep 2
kill -TERM "${REPLICA_PIDS[$victim]}"
terminated=$(date +%s.%N)
# /readyz turns 503 at once while the replica still accepts (http.shutdown_delay_ms, 1.5 s here): a load
# balancer's health check sees it fail before anything is refused. 200 only until the signal is handled.
readiness=200
for _ in $(seq 40); do
    readiness=$(http_status "http://127.0.0.1:$victim_port/readyz")
    [[ "$readiness" == 200 ]] || break
    sleep 0.02
done
not_ready=$(python3 -c "print(round($(date +%s.%N) - $terminated, 2))")
[[ "$readiness" == 503 ]] || { say "replica $victim after SIGTERM: /readyz ${readiness/#000/refused (000)}, not 503"; exit 1; }
say "replica $victim after SIGTERM: /readyz 503 within $not_ready s, still accepting"
replica_stop "$victim"
exited=$(python3 -c "print(round($(date +%s.%N) - $terminated, 2))")
grep -o 'abandoned_connections=[0-9]*' "$RUN_DIR/logs/replica-$victim.log" | tail -n 1 | grep -qx 'abandoned_connections=0' \
    || { say "replica $victim did not drain every connection:"; tail -n 5 "$RUN_DIR/logs/replica-$victim.log" >&2; exit 1; }
say "replica $victim drained (no connection abandoned) and exited in $exited s"
replica_start "$victim"
restarted_at=$(date -u +%Y-%m-%dT%H:%M:%S)
wait "$clicks_pid" || { cat "$RUN_DIR/logs/rolling-clicks.json" >&2; say "clicks failed during the rolling restart"; exit 1; }
cat "$RUN_DIR/logs/rolling-clicks.json"
# Back in rotation: after its restart, nginx sent it clicks (its fail_timeout is 5 s; the loop ran on).
check clicks --seconds 7 --workers 2 >/dev/null
served=$(awk -v upstream="upstream=127.0.0.1:$victim_port" -v since="$restarted_at" \
    'index($0, "/recommend/") && index($0, upstream) && substr($2, 2, 19) >= since' "$RUN_DIR/nginx/fullscript-redirect.access.log" | wc -l)
[[ "$served" -gt 0 ]] || { say "replica $victim took no click after its restart"; exit 1; }
retried=$(grep -c 'upstream=[^ ]*, ' "$RUN_DIR/nginx/fullscript-redirect.access.log" || true)
say "replica $victim is back in rotation: $served clicks since its restart; requests nginx passed to a second replica: $retried"

# One refresh for all replicas (an advisory lock in PostgreSQL): 30 clicks, 1 refresh, 30 redirects.
psql_value "UPDATE fullscript_connections SET access_expires_at = 0" >/dev/null
check refresh | tee "$RUN_DIR/logs/refresh.json"
# A launch token and an OAuth callback, each replayed to every replica at once: used once.
check replay --replicas "$REPLICAS" | tee "$RUN_DIR/logs/replay.json"
say "total: $((SECONDS - started)) s"
