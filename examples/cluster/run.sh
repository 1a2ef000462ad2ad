#!/bin/sh
# An acrlink cluster: N processes over one store behind HAProxy (see README.md in this directory).
#   run.sh start [--n 2] [--store sqlite|postgres] [--root DIR] [--base-port 17000]
#   run.sh status | stop | kill I | restart I   [--root DIR]
# It runs cluster.py with the project's Python (.venv), or $ACRLINK_PYTHON.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
python=${ACRLINK_PYTHON:-$here/../../.venv/bin/python}
[ -x "$python" ] || python=python3
exec "$python" "$here/cluster.py" "$@"
