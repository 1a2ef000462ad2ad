"""A bounded local copy of stored blobs, for a blob store behind a network (``azure_blobs.AzureBlobStore``).

Stored blobs never change under their digest, so a process may keep their bytes: ``ROOT/<algorithm>-<hex>``,
least recently used first out once the kept bytes would pass ``limit``. A copy is filled by one download
(``fill``: a temporary file ``ROOT/.fill-<unique>``, written unbuffered so that readers tailing it through
their own descriptor see each write at once: ``blob_fills.py``), kept only when it holds exactly the blob's
size and hashes to its digest (then fsynced and renamed into place, atomically), and served as an open file
(``open``), which the HTTPS server writes without copying (as the files backend's).

The bound counts kept copies and the fills in flight (each reserves its size when it starts; a fill that
does not fit once older copies are evicted is not started). A copy evicted or dropped while a pull reads it
stays readable to that pull (the open file outlives its name).

The cache never decides that a blob exists: the caller asks the blob store (``size``) before serving, so a
blob deleted by another process is never served from here, and ``drop`` removes a copy this process's own
deletes remove (also one whose fill was in flight at the drop). Copies survive restarts (fill order stands
for use order then); leftover temporary files are removed when the cache opens.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import uuid
from collections import OrderedDict
from pathlib import Path
from typing import BinaryIO

from acrlink.domain.oci import Digest, parse_digest
from acrlink.errors import BadRequest

DEFAULT_LIMIT = 2 << 30
"""2 GiB: the default bound of a process's blob cache (``ACRLINK_BLOB_CACHE_BYTES``)."""
FILLING = ".fill-"


def _name(digest: Digest) -> str:
    return f"{digest.algorithm}-{digest.encoded}"


def _is_copy_name(name: str) -> bool:
    algorithm, _, encoded = name.partition("-")
    try:
        parse_digest(f"{algorithm}:{encoded}")
    except BadRequest:
        return False
    return True


class Fill:
    """A copy being written while the blob downloads; ``write`` every byte in order, then ``keep`` (verified,
    or thrown away) or ``discard``. A failed disk write ends the copy, never the download. ``path`` is the
    temporary file: each ``write`` is in the file (the page cache) when it
    returns, so another descriptor of it reads those bytes."""

    def __init__(self, cache: BlobCache, digest: Digest, size: int, path: Path) -> None:
        self._cache, self._digest, self._size, self.path = cache, digest, size, path
        self._hasher = hashlib.new(digest.algorithm)
        self._written = 0
        self._handle: BinaryIO | None = open(path, "xb", buffering=0)  # noqa: SIM115 - closed by keep or discard
        self._settled = False

    def write(self, data: bytes | memoryview) -> bool:
        """Add the next bytes of the blob to the copy; whether they were written (False once the copy failed:
        the disk refused a write, e.g. full, and the copy is discarded)."""
        if self._handle is None:
            return False
        view = memoryview(data)
        try:
            while view:
                view = view[self._handle.write(view) or 0 :]
        except OSError:
            self.discard()
            return False
        self._hasher.update(data)
        self._written += len(data)
        return True

    def keep(self) -> bool:
        """Keep the copy if it holds exactly the blob (its size, its digest); whether it was kept."""
        handle, self._handle = self._handle, None
        if handle is None or self._settled:
            self.discard()
            return False
        try:
            complete = self._written == self._size and self._hasher.hexdigest() == self._digest.encoded
            if complete:
                handle.flush()
                os.fsync(handle.fileno())
        except OSError:
            complete = False
        finally:
            handle.close()
        if not complete:
            self.discard()
            return False
        self._settled = True
        return self._cache.settle(self._digest, self._size, self.path)

    def discard(self) -> None:
        """Throw the copy away (its reservation goes back to the cache); nothing the second time."""
        handle, self._handle = self._handle, None
        if handle is not None:
            with contextlib.suppress(OSError):
                handle.close()
        if not self._settled:
            self._settled = True
            self.path.unlink(missing_ok=True)
            self._cache.release(self._digest, self._size)


class BlobCache:
    """Kept copies of stored blobs under ``root``, at most ``limit`` bytes (see the module docstring). Safe
    to use from several threads (every read of a pull runs in its connection's thread)."""

    def __init__(self, root: Path, limit: int = DEFAULT_LIMIT) -> None:
        if limit <= 0:
            raise ValueError(f"a blob cache needs a positive bound, not {limit}")
        self.root = root
        self.limit = limit
        self._lock = threading.Lock()
        self._kept: OrderedDict[str, int] = OrderedDict()
        self._held = 0
        self._reserved = 0
        self._filling: dict[str, int] = {}
        self._dropped: set[str] = set()
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        found: list[tuple[float, str, int]] = []
        for entry in root.iterdir():
            if entry.name.startswith(FILLING):
                entry.unlink(missing_ok=True)
                continue
            if not _is_copy_name(entry.name):
                continue
            with contextlib.suppress(FileNotFoundError):
                st = entry.stat()
                found.append((st.st_mtime, entry.name, st.st_size))
        for _, name, size in sorted(found):
            self._kept[name] = size
            self._held += size
        with self._lock:
            self._evict(0)

    @property
    def held(self) -> int:
        """The bytes of the kept copies (fills in flight not counted)."""
        with self._lock:
            return self._held

    def kept(self) -> list[str]:
        """The kept copies' names (``<algorithm>-<hex>``), least recently used first."""
        with self._lock:
            return list(self._kept)

    def open(self, digest: Digest) -> BinaryIO | None:
        """The kept copy of a blob, open for reading (now the most recently used); None when there is none."""
        name = _name(digest)
        with self._lock:
            if name not in self._kept:
                return None
            self._kept.move_to_end(name)
        try:
            return open(self.root / name, "rb", buffering=0)  # noqa: SIM115 - the caller's range closes it
        except FileNotFoundError:  # removed behind the cache's back
            with self._lock:
                self._held -= self._kept.pop(name, 0)
            return None

    def fill(self, digest: Digest, size: int) -> Fill | None:
        """Start a copy of a blob of ``size`` bytes, its size reserved; None when it is kept already, or
        does not fit even once older copies are evicted, or the disk refuses the file."""
        name = _name(digest)
        with self._lock:
            if name in self._kept or size > self.limit or not self._evict(size):
                return None
            self._reserved += size
            self._filling[name] = self._filling.get(name, 0) + 1
        try:
            return Fill(self, digest, size, self.root / f"{FILLING}{uuid.uuid4().hex}")
        except OSError:
            self.release(digest, size)
            return None

    def drop(self, digest: Digest) -> None:
        """Forget a blob's copy (its bytes were deleted), and any copy of it still being filled."""
        name = _name(digest)
        with self._lock:
            self._held -= self._kept.pop(name, 0)
            if name in self._filling:
                self._dropped.add(name)
            (self.root / name).unlink(missing_ok=True)

    # Called by a Fill ---------------------------------------------------------------------------------

    def settle(self, digest: Digest, size: int, path: Path) -> bool:
        """Put a verified copy in place (unless its blob was dropped while it filled); whether it was kept."""
        name = _name(digest)
        with self._lock:
            self._end_fill(name, size)
            dropped = name in self._dropped
            if self._filling.get(name, 0) == 0:
                self._dropped.discard(name)
            if dropped or name in self._kept or not self._evict(size):
                path.unlink(missing_ok=True)
                return name in self._kept
            os.replace(path, self.root / name)
            self._kept[name] = size
            self._held += size
        return True

    def release(self, digest: Digest, size: int) -> None:
        """A fill that ended without a copy gives its reservation back."""
        name = _name(digest)
        with self._lock:
            self._end_fill(name, size)
            if self._filling.get(name, 0) == 0:
                self._dropped.discard(name)

    def _end_fill(self, name: str, size: int) -> None:
        self._reserved -= size
        left = self._filling.get(name, 0) - 1
        if left > 0:
            self._filling[name] = left
        else:
            self._filling.pop(name, None)

    def _evict(self, room: int) -> bool:
        """Evict least recently used copies until ``room`` more bytes fit (lock held); whether they do."""
        while self._kept and self._held + self._reserved + room > self.limit:
            name, size = self._kept.popitem(last=False)
            (self.root / name).unlink(missing_ok=True)
            self._held -= size
        return self._held + self._reserved + room <= self.limit
