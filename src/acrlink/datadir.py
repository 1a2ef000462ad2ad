"""The data directory's exclusive lock: one acrlink process per data directory, for its whole life.

``acrlink.lock`` in the data directory is locked with ``flock(LOCK_EX)`` before anything reads or writes
the store, and stays locked until the process exits. The kernel releases the lock when the process dies,
``kill -9`` included, so the lock (not ``endpoints.json``, which a killed process leaves behind) is the one
source of truth for "is a process serving this directory". The file holds the holder's pid, for messages.
"""

from __future__ import annotations

import fcntl
import os
import time
import uuid
from pathlib import Path

from acrlink.atomic import write_file

LOCK_NAME = "acrlink.lock"
DYING_GRACE_SECONDS = 3.0
"""How long ``acquire`` waits for a holder to go away: a process killed a moment ago still holds the lock
until the kernel has finished tearing it down, and ``acrlink up`` right after ``kill -9`` must then start."""


class AlreadyRunning(Exception):
    """Another live process holds the data directory's lock."""

    def __init__(self, data_dir: Path, pid: int | None) -> None:
        self.data_dir = data_dir
        self.pid = pid
        who = f" (pid {pid})" if pid else ""
        super().__init__(f"acrlink is already running for {data_dir}{who}.")


class DataDirLock:
    """Held for the life of the process; ``release`` is for tests and orderly shutdown."""

    def __init__(self, fd: int, path: Path) -> None:
        self._fd = fd
        self.path = path

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def holder_pid(data_dir: Path) -> int | None:
    """The pid written by the last holder (it may have exited); None when unreadable."""
    try:
        text = (data_dir / LOCK_NAME).read_text().strip()
    except OSError:
        return None
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else None


def acquire(data_dir: Path, wait: float = DYING_GRACE_SECONDS) -> DataDirLock:
    """Lock ``data_dir`` for this process, waiting up to ``wait`` seconds for a dying holder;
    ``AlreadyRunning`` when a live process keeps it."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = data_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise AlreadyRunning(data_dir, holder_pid(data_dir)) from None
            time.sleep(0.05)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return DataDirLock(fd, path)


def is_locked(data_dir: Path) -> bool:
    """Whether a live process holds the lock right now (a probe that never waits and never keeps it)."""
    path = data_dir / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


NODE_ID_NAME = "node-id"


def node_id(data_dir: Path) -> str:
    """The data directory's stable id (``node-id``, created once): which leases an earlier process of this
    directory held (``domain/leases.py``)."""
    path = data_dir / NODE_ID_NAME
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        text = ""
    if not (text.isascii() and text.isalnum() and 0 < len(text) <= 64):
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        text = uuid.uuid4().hex
        write_file(path, text.encode(), 0o600)
    return text
