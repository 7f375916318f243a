# shellcheck shell=bash disable=SC2034  # variables here are used by the scripts that source it
# Shared helpers for the benchmark scripts. Source it; do not run it.
#
# Every server started with start_server is killed by the EXIT trap that
# bench_init installs, together with the temporary directories it created.

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
PEERS_DIR="$BENCH_DIR/peers"
RESULTS_DIR="$BENCH_DIR/results"
BENCH_SERVER_BIN="$REPO_DIR/Benchmarks/.build/release/bench-server"
HEALTH_TIMEOUT="${HEALTH_TIMEOUT:-30}" # seconds to wait for /healthz after start

SERVER_PID=""
SERVER_PORT=""
SERVER_LOG=""
SERVER_LABEL=""
_CLEANUP_PIDS=()
_CLEANUP_DIRS=()
_BOUNDED_PID="" # the command run_bounded is waiting for

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

_cleanup() {
    local pid dir
    [[ -z "$_BOUNDED_PID" ]] || stop_pid "$_BOUNDED_PID"
    for pid in "${_CLEANUP_PIDS[@]}"; do stop_pid "$pid"; done
    for dir in "${_CLEANUP_DIRS[@]}"; do rm -rf -- "$dir"; done
}

# Installs the EXIT/INT/TERM traps. Call once, at the top of each script.
bench_init() {
    trap _cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# Terminates one process (TERM, then KILL after 5 s) and reaps it.
stop_pid() {
    local pid="$1"
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# run_bounded SECONDS CMD [ARGS...]: runs CMD, killed after SECONDS, and returns its status.
# It runs in the background and is waited for, so that a signal to the script interrupts the
# wait at once and the EXIT trap stops CMD (bash runs traps only after a foreground child ends).
run_bounded() {
    local seconds="$1" status=0
    shift
    timeout -k 5 "$seconds" "$@" &
    _BOUNDED_PID=$!
    wait "$_BOUNDED_PID" || status=$?
    _BOUNDED_PID=""
    return "$status"
}

# Prints the median of the numbers on standard input, one per line ("nan" for none).
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# make_temp_dir VAR: creates a temporary directory, removed at exit, and stores its path in VAR.
# (Functions that register cleanup must not run in a $(...) subshell, hence the out-variable.)
make_temp_dir() {
    local _dir
    _dir="$(mktemp -d "${TMPDIR:-/tmp}/bench.XXXXXX")"
    _CLEANUP_DIRS+=("$_dir")
    printf -v "$1" '%s' "$_dir"
}

# make_root VAR: stores in VAR a document root holding the 4096-byte file 4k.bin.
# Reuses $BENCH_ROOT when set (compare.sh passes one root to every run: same bytes for all).
make_root() {
    if [[ -n "${BENCH_ROOT:-}" ]]; then
        [[ -f "$BENCH_ROOT/4k.bin" ]] || die "BENCH_ROOT=$BENCH_ROOT has no 4k.bin"
        printf -v "$1" '%s' "$BENCH_ROOT"
        return
    fi
    local _root
    make_temp_dir _root
    head -c 4096 /dev/urandom >"$_root/4k.bin"
    printf -v "$1" '%s' "$_root"
}

# Installs a Debian package when its command is missing.
ensure_command() {
    local cmd="$1" package="${2:-$1}"
    command -v "$cmd" >/dev/null && return 0
    log "installing $package (apt-get)"
    if ! apt-get install -y -qq "$package" >/dev/null 2>&1; then
        apt-get update -qq >/dev/null
        apt-get install -y -qq "$package" >/dev/null
    fi
    command -v "$cmd" >/dev/null || die "$cmd still missing after installing $package"
}

# Raises the open-file limit towards $1 (default 65536), capped by the hard limit.
raise_fd_limit() {
    local want="${1:-65536}" hard
    ulimit -n "$want" 2>/dev/null && return 0
    hard="$(ulimit -Hn)"
    if [[ "$hard" != unlimited && "$hard" -lt "$want" ]]; then
        log "open-file hard limit is $hard (< $want); using it"
        ulimit -n "$hard"
    fi
}

# Prints a TCP port that is free on 127.0.0.1 right now.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Builds bench-server (release) in the Benchmarks package.
build_bench_server() {
    log "building bench-server (release)"
    (cd "$REPO_DIR" && nice -n 10 swift build --package-path Benchmarks -c release --product bench-server) >&2
}

# Builds the peer servers (release) in Benchmarks/peers.
build_peers() {
    log "building peers (release)"
    (cd "$PEERS_DIR" && nice -n 10 swift build -c release) >&2
}

# Prints the command of a server given a short name (ours, hummingbird, flyingfox).
# Anything else is taken as an explicit command and printed unchanged.
resolve_server() {
    case "$1" in
        ours | bench-server) printf '%s\n' "$BENCH_SERVER_BIN" ;;
        hummingbird) printf '%s\n' "$PEERS_DIR/.build/release/peer-hummingbird" ;;
        flyingfox) printf '%s\n' "$PEERS_DIR/.build/release/peer-flyingfox" ;;
        *) printf '%s\n' "$1" ;;
    esac
}

# True when "GET $path" on the running server answers within 2 s with the given status.
http_status_is() {
    local path="$1" want="$2" got
    got="$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' "http://127.0.0.1:$SERVER_PORT$path" || true)"
    [[ "$got" == "$want" ]]
}

# launch_server [SERVER [ARGS...]]: starts a server on a free loopback port (or $PORT) as
# `SERVER ARGS --port P --root ROOT`, ROOT holding 4k.bin, and waits until /healthz answers 200.
# SERVER is a name for resolve_server (default: ours, built when missing) or a command.
# Sets SERVER_PID, SERVER_PORT, SERVER_LOG and SERVER_LABEL ($LABEL or SERVER's basename).
launch_server() {
    (($# > 0)) || set -- ours
    local cmd root log_dir
    cmd=("$(resolve_server "$1")" "${@:2}")
    SERVER_LABEL="${LABEL:-$(basename "$1")}"
    if [[ "$1" == ours && ! -x "$BENCH_SERVER_BIN" ]]; then
        build_bench_server
    fi
    [[ -x "${cmd[0]}" ]] || command -v "${cmd[0]}" >/dev/null || die "server command not found: ${cmd[0]}"
    ensure_command curl
    raise_fd_limit 65536 # the server inherits it
    make_root root
    make_temp_dir log_dir
    SERVER_LOG="$log_dir/server.log"
    SERVER_PORT="${PORT:-$(free_port)}"
    "${cmd[@]}" --port "$SERVER_PORT" --root "$root" >"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    _CLEANUP_PIDS+=("$SERVER_PID")
    local deadline=$((SECONDS + HEALTH_TIMEOUT))
    until http_status_is /healthz 200; do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            tail -n 20 "$SERVER_LOG" >&2
            die "server exited before answering /healthz: ${cmd[*]}"
        fi
        if ((SECONDS >= deadline)); then
            tail -n 20 "$SERVER_LOG" >&2
            die "no answer on /healthz after ${HEALTH_TIMEOUT}s: ${cmd[*]}"
        fi
        sleep 0.2
    done
    log "$SERVER_LABEL up: pid $SERVER_PID, port $SERVER_PORT"
}

# Warns when the running server breaks the route contract (status, Location, body size).
check_routes() {
    local base="http://127.0.0.1:$SERVER_PORT" out
    out="$(curl -s -o /dev/null --max-time 2 -w '%{http_code} %{size_download}' "$base/healthz" || true)"
    [[ "$out" == "200 2" ]] || log "warning: /healthz answered '$out', expected '200 2'"
    out="$(curl -s -o /dev/null --max-time 2 -w '%{http_code} %{redirect_url} %{size_download}' "$base/redirect" || true)"
    [[ "$out" == "302 $base/static/4k.bin 0" ]] || log "warning: /redirect answered '$out', expected '302 $base/static/4k.bin 0'"
    out="$(curl -s -o /dev/null --max-time 2 -w '%{http_code} %{size_download}' "$base/static/4k.bin" || true)"
    [[ "$out" == "200 4096" ]] || log "warning: /static/4k.bin answered '$out', expected '200 4096'"
}

# start_sandbox WORK_DIR PORT DEMO_PORT: runs the release simulator (or $FSR_BINARY's) in a process of its own on
# PORT, its OAuth callback pointing at the demo on DEMO_PORT, and waits until it answers. Then start the demo
# with DEMO_FLAGS=(--external-sandbox): the simulator's CPU and memory are not counted as the server's.
start_sandbox() {
    local work_dir="$1" port="$2" demo_port="$3"
    LOG_LEVEL=warning "${FSR_BINARY:-$REPO_DIR/.build/release/fullscript-redirect}" sandbox --port "$port" --public-host localhost \
        --rate-limit 100000000 --redirect-uri "http://127.0.0.1:$demo_port/oauth/fullscript/callback" >"$work_dir/sandbox.log" 2>&1 &
    _CLEANUP_PIDS+=("$!")
    for _ in $(seq 100); do
        curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
        sleep 0.1
    done
    die "the simulator did not answer (see $work_dir/sandbox.log)"
}

# cpu_ticks PID: the process's user + system CPU time so far, in clock ticks (getconf CLK_TCK a second).
# (The command name in parentheses may hold spaces: fields are counted after it.)
cpu_ticks() {
    sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# start_demo WORK_DIR PORT SANDBOX_PORT: runs the release `fullscript-redirect demo` (or $FSR_BINARY) in WORK_DIR (its
# data lives there) with the simulator's and our own per-user rate limits lifted (one user makes
# every request here), and waits for /readyz. Sets DEMO_PID and DEMO_SERVICE_KEY (the key it printed).
# Extra demo flags (e.g. --external-sandbox) come from the DEMO_FLAGS array.
DEMO_PID=""
DEMO_SERVICE_KEY=""
DEMO_FLAGS=()
start_demo() {
    local work_dir="$1" port="$2" sandbox_port="$3" dir
    for dir in config Public Migrations; do ln -s "$REPO_DIR/$dir" "$work_dir/$dir"; done
    (cd "$work_dir" && LOG_LEVEL=warning RATE_LIMIT_USER_PER_MINUTE=1000000 RATE_LIMIT_USER_BURST=1000000 \
        exec "${FSR_BINARY:-$REPO_DIR/.build/release/fullscript-redirect}" demo --port "$port" \
        --sandbox-port "$sandbox_port" --sandbox-rate-limit 100000000 "${DEMO_FLAGS[@]}" >"$work_dir/demo.log" 2>&1) &
    DEMO_PID=$!
    _CLEANUP_PIDS+=("$DEMO_PID")
    SERVER_PORT="$port"
    for _ in $(seq 100); do
        if http_status_is /readyz 200; then
            DEMO_SERVICE_KEY="$(sed -n 's/.*Service key for \/api\/v1 .*: *//p' "$work_dir/demo.log" | head -1)"
            return 0
        fi
        sleep 0.1
    done
    die "the demo did not become ready (see $work_dir/demo.log)"
}

# demo_session PORT COOKIE_JAR: signs dr-quinn in through the demo page and connects them to the
# simulator as prac-1 (approved without its page); prints the fsr_session cookie value.
demo_session() {
    local base="http://127.0.0.1:$1" jar="$2" launch authorize callback
    # The forms of our pages post from our own origin, as the browser says with Sec-Fetch-Site.
    launch="$(curl -s -c "$jar" -b "$jar" -o /dev/null -w '%{redirect_url}' -H 'Sec-Fetch-Site: same-origin' \
        -d 'user=dr-quinn&return_to=/' "$base/demo/sign-in")"
    curl -s -c "$jar" -b "$jar" -o /dev/null "$launch"
    authorize="$(curl -s -c "$jar" -b "$jar" -o /dev/null -w '%{redirect_url}' -H 'Sec-Fetch-Site: same-origin' \
        -d 'return_to=/' "$base/oauth/fullscript/connect")"
    callback="$(curl -s -o /dev/null -w '%{redirect_url}' "${authorize/localhost/127.0.0.1}&auto_approve=prac-1")"
    curl -s -c "$jar" -b "$jar" -o /dev/null "$callback"
    awk '$6 == "fsr_session" { print $7 }' "$jar"
}

# signed_in_demo [--external-sandbox]: the demo (FSR_BINARY, else a release build of this checkout) on free
# loopback ports in a temporary folder, with dr-quinn signed in and connected. With --external-sandbox the
# simulator runs in a process of its own (it keeps every plan and request it saw, which is not our memory).
# Sets work_dir, port, sandbox_port and session. Settings for the server come from the caller's environment
# (`FULLSCRIPT_MAX_CONNECTIONS=1000 signed_in_demo`).
signed_in_demo() {
    [[ -n "${FSR_BINARY:-}" ]] || (cd "$REPO_DIR" && swift build -c release --product fullscript-redirect >&2)
    make_temp_dir work_dir
    port="$(free_port)"
    sandbox_port="$(free_port)"
    if [[ "${1:-}" == --external-sandbox ]]; then
        start_sandbox "$work_dir" "$sandbox_port" "$port"
        DEMO_FLAGS=(--external-sandbox)
    fi
    start_demo "$work_dir" "$port" "$sandbox_port"
    session="$(demo_session "$port" "$work_dir/cookies")"
    [[ -n "$session" ]] || die "no session cookie (see $work_dir/demo.log)"
}
