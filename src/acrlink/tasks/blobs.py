"""The blobs behind the blob face: ACR Tasks' build contexts and run logs (the port, its files backend, and the
choice of backend from the blob store URL in effect).

This is their one writer: the face's Put Blob and the build agent's log appends come through a ``TaskBlobs``.
Every process of a cluster sees the same blobs, because they live beside the shared blob store:

- files (``file:///ROOT``): ``FileTaskBlobs(ROOT/_tasks)``, below;
- Azure Blob Storage (``azure-blob://CONTAINER``): ``tasks/azure_blobs.py``, in the same container under
  ``tasks/``.

A log is read by az while the agent writes it: az's reader takes the size and the ``Complete`` metadata from
one HEAD and stops once ``Complete`` is set and it has read every byte up to that size. So a backend must give
a size and metadata that belong together in one ``properties`` call, and the agent appends the last line
before it sets ``Complete``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from acrlink.atomic import write_file
from acrlink.domain.sas import BlobName
from acrlink.store.urls import BLOB_FORMS, CONNECTION_STRING

TASKS_DIR = "_tasks"
"""The files backend's directory under the blob store's root (an ``_`` name: the blob store's listing skips
it)."""


@dataclass(frozen=True)
class Properties:
    """A blob's size, its metadata (``x-ms-meta-*``) and when it last changed (seconds since the epoch)."""

    size: int
    metadata: dict[str, str]
    modified: float


def valid_blob_name(name: str) -> bool:
    """Blob names acrlink stores: relative, no ``.``/``..`` segments, at most 1,024 characters."""
    parts = name.split("/")
    return 0 < len(name) <= 1024 and all(p not in ("", ".", "..") for p in parts)


class TaskBlobs(Protocol):
    """Contexts and logs by blob name. ``blocking``: calls wait on a network (callers on the event loop run
    them in a worker thread). A backend that cannot reach its service raises ``StoreUnavailable``."""

    blocking: bool

    def put(self, name: BlobName, data: bytes, metadata: dict[str, str] | None = None) -> None:
        """Put Blob: replace the whole blob and its metadata."""

    def append(self, name: BlobName, data: bytes) -> None:
        """Append bytes at the end (an empty blob is created first when there is none)."""

    def set_metadata(self, name: BlobName, metadata: dict[str, str]) -> None:
        """Replace the blob's metadata (the blob must exist; a log always does once a line is written)."""

    def properties(self, name: BlobName) -> Properties | None:
        """Size, metadata and modification time, consistent with one another; None when there is no blob."""

    def read(self, name: BlobName, start: int, end: int) -> bytes:
        """Bytes ``start..end`` inclusive, clipped to the blob (empty when none are there)."""

    def fetch(self, name: BlobName, into: Path) -> bool:
        """Copy the whole blob into the local file ``into``; False when there is no blob."""

    def close(self) -> None:
        """Release connections (nothing for files)."""


class FileTaskBlobs:
    """Task blobs as files: ``ROOT/data/{account}/{container}/{blob}``, the metadata a JSON file at the same
    path under ``ROOT/meta/`` (``.json`` added).

    Across threads and processes sharing ``ROOT``: every write and every ``properties`` holds ``ROOT/.lock``
    (``flock``: exclusive to write, shared to read), so a reader sees a size and metadata written together.
    A Put Blob writes its bytes and metadata whole (a temporary file renamed into place); bytes once appended
    never change, so ``read`` and ``fetch`` need no lock.

    ``legacy``: a data directory's ``tasks/blobs`` from before blobs lived beside the blob store. A blob not
    in ``ROOT`` is read from there, and copied into ``ROOT`` before it is changed (a restart's last log line
    for a run it interrupted)."""

    blocking = False

    def __init__(self, root: Path, legacy: Path | None = None) -> None:
        self._root = root
        self._legacy = legacy if legacy is not None and legacy.resolve() != root.resolve() else None

    def _data(self, name: BlobName, root: Path | None = None) -> Path:
        return (root or self._root) / "data" / name.account / name.container / name.blob

    def _meta(self, name: BlobName, root: Path | None = None) -> Path:
        return (root or self._root) / "meta" / name.account / name.container / (name.blob + ".json")

    @contextlib.contextmanager
    def _locked(self, exclusive: bool) -> Iterator[None]:
        """``ROOT/.lock`` held (one open file per holder, so threads exclude one another as processes do)."""
        self._root.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self._root / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)

    def _where(self, name: BlobName) -> Path | None:
        """The root that holds the blob: ``ROOT``, else the legacy directory, else None."""
        if self._data(name).is_file():
            return self._root
        if self._legacy is not None and self._data(name, self._legacy).is_file():
            return self._legacy
        return None

    def _adopt(self, name: BlobName) -> None:
        """Copy a legacy blob (bytes and metadata) into ``ROOT`` before it changes (lock held)."""
        if self._legacy is None or self._where(name) != self._legacy:
            return
        target = self._data(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_file(target, self._data(name, self._legacy).read_bytes())
        with contextlib.suppress(FileNotFoundError):
            self._write_meta(name, json.loads(self._meta(name, self._legacy).read_text()))

    def put(self, name: BlobName, data: bytes, metadata: dict[str, str] | None = None) -> None:
        """Put Blob: replace the whole blob (bytes, then metadata, under the lock)."""
        with self._locked(exclusive=True):
            path = self._data(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            write_file(path, data)
            self._write_meta(name, metadata or {})

    def append(self, name: BlobName, data: bytes) -> None:
        """Append bytes (creates an empty blob first when there is none)."""
        with self._locked(exclusive=True):
            self._adopt(name)
            path = self._data(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("ab") as f:
                f.write(data)
            if not self._meta(name).exists():
                self._write_meta(name, {})

    def set_metadata(self, name: BlobName, metadata: dict[str, str]) -> None:
        """Replace the metadata (creating an empty blob when there is none)."""
        with self._locked(exclusive=True):
            self._adopt(name)
            path = self._data(name)
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                write_file(path, b"")
            self._write_meta(name, metadata)

    def _write_meta(self, name: BlobName, metadata: dict[str, str]) -> None:
        meta = self._meta(name)
        meta.parent.mkdir(parents=True, exist_ok=True)
        write_file(meta, json.dumps(metadata).encode())

    def properties(self, name: BlobName) -> Properties | None:
        """Size, metadata and mtime, read together under the shared lock."""
        with self._locked(exclusive=False):
            root = self._where(name)
            if root is None:
                return None
            try:
                stat = os.stat(self._data(name, root))
            except FileNotFoundError:
                return None
            try:
                metadata = json.loads(self._meta(name, root).read_text())
            except FileNotFoundError:
                metadata = {}
            return Properties(stat.st_size, metadata, stat.st_mtime)

    def read(self, name: BlobName, start: int, end: int) -> bytes:
        """Bytes ``start..end`` inclusive (clipped to the blob; empty when there is no blob)."""
        root = self._where(name)
        if root is None:
            return b""
        with self._data(name, root).open("rb") as f:
            f.seek(start)
            return f.read(max(0, end - start + 1))

    def fetch(self, name: BlobName, into: Path) -> bool:
        """Copy the blob's bytes into ``into``; False when there is no blob."""
        root = self._where(name)
        if root is None:
            return False
        try:
            shutil.copyfile(self._data(name, root), into)
        except FileNotFoundError:
            return False
        return True

    def close(self) -> None:
        """Nothing to release."""


def open_task_blobs(blob_store_url: str, legacy: Path | None = None) -> TaskBlobs:
    """The task blobs beside the blob store ``blob_store_url`` names (``store/urls.py``'s forms): files under
    ``ROOT/_tasks`` (reading ``legacy``, a data directory's old ``tasks/blobs``, too), or the Azure container's
    ``tasks/`` prefix. ``ValueError`` for a URL ``open_blob_store`` would refuse."""
    parts = urlsplit(blob_store_url)
    if parts.scheme == "file":
        if parts.netloc or not parts.path.startswith("/"):
            raise ValueError(f"{blob_store_url!r} is not a file:///ABSOLUTE/PATH URL")
        return FileTaskBlobs(Path(unquote(parts.path)) / TASKS_DIR, legacy)
    if parts.scheme == "azure-blob":
        from acrlink.tasks.azure_blobs import AzureTaskBlobs

        connection = os.environ.get(CONNECTION_STRING)
        if not parts.netloc or not connection:
            raise ValueError(f"{blob_store_url!r} needs a container name and {CONNECTION_STRING} set: use {BLOB_FORMS}")
        return AzureTaskBlobs(connection, parts.netloc)
    raise ValueError(f"unknown blob store URL {blob_store_url!r}")
