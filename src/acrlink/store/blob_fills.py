"""Single-flight cold reads: the concurrent reads of one blob that is not in the read cache share one download.

The first whole read of a blob that ``blob_cache.BlobCache`` does not hold starts a *shared fill*: a thread
owned by ``Fills`` (not by any client's response, so a client that goes away ends only its own read) streams
the whole blob from the service into the cache's fill file (``blob_cache.Fill``: hashed as it is written, kept
only once it is complete and matches its digest). Every read of that digest while the fill runs, the first
included and ranges that do not start at 0 too, *tails* the fill file: it reads, through its own descriptor
of that file, up to ``READ_CHUNK`` of what has been written past its position (``os.pread``), and waits on
the fill's condition when it is ahead of the download. Once the copy is kept the same descriptor reads the
kept file (a rename keeps the file); reads that start later are served from the kept copy.

Memory: the download holds one chunk, each reader one. A reader slower than the download never holds it up
(the bytes wait in the file). Nobody polls: the download notifies the condition after every write and when
it ends.

How a fill ends, and what its readers see:

- **kept** (complete, verified): every reader reads to its end. A reader whose range ends at the blob's
  last byte hands that last chunk out only once the fill has ended, so when the last byte has been sent, the
  copy is kept (or was refused: see the next case).
- **complete but not kept** (the bytes are not the digest's, the cache dropped the blob meanwhile, an fsync
  or the rename failed): the readers read to their end, as an uncached read would serve what is stored (the registry
  verifies digests when content is committed, not when it is served); nothing is kept.
- **the download failed** (the service broke the response off, went away, or the blob went): every reader
  that has not read all its bytes ends with ``StoreUnavailable`` at its next chunk, even one behind the
  download (its client sees a broken body, as with an uncached read). The fill file is removed, nothing is
  kept, the reservation goes back to the cache, and the fill is forgotten before its readers are told: the
  next read starts a new fill.
- **the disk refused a write** (full): the fill is discarded and the download stops; each reader reads what
  was written, then streams the rest of its range from the service on its own (``source``).

A read that finds no fill running, and no kept copy, starts one only when it is a whole read and the cache
has room for the blob (``BlobCache.fill``); otherwise it streams its range on its own, as without a cache.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Generator, Iterator
from enum import Enum

from acrlink.domain.oci import Digest
from acrlink.store.base import StoreUnavailable
from acrlink.store.blob_cache import BlobCache, Fill

READ_CHUNK = 1 << 20
"""1 MiB: the most a tailing reader reads from the fill file at once."""

Source = Callable[[int, int], Iterator[bytes]]
"""Bytes ``first..last`` (inclusive) of the blob, streamed from the service."""


class State(Enum):
    """Where a shared fill is."""

    RUNNING = "running"
    COMPLETE = "complete"
    """Every byte was written (kept, or refused: either way the bytes are what the service stored)."""
    FAILED = "failed"
    """The download failed: what was written is not served past what readers already had."""
    DISK_FAILED = "disk-failed"
    """The disk refused a write: readers read what was written and stream the rest themselves."""


class SharedFill:
    """One download of a blob into the cache and the reads that tail it (see the module docstring)."""

    def __init__(self, fill: Fill, digest: Digest, size: int, source: Source) -> None:
        self.digest, self.size = digest, size
        self._fill, self._source = fill, source
        self._descriptor = os.open(fill.path, os.O_RDONLY)
        self._condition = threading.Condition()
        self._written = 0
        self._state = State.RUNNING
        self._error: BaseException | None = None

    def reader(self) -> int:
        """A descriptor of the fill file for one reader (the caller holds ``Fills``' lock: the fill is still
        registered, so its own descriptor is open)."""
        return os.dup(self._descriptor)

    def abandon(self) -> None:
        """Give the fill up before its download started (its thread could not be started)."""
        self._fill.discard()
        os.close(self._descriptor)

    def download(self, forget: Callable[[SharedFill], None]) -> None:
        """Stream the blob into the fill file, then keep it (the fill's thread). ``forget`` unregisters the
        fill; it runs before the readers learn how the fill ended, so a read after a failure starts anew."""
        state: State = State.FAILED
        error: BaseException | None = None
        try:
            chunks = self._source(0, self.size - 1)
            try:
                for chunk in chunks:
                    if not self._fill.write(chunk):
                        state = State.DISK_FAILED
                        break
                    with self._condition:
                        self._written += len(chunk)
                        self._condition.notify_all()
                else:
                    if self._written == self.size:
                        state = State.COMPLETE  # served whole whether or not the copy can be kept
                        with contextlib.suppress(OSError):
                            self._fill.keep()
                    else:
                        error = StoreUnavailable(f"the read of {self.digest} ended after {self._written} bytes")
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
        except BaseException as failure:  # noqa: BLE001 - every failure ends the readers, never the process
            error = failure
        finally:
            self._fill.discard()  # nothing once kept
            forget(self)
            with self._condition:
                self._state, self._error = state, error
                self._condition.notify_all()
            os.close(self._descriptor)

    def tail(self, descriptor: int, first: int, last: int) -> Iterator[bytes]:
        """Bytes ``first..last`` of the blob as the download writes them, read through ``descriptor`` (closed
        at the end); ``StoreUnavailable`` when the download fails before they are all written."""
        try:
            position = first
            while position <= last:
                with self._condition:
                    while self._written <= position and self._state is State.RUNNING:
                        self._condition.wait()
                    written, state, error = self._written, self._state, self._error
                if state is State.FAILED:
                    raise StoreUnavailable(f"the download of {self.digest} failed: {error}") from error
                if written <= position:
                    if state is State.DISK_FAILED:
                        yield from self._source(position, last)
                        return
                    raise StoreUnavailable(f"the copy of {self.digest} ended after {written} bytes")
                chunk = os.pread(descriptor, min(READ_CHUNK, written - position, last - position + 1), position)
                if not chunk:
                    raise StoreUnavailable(f"the copy of {self.digest} being filled is shorter than was written")
                position += len(chunk)
                if position > last and last == self.size - 1:
                    self._settled()
                yield chunk
        finally:
            os.close(descriptor)

    def _settled(self) -> None:
        """Wait until the fill has ended (the last byte of the blob waits for the copy to be kept); a failed
        download is ``StoreUnavailable`` here too."""
        with self._condition:
            while self._state is State.RUNNING:
                self._condition.wait()
            state, error = self._state, self._error
        if state is State.FAILED:
            raise StoreUnavailable(f"the download of {self.digest} failed: {error}") from error


class Fills:
    """The shared fills of one cache, one per digest at most (see the module docstring). Thread-safe."""

    def __init__(self, cache: BlobCache) -> None:
        self.cache = cache
        self._lock = threading.Lock()
        self._running: dict[Digest, SharedFill] = {}

    def running(self) -> int:
        """How many fills are downloading now."""
        with self._lock:
            return len(self._running)

    def read(self, digest: Digest, size: int, first: int, last: int, source: Source) -> Generator[bytes, None, None]:
        """Bytes ``first..last`` of a blob of ``size`` bytes: tailing the fill of it that is running, or the
        one this read starts (a whole read, when the cache has room), else from the kept copy, else streamed
        from ``source`` alone. Nothing happens until the first chunk is asked for."""
        shared, descriptor = self._join(digest, size, source, whole=first == 0 and last == size - 1)
        if shared is not None and descriptor is not None:
            yield from shared.tail(descriptor, first, last)
            return
        copy = self.cache.open(digest)
        if copy is None:
            yield from source(first, last)
            return
        with copy:
            position = first
            while position <= last:
                chunk = os.pread(copy.fileno(), min(READ_CHUNK, last - position + 1), position)
                if not chunk:
                    raise StoreUnavailable(f"the cached copy of {digest} is shorter than the blob")
                position += len(chunk)
                yield chunk

    def _join(self, digest: Digest, size: int, source: Source, *, whole: bool) -> tuple[SharedFill | None, int | None]:
        """The running fill of ``digest`` (started now when there is none, the read is whole, and the cache
        has room) and a descriptor for this reader; ``(None, None)`` when there is none."""
        with self._lock:
            shared = self._running.get(digest)
            if shared is None and whole:
                fill = self.cache.fill(digest, size)
                if fill is not None:
                    try:
                        shared = SharedFill(fill, digest, size, source)
                    except OSError:
                        fill.discard()
                        return None, None
                    thread = threading.Thread(
                        target=shared.download, args=(self._forget,), name=f"blob-fill-{digest.encoded[:12]}"
                    )
                    thread.daemon = True
                    try:
                        thread.start()
                    except RuntimeError:  # no thread to be had: this read streams alone
                        shared.abandon()
                        return None, None
                    self._running[digest] = shared
            if shared is None:
                return None, None
            try:
                return shared, shared.reader()
            except OSError:  # out of descriptors: this read streams alone
                return None, None

    def _forget(self, shared: SharedFill) -> None:
        with self._lock:
            if self._running.get(shared.digest) is shared:
                del self._running[shared.digest]
