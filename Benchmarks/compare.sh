#!/usr/bin/env bash
# Side-by-side load test of bench-server and the peer servers (same routes, same file, same
# durations), with req/s and p99 per route and the ratios of the first server to the others.
#
# usage: Benchmarks/compare.sh [--idle] [--no-build]
#   --idle       also run idle.sh (10,000 idle connections) against each server
#   --no-build   use the existing release binaries instead of running swift build
# env:   SERVERS   servers to compare, the first is the reference (default "ours hummingbird flyingfox")
#        DURATION, CONNS (load.sh), IDLE_COUNT, HOLD (idle.sh)
# Results: Benchmarks/results/<timestamp>/ (load.tsv, idle.tsv, each script's output, summary.txt)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

idle=false build=true
for arg in "$@"; do
    case "$arg" in
        --idle) idle=true ;;
        --no-build) build=false ;;
        *) die "unknown argument $arg (usage: compare.sh [--idle] [--no-build])" ;;
    esac
done
read -r -a servers <<<"${SERVERS:-ours hummingbird flyingfox}"

if $build; then
    if [[ " ${servers[*]} " == *" ours "* ]]; then build_bench_server; fi
    if [[ " ${servers[*]} " =~ \ (hummingbird|flyingfox)\  ]]; then build_peers; fi
fi

out_dir="$RESULTS_DIR/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out_dir"
make_root BENCH_ROOT
export BENCH_ROOT DURATION="${DURATION:-10}"
log "results in $out_dir"

touch "$out_dir/load.tsv" "$out_dir/idle.tsv"
wrk_runs=$((3 * $(wc -w <<<"${CONNS:-1 64 512}") + 1)) # 3 routes x CONNS, plus Connection: close
load_limit=$((wrk_runs * (DURATION + 40) + 120))
for server in "${servers[@]}"; do # a server that fails leaves blanks in the table, the others still run
    run_bounded "$load_limit" env LABEL="$server" RESULTS_TSV="$out_dir/load.tsv" \
        "$BENCH_DIR/load.sh" "$server" > >(tee "$out_dir/load-$server.txt") || log "load.sh $server failed"
    if $idle; then
        run_bounded 400 env LABEL="$server" IDLE_TSV="$out_dir/idle.tsv" \
            "$BENCH_DIR/idle.sh" "$server" > >(tee "$out_dir/idle-$server.txt") || log "idle.sh $server failed"
    fi
done
wait # for the tee processes

# One row per route and connection count; per server req/s and p99 (ms), then for each other
# server the ratios reference/other of req/s (above 1: reference faster) and p99 (below 1: reference better).
print_load_table() {
    awk -F '\t' -v servers="${servers[*]}" '
        function ratio(a, b) { return (a + 0 > 0 && b + 0 > 0) ? sprintf("%.2f", a / b) : "-" }
        function short(name) { return name == "hummingbird" ? "hb" : name == "flyingfox" ? "ff" : name }
        BEGIN { n = split(servers, s, " ") }
        {
            key = $2 SUBSEP $3
            if (!(key in seen)) { seen[key] = 1; order[++rows] = key }
            rps[$1, key] = $4; p99[$1, key] = $6
        }
        END {
            printf "%-18s %5s", "route", "conns"
            for (i = 1; i <= n; i++) printf " %12s %7s", short(s[i]) " req/s", "p99 ms"
            for (i = 2; i <= n; i++) printf " %12s %12s", "rps " short(s[1]) "/" short(s[i]), "p99 " short(s[1]) "/" short(s[i])
            printf "\n"
            for (r = 1; r <= rows; r++) {
                split(order[r], k, SUBSEP)
                printf "%-18s %5s", k[1], k[2]
                for (i = 1; i <= n; i++) printf " %12s %7s", rps[s[i], order[r]], p99[s[i], order[r]]
                for (i = 2; i <= n; i++)
                    printf " %12s %12s", ratio(rps[s[1], order[r]], rps[s[i], order[r]]), ratio(p99[s[1], order[r]], p99[s[i], order[r]])
                printf "\n"
            }
        }' "$out_dir/load.tsv"
}

print_idle_table() {
    awk -F '\t' '
        BEGIN { printf "%-12s %13s %12s %12s %9s %8s %8s %8s\n", "server", "open/idle", "RSS0 KiB", "RSS KiB", "KiB/conn", "p50 ms", "p99 ms", "max ms" }
        { printf "%-12s %13s %12s %12s %9s %8s %8s %8s\n", $1, $3 "/" $2, $4, $5, $6, $7, $8, $9 }' "$out_dir/idle.tsv"
}

{
    printf '\nComparison, %ss per run, %s (git %s)\n' "$DURATION" "$(date -Iseconds)" \
        "$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo '?')"
    print_load_table
    if $idle; then
        printf '\nIdle connections (%s each)\n' "${IDLE_COUNT:-10000}"
        print_idle_table
    fi
} | tee "$out_dir/summary.txt"
