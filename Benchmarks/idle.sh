#!/usr/bin/env bash
# Idle-connection cost of one server: RSS per idle keep-alive connection, and the latency of
# fresh /healthz requests while 10,000 idle connections are held open.
#
# usage: Benchmarks/idle.sh [SERVER [ARGS...]]   (SERVER as in load.sh; default: ours)
# env:   IDLE_COUNT   idle connections (default 10000)
#        HOLD         extra seconds the connections are held after the probes (default 5)
#        BENCH_ROOT, PORT, LABEL as in load.sh
#        IDLE_TSV     append one row: label count open rss_before rss_after per_conn_kib p50 p99 max
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

IDLE_COUNT="${IDLE_COUNT:-10000}"
HOLD="${HOLD:-5}"

launch_server "$@" # also raises the open-file limit, for the server and for the client below
(($(ulimit -n) > IDLE_COUNT + 100)) || die "open-file limit $(ulimit -n) too low for $IDLE_COUNT connections"

printf '\n%s: %s idle keep-alive connections\n' "$SERVER_LABEL" "$IDLE_COUNT"
tsv_args=()
if [[ -n "${IDLE_TSV:-}" ]]; then tsv_args=(--tsv "$IDLE_TSV"); fi
run_bounded 300 python3 "$BENCH_DIR/idle_connections.py" \
    --port "$SERVER_PORT" --pid "$SERVER_PID" --count "$IDLE_COUNT" --hold "$HOLD" \
    --label "$SERVER_LABEL" "${tsv_args[@]}"
kill -0 "$SERVER_PID" 2>/dev/null || die "server died during the idle test"
