# shellcheck shell=bash
# Real parts on loopback for the scale-out tests: PostgreSQL 15 (initdb in a temporary folder, a unix
# socket only), the Fullscript simulator in its own process, N replicas of `serve` on that database, and
# nginx with deploy/nginx.conf in front. Source it after defining `say` and setting ROOT, FSR_BINARY and
# RUN_DIR (an empty folder: data, sockets, logs). Every process is stopped by its PID in `replicas_stop`
# (call it from the script's EXIT trap); the logs stay in RUN_DIR/logs.

source "$ROOT/scripts/lib/demo.sh"

PG_BIN="${POSTGRES_BIN:-/usr/lib/postgresql/15/bin}"
NGINX_BIN="${NGINX_BIN:-/usr/sbin/nginx}"
PG_PID=""
SANDBOX_PID=""
NGINX_PID=""
declare -a REPLICA_PIDS=() REPLICA_PORTS=()

# PostgreSQL refuses to run as root: as root, its tools run as the postgres user Debian's package made.
as_postgres() { if [[ "$(id -u)" -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# Waits up to $1 tenths of a second for the command after it to succeed.
wait_for() {
    local tenths="$1"
    shift
    for _ in $(seq "$tenths"); do "$@" && return 0; sleep 0.1; done
    return 1
}

http_status() { curl -s -o /dev/null --max-time 2 -w '%{http_code}' "$1" || true; }
answers_200() { [[ "$(http_status "$1")" == 200 ]]; }

# postgres_start: a fresh cluster listening on a socket in RUN_DIR/pg only; sets DATABASE_URL.
postgres_start() {
    local dir="$RUN_DIR/pg"
    mkdir -p "$dir" "$RUN_DIR/logs"
    [[ "$(id -u)" -ne 0 ]] || chown postgres "$dir"
    as_postgres "$PG_BIN/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C -N >"$RUN_DIR/logs/initdb.log" 2>&1
    postgres_launch
    as_postgres "$PG_BIN/psql" -q -h "$dir" -U postgres -d postgres -c "CREATE DATABASE fullscript_redirect" >/dev/null
    DATABASE_URL="postgresql://postgres@/fullscript_redirect?host=$dir"
    export DATABASE_URL
}

# postgres_launch: starts (or restarts) the postmaster on the cluster postgres_start made.
postgres_launch() {
    local dir="$RUN_DIR/pg"
    # Up to 4 replicas x (database.pool_size 8 + loop_connections 1 x (2 loops + 1) + 1) plus psql, under max_connections.
    as_postgres "$PG_BIN/postgres" -D "$dir/data" -k "$dir" -c listen_addresses= -c max_connections=100 \
        -c fsync=off -c synchronous_commit=off >>"$RUN_DIR/logs/postgres.log" 2>&1 </dev/null &
    PG_PID=$!
    wait_for 300 postgres_ready || { say "PostgreSQL did not start:"; tail -n 20 "$RUN_DIR/logs/postgres.log" >&2; return 1; }
    say "PostgreSQL 15 on $dir (postmaster $(postmaster_pid))"
}

# Line 8 of postmaster.pid says "ready" once the server accepts connections (as pg_ctl -w reads it).
postgres_ready() { [[ "$(sed -n 8p "$RUN_DIR/pg/data/postmaster.pid" 2>/dev/null)" == ready* ]]; }
postmaster_pid() { head -n 1 "$RUN_DIR/pg/data/postmaster.pid" 2>/dev/null; }

# SIGINT is PostgreSQL's fast shutdown; the postmaster's own PID, as runuser stands between.
postgres_stop() {
    local pid
    pid=$(postmaster_pid)
    [[ -z "$pid" ]] || kill -INT "$pid" 2>/dev/null || true
    [[ -z "$PG_PID" ]] || wait "$PG_PID" 2>/dev/null || true
    PG_PID=""
}

psql_value() { as_postgres "$PG_BIN/psql" -qAt -h "$RUN_DIR/pg" -U postgres -d fullscript_redirect -c "$1"; }

# The settings every replica shares: one simulator, one public origin (nginx), one set of secrets.
replicas_configure() {
    NGINX_PORT=$(free_port)
    SANDBOX_PORT=$(free_port)
    PUBLIC_URL="http://127.0.0.1:$NGINX_PORT"
    mkdir -p "$RUN_DIR/app/data"
    for dir in config Public Migrations; do ln -sfn "$ROOT/$dir" "$RUN_DIR/app/$dir"; done
    secret() { python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="))'; }
    export FULLSCRIPT_ENVIRONMENT=custom FULLSCRIPT_CLIENT_ID=sandbox-client FULLSCRIPT_CLIENT_SECRET=sandbox-secret
    export FULLSCRIPT_API_BASE_URL="http://127.0.0.1:$SANDBOX_PORT/api"
    export FULLSCRIPT_AUTHORIZE_URL="http://localhost:$SANDBOX_PORT/api/oauth/authorize"
    export FULLSCRIPT_REDIRECT_URI="$PUBLIC_URL/oauth/fullscript/callback"
    export FULLSCRIPT_PATIENT_EMAIL_DOMAINS="example.com,patient.example"
    export EHR_DEMO_SIGN_IN=true EHR_CHART_URL='/chart.html?patient={patient_id}'
    export EHR_LAUNCH_SECRET FULLSCRIPT_WEBHOOK_CHALLENGE FULLSCRIPT_WEBHOOK_SECRET TOKEN_ENCRYPTION_KEY
    EHR_LAUNCH_SECRET=$(secret)
    FULLSCRIPT_WEBHOOK_CHALLENGE=$(secret)
    FULLSCRIPT_WEBHOOK_SECRET=$(secret)
    TOKEN_ENCRYPTION_KEY=$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')
    # The demo's seeding start below reads its token key from this file: the replicas' key.
    (umask 077 && printf '%s' "$TOKEN_ENCRYPTION_KEY" >"$RUN_DIR/app/data/demo-token.key")
    # Clicks in a bounded loop from one user: the per-replica allowance is not what is under test.
    export RATE_LIMIT_USER_PER_MINUTE=1000000 RATE_LIMIT_USER_BURST=1000000
    export LOG_LEVEL=info HTTP_SHUTDOWN_GRACE_MS=20000
    # Two event loops each, whatever the host's cores: each loop holds database.loop_connections of PostgreSQL's
    # connections, and postgres_launch's max_connections counts on two.
    export HTTP_EVENT_LOOPS="${HTTP_EVENT_LOOPS:-2}"
    # /readyz answers 503 this long after SIGTERM before the listener closes: room for a probe on a busy machine.
    export HTTP_SHUTDOWN_DELAY_MS=1500
}

sandbox_start() {
    LOG_LEVEL=warning "$FSR_BINARY" sandbox --port "$SANDBOX_PORT" --public-host localhost --rate-limit 100000000 \
        --redirect-uri "$FULLSCRIPT_REDIRECT_URI" >"$RUN_DIR/logs/sandbox.log" 2>&1 </dev/null &
    SANDBOX_PID=$!
    wait_for 100 answers_200 "http://127.0.0.1:$SANDBOX_PORT/_sandbox/stats" \
        || { say "the simulator did not start"; return 1; }
}

# migrate once, then the demo's practices, users and patients: one `demo --external-sandbox` start on the
# database (it seeds, then stops), as `serve` seeds nothing.
replicas_prepare_database() {
    (cd "$RUN_DIR/app" && "$FSR_BINARY" migrate) >"$RUN_DIR/logs/migrate.log" 2>&1 || { say "migrate failed:"; cat "$RUN_DIR/logs/migrate.log" >&2; return 1; }
    local port pid
    port=$(free_port)
    (cd "$RUN_DIR/app" && exec "$FSR_BINARY" demo --port "$port" --sandbox-port "$SANDBOX_PORT" --external-sandbox) \
        >"$RUN_DIR/logs/seed.log" 2>&1 </dev/null &
    pid=$!
    wait_for 300 answers_200 "http://127.0.0.1:$port/readyz" || { say "the seeding start failed:"; cat "$RUN_DIR/logs/seed.log" >&2; return 1; }
    kill -TERM "$pid"
    wait "$pid" || true
}

# replica_start INDEX: `serve` on a port of its own (kept across restarts), its log appended to.
replica_start() {
    local index="$1"
    [[ -n "${REPLICA_PORTS[$index]:-}" ]] || REPLICA_PORTS[index]=$(free_port)
    local port="${REPLICA_PORTS[$index]}"
    (cd "$RUN_DIR/app" && exec "$FSR_BINARY" serve --port "$port") >>"$RUN_DIR/logs/replica-$index.log" 2>&1 </dev/null &
    REPLICA_PIDS[index]=$!
    wait_for 300 answers_200 "http://127.0.0.1:$port/readyz" \
        || { say "replica $index did not become ready:"; tail -n 20 "$RUN_DIR/logs/replica-$index.log" >&2; return 1; }
    say "replica $index: http://127.0.0.1:$port (pid ${REPLICA_PIDS[$index]})"
}

# replica_stop INDEX: SIGTERM, then the delay (http.shutdown_delay_ms) and the drain (http.shutdown_grace_ms) end
# it; KILL after 30 s.
replica_stop() {
    local pid="${REPLICA_PIDS[$1]:-}"
    [[ -n "$pid" ]] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    REPLICA_PIDS[$1]=""
}

# deploy/nginx.conf as it is, but for what a test on loopback must change: the replicas' addresses, the
# listen address, and files (pid, logs, temporary bodies) inside RUN_DIR. Each change must apply exactly.
nginx_render() {
    local servers=""
    for index in "${!REPLICA_PORTS[@]}"; do
        servers+="        server 127.0.0.1:${REPLICA_PORTS[$index]} max_fails=1 fail_timeout=5s;\n"
    done
    python3 - "$ROOT/deploy/nginx.conf" "$RUN_DIR/nginx" "$NGINX_PORT" "$servers" <<'EOF'
import re, sys
source, prefix, port, servers = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].replace("\\n", "\n")
text = open(source).read()
temporary = "".join(f"    {kind}_temp_path {prefix}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
changes = [
    (r"^pid /run/nginx\.pid;", f"pid {prefix}/nginx.pid;", 1),
    (r"/var/log/nginx/", f"{prefix}/", 2),
    (r"^http \{\n", "http {\n" + temporary, 1),
    (r"(^ *server \S+ .*# replica\n)+", servers, 1),
    (r"^ *listen 80;", f"        listen 127.0.0.1:{port};", 1),
]
for pattern, replacement, count in changes:
    text, made = re.subn(pattern, lambda _: replacement, text, flags=re.M)
    if made != count:
        sys.exit(f"deploy/nginx.conf changed: {pattern!r} matched {made} times, not {count}")
open(f"{prefix}/nginx.conf", "w").write(text)
EOF
}

nginx_start() {
    mkdir -p "$RUN_DIR/nginx"
    nginx_render
    "$NGINX_BIN" -t -q -p "$RUN_DIR/nginx" -e "$RUN_DIR/nginx/error.log" -c "$RUN_DIR/nginx/nginx.conf"
    "$NGINX_BIN" -p "$RUN_DIR/nginx" -e "$RUN_DIR/nginx/error.log" -c "$RUN_DIR/nginx/nginx.conf" -g 'daemon off;' \
        >"$RUN_DIR/logs/nginx.out" 2>&1 </dev/null &
    NGINX_PID=$!
    wait_for 100 answers_200 "$PUBLIC_URL/readyz" || { say "nginx did not start:"; cat "$RUN_DIR/nginx/error.log" >&2; return 1; }
    say "nginx: $PUBLIC_URL (pid $NGINX_PID) in front of ${#REPLICA_PORTS[@]} replicas"
}

# Everything this file started, by PID, in reverse order; the logs are kept in RUN_DIR/logs.
replicas_stop() {
    if [[ -n "$NGINX_PID" ]]; then
        kill -QUIT "$NGINX_PID" 2>/dev/null || true
        wait "$NGINX_PID" 2>/dev/null || true
        cp "$RUN_DIR"/nginx/*.log "$RUN_DIR/logs/" 2>/dev/null || true
    fi
    for index in "${!REPLICA_PIDS[@]}"; do replica_stop "$index"; done
    if [[ -n "$SANDBOX_PID" ]]; then
        kill -TERM "$SANDBOX_PID" 2>/dev/null || true
        wait "$SANDBOX_PID" 2>/dev/null || true
    fi
    postgres_stop
}
