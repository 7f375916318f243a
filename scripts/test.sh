#!/usr/bin/env bash
# The test command: installs what is missing, checks the dependency graph, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
# Each stage's time and the whole command's, printed at the end however it ends (CI stops past 90 minutes).
stage_started=$SECONDS
stage_times=""
stage() { stage_times+="$(printf '  %-34s %5d s' "$1" $((SECONDS - stage_started)))"$'\n'; stage_started=$SECONDS; }
trap 'printf "[test] stages:\n%s[test] the test command took %d s (%d min)\n" "$stage_times" "$SECONDS" $((SECONDS / 60)) >&2' EXIT
scripts/install-deps.sh
scripts/check-no-nio.sh
swift build --build-tests
stage "install, check, build"
# Each line of the Swift tests' output with the time it came: a test process that stalls (every test in flight
# about 30 s late, seen in some CI runs) then shows what ran when it did.
stamped() { python3 -u -c 'import sys, time
for line in sys.stdin.buffer: sys.stdout.buffer.write(time.strftime("%H:%M:%S ").encode() + line)'; }
# Side by side: no test blocks one of the pool's threads (TestClient waits on a thread of its own), and
# TestSlots bounds how many servers run at once. scripts/test-repeat.sh N runs the suite N times under load.
swift test --skip-build "$@" 2>&1 | stamped
stage "Swift tests (SQLite)"
# The store-heavy suites again on PostgreSQL 15 (a server the tests start, a database per test folder),
# and migrate --copy-to, which runs only there: it needs a SQLite source and a PostgreSQL target.
if [ $# -eq 0 ]; then
    TEST_DATABASE=postgres swift test --skip-build \
        --filter 'TenancyTests|PatientIdentityTests|WebhookProcessorTests|PlanRoutesTests|OAuthConnectTests|OrdersTests|PlanActionsTests|MedicationStatementTests|CopyToPostgresTests|ReplicaCoordinationTests|ReplicaLiveUpdatesTests|PlanReaderTests|ClickReadAheadTests' \
        2>&1 | stamped
    stage "Swift tests again on PostgreSQL"
fi
# The real-browser test (headless Chromium) when the whole suite runs, on the binary just built.
if [ $# -eq 0 ]; then
    FSR_BINARY="$(swift build --show-bin-path)/fullscript-redirect" scripts/browser-test.sh
    stage "Chromium"
    # The internal API against its OpenAPI document (schemathesis on the live demo).
    FSR_BINARY="$(swift build --show-bin-path)/fullscript-redirect" scripts/contract-test.sh
    stage "schemathesis"
    # Every MedicationStatement the API answers, through a real FHIR R4 validator (fhir.resources).
    FSR_BINARY="$(swift build --show-bin-path)/fullscript-redirect" scripts/fhir-test.sh
    stage "FHIR validator"
    # The load proof in a short form: 1,000 concurrent clicks with 150 ms upstream latency while 10,000
    # idle connections are held, then a 10 s soak (the full one: Benchmarks/load-proof.sh, release build).
    FSR_BINARY="$(swift build --show-bin-path)/fullscript-redirect" CLICK_SECONDS=5 SOAK_SECONDS=10 Benchmarks/load-proof.sh
    stage "load proof"
    # PostgreSQL 15, 3 replicas and nginx (deploy/nginx.conf) on loopback: click, OAuth, webhook, live stream
    # and a rolling restart with 0 failed clicks, all through nginx (about 1 minute).
    FSR_BINARY="$(swift build --show-bin-path)/fullscript-redirect" ARTIFACTS=.build/test-artifacts/replicas scripts/replicas-test.sh
    stage "3 replicas behind nginx"
    # kill -9 during webhooks and token refreshes, three times: nothing acknowledged lost, nobody disconnected.
    # Then PostgreSQL stopped (fast) for 3 s and restarted under 2 replicas behind nginx (about 25 s): 503 pages, no
    # acknowledged webhook lost, the replicas recover by themselves.
    FSR_BINARY="$(swift build --show-bin-path)/fullscript-redirect" scripts/fault-test.sh
    stage "fault test"
    # libFuzzer on the request parser and the webhook/JSON path, 20 s each (scripts/fuzz.sh SECONDS for longer).
    scripts/fuzz.sh 20
    stage "fuzz"
    # The Dockerfile built with buildah and its image run with podman: no Docker engine needed, but root.
    if [ "$(id -u)" -eq 0 ]; then
        scripts/docker-proof.sh
        stage "docker proof"
    else
        echo "docker-proof skipped: it needs root (debootstrap, rootful buildah and podman); run scripts/docker-proof.sh as root" >&2
    fi
fi
