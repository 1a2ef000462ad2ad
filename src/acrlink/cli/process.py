"""Starting, finding and stopping the acrlink process of a data directory."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from acrlink import datadir


def read_endpoints(data_dir: Path) -> dict[str, Any] | None:
    """``endpoints.json`` of a live process, or None (no file, unreadable, or its process is gone)."""
    path = data_dir / "endpoints.json"
    try:
        endpoints: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return endpoints if alive(int(endpoints.get("pid", 0))) else None


def held_by_live_process(data_dir: Path, grace: float = datadir.DYING_GRACE_SECONDS) -> bool:
    """Whether a live process holds the data directory's lock, after waiting up to ``grace`` seconds for
    one that is dying (``kill -9`` a moment ago) to let go."""
    deadline = time.monotonic() + grace
    while datadir.is_locked(data_dir):
        if time.monotonic() >= deadline:
            return True
        time.sleep(0.05)
    return False


def alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours is not alive
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def start_detached(data_dir: Path, arguments: list[str], timeout: float = 30.0) -> dict[str, Any]:
    """Start ``acrlink up`` in the background and return its endpoints once it is ready."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    log_path = data_dir / "acrlink.log"
    with open(log_path, "ab") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "acrlink", "up", *arguments],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
            env={**os.environ, "ACRLINK_DATA_DIR": str(data_dir)},
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        endpoints = read_endpoints(data_dir)
        if endpoints and endpoints.get("pid") == child.pid:
            return endpoints
        if child.poll() is not None:
            break
        time.sleep(0.02)
    if child.poll() is None:
        child.terminate()
    tail = log_path.read_text(errors="replace").splitlines()[-20:]
    raise RuntimeError("acrlink did not become ready:\n" + "\n".join(tail))


def stop(data_dir: Path, timeout: float = 10.0) -> int | None:
    """Stop the process of ``data_dir`` (SIGTERM, then SIGKILL after ``timeout``); its pid, or None."""
    endpoints = read_endpoints(data_dir)
    if endpoints is None:
        return None
    pid = int(endpoints["pid"])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)
    (data_dir / "endpoints.json").unlink(missing_ok=True)
    return pid
