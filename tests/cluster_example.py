"""``examples/cluster``'s modules, importable from tests (the example is a directory of scripts, not a package)."""

from __future__ import annotations

import sys
from pathlib import Path

CLUSTER_DIR = Path(__file__).resolve().parents[1] / "examples" / "cluster"
if str(CLUSTER_DIR) not in sys.path:
    sys.path.insert(0, str(CLUSTER_DIR))

import cluster  # noqa: E402
import cluster_haproxy  # noqa: E402
import cluster_servers  # noqa: E402

__all__ = ["CLUSTER_DIR", "cluster", "cluster_haproxy", "cluster_servers"]
