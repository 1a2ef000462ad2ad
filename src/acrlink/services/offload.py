"""Blob store calls made from the event loop: in a worker thread for a store that blocks on a network
(``BlobStore.blocking``: Azure Blob Storage), directly for one that does not (files: a thread hop per
received chunk costs more than the write; PERFORMANCE-NOTES).

``ChunkFeed`` carries a request body's chunks into a staged writer the same way: each chunk directly, or,
for a blocking store, in batches of at least ``BATCH`` bytes, each written in a worker thread while the
next batch arrives, so one hop carries a megabyte and the loop never waits on the network.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, ParamSpec, Protocol, TypeVar

from acrlink.store.base import BlobStore, StagedWriter

P = ParamSpec("P")
T = TypeVar("T")

BATCH = 1 << 20
"""1 MiB: the least a blocking store's writer is handed in one worker-thread hop (the last batch may be less)."""


async def call(blobs: BlobStore, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``function(*args, **kwargs)``: in a worker thread when ``blobs`` blocks, else right here."""
    if blobs.blocking:
        return await asyncio.to_thread(function, *args, **kwargs)
    return function(*args, **kwargs)


class Hasher(Protocol):
    """A running hash (hashlib's objects)."""

    def update(self, data: bytes | memoryview, /) -> None: ...


def _put(writer: StagedWriter, hasher: Hasher | None, data: bytes) -> None:
    writer.write(data)
    if hasher is not None:
        hasher.update(data)


class ChunkFeed:
    """Write a request's chunks into ``writer`` and ``hasher``, in order (see the module docstring). Call
    ``add`` per chunk, then ``flush`` once; ``settle`` (always, also after a failure) waits for a write still
    in flight, so the writer is idle when the caller rewinds or closes it."""

    def __init__(self, blobs: BlobStore, writer: StagedWriter, hasher: Hasher | None) -> None:
        self._blocking = blobs.blocking
        self._writer, self._hasher = writer, hasher
        self._batch = bytearray()
        self._pending: asyncio.Future[Any] | None = None

    async def add(self, chunk: bytes) -> None:
        """Take the next chunk (written now, or batched)."""
        if not self._blocking:
            _put(self._writer, self._hasher, chunk)
            return
        self._batch += chunk
        if len(self._batch) >= BATCH:
            await self._hand_over()

    async def flush(self) -> None:
        """Write what is batched and wait until every byte taken is written."""
        if self._batch:
            await self._hand_over()
        await self._wait()

    async def settle(self) -> None:
        """Wait for a write in flight to end (its failure is the caller's to see through ``flush``)."""
        pending, self._pending = self._pending, None
        if pending is not None:
            await asyncio.wait([pending])
            if not pending.cancelled():
                pending.exception()  # retrieved: a failure already reported elsewhere is not logged again

    async def _hand_over(self) -> None:
        await self._wait()
        data = bytes(self._batch)
        self._batch.clear()
        self._pending = asyncio.get_running_loop().run_in_executor(None, _put, self._writer, self._hasher, data)

    async def _wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            try:
                await asyncio.shield(pending)
            except BaseException:
                self._pending = pending  # still running when this request was cancelled: settle waits for it
                raise
