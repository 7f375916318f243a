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
# FSR_BINARY skips the release build, e.g. to try a change quickly with a debug binary.
signed_in_demo
run_bounded $((N / 5 + 60)) python3 "$BENCH_DIR/webhook_latency.py" "$port" "$sandbox_port" "$session" "$N" "${MODE:-plan}"
