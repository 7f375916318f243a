#!/usr/bin/env bash
# Runs the product: the demo on an embedded SQLite file (./data/demo.sqlite) at http://127.0.0.1:8080.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product fullscript-redirect
exec .build/release/fullscript-redirect demo "$@"
