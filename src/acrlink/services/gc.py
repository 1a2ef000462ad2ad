"""Garbage collection: remove stale blob links, unreferenced blob bytes and abandoned upload sessions
(``domain/gc.py`` says what is garbage). ``acrlink gc`` asks a running process for one collection (the ARM
view ``Acrlink.Network/garbageCollection``); ``acrlink up`` collects every ``ACRLINK_GC_INTERVAL_SECONDS``.

Safe while pushes run on this or any other process sharing the store and blob store. One collection:

1. reads every manifest and link (one read transaction) and picks the stale links;
2. removes each stale link only if it is *still* older than the cutoff (one write transaction), then reads
   which digests still have a link. A manifest push holds the links it references (``hold_links``: their
   time moves to now, rows locked until it commits), so a link a push relies on is never removed, and a
   push that finds its link removed is refused (``MANIFEST_BLOB_UNKNOWN``) instead of referencing bytes
   that may go. A mount and an import hold their source link the same way;
3. lists the stored blobs and deletes those that are garbage *conditionally* on the version listed
   (``BlobStore.delete_if_unchanged``). An upload commits (and so touches) its bytes before it links them:
   a touch before the delete keeps the bytes, and a commit after it stores them again;
4. sweeps upload sessions untouched for ``uploads.SESSION_LIFETIME`` and their staged bytes.

Collections on several processes at once are safe too (each delete is conditional; the second finds
nothing to remove). The grace period is what keeps a blob pushed but not yet referenced (layers come
before their manifest): its bytes and link are young. A grace period of 0 gives no such protection.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from acrlink.domain import gc
from acrlink.services.content import Content
from acrlink.services.uploads import Uploads
from acrlink.store.base import CONTENT, StoreUnavailable

log = logging.getLogger("acrlink.gc")


@dataclass(frozen=True)
class Report:
    """What one collection removed (``dry_run``: what it would remove)."""

    blobs_removed: int
    bytes_freed: int
    links_removed: int
    uploads_removed: int
    grace_seconds: float
    dry_run: bool = False
    blobs: tuple[str, ...] = field(default=())
    """The digests of the blobs removed."""

    def as_json(self) -> dict[str, Any]:
        """The report as the ARM view answers it."""
        return {
            "blobsRemoved": self.blobs_removed,
            "bytesFreed": self.bytes_freed,
            "linksRemoved": self.links_removed,
            "uploadsRemoved": self.uploads_removed,
            "graceSeconds": self.grace_seconds,
            "dryRun": self.dry_run,
            "blobs": list(self.blobs),
        }

    def summary(self) -> str:
        """One line for the log and the CLI."""
        verb = "would remove" if self.dry_run else "removed"
        return (
            f"garbage collection {verb} {self.blobs_removed} blob(s) ({self.bytes_freed} bytes), "
            f"{self.links_removed} blob link(s) and {self.uploads_removed} upload session(s)"
        )


class Collector:
    """One collector per process; collections on one process run one at a time."""

    def __init__(
        self,
        content: Content,
        uploads: Uploads,
        grace_seconds: float = gc.DEFAULT_GRACE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        gc.cutoff(0.0, grace_seconds)  # refuses a negative grace period now, not at the first collection
        self._content = content
        self._uploads = uploads
        self.grace_seconds = grace_seconds
        self._clock = clock
        self._lock = threading.Lock()

    def collect(self, now: float | None = None, *, grace_seconds: float | None = None, dry_run: bool = False) -> Report:
        """Collect what is garbage as of ``now`` (default: the clock) with the given grace period (default:
        the collector's); ``dry_run`` removes nothing and reports what would go."""
        grace = self.grace_seconds if grace_seconds is None else grace_seconds
        before = gc.cutoff(self._clock() if now is None else now, grace)
        with self._lock:
            store, blobs = self._content.store, self._content.blobs
            with store.transaction() as tx:
                content = tx.content
                refs = gc.referenced(content.manifest_bodies())
                links = content.blob_links()
            stale = [link for link in links if gc.is_stale(link, refs, before)]
            if dry_run:
                removed_links = len(stale)
                stale_keys = {(s.registry, s.repo, s.digest) for s in stale}
                linked = {x.digest for x in links if (x.registry, x.repo, x.digest) not in stale_keys}
            else:
                with store.transaction() as tx:
                    content = tx.content
                    removed_links = sum(content.unlink_blob_before(s.registry, s.repo, s.digest, before) for s in stale)
                    if removed_links:
                        tx.changed(CONTENT)
                    linked = {x.digest for x in content.blob_links()}
            removed: list[str] = []
            freed = 0
            for blob in blobs.stored():
                digest = str(blob.digest)
                if not gc.is_garbage(digest, blob.modified, refs, linked, before):
                    continue
                if dry_run or blobs.delete_if_unchanged(blob.digest, blob.version):
                    removed.append(digest)
                    freed += blob.size
            uploads = self._uploads.sweep(dry_run=dry_run)
        return Report(len(removed), freed, removed_links, uploads, grace, dry_run, tuple(removed))


async def periodically(collector: Collector, interval_seconds: float) -> None:
    """Collect every ``interval_seconds`` (on a worker thread) until cancelled; a failed collection is
    logged and the next one runs on time."""
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            report = await asyncio.to_thread(collector.collect)
        except StoreUnavailable as exc:
            log.warning("garbage collection skipped: the store is unavailable (%s)", exc)
            continue
        except Exception:  # noqa: BLE001 - a collection that failed must not end the process; the trace is logged
            log.exception("garbage collection failed")
            continue
        if report.blobs_removed or report.links_removed or report.uploads_removed:
            log.info("%s", report.summary())
