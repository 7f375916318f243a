#!/usr/bin/env bash
# Two builds' CPU per click, run in turn round after round, so that both see the same machine: one
# click-cpu.sh run of each, ROUNDS times, A first in odd rounds and B first in even ones. A change to the click
# moves its CPU by less than the machine's drift between runs, so only paired rounds say whether it helped; two
# copies of one build differed by up to ±80 µs in a round here, so a difference of tens of µs needs many rounds.
#
# usage: Benchmarks/click-cpu-compare.sh BINARY_A BINARY_B
# env:   ROUNDS (5), CONNS (16: one concurrency), CLICKS (3000 per run), and click-cpu.sh's own
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

(($# == 2)) || die "usage: $0 BINARY_A BINARY_B (two fullscript-redirect builds)"
binary_a="$(realpath "$1")" binary_b="$(realpath "$2")"
[[ -x "$binary_a" && -x "$binary_b" ]] || die "both builds must be executable files: $1, $2"
ROUNDS="${ROUNDS:-5}"
CONNS="${CONNS:-16}"
[[ "$CONNS" =~ ^[0-9]+$ ]] || die "CONNS is one concurrency here (got \"$CONNS\")"

# cpu_per_click BINARY: one click-cpu.sh run at CONNS; prints its click row's µs.
cpu_per_click() {
    local out
    out="$(FSR_BINARY="$1" CONNS="$CONNS" RUNS=1 "$BENCH_DIR/click-cpu.sh" 2>&1)" || die "click-cpu.sh failed: $out"
    awk '$1 == "click" { print $NF }' <<<"$out"
}

printf 'A: %s\nB: %s\n%s clicks per run at %s connections, %s rounds, in turn\n\n' "$binary_a" "$binary_b" "${CLICKS:-3000}" "$CONNS" "$ROUNDS"
printf '%5s %10s %10s %10s\n' round 'A cpu µs' 'B cpu µs' 'B − A'
results=()
for round in $(seq "$ROUNDS"); do
    # A first in odd rounds, B first in even ones, so that whatever the order does cancels out.
    if ((round % 2)); then
        a="$(cpu_per_click "$binary_a")"
        b="$(cpu_per_click "$binary_b")"
    else
        b="$(cpu_per_click "$binary_b")"
        a="$(cpu_per_click "$binary_a")"
    fi
    [[ -n "$a" && -n "$b" ]] || die "round $round printed no click row"
    results+=("$a $b")
    printf '%5d %10d %10d %+10d\n' "$round" "$a" "$b" $((b - a))
done
# column N: the median of the rounds' column N (1: A, 2: B, 3: B − A).
column() { printf '%s\n' "${results[@]}" | awk -v n="$1" '{ print (n == 3) ? $2 - $1 : $n }' | median; }
printf '\nmedian: A %.0f µs, B %.0f µs; B − A paired by round: median %+.0f µs\n' "$(column 1)" "$(column 2)" "$(column 3)"
