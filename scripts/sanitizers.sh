#!/usr/bin/env bash
# The whole test suite under AddressSanitizer and ThreadSanitizer (each in its own build folder,
# .build-asan and .build-tsan). Any report fails the run. Not part of the test command: each
# sanitizer's build and run takes several minutes on 2 cores.
#
# usage: scripts/sanitizers.sh [address|thread|all] [swift test arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-all}"
shift || true
case "$which" in
    all) sanitizers=(address thread) ;;
    address | thread) sanitizers=("$which") ;;
    *) echo "usage: scripts/sanitizers.sh [address|thread|all] [swift test arguments...]" >&2; exit 2 ;;
esac
scripts/install-deps.sh
# halt_on_error=0 and exitcode: every report is printed, and any report fails the test process.
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=0:exitcode=86${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export TSAN_OPTIONS="halt_on_error=0:exitcode=66${TSAN_OPTIONS:+:$TSAN_OPTIONS}"
status=0
for sanitizer in "${sanitizers[@]}"; do
    scratch=".build-${sanitizer:0:1}san"
    log="$scratch/sanitizer-tests.log"
    start=$SECONDS
    mkdir -p "$scratch"
    if ! swift build --build-tests --sanitize="$sanitizer" --scratch-path "$scratch" >"$scratch/sanitizer-build.log" 2>&1; then
        grep -E "error" "$scratch/sanitizer-build.log" >&2 || tail -20 "$scratch/sanitizer-build.log" >&2
        exit 1
    fi
    built=$((SECONDS - start))
    result=passed
    swift test --skip-build --no-parallel --sanitize="$sanitizer" --scratch-path "$scratch" "$@" >"$log" 2>&1 || result=FAILED
    reports=$(grep -cE "^(WARNING: ThreadSanitizer|==[0-9]+==ERROR: AddressSanitizer)" "$log" || true)
    # A report fails the run even when every test passed (the sanitizer's exit code is not always ours).
    [[ "$reports" == 0 ]] || result=FAILED
    [[ "$result" == passed ]] || status=1
    summary=$(grep -E "Test run with [0-9]+ tests" "$log" | tail -1 | sed 's/^[^A-Za-z]*//')
    echo "$sanitizer: $result; build ${built}s, tests $((SECONDS - start - built))s; $reports reports; ${summary:-no test summary} (log: $log)"
done
exit "$status"
