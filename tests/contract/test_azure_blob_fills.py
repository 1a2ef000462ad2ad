"""Single-flight cold reads on a real Azurite: concurrent reads of a blob the cache does not hold send one GET
to the service (counted on the store's HTTP pool), and all get its exact bytes; a reader that goes away does
not break the others; ranges not at 0 tail the running fill; a download that breaks mid-way ends every
tailing read with ``StoreUnavailable``, keeps nothing, and the next read starts anew; a blob above the cache's
bound is streamed by each read, as without a cache."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from azure.storage.blob import BlobClient

from acrlink.domain.oci import Digest, parse_digest
from acrlink.store.azure_blobs import AzureBlobStore
from acrlink.store.base import StoreUnavailable
from acrlink.store.blob_cache import BlobCache
from tests.readers import drain_in_thread
from tests.servers.azurite import Container

MiB = 1 << 20


def _digest(data: bytes) -> Digest:
    return parse_digest("sha256:" + hashlib.sha256(data).hexdigest())


class Wire:
    """Counts the store's GETs of digest blobs at its HTTP pool; holds the first stream after its first chunk
    until ``go``; with ``break_after``, that stream breaks off after so many chunks (as a dropped connection)."""

    def __init__(self, store: AzureBlobStore, break_after: int | None = None) -> None:
        self.gets: list[str] = []
        self.go = threading.Event()
        self._streams = 0
        self._lock = threading.Lock()
        pool: Any = store._http  # noqa: SLF001 - the test counts what reaches the service
        request, stream = pool.request, store.stream

        def counting(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            if method == "GET" and "/blobs/" in url:
                with self._lock:
                    self.gets.append(kwargs.get("headers", {}).get("Range", ""))
            return request(method, url, *args, **kwargs)

        def gated(blob: BlobClient, first: int, last: int) -> Iterator[bytes]:
            with self._lock:
                self._streams += 1
                held = self._streams == 1
            for index, chunk in enumerate(stream(blob, first, last)):
                if held and index == 1:
                    assert self.go.wait(30), "the test never let the download go on"
                if held and break_after is not None and index == break_after:
                    raise StoreUnavailable("Azure Blob Storage broke off a read (the test's wire)")
                yield chunk

        pool.request = counting
        store.stream = gated  # type: ignore[method-assign]


@pytest.fixture
def store(azurite_container: Container, tmp_path: Path) -> Iterator[AzureBlobStore]:
    opened = AzureBlobStore(
        azurite_container.connection_string, azurite_container.name, cache_dir=tmp_path / "cache", cache_bytes=64 * MiB
    )
    yield opened
    opened.close()


def _cache(store: AzureBlobStore) -> BlobCache:
    assert store.cache is not None
    return store.cache


def _join(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(60)
        assert not thread.is_alive(), "a reader never ended"


def test_concurrent_cold_reads_send_one_get_and_get_identical_bytes(store: AzureBlobStore) -> None:
    data = os.urandom(9 * MiB + 17)
    digest = _digest(data)
    assert store.write(digest, data)
    wire = Wire(store)
    readers = [store.open_range(digest, 0, len(data) - 1).chunks() for _ in range(8)]
    heads = [next(reader) for reader in readers]  # all eight are tailing the one running fill
    leaving = cast(Generator[bytes, None, None], readers.pop())
    heads.pop()
    leaving.close()  # one client disconnects early
    got: dict[int, bytes | BaseException] = {}
    threads = [drain_in_thread(reader, got, n) for n, reader in enumerate(readers)]
    wire.go.set()
    _join(threads)
    assert [heads[n] + got[n] for n in range(7)] == [data] * 7  # type: ignore[operator]
    assert wire.gets == [f"bytes=0-{len(data) - 1}"], "Azurite is read once"
    assert _cache(store).kept() == [f"sha256-{digest.encoded}"]
    again = store.open_range(digest, 0, len(data) - 1)
    assert again.file is not None and len(wire.gets) == 1, "later reads come from the kept copy"
    again.close()


def test_ranges_not_at_zero_tail_the_running_fill(store: AzureBlobStore) -> None:
    data = os.urandom(6 * MiB)
    digest = _digest(data)
    assert store.write(digest, data)
    wire = Wire(store)
    whole = store.open_range(digest, 0, len(data) - 1).chunks()
    head = next(whole)
    inside = store.open_range(digest, 4096, 5 * MiB).chunks()
    first_inside = next(inside)  # joined while only the first chunk is written
    tail = store.open_range(digest, 5 * MiB + 1, len(data) - 1).chunks()
    got: dict[int, bytes | BaseException] = {}
    threads = [drain_in_thread(whole, got, 0), drain_in_thread(inside, got, 1), drain_in_thread(tail, got, 2)]
    wire.go.set()
    _join(threads)
    assert head + got[0] == data  # type: ignore[operator]
    assert first_inside + got[1] == data[4096 : 5 * MiB + 1]  # type: ignore[operator]
    assert got[2] == data[5 * MiB + 1 :]
    assert len(wire.gets) == 1


def test_a_download_broken_mid_way_ends_every_tailing_read_and_keeps_nothing(
    store: AzureBlobStore, tmp_path: Path
) -> None:
    data = os.urandom(5 * MiB)
    digest = _digest(data)
    assert store.write(digest, data)
    wire = Wire(store, break_after=3)
    readers = [store.open_range(digest, first, len(data) - 1).chunks() for first in (0, 0, 0, 300)]
    for reader in readers:
        next(reader)
    got: dict[int, bytes | BaseException] = {}
    threads = [drain_in_thread(reader, got, n) for n, reader in enumerate(readers)]
    wire.go.set()
    _join(threads)
    assert [type(got[n]) for n in range(4)] == [StoreUnavailable] * 4, got
    assert _cache(store).kept() == [] and list((tmp_path / "cache").iterdir()) == [], "no copy, no fill file"
    assert b"".join(store.open_range(digest, 0, len(data) - 1).chunks()) == data, "the next read starts anew"
    assert len(wire.gets) == 2 and _cache(store).kept() == [f"sha256-{digest.encoded}"]


def test_a_blob_above_the_bound_is_streamed_by_each_read(azurite_container: Container, tmp_path: Path) -> None:
    store = AzureBlobStore(
        azurite_container.connection_string, azurite_container.name, cache_dir=tmp_path / "cache", cache_bytes=2 * MiB
    )
    data = os.urandom(3 * MiB)
    digest = _digest(data)
    assert store.write(digest, data)
    wire = Wire(store)
    wire.go.set()
    got: dict[int, bytes | BaseException] = {}
    _join([drain_in_thread(store.open_range(digest, 0, len(data) - 1).chunks(), got, n) for n in range(3)])
    assert [got[n] for n in range(3)] == [data] * 3
    assert len(wire.gets) == 3 and _cache(store).kept() == [] and _cache(store).held == 0
    assert list((tmp_path / "cache").iterdir()) == []
    store.close()
