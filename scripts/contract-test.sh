#!/usr/bin/env bash
# Contract test: schemathesis generates requests from Public/openapi.yaml (as the live server serves
# it at /openapi.yaml) and checks every answer against the document.
#
#   scripts/contract-test.sh [extra schemathesis args]
#
# Environment:
#   FSR_BINARY              the fullscript-redirect binary (default: swift build, debug)
#   CONTRACT_MAX_EXAMPLES   examples per operation (default 30, the CI budget; raise it for a longer run)
#   ARTIFACTS_DIR           server log and schemathesis report (default .build/test-artifacts/contract)
# Installs schemathesis (pip, pinned) only when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SCHEMATHESIS_VERSION=4.32.5
MAX_EXAMPLES=${CONTRACT_MAX_EXAMPLES:-30}
ARTIFACTS_DIR=${ARTIFACTS_DIR:-.build/test-artifacts/contract}
mkdir -p "$ARTIFACTS_DIR"
ARTIFACTS_DIR=$(cd "$ARTIFACTS_DIR" && pwd)
say() { echo "[contract-test] $*" >&2; }

if ! command -v schemathesis >/dev/null || [[ "$(schemathesis --version 2>/dev/null | grep -o '[0-9][0-9.]*' | head -1)" != "$SCHEMATHESIS_VERSION" ]]; then
    say "installing schemathesis==$SCHEMATHESIS_VERSION"
    if ! python3 -m pip --version >/dev/null 2>&1; then
        timeout 600 apt-get update -qq && DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq python3-pip >/dev/null
    fi
    pip_install() { timeout 300 python3 -m pip install --quiet --disable-pip-version-check "$@" "schemathesis==$SCHEMATHESIS_VERSION"; }
    # Debian's own python3 is "externally managed": there, pip needs to be told.
    PIP_ROOT_USER_ACTION=ignore pip_install || PIP_ROOT_USER_ACTION=ignore pip_install --break-system-packages
fi

# --- the demo on free loopback ports, in a fresh working directory --------------------------------
source scripts/lib/demo.sh
demo_binary
stop_server() {
    local status=$?
    trap - EXIT INT TERM
    demo_stop "$ARTIFACTS_DIR"
    say "artifacts: $ARTIFACTS_DIR"
    exit "$status"
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# One demo user makes every request: its rate limit is lifted so each operation's own logic gets
# tested (the 429 answers are in the document and have their own tests).
demo_start contract-test RATE_LIMIT_USER_PER_MINUTE=1000000 RATE_LIMIT_USER_BURST=1000000 \
    RATE_LIMIT_SERVICE_PER_MINUTE=1000000 RATE_LIMIT_SERVICE_BURST=1000000
BASE="http://127.0.0.1:$PORT"
SERVICE_KEY=$(demo_service_key)
# schemathesis sends one key everywhere: an operator key of the same tenant sees the same patients and
# plans as the demo's, and GET /api/v1/tenants answers it 200, so that shape is checked too.
OPERATOR_KEY=$(cd "$WORKDIR" && "$FSR_BINARY" service-keys create contract-operator --operator --database ./data/demo.sqlite \
    | awk '$1 ~ /^fsr_/ { print $1 }')
[[ -n "$OPERATOR_KEY" ]] || { say "could not create an operator key"; exit 1; }

# A session for /ehr/api, signed in through the demo page as Benchmarks/recommend.sh does.
JAR="$WORKDIR/cookies"
# Our pages' forms post from our own origin; so does this (Sec-Fetch-Site, as a browser sends it).
launch=$(curl -s -c "$JAR" -b "$JAR" -o /dev/null -w '%{redirect_url}' -H 'Sec-Fetch-Site: same-origin' \
    -d 'user=dr-quinn&return_to=/' "$BASE/demo/sign-in")
curl -s -c "$JAR" -b "$JAR" -o /dev/null "$launch"
SESSION=$(awk '$6 == "fsr_session" { print $7 }' "$JAR")
[[ -n "$SESSION" ]] || { say "no session cookie from /demo/sign-in"; exit 1; }

# p-1001 linked to a Fullscript patient and then changed, so its answers carry `fullscript_patient_id` and
# `fullscript_sync` (the document's example id): connected through the simulator's consent, then one click.
connect=$(curl -s -c "$JAR" -b "$JAR" -o /dev/null -w '%{redirect_url}' -H 'Sec-Fetch-Site: same-origin' \
    -d 'return_to=/' "$BASE/oauth/fullscript/connect")
callback=$(curl -s -o /dev/null -w '%{redirect_url}' "$connect&auto_approve=prac-1")
linked=$(curl -s -c "$JAR" -b "$JAR" -o /dev/null -w '%{http_code}' "$callback")
clicked=$(curl -s -b "$JAR" -o /dev/null -w '%{http_code}' "$BASE/recommend/p-1001")
changed=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $SERVICE_KEY" -H 'Content-Type: application/json' \
    -d '{"email":"jordan.rivera@example.com","first_name":"Jordan","last_name":"Rivera-Lee"}' "$BASE/api/v1/patients/p-1001")
[[ "$linked $clicked $changed" == "200 302 200" ]] || { say "could not link p-1001 (callback $linked, click $clicked, PUT $changed)"; exit 1; }

# Served, and as YAML: what schemathesis reads is what clients read.
content_type=$(curl -s -o /dev/null -w '%{content_type}' "$BASE/openapi.yaml")
[[ "$content_type" == application/yaml* ]] || { say "/openapi.yaml is served as '$content_type'"; exit 1; }

start=$SECONDS
set +e
# Excluded operation, and why:
# - the event stream never ends by design (it is checked by PlanRoutesTests and the browser test);
#   schemathesis would wait out --request-timeout on every example.
# Every check of the brief runs; none is excluded.
# Run from the temporary directory: schemathesis keeps a .schemathesis/ cache in its working directory.
(cd "$WORKDIR" && exec timeout --kill-after=10 "${CONTRACT_TEST_TIMEOUT:-900}" \
    schemathesis run "$BASE/openapi.yaml" \
    --url "$BASE" \
    -H "Authorization: Bearer $OPERATOR_KEY" \
    -H "Cookie: fsr_session=$SESSION" \
    -H "Sec-Fetch-Site: same-origin" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
    --exclude-operation-id chartPlanEvents \
    --max-examples "$MAX_EXAMPLES" \
    --request-timeout 10 \
    --seed "${CONTRACT_SEED:-1}" \
    --report junit --report-dir "$ARTIFACTS_DIR" \
    "$@") 2>&1 | tee "$ARTIFACTS_DIR/schemathesis.log" >&2
status=${PIPESTATUS[0]}
set -e
say "schemathesis took $((SECONDS - start)) s, exit $status"
exit "$status"
