#!/usr/bin/env bash
# Install every test dependency (system packages included) and run the whole suite
# (lint, types, unit, contract, api, e2e).
#   system    curl skopeo podman dig docker.io (dockerd + docker for the docker e2e) node/npm (the JS SDK e2e)
#             buildah busybox-static (ACR Tasks builds and their busybox base image)
#             chromium + CJK fonts (the portal's browser tests drive Debian's Chromium through Playwright)
#             postgresql (the store contract and outage tests start throwaway clusters of their own)
#             haproxy (the cluster e2e puts it in front of several acrlink processes, examples/cluster)
#   .venv     acrlink + the Azure SDKs + pytest + hypothesis
#   .venv-az  the real Azure CLI (its pinned SDK versions would clash with the SDKs under test)
#   tests/js  the Azure SDK for JavaScript (npm ci from its lock file)
#   tests/servers  Azurite, the Azure Blob Storage emulator the blob store contract runs against (npm ci from
#             its lock file; the tests start it in memory on a free 127.0.0.1 port and stop it)
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "not slow"`. The suite runs on two workers
# (pytest-xdist, a module's tests on one worker): most e2e time is spent waiting on real clients.
# System packages are installed with apt-get when running as root (CI and these machines); as another
# user the script checks they are present and says what is missing.
# The end-to-end suite on a cluster: `ACRLINK_E2E_WORLD=cluster bash scripts/test.sh tests/e2e` makes every
# world an e2e test starts examples/cluster (2 acrlink processes on PostgreSQL + Azurite behind HAProxy) instead
# of one process on SQLite + files, and deselects the tests marked single_process (about one process: its
# kill -9 and restart, its own data dir). Unset (or `single`), nothing changes; by default only two modules
# run this way, at the end of this script.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

SYSTEM_PACKAGES=(ca-certificates python3-venv curl skopeo podman dnsutils docker.io nodejs npm chromium fonts-noto-cjk buildah busybox-static postgresql haproxy)
SYSTEM_COMMANDS=(curl skopeo podman dig dockerd docker node npm chromium buildah busybox haproxy)

# The three installs below need nothing apt-get brings once Python can make a venv and node is here, so on a
# fresh machine they run while apt-get does (and beside each other): about a minute and a half less in CI.
INSTALL_LOGS=$(mktemp -d)
declare -A install_pids=()
install_venv() {
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test]'
}
install_az() {
  [ -x .venv-az/bin/az ] && return 0
  "$PYTHON" -m venv .venv-az
  .venv-az/bin/python -m pip install -q --upgrade pip
  .venv-az/bin/python -m pip install -q azure-cli
}
install_js() {
  if [ -f tests/js/package-lock.json ]; then (cd tests/js && npm ci --silent --no-audit --no-fund); fi
  if [ -f tests/servers/package-lock.json ]; then (cd tests/servers && npm ci --silent --no-audit --no-fund); fi
}
start_install() {  # start_install NAME: install_NAME in the background (once), its output in a log
  local name=$1
  [ -z "${install_pids[$name]:-}" ] || return 0
  "install_$name" >"$INSTALL_LOGS/$name.log" 2>&1 &
  install_pids[$name]=$!
}
python_ready() { "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; }
node_ready() { command -v node >/dev/null && command -v npm >/dev/null; }
if python_ready; then start_install venv; start_install az; fi
if node_ready; then start_install js; fi

missing=()
for cmd in "${SYSTEM_COMMANDS[@]}"; do command -v "$cmd" >/dev/null || missing+=("$cmd"); done
# Debian keeps PostgreSQL's server programs off PATH (tests/servers/postgres.py looks in both places).
command -v initdb >/dev/null || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(initdb)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    pkgs=()
    for p in "${SYSTEM_PACKAGES[@]}"; do
      # node and npm may come from elsewhere (nodesource, nvm): only install what is absent.
      case "$p" in
        nodejs) command -v node >/dev/null || pkgs+=("$p") ;;
        npm) command -v npm >/dev/null || pkgs+=("$p") ;;
        *) pkgs+=("$p") ;;
      esac
    done
    apt-get install -y -q --no-install-recommends "${pkgs[@]}" >/dev/null
  else
    echo "missing system commands: ${missing[*]} (install: ${SYSTEM_PACKAGES[*]})" >&2
    exit 1
  fi
fi
start_install venv
start_install az
start_install js
failed=0
for name in "${!install_pids[@]}"; do
  if ! wait "${install_pids[$name]}"; then
    echo "installing $name failed:" >&2
    cat "$INSTALL_LOGS/$name.log" >&2
    failed=1
  fi
done
rm -rf "$INSTALL_LOGS"
[ "$failed" = 0 ] || exit 1

export ACRLINK_AZ="$PWD/.venv-az/bin/az"
export PATH="$PWD/.venv/bin:$PATH"

ruff check .
mypy
python -m pytest -n "${ACRLINK_TEST_WORKERS:-2}" --dist loadfile "$@"
# Then the seed walkthrough (az) and the container clients once more on a cluster: PostgreSQL + Azurite, two
# processes behind HAProxy (about 90 s; the whole e2e suite on a cluster is the command in the header).
if [ $# -eq 0 ]; then
  ACRLINK_E2E_WORLD=cluster python -m pytest -n "${ACRLINK_TEST_WORKERS:-2}" --dist loadfile \
    tests/e2e/test_seed_cli.py tests/e2e/test_registry_clients.py
fi
