#!/usr/bin/env bash
# FHIR test: patients with active plans of varied dosages, made through the demo's simulator, then every
# resource of GET /api/v1/patients/:id/medication-statements checked by a real FHIR R4 validator
# (fhir.resources, Tests/FHIR/validate_medication_statements.py), which must also refuse broken copies.
#
#   scripts/fhir-test.sh
#
# Environment:
#   FSR_BINARY     the fullscript-redirect binary (default: swift build, debug)
#   ARTIFACTS_DIR  server log and each bundle fetched (default .build/test-artifacts/fhir)
#   FHIR_VENV      the validator's virtual environment (default .build/fhir-venv)
# Installs Tests/FHIR/requirements.txt there (pip, pinned) only when missing: scripts/install-fhir-validator.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ARTIFACTS_DIR=${ARTIFACTS_DIR:-.build/test-artifacts/fhir}
mkdir -p "$ARTIFACTS_DIR"
ARTIFACTS_DIR=$(cd "$ARTIFACTS_DIR" && pwd)
say() { echo "[fhir-test] $*" >&2; }

scripts/install-fhir-validator.sh
FHIR_PYTHON="${FHIR_VENV:-.build/fhir-venv}/bin/python"

if [[ -z "${FSR_BINARY:-}" ]]; then
    swift build --product fullscript-redirect
    FSR_BINARY="$(swift build --show-bin-path)/fullscript-redirect"
fi
[[ -x "$FSR_BINARY" ]] || { say "no executable at FSR_BINARY=$FSR_BINARY"; exit 1; }

source scripts/lib/demo.sh
stop_server() {
    local status=$?
    trap - EXIT INT TERM
    demo_stop "$ARTIFACTS_DIR"
    exit "$status"
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
demo_start fhir-test
BASE="http://127.0.0.1:$PORT"
SANDBOX="http://localhost:$SANDBOX_PORT"
KEY=""
for _ in $(seq 100); do
    KEY=$(sed -n 's/^.*Service key for \/api\/v1[^:]*: *//p' "$SERVER_LOG" | head -1 | tr -d '[:space:]')
    [[ -n "$KEY" ]] && break
    sleep 0.1
done
[[ -n "$KEY" ]] || { say "no service key in the demo's output"; exit 1; }

# Signed in as the demo's practitioner and connected through the simulator's consent (as contract-test.sh does).
JAR="$WORKDIR/cookies"
launch=$(curl -s -c "$JAR" -b "$JAR" -o /dev/null -w '%{redirect_url}' -H 'Sec-Fetch-Site: same-origin' \
    -d 'user=dr-quinn&return_to=/' "$BASE/demo/sign-in")
curl -s -c "$JAR" -b "$JAR" -o /dev/null "$launch"
connect=$(curl -s -c "$JAR" -b "$JAR" -o /dev/null -w '%{redirect_url}' -H 'Sec-Fetch-Site: same-origin' \
    -d 'return_to=/' "$BASE/oauth/fullscript/connect")
callback=$(curl -s -o /dev/null -w '%{redirect_url}' "$connect&auto_approve=prac-1")
[[ "$(curl -s -c "$JAR" -b "$JAR" -o /dev/null -w '%{http_code}' "$callback")" == 200 ]] || { say "could not connect Fullscript"; exit 1; }

# plan_for PATIENT VARIANTS [FIELD=VALUE ...]: the patient, a click on Recommend, and the plan activated in the
# simulator with those products and the dosing written for them (`dosage.<variant>.<field>`, docs/simulator.md).
plan_for() {
    local patient="$1" variants="$2" status link fullscript_id
    shift 2
    status=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
        -d "{\"email\":\"$patient@example.com\",\"first_name\":\"Fhir\",\"last_name\":\"Patient ${patient//[^a-z0-9]/}\"}" \
        "$BASE/api/v1/patients/$patient")
    [[ "$status" == 201 ]] || { say "PUT $patient: $status"; return 1; }
    link=$(curl -s -b "$JAR" -o /dev/null -w '%{redirect_url}' "$BASE/recommend/$patient")
    [[ "$link" == "$SANDBOX"/sandbox/plans/* ]] || { say "no plan link for $patient: '$link'"; return 1; }
    fullscript_id=$(curl -s -H "Authorization: Bearer $KEY" "$BASE/api/v1/patients/$patient" \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["fullscript_patient_id"])')
    local form=(--data-urlencode "patient_id=$fullscript_id" --data-urlencode "variant_ids=$variants")
    for field in "$@"; do form+=(--data-urlencode "$field"); done
    status=$(curl -s -o /dev/null -w '%{http_code}' "${form[@]}" "${link%%\?*}/activate")
    [[ "$status" == 303 ]] || { say "activating $patient's plan: $status"; return 1; }
    PLAN_PAGE="${link%%\?*}"
}

# The seeded dosing; a range, every 8 hours, at bedtime, ongoing; as needed, with meals; every other day for
# two weeks; words nothing can read; a measured dose (mcg, UCUM) for a patient whose id is no FHIR id.
plan_for p-fhir-1 variant-1001,variant-1002,variant-1003
plan_for p-fhir-2 variant-1001,variant-1002 \
    'dosage.variant-1001.amount=1-2 capsules' 'dosage.variant-1001.frequency=every 8 hours' 'dosage.variant-1001.time_of_day=bedtime' \
    'dosage.variant-1001.duration=ongoing' \
    'dosage.variant-1002.amount=1' 'dosage.variant-1002.frequency=as needed' 'dosage.variant-1002.time_of_day=with breakfast, with dinner'
plan_for p-fhir-3 variant-1003,variant-1001 \
    'dosage.variant-1003.amount=1/2 teaspoon' 'dosage.variant-1003.frequency=every other day' 'dosage.variant-1003.duration=2 weeks' \
    'dosage.variant-1001.amount=a few' 'dosage.variant-1001.frequency=when tired' 'dosage.variant-1001.duration=until better' \
    'dosage.variant-1001.time_of_day=after my run' 'dosage.variant-1001.format=' 'dosage.variant-1001.additional_info=Ask at the next visit'
plan_for p_fhir:4 variant-1002 \
    'dosage.variant-1002.amount=1000 mcg' 'dosage.variant-1002.frequency=once daily' 'dosage.variant-1002.duration=3 months' \
    'dosage.variant-1002.time_of_day=morning'

# A plan the practitioner cancels in Fullscript (its webhook, treatment_plan.updated): its statements are stopped.
plan_for p-fhir-5 variant-1001,variant-1002
status=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$PLAN_PAGE/cancel")
[[ "$status" == 303 ]] || { say "cancelling p-fhir-5's plan: $status"; exit 1; }

FHIR_BASE="$BASE" FHIR_KEY="$KEY" FHIR_ARTIFACTS="$ARTIFACTS_DIR" FHIR_STOPPED='["p-fhir-5"]' \
    FHIR_EXPECT='{"p-fhir-1": 3, "p-fhir-2": 2, "p-fhir-3": 2, "p_fhir:4": 1, "p-fhir-5": 2, "p-1002": 0}' \
    "$FHIR_PYTHON" Tests/FHIR/validate_medication_statements.py
