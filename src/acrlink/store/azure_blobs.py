"""The Azure Blob Storage backend of ``base.BlobStore``, through azure-storage-blob (Azure, or Azurite in tests).

Layout, in one container (created when absent):

- ``blobs/<algorithm>/<hex>``: stored blobs. Each appears whole or not at all, and is never replaced.
- ``uploads/<key>``: staged uploads, block blobs whose committed bytes are the staged bytes.

Staged uploads. ``stage`` commits an empty block list under If-None-Match ``*`` (a taken key is
``FileExistsError``). ``writer(key, offset)`` reads the blob's ETag (a key dropped while a late writer staged
blocks into it has blocks but no properties: not staged) and its committed block list under If-Match, keeps
the blocks that end at or before ``offset``, buffers what is written and stages it in ``BLOCK_SIZE`` blocks (staged
blocks are invisible until committed). ``close`` commits the kept blocks and the new ones under If-Match
(the ETag read at open: a key dropped or rewritten meanwhile is ``FileNotFoundError``, never resurrected);
``rewind`` forgets the new blocks (the service discards uncommitted blocks at the next commit, or after a
week). ``read_staged`` reads the committed bytes. A block's id is its start offset (16 hex digits) and the
writer's nonce (12 hex digits): every id of a blob has one length, as the service requires; the offset
records the order, the nonce keeps one writer's blocks apart from another's.

Restaging. When ``offset`` falls inside a committed block (the service recorded a shorter upload than was
staged, e.g. after a crash), or when the kept blocks end in two or more blocks shorter than ``BLOCK_SIZE``
(a client sending many small chunks), the bytes from the first of those blocks up to ``offset`` are staged
again as one block, copied by the service from the committed bytes (Put Block From URL): no byte passes
through this process, and an upload holds at most about size / ``BLOCK_SIZE`` + 2 blocks (the service allows
50,000 committed blocks: 195 GiB at 4 MiB).

Commit. The first ``length`` bytes of the staged blob are copied by the service into uncommitted blocks of
the digest blob (Put Block From URL, ``COPY_BLOCK`` per block, If-Match on the staged blob's ETag), which are
then committed with If-None-Match ``*``: the digest blob appears complete at once, or the commit reports
that the digest was already stored (that copy, verified when it was stored, is kept). The staged blob is
then deleted. The service reads the source by URL: a read-only SAS signed with the account key of the
connection string, or the connection string's own SAS (Azurite 3.37 answers 500 to an account SAS there:
give it the account key or a container SAS).

Reads. ``open_range`` checks that the blob is there (``FileNotFoundError`` otherwise); ``chunks`` streams the
range from one GET (through urllib3, on the same read SAS). Not the SDK's downloader: it buffers every chunk
and sends one request per chunk, and each request costs Azurite as much as megabytes of body (a 64 MiB pull:
35-50 MiB/s in 4 or 16 MiB chunks, 100-250 MiB/s from one streamed GET, on this 2-core machine under load).
The GET is not pinned to the ETag the check saw: a digest blob's bytes never change, but its ETag moves
whenever a push or a collection touches it, and a pull must not fail for that. A blob deleted before the
GET is ``FileNotFoundError``; one deleted during it breaks the read off (``StoreUnavailable``). The last
chunk is handed out only after the response is read to its end and its connection released.
``read_staged`` streams the same way.

The read cache (``cache_dir``, ``cache_bytes``; ``blob_cache.BlobCache``). With one, the first whole-blob
read starts one download of the blob into a local copy, kept once it is verified against the digest; every
read of that blob while it runs (ranges too) tails the copy being written instead of opening a GET of its
own (``blob_fills.py``: single flight). Later ranges are served from the kept file (an open ``file``, as the
files backend's: the HTTPS server writes it without copying).
Nothing else is cached: callers check that the blob is stored (``size``, one HEAD) before they serve it, so a
blob another process deleted is not served; this store's own deletes drop the copy.

Garbage collection. ``stored`` lists the digest blobs (size, Last-Modified, quoted ETag as the version); ``touch``
sets the blob's metadata (no metadata: the service gives it a new ETag and Last-Modified, the bytes stay);
``delete_if_unchanged`` deletes under If-Match on the listed ETag. ``commit`` and ``write`` of a digest
that is stored touch it; when the touch finds it gone (collected in between), they store it again.

Blocking. Every call waits on the network (``blocking`` is True): callers on the event loop run them in a
worker thread (``services/offload.py``).

Errors. The client retries briefly (``RETRIES`` times, ``RETRY_BACKOFF`` seconds apart), then a connection
failure, a broken response or a 5xx answer is ``StoreUnavailable`` (the faces answer 503 with Retry-After).
A 501 is a server that lacks an operation this backend needs (Azurite before 3.37 lacks Put Block From URL).
Azurite must run with ``--skipApiVersionCheck`` when azure-storage-blob speaks a newer API version than it
knows (12.31 does). Holds no rules: callers decide what to verify.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any

import urllib3
from azure.core import MatchConditions
from azure.core.exceptions import (
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.storage.blob import (
    BlobBlock,
    BlobClient,
    BlobServiceClient,
    BlockState,
    ContainerClient,
    ContainerSasPermissions,
    LinearRetry,
    generate_container_sas,
)

from acrlink.domain.oci import Digest, parse_digest
from acrlink.errors import BadRequest
from acrlink.store.base import StoredBlob, StoreUnavailable
from acrlink.store.blob_cache import DEFAULT_LIMIT, BlobCache
from acrlink.store.blob_fills import Fills
from acrlink.store.blobs import FileRange

BLOBS = "blobs/"
UPLOADS = "uploads/"
BLOCK_SIZE = 4 << 20
"""4 MiB: the size of a staged block (a writer buffers this much before sending it)."""
READ_CHUNK = 1 << 20
"""1 MiB: one read from a streamed GET (and one write of the HTTPS server that serves it)."""
COPY_BLOCK = 100 << 20
"""100 MiB: the largest block copied in one Put Block From URL (the limit of the oldest service versions)."""
RETRIES = 2
RETRY_BACKOFF = 1
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 60
SAS_LIFETIME = timedelta(hours=1)
SAS_RENEW = timedelta(minutes=10)
"""A read SAS is signed again when less than this is left of it."""
POOL_SIZE = 32
"""Connections kept open to the service for streamed reads."""
CONTAINER_NAME = re.compile(r"[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]")
"""Azure's container names: 3-63 lower-case letters, digits and single hyphens, starting and ending alike."""


def _error_code(error: HttpResponseError) -> str | None:
    """The storage error code azure-storage-blob attaches to an error (``BlobAlreadyExists``, ...)."""
    code = getattr(error, "error_code", None)
    if isinstance(code, Enum):
        return str(code.value)
    return None if code is None else str(code)


@contextmanager
def _reachable() -> Iterator[None]:
    """Map the client's transport failures and the service's 5xx answers to ``StoreUnavailable``."""
    try:
        yield
    except (ServiceRequestError, ServiceResponseError) as error:
        raise StoreUnavailable(f"Azure Blob Storage cannot be reached: {error}") from error
    except HttpResponseError as error:
        code = _error_code(error)
        if error.status_code == 501:
            raise NotImplementedError(
                f"this Azure Blob Storage endpoint lacks an operation acrlink needs ({code}); "
                "Azurite needs version 3.37 or newer"
            ) from error
        if error.status_code is not None and error.status_code >= 500:
            raise StoreUnavailable(f"Azure Blob Storage answered {error.status_code}: {code}") from error
        raise


def _exists(blob: BlobClient) -> bool:
    """Whether a blob is there (committed)."""
    with _reachable():
        try:
            blob.get_blob_properties()
        except ResourceNotFoundError:
            return False
    return True


def _block_id(start: int, nonce: str) -> str:
    """A block's id: its start offset then the writer's nonce (one length for every block of a blob)."""
    return f"{start:016x}{nonce}"


def _nonce() -> str:
    return secrets.token_hex(6)


def _quoted(etag: str) -> str:
    """An ETag in HTTP's quoted form (List Blobs gives them bare; Get Blob Properties and If-Match quoted)."""
    return etag if etag.startswith('"') else f'"{etag}"'


def _digest_of(name: str) -> Digest | None:
    """The digest a ``blobs/<algorithm>/<hex>`` name stands for; None for any other name."""
    algorithm, _, encoded = name.removeprefix(BLOBS).partition("/")
    if not name.startswith(BLOBS) or "/" in encoded:
        return None
    try:
        return parse_digest(f"{algorithm}:{encoded}")
    except BadRequest:
        return None


@dataclass(frozen=True)
class Prefix:
    """How a writer opened at ``offset`` keeps the committed bytes before it: the first ``kept`` committed
    blocks as they are, and bytes ``restage_from..offset`` staged again as one block (none when equal)."""

    kept: int
    restage_from: int
    offset: int


def plan_prefix(sizes: list[int], offset: int, *, merge: bool) -> Prefix:
    """Which committed blocks (of these sizes, in order) a writer at ``offset`` keeps whole and which range it
    stages again: the block ``offset`` falls inside, and with ``merge`` also a tail of two or more blocks
    shorter than ``BLOCK_SIZE`` (with the block ``offset`` falls inside, any such tail goes too).
    ``ValueError`` when ``offset`` is beyond the committed bytes."""
    if offset < 0 or offset > sum(sizes):
        raise ValueError(f"offset {offset} is beyond the {sum(sizes)} staged bytes")
    starts, end, kept = [], 0, 0
    for size in sizes:
        starts.append(end)
        if end + size <= offset:
            kept += 1
        end += size
    partial = kept < len(sizes) and starts[kept] < offset
    first_small = kept
    while first_small > 0 and sizes[first_small - 1] < BLOCK_SIZE:
        first_small -= 1
    if partial or (merge and kept - first_small >= 2):
        return Prefix(first_small, starts[first_small] if first_small < len(starts) else offset, offset)
    return Prefix(kept, offset, offset)


class AzureRange:
    """Bytes ``first..last`` of a stored blob (``base.BlobRange``): no file; ``chunks`` streams them. With
    ``fills`` (the store has a read cache), the read shares the download of the blob with every concurrent
    read of it (``blob_fills.Fills``)."""

    file = None

    def __init__(
        self,
        store: AzureBlobStore,
        blob: BlobClient,
        first: int,
        last: int,
        fills: tuple[Fills, Digest, int] | None = None,
    ) -> None:
        self._store, self._blob, self._fills = store, blob, fills
        self.first, self.last = first, last

    def chunks(self) -> Iterator[bytes]:
        """The range's bytes, about ``READ_CHUNK`` at a time; ``FileNotFoundError`` if the blob went before
        an uncached read of it. A read that reaches the blob's last byte through a shared fill hands that
        chunk out once the fill has ended (the copy kept, when it is kept)."""
        if self.last < self.first:
            return
        if self._fills is None:
            yield from self._store.stream(self._blob, self.first, self.last)
            return
        fills, digest, size = self._fills
        yield from fills.read(digest, size, self.first, self.last, self._source)

    def _source(self, first: int, last: int) -> Iterator[bytes]:
        return self._store.stream(self._blob, first, last)

    def close(self) -> None:
        """Nothing is held open between ranges (the connection goes back to the pool once read)."""


class AzureStagedWriter:
    """Writes into a staged upload from the offset it was opened at (``base.StagedWriter``); see the module
    docstring for the blocks it stages and commits."""

    def __init__(self, store: AzureBlobStore, blob: BlobClient, offset: int, committed: list[BlobBlock], etag: str):
        self._store, self._blob = store, blob
        self._committed, self._etag = committed, etag
        self._sizes = [int(block.size) for block in committed]
        plan_prefix(self._sizes, offset, merge=False)
        self.start = offset
        self.offset = offset
        self._buffer = bytearray()
        self._buffered_from = offset
        self._new: list[str] = []
        self._nonce = _nonce()
        self._closed = False

    def write(self, data: bytes | memoryview) -> None:
        """Buffer ``data``; every full ``BLOCK_SIZE`` goes to the service as an uncommitted block."""
        self._buffer += data
        self.offset += len(data)
        while len(self._buffer) >= BLOCK_SIZE:
            self._stage(bytes(self._buffer[:BLOCK_SIZE]))
            del self._buffer[:BLOCK_SIZE]

    def _stage(self, data: bytes) -> None:
        block = _block_id(self._buffered_from, self._nonce)
        with _reachable():
            self._blob.stage_block(block, data, length=len(data))
        self._new.append(block)
        self._buffered_from += len(data)

    def rewind(self) -> None:
        """Forget what this writer wrote (its staged blocks are never committed)."""
        self._buffer.clear()
        self._new = []
        self._nonce = _nonce()
        self.offset = self._buffered_from = self.start

    def close(self) -> None:
        """Commit the kept blocks and the new ones (nothing when neither the bytes nor their length change);
        ``FileNotFoundError`` when the staged object was dropped or rewritten since this writer opened."""
        if self._closed:
            return
        self._closed = True
        if self._buffer:
            self._stage(bytes(self._buffer))
            self._buffer.clear()
        prefix = plan_prefix(self._sizes, self.start, merge=bool(self._new))
        if not self._new and prefix.kept == len(self._committed):
            return
        blocks = [BlobBlock(block.id, BlockState.COMMITTED) for block in self._committed[: prefix.kept]]
        if prefix.restage_from < prefix.offset:
            source = self._store.source_url(self._blob)
            restaged = self._store.copy_blocks(self._blob, source, prefix.restage_from, prefix.offset, self._etag)
            blocks += [BlobBlock(block, BlockState.UNCOMMITTED) for block in restaged]
        blocks += [BlobBlock(block, BlockState.UNCOMMITTED) for block in self._new]
        with _reachable():
            try:
                self._blob.commit_block_list(blocks, etag=self._etag, match_condition=MatchConditions.IfNotModified)
            except (ResourceModifiedError, ResourceNotFoundError):
                raise FileNotFoundError(
                    f"staged object {self._blob.blob_name} was dropped or rewritten while written"
                ) from None


def connect(
    connection_string: str, container: str, retries: int = RETRIES
) -> tuple[BlobServiceClient, ContainerClient]:
    """The account's client (briefly retrying, with this module's timeouts) and the container's, created when
    absent. ``ValueError`` for a malformed connection string or container name; ``StoreUnavailable`` when the
    service cannot be reached."""
    if not CONTAINER_NAME.fullmatch(container):
        raise ValueError(f"invalid container name {container!r}: 3-63 lower-case letters, digits and single hyphens")
    try:
        service = BlobServiceClient.from_connection_string(
            connection_string,
            retry_policy=LinearRetry(backoff=RETRY_BACKOFF, retry_total=retries, random_jitter_range=0),
            connection_timeout=CONNECT_TIMEOUT,
            read_timeout=READ_TIMEOUT,
        )
    except ValueError as error:
        raise ValueError(f"invalid Azure Storage connection string: {error}") from None
    client = service.get_container_client(container)
    with _reachable():
        try:
            client.create_container()
        except ResourceExistsError:
            pass
        except HttpResponseError as error:
            # A SAS scoped to the container may not create it: it exists, or every later call says so.
            if error.status_code != 403:
                raise
    return service, client


def _close_all(http: urllib3.PoolManager, *clients: Any) -> None:
    """Close a store's connection pool and SDK clients (``close``, or the store's finalizer)."""
    http.clear()
    for client in clients:
        client.close()


class AzureBlobStore:
    """The Azure Blob Storage backend of ``base.BlobStore``: ``AzureBlobStore(connection_string, container)``,
    with a local read cache of at most ``cache_bytes`` in ``cache_dir`` when that is given (and the bound is
    not 0). ``ValueError`` for a malformed connection string or container name; ``StoreUnavailable`` when the
    service cannot be reached (after ``retries`` retries of each request)."""

    blocking = True
    """Every call waits on the network: callers on the event loop run them in a worker thread."""

    def __init__(
        self,
        connection_string: str,
        container: str,
        *,
        retries: int = RETRIES,
        cache_dir: Path | None = None,
        cache_bytes: int = DEFAULT_LIMIT,
    ) -> None:
        if cache_bytes < 0:
            raise ValueError(f"the blob cache bound must be 0 (off) or more bytes, not {cache_bytes}")
        self.cache = BlobCache(cache_dir, cache_bytes) if cache_dir is not None and cache_bytes > 0 else None
        self.fills = None if self.cache is None else Fills(self.cache)
        self._service, self._container = connect(connection_string, container, retries)
        self._container_name = container
        self._sas: tuple[str, datetime] | None = None
        self._http = urllib3.PoolManager(
            maxsize=POOL_SIZE,
            timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT),
            retries=urllib3.Retry(total=retries, connect=retries, read=0, status=0, other=0, redirect=0),
        )
        # A store dropped without close() still closes its connections (never a socket left to the collector).
        self._closer = weakref.finalize(self, _close_all, self._http, self._container, self._service)

    def close(self) -> None:
        """Close every connection to the service (the SDK's and the range reader's pool)."""
        self._closer()

    def _blob(self, digest: Digest) -> BlobClient:
        return self._container.get_blob_client(f"{BLOBS}{digest.algorithm}/{digest.encoded}")

    def _staged(self, key: str) -> BlobClient:
        if not key or "/" in key or "\\" in key or key.startswith("."):
            raise ValueError(f"invalid staging key {key!r}")
        return self._container.get_blob_client(UPLOADS + key)

    # Service-side copies --------------------------------------------------------------------------------

    def source_url(self, blob: BlobClient) -> str:
        """A URL ``blob`` can be read through, by the service (copies) and by this store (streamed reads): with
        a read-only SAS of the container signed with the account key, else the client's own URL (which carries
        the connection string's SAS, if it has one)."""
        credential: Any = self._service.credential
        key = getattr(credential, "account_key", None)
        if not key:
            return blob.url
        now = datetime.now(UTC)
        if self._sas is None or self._sas[1] - now < SAS_RENEW:
            expiry = now + SAS_LIFETIME
            sas = generate_container_sas(
                self._service.account_name or "",
                self._container_name,
                account_key=key,
                permission=ContainerSasPermissions(read=True),
                start=now - timedelta(minutes=5),
                expiry=expiry,
            )
            self._sas = (sas, expiry)
        return f"{blob.url}?{self._sas[0]}"

    def stream(self, blob: BlobClient, first: int, last: int) -> Iterator[bytes]:
        """Bytes ``first..last`` of ``blob`` from one GET, ``READ_CHUNK`` at a time; the last chunk only once
        the response is complete and its connection back in the pool. ``FileNotFoundError`` when the blob is
        absent; ``ValueError`` when it ends before ``last``; ``StoreUnavailable`` when the service cannot be
        reached, fails, or breaks the response off."""
        headers = {"Range": f"bytes={first}-{last}"}
        try:
            response = self._http.request(
                "GET", self.source_url(blob), headers=headers, preload_content=False, decode_content=False
            )
        except urllib3.exceptions.HTTPError as error:
            raise StoreUnavailable(f"Azure Blob Storage cannot be reached: {error}") from error
        held: bytes | None = None
        complete = False
        try:
            if response.status == 404:
                raise FileNotFoundError(f"blob {blob.blob_name} is absent")
            if response.status == 416:
                raise ValueError(f"blob {blob.blob_name} holds fewer than {last + 1} bytes")
            if response.status >= 500:
                raise StoreUnavailable(f"Azure Blob Storage answered {response.status} to a read")
            if response.status != 206:
                raise PermissionError(f"Azure Blob Storage refused a read of {blob.blob_name}: {response.status}")
            total = response.headers.get("Content-Range", "").rpartition("/")[2]
            if total.isdigit() and int(total) <= last:
                raise ValueError(f"blob {blob.blob_name} holds fewer than {last + 1} bytes")
            remaining = last - first + 1
            for chunk in response.stream(READ_CHUNK):
                remaining -= len(chunk)
                if held is not None:
                    yield held
                held = chunk
            if remaining > 0:
                raise StoreUnavailable(f"Azure Blob Storage broke off a read of {blob.blob_name}")
            complete = True
        except urllib3.exceptions.HTTPError as error:
            raise StoreUnavailable(f"Azure Blob Storage broke off a read: {error}") from error
        finally:
            if not complete:
                response.close()  # unread bytes on the connection: never back into the pool with them
            response.release_conn()
        if held is not None:
            yield held

    def copy_blocks(self, target: BlobClient, source: str, first: int, end: int, etag: str) -> list[str]:
        """Stage bytes ``first..end-1`` of the blob at ``source`` (as long as its ETag is ``etag``) as
        uncommitted blocks of ``target``; their ids, in order. ``FileNotFoundError`` if the source changed."""
        nonce, blocks = _nonce(), []
        with _reachable():
            for start in range(first, end, COPY_BLOCK):
                block = _block_id(start, nonce)
                try:
                    target.stage_block_from_url(
                        block,
                        source,
                        source_offset=start,
                        source_length=min(COPY_BLOCK, end - start),
                        headers={"x-ms-source-if-match": etag},
                    )
                except HttpResponseError as error:
                    if error.status_code in (404, 412):  # the source went, or its ETag moved (SourceConditionNotMet)
                        raise FileNotFoundError(f"staged object {source.split('?')[0]} changed while copied") from None
                    raise
                blocks.append(block)
        return blocks

    # Stored blobs ----------------------------------------------------------------------------------------

    def size(self, digest: Digest) -> int | None:
        """The size of a stored blob; ``None`` when it is not stored."""
        with _reachable():
            try:
                return int(self._blob(digest).get_blob_properties().size)
            except ResourceNotFoundError:
                return None

    def open_range(self, digest: Digest, first: int, last: int) -> AzureRange | FileRange:
        """Bytes ``first..last`` of a stored blob: from the read cache when it holds a copy, else streamed
        (sharing a running fill of the cache, or starting one when the range is the whole blob);
        ``FileNotFoundError`` when it is not stored."""
        if self.cache is not None:
            copy = self.cache.open(digest)
            if copy is not None:
                return FileRange(copy, first, last)
        blob = self._blob(digest)
        with _reachable():
            try:
                size = int(blob.get_blob_properties().size)
            except ResourceNotFoundError:
                raise FileNotFoundError(f"blob {digest} is not stored") from None
        return AzureRange(self, blob, first, last, None if self.fills is None else (self.fills, digest, size))

    def delete(self, digest: Digest) -> bool:
        """Remove a stored blob (and its cached copy); False when it was not stored."""
        with _reachable():
            try:
                self._blob(digest).delete_blob()
            except ResourceNotFoundError:
                return False
            finally:
                if self.cache is not None:
                    self.cache.drop(digest)
        return True

    def write(self, digest: Digest, data: bytes) -> bool:
        """Store small content (manifests, generated samples) under its digest, verified here, in one Put
        Blob under If-None-Match ``*``; False when the digest was already stored (the stored blob is kept,
        and touched)."""
        if hashlib.new(digest.algorithm, data).hexdigest() != digest.encoded:
            raise ValueError(f"content does not match {digest}")
        while True:
            with _reachable():
                try:
                    self._blob(digest).upload_blob(data, length=len(data), overwrite=False)
                except ResourceExistsError:
                    if self.touch(digest):
                        return False
                    continue  # collected between the upload and the touch: upload it after all
            return True

    # Garbage collection -----------------------------------------------------------------------------

    def touch(self, digest: Digest) -> bool:
        """Give a stored blob a new ETag and Last-Modified (Set Blob Metadata; the bytes stay); False when
        it is not stored."""
        with _reachable():
            try:
                self._blob(digest).set_blob_metadata({})
            except ResourceNotFoundError:
                return False
        return True

    def stored(self) -> Iterator[StoredBlob]:
        """Every digest blob with its size, Last-Modified (epoch seconds) and ETag (its version); staged
        uploads and names that are no digest are not listed."""
        with _reachable():
            for item in self._container.list_blobs(name_starts_with=BLOBS):
                digest = _digest_of(item.name)
                if digest is None or item.last_modified is None or item.etag is None:
                    continue
                yield StoredBlob(digest, int(item.size), item.last_modified.timestamp(), _quoted(str(item.etag)))

    def delete_if_unchanged(self, digest: Digest, version: str) -> bool:
        """Delete a stored blob under If-Match on ``version`` (an ETag ``stored`` listed); False when it was
        touched or stored again since (412) or is gone (404). The cached copy goes with it."""
        with _reachable():
            try:
                self._blob(digest).delete_blob(etag=version, match_condition=MatchConditions.IfNotModified)
            except (ResourceModifiedError, ResourceNotFoundError):
                return False
        if self.cache is not None:
            self.cache.drop(digest)
        return True

    # Staged uploads ----------------------------------------------------------------------------------

    def stage(self, key: str) -> None:
        """Create an empty staged object; ``FileExistsError`` if the key is taken."""
        blob = self._staged(key)
        with _reachable():
            try:
                blob.commit_block_list([], if_none_match="*")
            except (ResourceExistsError, ResourceModifiedError):
                raise FileExistsError(f"staging key {key!r} is taken") from None

    def writer(self, key: str, offset: int) -> AzureStagedWriter:
        """Write into a staged object from ``offset``; bytes after ``offset`` are dropped when the writer
        closes. ``FileNotFoundError`` when the key is not staged, ``ValueError`` when it holds fewer than
        ``offset`` bytes."""
        blob = self._staged(key)
        with _reachable():
            try:
                # The properties first: a key dropped while a late writer staged blocks into it has a block
                # list (uncommitted blocks only) but no properties, and is not staged.
                etag = blob.get_blob_properties().etag
                committed, _ = blob.get_block_list(
                    "committed", etag=etag, match_condition=MatchConditions.IfNotModified
                )
            except (ResourceNotFoundError, ResourceModifiedError):
                raise FileNotFoundError(f"staging key {key!r} is not staged") from None
        return AzureStagedWriter(self, blob, offset, committed, etag)

    def read_staged(self, key: str, length: int) -> Iterator[bytes]:
        """The first ``length`` bytes of a staged object, in chunks; ``ValueError`` if it holds fewer."""
        blob = self._staged(key)
        if length == 0:
            with _reachable():
                try:
                    blob.get_blob_properties()
                except ResourceNotFoundError:
                    raise FileNotFoundError(f"staging key {key!r} is not staged") from None
            return
        yield from self.stream(blob, 0, length - 1)

    def commit(self, key: str, length: int, digest: Digest) -> bool:
        """Store the first ``length`` bytes of a staged object under ``digest`` (which the caller verified
        against exactly those bytes) and drop the staged object. True when stored; False when the digest
        was already stored: the existing blob is kept, touched, and the staged bytes dropped."""
        staged, target = self._staged(key), self._blob(digest)
        with _reachable():
            try:
                properties = staged.get_blob_properties()
            except ResourceNotFoundError:
                raise FileNotFoundError(f"staging key {key!r} is not staged") from None
            if properties.size < length:
                raise ValueError(f"staged object {key} holds fewer than {length} bytes")
            while True:
                if self.touch(digest):
                    stored = False
                    break
                if self._copy(staged, target, length, properties.etag):
                    stored = True
                    break
                # A concurrent commit of the digest won: touch its blob (or copy again if it went meanwhile).
            with suppress(ResourceNotFoundError):
                staged.delete_blob()
        return stored

    def _copy(self, staged: BlobClient, target: BlobClient, length: int, etag: str) -> bool:
        """Copy the staged blob's first ``length`` bytes into ``target`` and commit it unless it exists."""
        blocks = self.copy_blocks(target, self.source_url(staged), 0, length, etag)
        try:
            target.commit_block_list([BlobBlock(block, BlockState.UNCOMMITTED) for block in blocks], if_none_match="*")
        except (ResourceExistsError, ResourceModifiedError):
            return False
        except HttpResponseError as error:
            # A concurrent commit of the same digest won and discarded this commit's uncommitted blocks.
            if _error_code(error) == "InvalidBlockList" and _exists(target):
                return False
            raise
        return True

    def drop_staged(self, key: str) -> None:
        """Delete a staged object (nothing when it is not staged)."""
        blob = self._staged(key)
        with _reachable(), suppress(ResourceNotFoundError):
            blob.delete_blob()

    def sweep_staged(self, older_than_seconds: float) -> list[str]:
        """Delete staged objects whose last commit is older than the given age (each unless it changed since
        it was listed); their keys."""
        limit = datetime.now(UTC) - timedelta(seconds=older_than_seconds)
        dropped = []
        with _reachable():
            for item in self._container.list_blobs(name_starts_with=UPLOADS):
                if item.last_modified is None or item.last_modified >= limit:
                    continue
                try:
                    self._container.delete_blob(
                        item.name, etag=_quoted(str(item.etag)), match_condition=MatchConditions.IfNotModified
                    )
                except (ResourceNotFoundError, ResourceModifiedError):
                    continue
                dropped.append(item.name[len(UPLOADS) :])
        return dropped
