"""The Azure backend's local read cache, on a real Azurite: a cached range is the uncached range, served from
a file; only verified whole blobs are kept; deletes and collections through the store empty it; the bound
holds, least recently used out first; a read that stops half way does not end the fill."""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import cast

import pytest
from azure.storage.blob import BlobServiceClient

from acrlink.domain.oci import Digest, parse_digest
from acrlink.store.azure_blobs import AzureBlobStore
from acrlink.store.base import StoreUnavailable
from acrlink.store.blob_cache import BlobCache
from tests.servers.azurite import Container

MiB = 1 << 20


def _digest(data: bytes) -> Digest:
    return parse_digest("sha256:" + hashlib.sha256(data).hexdigest())


def _name(digest: Digest) -> str:
    return f"{digest.algorithm}-{digest.encoded}"


@pytest.fixture
def plain(azurite_container: Container) -> Iterator[AzureBlobStore]:
    store = AzureBlobStore(azurite_container.connection_string, azurite_container.name)
    yield store
    store.close()


def _cached(container: Container, root: Path, limit: int = 64 * MiB) -> AzureBlobStore:
    return AzureBlobStore(container.connection_string, container.name, cache_dir=root, cache_bytes=limit)


@pytest.fixture
def cached(azurite_container: Container, tmp_path: Path) -> AzureBlobStore:
    return _cached(azurite_container, tmp_path / "cache")


def _cache(store: AzureBlobStore) -> BlobCache:
    assert store.cache is not None
    return store.cache


def _read(store: AzureBlobStore, digest: Digest, first: int, last: int) -> tuple[bytes, bool]:
    """The range's bytes, and whether they came from a file (the cache)."""
    opened = store.open_range(digest, first, last)
    try:
        if opened.file is not None:
            opened.file.seek(first)
            return opened.file.read(last - first + 1), True
        return b"".join(opened.chunks()), False
    finally:
        opened.close()


def _files(root: Path) -> list[str]:
    return sorted(entry.name for entry in root.iterdir())


def test_a_cached_range_is_the_uncached_range_served_from_a_file(plain: AzureBlobStore, cached: AzureBlobStore) -> None:
    data = os.urandom(9 * MiB + 5)
    digest = _digest(data)
    assert plain.write(digest, data)
    assert _read(cached, digest, 0, 10) == (data[:11], False), "a partial range streams and fills nothing"
    assert _cache(cached).kept() == []
    assert _read(cached, digest, 0, len(data) - 1) == (data, False), "the first whole read streams"
    assert _cache(cached).kept() == [_name(digest)] and _cache(cached).held == len(data)
    for first, last in ((0, len(data) - 1), (4 * MiB - 7, 8 * MiB + 3), (len(data) - 1, len(data) - 1), (0, 0)):
        expected, _ = _read(plain, digest, first, last)
        assert _read(cached, digest, first, last) == (expected, True), (first, last)
    assert (_cache(cached).root / _name(digest)).read_bytes() == data
    opened = cached.open_range(digest, 5, 9)
    assert b"".join(opened.chunks()) == data[5:10], "a cached range also reads in chunks"
    opened.close()


def test_only_bytes_that_match_the_digest_are_kept(
    cached: AzureBlobStore, azurite_container: Container, tmp_path: Path
) -> None:
    """A blob whose bytes are not its digest's (written past the store) is served as stored, never kept."""
    digest = _digest(b"the real bytes")
    service = BlobServiceClient.from_connection_string(azurite_container.connection_string)
    service.get_blob_client(azurite_container.name, f"blobs/sha256/{digest.encoded}").upload_blob(b"other bytes!!!")
    assert _read(cached, digest, 0, 13) == (b"other bytes!!!", False)
    assert _cache(cached).kept() == [] and _files(tmp_path / "cache") == []


def test_deletes_and_collections_through_the_store_empty_the_cache(cached: AzureBlobStore, tmp_path: Path) -> None:
    first, second = b"collected layer", b"deleted layer"
    for data in (first, second):
        assert cached.write(_digest(data), data)
        assert _read(cached, _digest(data), 0, len(data) - 1) == (data, False)
    assert len(_cache(cached).kept()) == 2
    (listed,) = [b for b in cached.stored() if b.digest == _digest(first)]
    assert cached.touch(_digest(first))
    assert not cached.delete_if_unchanged(_digest(first), listed.version), "touched: kept"
    assert _read(cached, _digest(first), 0, len(first) - 1) == (first, True), "and still cached"
    (listed,) = [b for b in cached.stored() if b.digest == _digest(first)]
    assert cached.delete_if_unchanged(_digest(first), listed.version)
    assert cached.delete(_digest(second))
    assert _cache(cached).kept() == [] and _files(tmp_path / "cache") == []
    for data in (first, second):
        with pytest.raises(FileNotFoundError):
            cached.open_range(_digest(data), 0, 0)


def test_a_delete_while_a_read_fills_keeps_nothing(cached: AzureBlobStore) -> None:
    data = os.urandom(3 * MiB)
    digest = _digest(data)
    assert cached.write(digest, data)
    chunks = cached.open_range(digest, 0, len(data) - 1).chunks()
    next(chunks)
    assert cached.delete(digest)
    with contextlib.suppress(StoreUnavailable):  # the service may break the read off once the blob is gone
        b"".join(chunks)
    assert _cache(cached).kept() == []
    with pytest.raises(FileNotFoundError):
        cached.open_range(digest, 0, 0)


def test_the_bound_holds_least_recently_used_out_first(azurite_container: Container, tmp_path: Path) -> None:
    store = _cached(azurite_container, tmp_path / "cache", limit=3 * MiB)
    blobs = {name: os.urandom(MiB) for name in "abcd"}
    for data in blobs.values():
        assert store.write(_digest(data), data)

    def pull(name: str) -> bool:
        data = blobs[name]
        got, from_cache = _read(store, _digest(data), 0, len(data) - 1)
        assert got == data
        assert _cache(store).held <= 3 * MiB, "the bound holds"
        assert len(_files(tmp_path / "cache")) == len(_cache(store).kept()), "no file outside the index"
        return from_cache

    assert [pull(n) for n in "abc"] == [False, False, False]
    assert pull("a"), "a is now the most recently used"
    assert not pull("d"), "d evicts b, the least recently used"
    assert _cache(store).kept() == [_name(_digest(blobs[n])) for n in "cad"]
    assert not pull("b")
    assert _cache(store).kept() == [_name(_digest(blobs[n])) for n in "adb"]
    large = os.urandom(3 * MiB + 1)
    assert store.write(_digest(large), large)
    assert _read(store, _digest(large), 0, len(large) - 1) == (large, False)
    assert _cache(store).kept() == [_name(_digest(blobs[n])) for n in "adb"], "a blob above the bound is not cached"


def test_a_read_that_stops_half_way_does_not_end_the_fill(azurite_container: Container, tmp_path: Path) -> None:
    """The download belongs to the store, not to the read that started it: the next whole read tails it and
    finds the copy kept at its end."""
    store = _cached(azurite_container, tmp_path / "cache", limit=3 * MiB)
    data = os.urandom(3 * MiB)
    digest = _digest(data)
    assert store.write(digest, data)
    chunks = cast(Generator[bytes, None, None], store.open_range(digest, 0, len(data) - 1).chunks())
    next(chunks)
    chunks.close()  # the client went away
    assert _read(store, digest, 0, len(data) - 1) in ((data, False), (data, True))
    assert _cache(store).kept() == [_name(digest)] and _files(tmp_path / "cache") == [_name(digest)]
    assert _read(store, digest, 0, len(data) - 1) == (data, True)


def test_copies_outlive_the_process_and_leftover_fills_do_not(azurite_container: Container, tmp_path: Path) -> None:
    root = tmp_path / "cache"
    data = b"kept across restarts"
    digest = _digest(data)
    store = _cached(azurite_container, root)
    assert store.write(digest, data)
    _read(store, digest, 0, len(data) - 1)
    (root / ".fill-deadbeef").write_bytes(b"half a blob")
    again = _cached(azurite_container, root)
    assert _read(again, digest, 0, len(data) - 1) == (data, True)
    assert _files(root) == [_name(digest)]
    smaller = _cached(azurite_container, root, limit=len(data) - 1)
    assert _cache(smaller).kept() == [] and _files(root) == [], "a lower bound evicts at start-up"


def test_a_bound_of_zero_is_no_cache(azurite_container: Container, tmp_path: Path) -> None:
    store = _cached(azurite_container, tmp_path / "cache", limit=0)
    assert store.cache is None
    with pytest.raises(ValueError):
        _cached(azurite_container, tmp_path / "cache", limit=-1)
