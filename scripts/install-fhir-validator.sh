#!/usr/bin/env bash
# Installs the FHIR validator of scripts/fhir-test.sh (Tests/FHIR/requirements.txt, pinned) when missing,
# in a virtual environment of its own: it needs pydantic 1, and schemathesis (contract-test.sh) pydantic 2.
#
# Environment: FHIR_VENV  where (default .build/fhir-venv)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${FHIR_VENV:-.build/fhir-venv}
if "$VENV/bin/python" -c 'import sys, fhir.resources as f; sys.exit(f.__version__ != "6.4.0")' 2>/dev/null; then
    exit 0
fi
echo "Installing Tests/FHIR/requirements.txt (fhir.resources, pydantic) in $VENV..." >&2
rm -rf "$VENV"
if ! python3 -m venv "$VENV" 2>/dev/null; then
    # Debian's python3 keeps venv (and its pip) in a package of its own.
    rm -rf "$VENV"
    timeout 600 apt-get update -qq && DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv "$VENV"
fi
timeout 300 "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r Tests/FHIR/requirements.txt
