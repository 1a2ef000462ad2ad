"""Content-addressed blob files: ``DATA_DIR/blobs/<algorithm>/<2 hex>/<hex>``, plus upload temp files.

A blob file appears only complete and verified: bytes go to an upload file while being hashed, then
the file is fsynced and renamed onto its digest path. Two pushes of the same blob race harmlessly (the
rename is atomic and both files hold the same bytes). Holds no rules: callers decide what to verify.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from acrlink.domain.oci import Digest

READ_CHUNK = 1 << 20
"""1 MiB: the read and write size that serves blobs at full speed (PERFORMANCE-NOTES)."""


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.uploads = root / "_uploads"
        self.uploads.mkdir(parents=True, exist_ok=True, mode=0o700)

    def path(self, digest: Digest) -> Path:
        return self.root / digest.algorithm / digest.encoded[:2] / digest.encoded

    def size(self, digest: Digest) -> int | None:
        """The size of a stored blob; ``None`` when it is not stored."""
        try:
            return self.path(digest).stat().st_size
        except FileNotFoundError:
            return None

    def write(self, digest: Digest, data: bytes) -> None:
        """Store small content already verified by the caller (manifests, generated samples)."""
        upload = self.upload_path(f"direct-{os.getpid()}-{time.monotonic_ns()}")
        with open(upload, "wb") as handle:
            handle.write(data)
        self.commit(upload, digest)

    def commit(self, upload: Path, digest: Digest) -> None:
        """fsync an upload file and rename it onto its digest path."""
        fd = os.open(upload, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        target = self.path(digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(upload, target)

    # Uploads ------------------------------------------------------------------------------------------

    def upload_path(self, upload_id: str) -> Path:
        return self.uploads / upload_id

    def upload_size(self, upload_id: str) -> int | None:
        try:
            return self.upload_path(upload_id).stat().st_size
        except FileNotFoundError:
            return None

    def rehash(self, upload_id: str, algorithm: str) -> hashlib._Hash:
        """The hash state of an upload's bytes so far, read back from its file (after a restart, or
        when another process received the earlier chunks)."""
        hasher = hashlib.new(algorithm)
        with open(self.upload_path(upload_id), "rb") as handle:
            while chunk := handle.read(READ_CHUNK):
                hasher.update(chunk)
        return hasher

    def drop_upload(self, upload_id: str) -> None:
        self.upload_path(upload_id).unlink(missing_ok=True)

    def sweep_uploads(self, older_than_seconds: float) -> list[str]:
        """Delete upload files untouched for longer than the given age; their ids."""
        limit = time.time() - older_than_seconds
        dropped = []
        for entry in self.uploads.iterdir():
            try:
                if entry.stat().st_mtime < limit:
                    entry.unlink()
                    dropped.append(entry.name)
            except FileNotFoundError:
                continue
        return dropped
