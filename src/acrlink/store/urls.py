"""Which store and blob store a URL names: the one place a backend is chosen.

- store: ``sqlite:///PATH`` (the embedded default: ``DATA_DIR/acrlink.db``) or ``postgresql://USER@HOST:PORT/DB``;
- blob store: ``file:///PATH`` (the embedded default: ``DATA_DIR/blobs``) or ``azure-blob://CONTAINER``, the
  account taken from ``AZURE_STORAGE_CONNECTION_STRING`` (the variable the Azure SDKs read), with a local
  read cache in ``cache_dir`` (``DATA_DIR/blob-cache``) of at most ``cache_bytes`` (0: none).

A URL this module does not know is a ``ValueError`` that says which forms it knows.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from acrlink.store.base import BlobStore, Store
from acrlink.store.blob_cache import DEFAULT_LIMIT

STORE_FORMS = "sqlite:///PATH or postgresql://USER@HOST:PORT/DB"
BLOB_FORMS = "file:///PATH or azure-blob://CONTAINER (account from AZURE_STORAGE_CONNECTION_STRING)"
CONNECTION_STRING = "AZURE_STORAGE_CONNECTION_STRING"


def _local_path(url: str, scheme: str) -> Path:
    """The absolute path of a ``scheme:///PATH`` URL."""
    parts = urlsplit(url)
    if parts.scheme != scheme or parts.netloc or not parts.path.startswith("/"):
        raise ValueError(f"{url!r} is not a {scheme}:///ABSOLUTE/PATH URL")
    return Path(unquote(parts.path))


def public_url(url: str) -> str:
    """The URL without its password, in the user part or the query (what ``endpoints.json`` records; libpq
    finds the password in ``PGPASSWORD`` or ``~/.pgpass``)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() != "password"]
    if parts.password is None and len(query) == len(parse_qsl(parts.query, keep_blank_values=True)):
        return url
    user, at, host = parts.netloc.rpartition("@")
    netloc = f"{user.partition(':')[0]}@{host}" if at else host
    return urlunsplit(parts._replace(netloc=netloc, query=urlencode(query)))


def open_store(url: str) -> Store:
    """The store a URL names, open (its schema created); ``ValueError`` for an unknown form."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        from acrlink.store.sqlite import SqliteStore

        path = _local_path(url, "sqlite")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        return SqliteStore(path)
    if scheme in ("postgresql", "postgres"):
        from acrlink.store.postgres import PostgresStore

        return PostgresStore(url)
    raise ValueError(f"unknown store URL {url!r}: use {STORE_FORMS}")


def open_blob_store(url: str, cache_dir: Path | None = None, cache_bytes: int = DEFAULT_LIMIT) -> BlobStore:
    """The blob store a URL names, open; ``ValueError`` for an unknown form or a missing connection string.
    A store behind a network keeps a read cache in ``cache_dir`` (when given) of at most ``cache_bytes``
    (0: none); the files backend needs none."""
    scheme = urlsplit(url).scheme
    if scheme == "file":
        from acrlink.store.blobs import FileBlobStore

        return FileBlobStore(_local_path(url, "file"))
    if scheme == "azure-blob":
        container = urlsplit(url).netloc
        connection = os.environ.get(CONNECTION_STRING)
        if not container or not connection:
            raise ValueError(f"{url!r} needs a container name and {CONNECTION_STRING} set: use {BLOB_FORMS}")
        from acrlink.store.azure_blobs import AzureBlobStore

        return AzureBlobStore(connection, container, cache_dir=cache_dir, cache_bytes=cache_bytes)
    raise ValueError(f"unknown blob store URL {url!r}: use {BLOB_FORMS}")


def open_running_store(data_dir: Path, endpoints: Mapping[str, Any]) -> Store:
    """The store of the process whose ``endpoints.json`` is ``endpoints`` (the CLI's way in: it opens no store
    of its own, and imports none of the server to open this one). The file names the store without a
    password; a PostgreSQL password then comes from the environment (``PGPASSWORD``) or ``~/.pgpass``, as libpq
    reads them. A process from before the file named its store used the data dir's."""
    from acrlink.settings import Settings

    return open_store(str(endpoints.get("store") or Settings(data_dir=data_dir).store))
