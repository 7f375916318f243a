#!/usr/bin/env bash
# Installs the system libraries the package links (SQLite, OpenSSL, libpq) when they are missing, the
# openssl command the TLS tests use to make their certificates, the PostgreSQL 15 server the
# PostgreSQL store tests start (initdb, pg_ctl, postgres under /usr/lib/postgresql/15/bin), nginx (the load
# balancer scripts/replicas-test.sh puts in front of the replicas, with deploy/nginx.conf), and the FHIR validator.
set -euo pipefail
# The FHIR validator scripts/fhir-test.sh runs (Python, a virtual environment of its own).
"$(dirname "$0")/install-fhir-validator.sh"
if pkg-config --exists sqlite3 openssl libpq 2>/dev/null && command -v openssl >/dev/null \
  && [ -x /usr/lib/postgresql/15/bin/initdb ] && [ -x /usr/sbin/nginx ]; then
  exit 0
fi
echo "Installing libsqlite3-dev, libssl-dev, libpq-dev, postgresql, nginx-light, openssl and pkg-config..." >&2
export DEBIAN_FRONTEND=noninteractive
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
sudo_if_needed apt-get update -qq
sudo_if_needed apt-get install -y -qq libsqlite3-dev libssl-dev libpq-dev postgresql nginx-light openssl pkg-config >/dev/null
