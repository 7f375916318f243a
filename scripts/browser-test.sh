#!/usr/bin/env bash
# Real-browser end-to-end test: headless Chromium (Selenium) clicks Recommend with Fullscript in the
# demo EHR and follows the new tab through the simulator's consent page to its plan page.
#
#   scripts/browser-test.sh [unittest args, e.g. -k staff]
#
# Environment:
#   FSR_BINARY     the fullscript-redirect binary to run (default: `swift build --product
#                  fullscript-redirect`, debug, then .build/debug/fullscript-redirect)
#   ARTIFACTS_DIR  screenshots, failure dumps, server log (default .build/test-artifacts/browser)
#   BROWSER_TEST_TIMEOUT  seconds for the Python tests (default 150)
# Installs chromium, chromium-driver (apt) and selenium (pip) only when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SELENIUM_VERSION=4.52.0
ARTIFACTS_DIR=${ARTIFACTS_DIR:-.build/test-artifacts/browser}
mkdir -p "$ARTIFACTS_DIR"
ARTIFACTS_DIR=$(cd "$ARTIFACTS_DIR" && pwd)
say() { echo "[browser-test] $*" >&2; }

# --- what the test needs ------------------------------------------------------------------------
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    say "installing chromium and chromium-driver"
    export DEBIAN_FRONTEND=noninteractive
    timeout 600 apt-get update -qq
    timeout 600 apt-get install -y -qq chromium chromium-driver >/dev/null
fi
if ! python3 -c 'import sys, selenium; sys.exit(tuple(map(int, selenium.__version__.split(".")[:2])) < (4, 11))' 2>/dev/null; then
    say "installing selenium==$SELENIUM_VERSION"
    if ! python3 -m pip --version >/dev/null 2>&1; then
        timeout 600 apt-get update -qq && DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq python3-pip >/dev/null
    fi
    pip_install() { timeout 300 python3 -m pip install --quiet --disable-pip-version-check "$@" "selenium==$SELENIUM_VERSION"; }
    # Debian's own python3 is "externally managed": there, pip needs to be told.
    PIP_ROOT_USER_ACTION=ignore pip_install || PIP_ROOT_USER_ACTION=ignore pip_install --break-system-packages
fi
CHROMIUM_BINARY=${CHROMIUM_BINARY:-$(command -v chromium)}
CHROMEDRIVER=${CHROMEDRIVER:-$(command -v chromedriver)}

if [[ -z "${FSR_BINARY:-}" ]]; then
    swift build --product fullscript-redirect
    FSR_BINARY="$(swift build --show-bin-path)/fullscript-redirect"
fi
[[ -x "$FSR_BINARY" ]] || { say "no executable at FSR_BINARY=$FSR_BINARY"; exit 1; }

# Only this script's own outputs are replaced.
rm -f "$ARTIFACTS_DIR"/*.png "$ARTIFACTS_DIR"/FAILED-* "$ARTIFACTS_DIR"/server.log "$ARTIFACTS_DIR"/chromedriver-*.log "$ARTIFACTS_DIR"/unittest.log

# --- the demo on free loopback ports, in a fresh working directory --------------------------------
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
PORT=$(free_port)
SANDBOX_PORT=$(free_port)
while [[ "$SANDBOX_PORT" == "$PORT" ]]; do SANDBOX_PORT=$(free_port); done
WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/fsr-browser-test.XXXXXX")
for dir in config Public Migrations; do ln -s "$ROOT/$dir" "$WORKDIR/$dir"; done
SERVER_LOG="$WORKDIR/server.log"
SERVER_PID=""

stop_server() {
    local status=$?
    trap - EXIT INT TERM
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    [[ -f "$SERVER_LOG" ]] && cp "$SERVER_LOG" "$ARTIFACTS_DIR/server.log"
    rm -rf "$WORKDIR"
    say "artifacts: $ARTIFACTS_DIR"
    ls -1 "$ARTIFACTS_DIR" | sed 's/^/[browser-test]   /' >&2 || true
    exit "$status"
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "demo: EHR http://127.0.0.1:$PORT/, simulator http://localhost:$SANDBOX_PORT/ (log: $SERVER_LOG)"
(cd "$WORKDIR" && exec env HTTP_SHUTDOWN_GRACE_MS=2000 "$FSR_BINARY" demo --port "$PORT" --sandbox-port "$SANDBOX_PORT") \
    >"$SERVER_LOG" 2>&1 </dev/null &
SERVER_PID=$!

# Ready when the app's /readyz answers 200 and the simulator answers at all; 30 s at most.
if ! python3 - "$SERVER_PID" "http://127.0.0.1:$PORT/readyz" "http://127.0.0.1:$SANDBOX_PORT/_sandbox/stats" <<'PY'
import os, sys, time, urllib.error, urllib.request
pid, urls = int(sys.argv[1]), sys.argv[2:]
def answers(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("the demo exited early")
    if all(answers(url) for url in urls):
        sys.exit(0)
    time.sleep(0.2)
sys.exit("the demo was not ready within 30 s")
PY
then
    say "server log:"; cat "$SERVER_LOG" >&2
    exit 1
fi

# --- the tests ------------------------------------------------------------------------------------
start=$SECONDS
set +e
EHR_URL="http://127.0.0.1:$PORT" SANDBOX_URL="http://localhost:$SANDBOX_PORT" SANDBOX_ADMIN_URL="http://127.0.0.1:$SANDBOX_PORT" \
    TMPDIR="$WORKDIR" SERVER_LOG="$SERVER_LOG" ARTIFACTS_DIR="$ARTIFACTS_DIR" CHROMIUM_BINARY="$CHROMIUM_BINARY" CHROMEDRIVER="$CHROMEDRIVER" \
    timeout --kill-after=10 "${BROWSER_TEST_TIMEOUT:-150}" \
    python3 "$ROOT/Tests/Browser/test_recommend_button.py" "$@" 2>&1 | tee "$ARTIFACTS_DIR/unittest.log" >&2
status=${PIPESTATUS[0]}
set -e
[[ $status -eq 124 ]] && say "the browser tests timed out after ${BROWSER_TEST_TIMEOUT:-150} s"
say "browser tests took $((SECONDS - start)) s, exit $status"
exit "$status"
