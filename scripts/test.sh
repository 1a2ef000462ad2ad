#!/usr/bin/env bash
# Install the test dependencies and run the whole suite (lint, types, unit, contract, api, e2e).
#   .venv     acrlink + the Azure SDKs + pytest
#   .venv-az  the real Azure CLI (its pinned SDK versions would clash with the SDKs under test)
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "not slow"`.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'

if [ ! -x .venv-az/bin/az ]; then
  "$PYTHON" -m venv .venv-az
  .venv-az/bin/python -m pip install -q --upgrade pip
  .venv-az/bin/python -m pip install -q azure-cli
fi
export ACRLINK_AZ="$PWD/.venv-az/bin/az"
export PATH="$PWD/.venv/bin:$PATH"

ruff check .
mypy
python -m pytest "$@"
