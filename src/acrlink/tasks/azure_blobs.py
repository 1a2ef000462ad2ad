"""ACR Tasks' blobs (``tasks/blobs.py``'s ``TaskBlobs``) in Azure Blob Storage, through azure-storage-blob:
the blob store's container (``azure-blob://CONTAINER``), under ``tasks/{account}/{container}/{blob}``.

- A build context is a block blob (Put Blob; the SDK splits one larger than its single-put size into blocks).
- A log is an append blob: each line is one Append Block, so two processes appending never overwrite each
  other. ``Complete`` is the blob's metadata; Get Blob Properties gives the length and the metadata from one
  answer, so az's reader sees them consistent.
- ``fetch`` streams the context into a local file for the build agent.

Every call waits on the network (``blocking``): the blob face runs them in a worker thread. Transport
failures and 5xx answers are ``StoreUnavailable``, mapped as the blob store maps them (``store/azure_blobs``).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.storage.blob import BlobClient, BlobType

from acrlink.domain.sas import BlobName
from acrlink.store.azure_blobs import RETRIES, connect
from acrlink.store.azure_blobs import _reachable as reachable
from acrlink.tasks.blobs import Properties

PREFIX = "tasks/"
APPEND_LIMIT = 4 << 20
"""4 MiB: the most one Append Block carries (the limit of every service version)."""


class AzureTaskBlobs:
    """Task blobs in the container ``container`` of the account ``connection_string`` names. ``ValueError``
    for a malformed connection string or container name; ``StoreUnavailable`` when the service cannot be
    reached."""

    blocking = True
    """Every call waits on the network: callers on the event loop run them in a worker thread."""

    def __init__(self, connection_string: str, container: str, *, retries: int = RETRIES) -> None:
        self._service, self._container = connect(connection_string, container, retries)

    def _blob(self, name: BlobName) -> BlobClient:
        return self._container.get_blob_client(f"{PREFIX}{name.account}/{name.container}/{name.blob}")

    def put(self, name: BlobName, data: bytes, metadata: dict[str, str] | None = None) -> None:
        """Put Blob: a block blob replacing whatever was there. ``ValueError`` when the service refuses the
        metadata (names must be C# identifiers)."""
        with reachable():
            try:
                self._blob(name).upload_blob(data, blob_type=BlobType.BLOCKBLOB, overwrite=True, metadata=metadata)
            except HttpResponseError as error:
                if error.status_code == 400:
                    raise ValueError(f"Azure Blob Storage refused the blob: {error.reason}") from None
                raise

    def _create(self, blob: BlobClient, metadata: dict[str, str] | None = None) -> None:
        """An empty append blob, unless one is there (another process may create it first)."""
        with contextlib.suppress(ResourceExistsError, ResourceModifiedError):
            blob.create_append_blob(metadata=metadata, match_condition=MatchConditions.IfMissing)

    def append(self, name: BlobName, data: bytes) -> None:
        """Append Block, ``APPEND_LIMIT`` at a time (the append blob is created first when there is none)."""
        blob = self._blob(name)
        with reachable():
            for start in range(0, max(len(data), 1), APPEND_LIMIT):
                part = data[start : start + APPEND_LIMIT]
                if not part:
                    self._create(blob)
                    return
                try:
                    blob.append_block(part)
                except ResourceNotFoundError:
                    self._create(blob)
                    blob.append_block(part)

    def set_metadata(self, name: BlobName, metadata: dict[str, str]) -> None:
        """Set Blob Metadata (an empty append blob with it when there is no blob)."""
        blob = self._blob(name)
        with reachable():
            try:
                blob.set_blob_metadata(metadata)
            except ResourceNotFoundError:
                self._create(blob, metadata)
                blob.set_blob_metadata(metadata)

    def properties(self, name: BlobName) -> Properties | None:
        """Get Blob Properties: length, metadata and Last-Modified from one answer; None when absent."""
        with reachable():
            try:
                props = self._blob(name).get_blob_properties()
            except ResourceNotFoundError:
                return None
        modified = props.last_modified.timestamp() if props.last_modified else 0.0
        return Properties(int(props.size), dict(props.metadata or {}), modified)

    def read(self, name: BlobName, start: int, end: int) -> bytes:
        """Get Blob of bytes ``start..end`` (clipped; empty when absent or when ``start`` is past the end)."""
        if end < start:
            return b""
        with reachable():
            try:
                return bytes(self._blob(name).download_blob(offset=start, length=end - start + 1).readall())
            except ResourceNotFoundError:
                return b""
            except HttpResponseError as error:
                if error.status_code == 416:
                    return b""
                raise

    def fetch(self, name: BlobName, into: Path) -> bool:
        """Stream the blob into the local file ``into``; False when absent."""
        with reachable():
            try:
                downloader = self._blob(name).download_blob()
            except ResourceNotFoundError:
                return False
            with into.open("wb") as file:
                downloader.readinto(file)
        return True

    def close(self) -> None:
        """Close the connections to the service."""
        self._container.close()
        self._service.close()
