#!/usr/bin/env bash
# Readable plans once warm: the chart's plan list of one patient with PLANS plans of PRODUCTS products
# each (default 50 × 10), read N times (default 200) after one warming read; prints the read latency
# and the catalog and practitioner calls counted at the simulator while warming and while warm (goal: 0).
#
# usage: Benchmarks/catalog-warm.sh      env: N (default 200), PLANS (default 50), PRODUCTS (default 10, at most 12),
#        FSR_BINARY (a binary already built; default: a release build of this checkout)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

N="${N:-200}"
PLANS="${PLANS:-50}"
PRODUCTS="${PRODUCTS:-10}"
ensure_command curl
signed_in_demo
run_bounded $((PLANS + N / 20 + 120)) python3 "$BENCH_DIR/catalog_warm.py" "$port" "$sandbox_port" "$session" "$N" "$PLANS" "$PRODUCTS"
