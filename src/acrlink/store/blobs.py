"""Content-addressed blob files (``base.BlobStore``): ``ROOT/<algorithm>/<2 hex>/<hex>``, plus staged uploads.

Byte operations by key, never paths handed to callers: ``stage`` a key, ``writer`` bytes into it at an
explicit offset, ``read_staged`` them back, ``commit`` the first N bytes under a digest the caller verified,
``drop_staged``. Served blobs are read through ``open_range`` (an open file the server writes from an mmap)
and ``size``.

A blob file appears only complete: staged bytes are truncated to the committed length, fsynced and
hard-linked onto their digest path. A digest path that exists is never replaced (a stored blob was
verified when it was stored; a second commit of the same digest keeps the first file, and touches it).
Holds no rules: callers decide what to verify.

Garbage collection against pushes on other processes (``delete_if_unchanged``): a blob's version is its
inode and mtime, and every commit leaves the digest's mtime *now*, before the caller links it (a new file
gets the time set before it is linked into place; an existing one is touched, with an mtime that always
moves). The collector renames the file it listed to a tombstone ``_gc/<algorithm>-<hex>-<unique>`` (an
atomic step: from then on the digest path is free), stats the tombstone, and

- if the version is still the one it listed, nobody touched the file before the rename, so no push has
  relied on it since the listing: the tombstone is deleted. A commit after the rename finds no file at the
  digest path and links its own verified copy there (``commit``'s touch of a missing file retries the link).
- otherwise a commit touched it in between: the tombstone is linked back (``os.link`` never replaces: if a
  commit recreated the digest path meanwhile, that verified copy stays and the tombstone goes).

So bytes a push committed (touched) after the collector listed them are never deleted. Readers that opened
the file before the rename keep reading it. A tombstone a collector left when it died is put back by the
next listing (``stored``); bytes put back are judged again by the next collection.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from acrlink.domain.oci import Digest, parse_digest
from acrlink.errors import BadRequest
from acrlink.store.base import StoredBlob

READ_CHUNK = 1 << 20
"""1 MiB: the read and write size that serves blobs at full speed (PERFORMANCE-NOTES)."""


class StagedWriter:
    """Writes into a staged upload from an explicit offset (``pwrite``: the file's size and position
    play no part). ``rewind`` forgets what this writer wrote."""

    def __init__(self, fd: int, offset: int) -> None:
        self._fd = fd
        self.start = offset
        self.offset = offset
        os.ftruncate(fd, offset)

    def write(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        while view:
            written = os.pwrite(self._fd, view, self.offset)
            self.offset += written
            view = view[written:]

    def rewind(self) -> None:
        os.ftruncate(self._fd, self.start)
        self.offset = self.start

    def close(self) -> None:
        os.close(self._fd)


class FileRange:
    """A range of a stored blob's file, open (``base.BlobRange``): the server writes ``file`` from an mmap."""

    def __init__(self, handle: BinaryIO, first: int, last: int) -> None:
        self.file: BinaryIO | None = handle
        self._handle = handle
        self.first, self.last = first, last

    def chunks(self) -> Iterator[bytes]:
        """The range's bytes in 1 MiB reads (for servers without zero-copy)."""
        self._handle.seek(self.first)
        remaining = self.last - self.first + 1
        while remaining > 0:
            chunk = self._handle.read(min(READ_CHUNK, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk

    def close(self) -> None:
        self._handle.close()


class FileBlobStore:
    """The files backend of ``base.BlobStore`` (the embedded default)."""

    blocking = False
    """Local disk calls: callers on the event loop call them directly."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._staging = root / "_uploads"
        self._staging.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._tombstones = root / "_gc"

    def close(self) -> None:
        """Nothing to close: files are opened per operation."""

    def _path(self, digest: Digest) -> Path:
        return self._root / digest.algorithm / digest.encoded[:2] / digest.encoded

    def size(self, digest: Digest) -> int | None:
        """The size of a stored blob; ``None`` when it is not stored."""
        try:
            return self._path(digest).stat().st_size
        except FileNotFoundError:
            return None

    def open_range(self, digest: Digest, first: int, last: int) -> FileRange:
        """Bytes ``first..last`` of a stored blob; ``FileNotFoundError`` when it is not stored."""
        return FileRange(open(self._path(digest), "rb", buffering=0), first, last)

    def delete(self, digest: Digest) -> bool:
        """Remove a stored blob's file; False when there was none."""
        try:
            self._path(digest).unlink()
        except FileNotFoundError:
            return False
        return True

    def write(self, digest: Digest, data: bytes) -> bool:
        """Store small content (manifests, generated samples) under its digest, verified here; False when
        the digest was already stored (the stored file is kept)."""
        if hashlib.new(digest.algorithm, data).hexdigest() != digest.encoded:
            raise ValueError(f"content does not match {digest}")
        key = f"direct-{os.getpid()}-{time.monotonic_ns()}"
        self.stage(key)
        writer = self.writer(key, 0)
        try:
            writer.write(data)
        finally:
            writer.close()
        return self.commit(key, len(data), digest)

    # Staged uploads -----------------------------------------------------------------------------------

    def _staged(self, key: str) -> Path:
        if not key or "/" in key or key.startswith("."):
            raise ValueError(f"invalid staging key {key!r}")
        return self._staging / key

    def stage(self, key: str) -> None:
        """Create an empty staged object; ``FileExistsError`` if the key is taken."""
        fd = os.open(self._staged(key), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)

    def writer(self, key: str, offset: int) -> StagedWriter:
        """Write into a staged object from ``offset``; bytes after ``offset`` are dropped first.
        ``FileNotFoundError`` when the key is not staged."""
        return StagedWriter(os.open(self._staged(key), os.O_WRONLY), offset)

    def read_staged(self, key: str, length: int) -> Iterator[bytes]:
        """The first ``length`` bytes of a staged object, in chunks; ``ValueError`` if it holds fewer."""
        remaining = length
        with open(self._staged(key), "rb", buffering=0) as handle:
            while remaining > 0:
                chunk = handle.read(min(READ_CHUNK, remaining))
                if not chunk:
                    raise ValueError(f"staged object {key} holds fewer than {length} bytes")
                remaining -= len(chunk)
                yield chunk

    def commit(self, key: str, length: int, digest: Digest) -> bool:
        """Store the first ``length`` bytes of a staged object under ``digest`` (which the caller verified
        against exactly those bytes) and drop the staged object. True when stored; False when the digest
        was already stored: the existing blob is kept and the staged bytes dropped."""
        staged = self._staged(key)
        fd = os.open(staged, os.O_RDWR)
        try:
            if os.fstat(fd).st_size < length:
                raise ValueError(f"staged object {key} holds fewer than {length} bytes")
            os.ftruncate(fd, length)
            os.utime(fd, ns=_moved(os.fstat(fd).st_mtime_ns))
            os.fsync(fd)
        finally:
            os.close(fd)
        target = self._path(digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        while True:
            try:
                os.link(staged, target)
                stored = True
                break
            except FileExistsError:
                if self.touch(digest):
                    stored = False
                    break
                # Collected between the link and the touch: link the staged copy after all.
        staged.unlink(missing_ok=True)
        return stored

    def drop_staged(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._staged(key).unlink()

    def sweep_staged(self, older_than_seconds: float) -> list[str]:
        """Delete staged objects untouched for longer than the given age; their keys."""
        limit = time.time() - older_than_seconds
        dropped = []
        for entry in self._staging.iterdir():
            try:
                if entry.stat().st_mtime < limit:
                    entry.unlink()
                    dropped.append(entry.name)
            except FileNotFoundError:
                continue
        return dropped

    # Garbage collection -----------------------------------------------------------------------------

    def touch(self, digest: Digest) -> bool:
        """Set a stored blob's mtime to now (always later than it was); False when it is not stored."""
        path = self._path(digest)
        try:
            os.utime(path, ns=_moved(path.stat().st_mtime_ns))
        except FileNotFoundError:
            return False
        return True

    def stored(self) -> Iterator[StoredBlob]:
        """Every stored blob with its size, mtime and version (``<inode>-<mtime ns>``). Tombstones a collector
        left behind are put back first."""
        self._restore_tombstones()
        for algorithm in sorted(_subdirectories(self._root)):
            if algorithm.name.startswith(("_", ".")):
                continue
            for prefix in sorted(_subdirectories(algorithm)):
                for entry in sorted(_files(prefix)):
                    digest = _digest(algorithm.name, entry.name)
                    if digest is None or digest.encoded[:2] != prefix.name:
                        continue
                    try:
                        st = entry.stat()
                    except FileNotFoundError:
                        continue
                    yield StoredBlob(digest, st.st_size, st.st_mtime_ns / 1e9, _version(st))

    def delete_if_unchanged(self, digest: Digest, version: str) -> bool:
        """Remove a stored blob only if it is still at ``version`` (see the module docstring); whether the
        listed copy was removed."""
        path = self._path(digest)
        self._tombstones.mkdir(exist_ok=True, mode=0o700)
        tombstone = self._tombstones / f"{digest.algorithm}-{digest.encoded}-{uuid.uuid4().hex}"
        try:
            os.rename(path, tombstone)
        except FileNotFoundError:
            return False
        try:
            unchanged = _version(tombstone.stat()) == version
            if unchanged:
                tombstone.unlink()
                return True
            with contextlib.suppress(FileExistsError):
                os.link(tombstone, path)
            tombstone.unlink()
        except FileNotFoundError:
            pass  # another collector's listing put it back meanwhile
        return False

    def _restore_tombstones(self) -> None:
        """Link every tombstone back to its digest path (unless that exists again) and drop it."""
        for tombstone in _files(self._tombstones):
            algorithm, _, rest = tombstone.name.partition("-")
            digest = _digest(algorithm, rest.partition("-")[0])
            if digest is not None:
                path = self._path(digest)
                path.parent.mkdir(parents=True, exist_ok=True)
                with contextlib.suppress(FileExistsError, FileNotFoundError):
                    os.link(tombstone, path)
            tombstone.unlink(missing_ok=True)


def _moved(mtime_ns: int) -> tuple[int, int]:
    """(atime, mtime) for a touch: now, or just after the current mtime if the clock has not moved past it
    (file times are coarse), so a touch always changes the version."""
    moment = max(time.time_ns(), mtime_ns + 1)
    return moment, moment


def _version(st: os.stat_result) -> str:
    return f"{st.st_ino}-{st.st_mtime_ns}"


def _digest(algorithm: str, encoded: str) -> Digest | None:
    try:
        return parse_digest(f"{algorithm}:{encoded}")
    except BadRequest:
        return None


def _subdirectories(path: Path) -> list[Path]:
    try:
        return [entry for entry in path.iterdir() if entry.is_dir()]
    except FileNotFoundError:
        return []


def _files(path: Path) -> list[Path]:
    try:
        return [entry for entry in path.iterdir() if entry.is_file()]
    except FileNotFoundError:
        return []
