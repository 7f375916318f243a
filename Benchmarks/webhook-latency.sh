#!/usr/bin/env bash
# Webhook-to-chart latency over N activations (default 200) against the demo: signed webhook from
# the simulator, durable store, processing, merge, and the server-sent event on an open chart.
#
# MODE=order: the webhook-to-chart latency of `order.placed` instead (one plan, ordered N times).
#
# usage: Benchmarks/webhook-latency.sh      env: N (default 200), MODE (plan, the default, or order)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

N="${N:-200}"
ensure_command curl
# FSR_BINARY (see start_demo) skips the release build, e.g. to try a change quickly with a debug binary.
[[ -n "${FSR_BINARY:-}" ]] || (cd "$REPO_DIR" && swift build -c release --product fullscript-redirect >&2)
work_dir=""
make_temp_dir work_dir
port="$(free_port)"
sandbox_port="$(free_port)"
start_demo "$work_dir" "$port" "$sandbox_port"
session="$(demo_session "$port" "$work_dir/cookies")"
[[ -n "$session" ]] || die "no session cookie"
run_bounded $((N / 5 + 60)) python3 "$BENCH_DIR/webhook_latency.py" "$port" "$sandbox_port" "$session" "$N" "${MODE:-plan}"
