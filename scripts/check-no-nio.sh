#!/usr/bin/env bash
# Fails when any package in the resolved dependency graph is SwiftNIO or depends on it:
# the product's HTTP stack is our own, on POSIX sockets.
set -euo pipefail
cd "$(dirname "$0")/.."
graph=$(swift package show-dependencies --format json)
if grep -qiE '"(identity|url)" *: *"[^"]*swift-nio' <<<"$graph"; then
  echo "error: the dependency graph contains swift-nio:" >&2
  grep -iE 'swift-nio' <<<"$graph" >&2
  exit 1
fi
echo "dependency graph is SwiftNIO-free ($(grep -c '"identity"' <<<"$graph") packages)"
