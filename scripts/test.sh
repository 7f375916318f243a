#!/usr/bin/env bash
# The test command: installs what is missing, checks the dependency graph, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/check-no-nio.sh
swift build --build-tests
swift test --skip-build "$@"
