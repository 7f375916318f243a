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
#   BROWSER_TEST_TIMEOUT  seconds for the Python tests (default 420; about 70 s on an idle 2-core machine)
#   DOCS_SCREENS   also save every page at 1280 and 390 px wide there (docs/screens is the docs' copy:
#                  DOCS_SCREENS=docs/screens scripts/browser-test.sh)
# Installs chromium, chromium-driver (apt) and selenium (pip) only when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# 4.52 and later need a certifi newer than the package index here offers (seen: certifi>=2026.10.23).
SELENIUM_VERSION=4.51.0
# axe-core (bundled) checks every page the tests photograph: no serious or critical violation.
AXE_SELENIUM_VERSION=2.1.6
ARTIFACTS_DIR=${ARTIFACTS_DIR:-.build/test-artifacts/browser}
mkdir -p "$ARTIFACTS_DIR"
ARTIFACTS_DIR=$(cd "$ARTIFACTS_DIR" && pwd)
if [[ -n "${DOCS_SCREENS:-}" ]]; then
    mkdir -p "$DOCS_SCREENS"
    export DOCS_SCREENS=$(cd "$DOCS_SCREENS" && pwd)
fi
say() { echo "[browser-test] $*" >&2; }

# --- what the test needs ------------------------------------------------------------------------
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    say "installing chromium and chromium-driver"
    export DEBIAN_FRONTEND=noninteractive
    timeout 600 apt-get update -qq
    timeout 600 apt-get install -y -qq chromium chromium-driver >/dev/null
fi
if ! python3 -c 'import sys, selenium, axe_selenium_python; sys.exit(tuple(map(int, selenium.__version__.split(".")[:2])) < (4, 11))' 2>/dev/null; then
    say "installing selenium==$SELENIUM_VERSION and axe-selenium-python==$AXE_SELENIUM_VERSION"
    if ! python3 -m pip --version >/dev/null 2>&1; then
        timeout 600 apt-get update -qq && DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq python3-pip >/dev/null
    fi
    pip_install() { timeout 300 python3 -m pip install --quiet --disable-pip-version-check "$@" "selenium==$SELENIUM_VERSION" "axe-selenium-python==$AXE_SELENIUM_VERSION"; }
    # Debian's own python3 is "externally managed": there, pip needs to be told.
    PIP_ROOT_USER_ACTION=ignore pip_install || PIP_ROOT_USER_ACTION=ignore pip_install --break-system-packages
fi
CHROMIUM_BINARY=${CHROMIUM_BINARY:-$(command -v chromium)}
CHROMEDRIVER=${CHROMEDRIVER:-$(command -v chromedriver)}

# Only this script's own outputs are replaced.
rm -f "$ARTIFACTS_DIR"/*.png "$ARTIFACTS_DIR"/*.axe.json "$ARTIFACTS_DIR"/FAILED-* "$ARTIFACTS_DIR"/server.log "$ARTIFACTS_DIR"/chromedriver-*.log "$ARTIFACTS_DIR"/unittest.log

# --- the demo on free loopback ports, in a fresh working directory --------------------------------
source scripts/lib/demo.sh
demo_binary
stop_server() {
    local status=$?
    trap - EXIT INT TERM
    demo_stop "$ARTIFACTS_DIR"
    say "artifacts: $ARTIFACTS_DIR"
    ls -1 "$ARTIFACTS_DIR" | sed 's/^/[browser-test]   /' >&2 || true
    exit "$status"
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
demo_start browser-test

# --- the tests ------------------------------------------------------------------------------------
start=$SECONDS
set +e
EHR_URL="http://127.0.0.1:$PORT" SANDBOX_URL="http://localhost:$SANDBOX_PORT" SANDBOX_ADMIN_URL="http://127.0.0.1:$SANDBOX_PORT" \
    TMPDIR="$WORKDIR" SERVER_LOG="$SERVER_LOG" ARTIFACTS_DIR="$ARTIFACTS_DIR" CHROMIUM_BINARY="$CHROMIUM_BINARY" CHROMEDRIVER="$CHROMEDRIVER" \
    timeout --kill-after=10 "${BROWSER_TEST_TIMEOUT:-420}" \
    python3 "$ROOT/Tests/Browser/test_recommend_button.py" "$@" 2>&1 | tee "$ARTIFACTS_DIR/unittest.log" >&2
status=${PIPESTATUS[0]}
set -e
[[ $status -eq 124 ]] && say "the browser tests timed out after ${BROWSER_TEST_TIMEOUT:-420} s"
say "browser tests took $((SECONDS - start)) s, exit $status"
exit "$status"
