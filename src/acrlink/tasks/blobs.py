"""The blobs behind the blob face: build contexts and run logs, as files under the data directory.

This is their one writer: the face's Put Blob and the build agent's log appends come through here. A blob is
``data/{account}/{container}/{name}``; its metadata (``x-ms-meta-*``) a JSON file at the same path under
``meta/``. Appends and metadata changes hold one lock, so a reader sees a size and metadata that belong
together (az's log reader needs ``Complete`` and the final bytes consistent within one HEAD).
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from acrlink.atomic import write_file
from acrlink.domain.sas import BlobName


@dataclass(frozen=True)
class Properties:
    size: int
    metadata: dict[str, str]
    modified: float


def valid_blob_name(name: str) -> bool:
    """Blob names acrlink stores: relative, no ``.``/``..`` segments, at most 1,024 characters."""
    parts = name.split("/")
    return 0 < len(name) <= 1024 and all(p not in ("", ".", "..") for p in parts)


class BlobFiles:
    def __init__(self, root: Path) -> None:
        self._root = root
        self._lock = threading.Lock()

    def _data(self, name: BlobName) -> Path:
        return self._root / "data" / name.account / name.container / name.blob

    def _meta(self, name: BlobName) -> Path:
        return self._root / "meta" / name.account / name.container / (name.blob + ".json")

    def path(self, name: BlobName) -> Path:
        """Where the blob's bytes are (readers open it themselves)."""
        return self._data(name)

    def put(self, name: BlobName, data: bytes, metadata: dict[str, str] | None = None) -> None:
        """Put Blob: replace the whole blob."""
        with self._lock:
            path = self._data(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            write_file(path, data)
            self._write_meta(name, metadata or {})

    def append(self, name: BlobName, data: bytes) -> None:
        """Append bytes (creates an empty blob first when there is none)."""
        with self._lock:
            path = self._data(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("ab") as f:
                f.write(data)
            if not self._meta(name).exists():
                self._write_meta(name, {})

    def set_metadata(self, name: BlobName, metadata: dict[str, str]) -> None:
        with self._lock:
            self._write_meta(name, metadata)

    def _write_meta(self, name: BlobName, metadata: dict[str, str]) -> None:
        meta = self._meta(name)
        meta.parent.mkdir(parents=True, exist_ok=True)
        write_file(meta, json.dumps(metadata).encode())

    def properties(self, name: BlobName) -> Properties | None:
        with self._lock:
            path = self._data(name)
            try:
                stat = os.stat(path)
            except FileNotFoundError:
                return None
            try:
                metadata = json.loads(self._meta(name).read_text())
            except FileNotFoundError:
                metadata = {}
            return Properties(stat.st_size, metadata, stat.st_mtime)

    def read(self, name: BlobName, start: int, end: int) -> bytes:
        """Bytes ``start..end`` inclusive (clipped to the blob)."""
        with self._data(name).open("rb") as f:
            f.seek(start)
            return f.read(max(0, end - start + 1))
