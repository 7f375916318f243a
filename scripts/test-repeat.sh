#!/usr/bin/env bash
# Runs the Swift test suite N times in a row (default 20), in parallel as scripts/test.sh does, while
# LOAD busy processes (`yes >/dev/null`, default 2: one per core here) keep every core busy; stops at the first failure.
# Prints each run's wall time, then the slowest, the fastest and the mean. The build is done first and
# is not timed. Usage: scripts/test-repeat.sh [N] [extra swift test arguments...]
#   LOAD=0 scripts/test-repeat.sh 5      # without the busy loops
#   KEEP_LOGS=1 ...                       # keep every run's log, not just a failing one
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-20}"
shift || true
load="${LOAD:-2}"
logs="$(mktemp -d -t test-repeat.XXXXXX)"
swift build --build-tests

busy=()
stop_load() {
    for pid in "${busy[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${busy[@]}"; do wait "$pid" 2>/dev/null || true; done
    busy=()
}
trap stop_load EXIT
for _ in $(seq 1 "$load"); do
    # Bounded even if this script is killed without its trap: each loop ends by itself after an hour.
    timeout 3600 yes >/dev/null &
    busy+=("$!")
done

times=()
for run in $(seq 1 "$runs"); do
    log="$logs/run-$run.log"
    start=$(date +%s.%N)
    if ! swift test --skip-build "$@" >"$log" 2>&1; then
        echo "run $run FAILED; log: $log" >&2
        grep -E '^✘|recorded an issue|^error:' "$log" | head -40 >&2 || true
        exit 1
    fi
    seconds=$(awk -v start="$start" -v end="$(date +%s.%N)" 'BEGIN { printf "%.2f", end - start }')
    times+=("$seconds")
    summary=$(grep -E 'Test run with [0-9]+ tests' "$log" | tail -1 | sed -E 's/.*(Test run with [0-9]+ tests).*/\1/')
    printf 'run %2d: %6.2f s  %s\n' "$run" "$seconds" "$summary"
    [ -n "${KEEP_LOGS:-}" ] || rm -f "$log"
done
rmdir "$logs" 2>/dev/null || true
printf '%s\n' "${times[@]}" | sort -n | awk -v runs="$runs" -v load="$load" '
    { t[NR] = $1; sum += $1 }
    END { printf "%d runs green with %d busy loop(s): fastest %.2f s, mean %.2f s, slowest %.2f s\n", runs, load, t[1], sum / NR, t[NR] }'
