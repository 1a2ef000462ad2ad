"""The ports every backend meets (see ``tests/contract``): the store and the blob store.

The store: resources are JSON documents indexed by their lower-cased id plus a few columns for listing.
A small key/value space holds everything that is not an ARM resource (subscriptions, provider
registration, operation records, secrets). Registry content (repositories, manifests, tags, blob links,
upload sessions, changeable attributes) is reached inside the same transaction through ``tx.content``.
A transaction is all or nothing. Backends: ``store/sqlite.py`` (embedded) and ``store/postgres.py``.

The blob store: content-addressed bytes and staged uploads, by key and digest, never by path, so an
object store can stand behind it. Backends: ``store/blobs.py`` (files) and ``store/azure_blobs.py``.

Both raise ``StoreUnavailable`` when their server cannot be reached; the faces answer 503 with
``Retry-After`` and nothing is half written (a transaction that did not commit changed nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, BinaryIO, NamedTuple, Protocol

from acrlink.domain.content import Attributes, Manifest, Tag
from acrlink.domain.gc import Link, StoredManifest
from acrlink.domain.oci import Digest
from acrlink.errors import Unavailable


@dataclass(frozen=True)
class Record:
    """One stored resource. ``type`` and the scope columns are lower case (they are query keys)."""

    key: str
    type: str
    subscription: str
    resource_group: str
    parent: str
    body: dict[str, Any]


class StoreUnavailable(Unavailable):
    """The store's or the blob store's server cannot be reached (or broke off mid-request); retry later. The
    faces catch ``errors.Unavailable`` (they do not import the store)."""

    retry_after = 1


WORLD = "world"
"""Change topic: ARM resources and the key/value space (the network graph, DNS answers, authorisation)."""
CONTENT = "content"
"""Change topic: registry content (manifests, tags, blob links, attributes: the registry read cache)."""


class ContentTransaction(Protocol):
    """Registry content inside an open store transaction. Holds no rules: ``services/content.py`` decides
    what may be written. Every method is keyed by the registry's lower-case name (unique per cloud)."""

    def touch_repository(self, registry: str, name: str, now: str) -> None: ...

    def repository(self, registry: str, name: str) -> dict[str, str] | None: ...

    def repository_names(
        self, registry: str, last: str | None = None, n: int | None = None, *, listed_only: bool = False
    ) -> list[str]: ...

    def delete_repository(self, registry: str, name: str) -> bool: ...

    def drop_registry(self, registry: str) -> None: ...

    def put_manifest(self, registry: str, repo: str, manifest: Manifest) -> None: ...

    def manifest(self, registry: str, repo: str, digest: str) -> Manifest | None: ...

    def manifests(self, registry: str, repo: str) -> list[Manifest]: ...

    def referrers(self, registry: str, repo: str, subject: str) -> list[Manifest]: ...

    def delete_manifest(self, registry: str, repo: str, digest: str) -> bool: ...

    def put_tag(self, registry: str, repo: str, tag: str, digest: str, now: str) -> None: ...

    def tag(self, registry: str, repo: str, tag: str) -> Tag | None: ...

    def tags(
        self, registry: str, repo: str, last: str | None = None, n: int | None = None, *, listed_only: bool = False
    ) -> list[Tag]: ...

    def tags_of(self, registry: str, repo: str, digest: str) -> list[str]: ...

    def delete_tag(self, registry: str, repo: str, tag: str) -> bool: ...

    def attributes(self, registry: str, repo: str, kind: str, ref: str = "") -> Attributes: ...

    def all_attributes(self, registry: str) -> dict[tuple[str, str, str], Attributes]: ...

    def put_attributes(self, registry: str, repo: str, kind: str, ref: str, value: Attributes) -> None: ...

    def link_blob(self, registry: str, repo: str, digest: str, size: int, now: float | None = None) -> None:
        """Link a blob into a repository (again), as of ``now`` (epoch seconds; default: the clock)."""

    def blob_size(self, registry: str, repo: str, digest: str) -> int | None: ...

    def unlink_blob(self, registry: str, repo: str, digest: str) -> bool: ...

    def put_upload(self, upload_id: str, registry: str, repo: str, now: int) -> None: ...

    def upload(self, upload_id: str) -> dict[str, Any] | None: ...

    def update_upload(self, upload_id: str, expected: dict[str, Any], values: dict[str, Any]) -> bool:
        """Compare and set on an upload session row; whether it was written."""

    def delete_upload(self, upload_id: str, expected: dict[str, Any] | None = None) -> bool: ...

    def uploads_touched_before(self, moment: int) -> list[dict[str, Any]]: ...

    # Garbage collection (``services/gc.py``) ----------------------------------------------------------

    def hold_links(self, registry: str, repo: str, digests: list[str], now: float | None = None) -> set[str]:
        """Refresh the link time of the repository's links to ``digests`` and return those that exist. A
        manifest push holds the blobs it references this way: on PostgreSQL the rows stay locked until the
        transaction ends, so garbage collection cannot remove a link that a push is about to depend on."""

    def blob_links(self) -> list[Link]:
        """Every blob link of every registry."""

    def manifest_bodies(self) -> Iterator[StoredManifest]:
        """Every manifest of every registry (what references blobs)."""

    def unlink_blob_before(self, registry: str, repo: str, digest: str, moment: float) -> bool:
        """Remove a link only if it was last made or held before ``moment``; whether it was removed."""


class Transaction(Protocol):
    @property
    def content(self) -> ContentTransaction:
        """Registry content, inside this transaction."""

    def changed(self, topic: str) -> None:
        """This transaction changes what caches of ``topic`` (``WORLD`` or ``CONTENT``) hold: when it commits,
        the store's change counter of that topic moves, and every process sharing the store sees it."""

    def get(self, key: str) -> Record | None: ...

    def put(self, record: Record) -> None:
        """Insert or replace; a replaced record keeps its place in listing order."""

    def delete(self, key: str) -> bool: ...

    def query(
        self,
        *,
        type: str | None = None,
        subscription: str | None = None,
        resource_group: str | None = None,
        parent: str | None = None,
    ) -> list[Record]:
        """Records matching every given column (compared lower case), in insertion order."""

    def count(
        self,
        *,
        type: str | None = None,
        subscription: str | None = None,
        resource_group: str | None = None,
        parent: str | None = None,
    ) -> int:
        """How many records ``query`` with the same arguments would return (without reading them)."""

    def kv_get(self, key: str) -> Any | None: ...

    def kv_put(self, key: str, value: Any) -> None: ...

    def kv_insert(self, key: str, value: Any) -> Any:
        """Store ``value`` under ``key`` unless the key already holds one; the value the key holds after it.
        Of several transactions inserting the same key at once (other processes too) the first to commit wins,
        and every one of them returns the winner's value (key material and the world are created this way)."""

    def kv_delete(self, key: str) -> bool: ...

    def kv_items(self, prefix: str) -> Iterator[tuple[str, Any]]: ...


class Store(Protocol):
    def transaction(self) -> AbstractContextManager[Transaction]:
        """A unit of work: committed when the block ends normally, rolled back when it raises."""

    def snapshot(self) -> Store:
        """A private copy of everything stored now, consistent, that writes nothing back (what-if and
        validation rehearse deployments on one)."""

    def versions(self) -> dict[str, int]:
        """The committed change counter of every topic that ever changed (absent topics are 0)."""

    def watch(self, listener: Callable[[Mapping[str, int]], None]) -> None:
        """Call ``listener(moved)`` after every transaction of this store object that commits marked topics,
        on the committing thread, once the store's lock is released: ``moved`` maps each topic it marked to the
        counter as that commit left it. This process's writes are so seen at once; other processes' through
        ``versions`` (``services/changes.py`` polls it)."""

    def close(self) -> None: ...


# The blob store -----------------------------------------------------------------------------------------


class StagedWriter(Protocol):
    """Writes into a staged upload from the offset it was opened at. ``close`` keeps what was written
    (durably); ``rewind`` first forgets it."""

    start: int
    offset: int

    def write(self, data: bytes | memoryview) -> None: ...

    def rewind(self) -> None: ...

    def close(self) -> None: ...


class BlobRange(Protocol):
    """Bytes ``first..last`` (inclusive) of a stored blob, open for reading. ``file`` is an open file
    positioned nowhere in particular when the backend has one (the HTTPS server then writes it from an
    mmap); otherwise ``chunks`` yields the bytes (blocking: the server's connection thread reads it)."""

    first: int
    last: int
    file: BinaryIO | None

    def chunks(self) -> Iterator[bytes]: ...

    def close(self) -> None: ...


class StoredBlob(NamedTuple):
    """A stored blob as garbage collection lists it. ``modified`` is when its bytes were last written or
    touched (epoch seconds); ``version`` is an opaque token that changes whenever they are written or touched
    (files: inode and mtime; Azure: the ETag)."""

    digest: Digest
    size: int
    modified: float
    version: str


class BlobStore(Protocol):
    """Content-addressed blobs and staged uploads. Holds no rules: callers decide what to verify.

    Garbage collection's part (``stored``, ``touch``, ``delete_if_unchanged``, and ``commit`` touching): a
    process committing or linking a digest touches its bytes *before* it links them; a collector deletes only
    bytes whose version is still the one it listed. So bytes a push touched after the listing are kept, and
    bytes deleted before the touch are stored again by the commit.

    ``blocking`` says whether calls wait on a network (Azure: True) or only on the local disk (files: False).
    A caller on the event loop runs a blocking store's calls in a worker thread (``services/offload.py``) and
    calls a non-blocking one directly: a thread hop per received chunk costs more than the disk write."""

    blocking: bool

    def size(self, digest: Digest) -> int | None:
        """The size of a stored blob; ``None`` when it is not stored."""

    def open_range(self, digest: Digest, first: int, last: int) -> BlobRange:
        """Bytes ``first..last`` of a stored blob; ``FileNotFoundError`` when it is not stored."""

    def write(self, digest: Digest, data: bytes) -> bool:
        """Store small content under its digest (verified here); False when it was already stored."""

    def stage(self, key: str) -> None:
        """Create an empty staged object; ``FileExistsError`` if the key is taken."""

    def writer(self, key: str, offset: int) -> StagedWriter:
        """Write into a staged object from ``offset`` (bytes after it are dropped); ``FileNotFoundError``
        when the key is not staged."""

    def read_staged(self, key: str, length: int) -> Iterator[bytes]:
        """The first ``length`` bytes of a staged object; ``ValueError`` if it holds fewer."""

    def commit(self, key: str, length: int, digest: Digest) -> bool:
        """Store the first ``length`` bytes of a staged object under ``digest`` (verified by the caller)
        and drop the staged object; False when the digest was already stored (that copy is kept). Either
        way the stored blob is modified *now* when this returns: an existing digest is touched (``touch``), and
        one deleted between the check and the touch is stored again from the staged bytes."""

    def drop_staged(self, key: str) -> None: ...

    def sweep_staged(self, older_than_seconds: float) -> list[str]:
        """Delete staged objects untouched for longer than the given age; their keys."""

    def delete(self, digest: Digest) -> bool:
        """Remove a stored blob; False when it was not stored."""

    def close(self) -> None:
        """Close the connections it holds (the process is stopping)."""

    def touch(self, digest: Digest) -> bool:
        """Mark a stored blob modified now (a new ``version``, bytes unchanged); False when it is not stored."""

    def stored(self) -> Iterator[StoredBlob]:
        """Every stored blob (staged uploads are not blobs)."""

    def delete_if_unchanged(self, digest: Digest, version: str) -> bool:
        """Remove a stored blob only if it is still at ``version`` (conditionally, against a concurrent
        ``touch`` or ``commit`` on any process); whether the listed copy was removed."""
