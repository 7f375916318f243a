#!/usr/bin/env bash
# libFuzzer on what strangers can send: the HTTP request parser (whatever the bytes, no crash or hang,
# and the same requests however the bytes are split across reads) and a webhook delivery's signature
# header and JSON body (plus the patients API's body). The Fuzz package, built with -sanitize=fuzzer,address
# into .build-fuzz; each target runs SECONDS (default 60) from the seeds in Fuzz/corpus/<target>, growing
# a working corpus in .build-fuzz/corpus/<target>; a crash is kept in .build-fuzz/crashes/ and fails the run.
#
# usage: scripts/fuzz.sh [SECONDS]       (the test command runs 20 s per target)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
targets=(http:fuzz-http-request-parser webhook:fuzz-webhook-payload)
flags=(--package-path Fuzz -c release --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld -Xswiftc -enable-testing)
mkdir -p .build-fuzz
for entry in "${targets[@]}"; do
    if ! swift build "${flags[@]}" --product "${entry#*:}" >.build-fuzz/build.log 2>&1; then
        grep -E "error" .build-fuzz/build.log >&2 || tail -20 .build-fuzz/build.log >&2
        exit 1
    fi
done
bin="$(swift build "${flags[@]}" --show-bin-path)"
mkdir -p .build-fuzz/crashes
status=0
for entry in "${targets[@]}"; do
    name="${entry%%:*}" product="${entry#*:}"
    mkdir -p ".build-fuzz/corpus/$name"
    log=".build-fuzz/$name.log"
    echo "fuzzing $product for ${seconds}s (seeds: Fuzz/corpus/$name)"
    # -timeout: one input taking over 5 s is a hang; -rss_limit_mb bounds a runaway allocation.
    if ! timeout -k 10 $((seconds + 120)) "$bin/$product" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 \
        -max_len=4096 -print_final_stats=1 -artifact_prefix=".build-fuzz/crashes/$name-" \
        ".build-fuzz/corpus/$name" "Fuzz/corpus/$name" >"$log" 2>&1; then
        status=1
        echo "  FAILED: see $log and .build-fuzz/crashes/ (add the input to Fuzz/corpus/$name and a regression test)"
        grep -E "ERROR|fatal|==[0-9]+==" "$log" | head -5 || true
    fi
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
    rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")"
    coverage="$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -1)"
    echo "  ${runs:-?} inputs, ${rate:-?}/s; ${coverage:-no coverage line}"
done
exit "$status"
