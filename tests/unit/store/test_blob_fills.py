"""Single-flight fills on their own (a cache directory and a scripted source, no blob store): concurrent reads
share one download, a reader that goes away ends only its own read, a failed download ends every tailing
reader with ``StoreUnavailable`` and keeps nothing, a refused disk write sends readers to the source for the
rest, bytes that are not the digest's are served and not kept, and the cache's bound still decides."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from acrlink.domain.oci import Digest, parse_digest
from acrlink.store.base import StoreUnavailable
from acrlink.store.blob_cache import BlobCache, Fill
from acrlink.store.blob_fills import READ_CHUNK, Fills
from tests.readers import drain_in_thread

MiB = 1 << 20


def _digest(data: bytes) -> Digest:
    return parse_digest("sha256:" + hashlib.sha256(data).hexdigest())


class Source:
    """The blob's bytes in ``READ_CHUNK`` pieces, as the service streams them: after the first chunk of the
    first stream, it waits for ``go``; ``fail_after`` chunks, it raises ``StoreUnavailable``. Counts its
    streams (the GETs a store would send)."""

    def __init__(self, data: bytes, fail_after: int | None = None) -> None:
        self.data, self.fail_after = data, fail_after
        self.go = threading.Event()
        self.streams: list[tuple[int, int]] = []
        self._lock = threading.Lock()

    def __call__(self, first: int, last: int) -> Iterator[bytes]:
        with self._lock:
            self.streams.append((first, last))
            gated = len(self.streams) == 1
        for index, start in enumerate(range(first, last + 1, READ_CHUNK)):
            if index == 1 and gated:
                assert self.go.wait(30), "the test never let the download go on"
            if self.fail_after is not None and index == self.fail_after:
                raise StoreUnavailable("the service broke the read off")
            yield self.data[start : min(start + READ_CHUNK, last + 1)]


def _files(root: Path) -> list[str]:
    return sorted(entry.name for entry in root.iterdir())


def test_concurrent_reads_share_one_download_and_get_identical_bytes(tmp_path: Path) -> None:
    data = os.urandom(5 * MiB + 3)
    digest, source = _digest(data), Source(data)
    fills = Fills(BlobCache(tmp_path, 64 * MiB))
    readers = [fills.read(digest, len(data), 0, len(data) - 1, source) for _ in range(6)]
    firsts = [next(reader) for reader in readers]  # every reader has joined the one running fill
    assert fills.running() == 1 and source.streams == [(0, len(data) - 1)]
    got: dict[int, bytes | BaseException] = {}
    threads = [drain_in_thread(reader, got, n) for n, reader in enumerate(readers)]
    source.go.set()
    for thread in threads:
        thread.join()
    assert [firsts[n] + got[n] for n in range(6)] == [data] * 6  # type: ignore[operator]
    assert source.streams == [(0, len(data) - 1)], "one download for all six"
    assert fills.running() == 0 and fills.cache.kept() == ["sha256-" + digest.encoded]
    later = b"".join(fills.read(digest, len(data), 7, 4 * MiB, source))
    assert later == data[7 : 4 * MiB + 1] and len(source.streams) == 1, "from the kept copy"


def test_ranges_not_at_zero_tail_the_running_fill(tmp_path: Path) -> None:
    data = os.urandom(4 * MiB)
    digest, source = _digest(data), Source(data)
    fills = Fills(BlobCache(tmp_path, 64 * MiB))
    whole = fills.read(digest, len(data), 0, len(data) - 1, source)
    head = next(whole)
    inside = fills.read(digest, len(data), 1000, 3 * MiB + 5, source)
    assert next(inside) == data[1000:READ_CHUNK], "what is written already"
    beyond = fills.read(digest, len(data), 3 * MiB, len(data) - 1, source)
    got: dict[int, bytes | BaseException] = {}
    threads = [drain_in_thread(whole, got, 0), drain_in_thread(inside, got, 1), drain_in_thread(beyond, got, 2)]
    source.go.set()
    for thread in threads:
        thread.join()
    assert head + got[0] == data  # type: ignore[operator]
    assert got[1] == data[READ_CHUNK : 3 * MiB + 6]
    assert got[2] == data[3 * MiB :]
    assert len(source.streams) == 1


def test_a_partial_read_with_no_fill_running_streams_alone_and_starts_none(tmp_path: Path) -> None:
    data = os.urandom(2 * MiB)
    source = Source(data)
    source.go.set()
    fills = Fills(BlobCache(tmp_path, 64 * MiB))
    assert b"".join(fills.read(_digest(data), len(data), 5, 10, source)) == data[5:11]
    assert source.streams == [(5, 10)] and fills.cache.kept() == [] and _files(tmp_path) == []


def test_a_reader_that_goes_away_ends_only_its_own_read(tmp_path: Path) -> None:
    data = os.urandom(3 * MiB)
    digest, source = _digest(data), Source(data)
    fills = Fills(BlobCache(tmp_path, 64 * MiB))
    leaving = fills.read(digest, len(data), 0, len(data) - 1, source)
    staying = fills.read(digest, len(data), 0, len(data) - 1, source)
    next(leaving)
    head = next(staying)
    leaving.close()  # the client disconnected
    source.go.set()
    assert head + b"".join(staying) == data
    assert fills.cache.kept() == ["sha256-" + digest.encoded] and len(source.streams) == 1


def test_a_download_that_fails_ends_every_tailing_reader_and_keeps_nothing(tmp_path: Path) -> None:
    data = os.urandom(4 * MiB)
    digest, source = _digest(data), Source(data, fail_after=2)
    fills = Fills(BlobCache(tmp_path, len(data)))
    readers = [fills.read(digest, len(data), first, len(data) - 1, source) for first in (0, 0, 10)]
    for reader in readers:
        next(reader)
    got: dict[int, bytes | BaseException] = {}
    threads = [drain_in_thread(reader, got, n) for n, reader in enumerate(readers)]
    source.go.set()
    for thread in threads:
        thread.join()
    assert all(isinstance(got[n], StoreUnavailable) for n in range(3)), got
    assert fills.running() == 0 and fills.cache.kept() == [] and _files(tmp_path) == []
    retry = Source(data)
    retry.go.set()
    assert b"".join(fills.read(digest, len(data), 0, len(data) - 1, retry)) == data, "the next read starts anew"
    assert fills.cache.kept() == ["sha256-" + digest.encoded], "with the whole bound free again"


def test_a_reader_behind_a_failed_download_ends_at_its_next_chunk(tmp_path: Path) -> None:
    data = os.urandom(4 * MiB)
    digest, source = _digest(data), Source(data, fail_after=3)
    fills = Fills(BlobCache(tmp_path, 64 * MiB))
    behind = fills.read(digest, len(data), 0, len(data) - 1, source)
    ahead = fills.read(digest, len(data), 0, len(data) - 1, source)
    next(behind)
    next(ahead)
    source.go.set()
    with pytest.raises(StoreUnavailable):
        b"".join(ahead)  # ends once the failure is known: 3 MiB written, 2 of them unread by ``behind``
    with pytest.raises(StoreUnavailable):
        next(behind)
    assert fills.cache.kept() == [] and _files(tmp_path) == []


def test_a_failure_after_every_byte_still_fails_the_last_chunk(tmp_path: Path) -> None:
    """A reader at the blob's last byte waits for the fill's end: a download that fails then is no success."""
    data = os.urandom(2 * MiB)
    digest = _digest(data)

    def source(first: int, last: int) -> Iterator[bytes]:
        yield data[first : last + 1]
        raise StoreUnavailable("broken after the last byte")

    fills = Fills(BlobCache(tmp_path, 64 * MiB))
    with pytest.raises(StoreUnavailable):
        b"".join(fills.read(digest, len(data), 0, len(data) - 1, source))
    assert fills.cache.kept() == [] and _files(tmp_path) == []


def test_a_refused_disk_write_sends_the_readers_to_the_source_for_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = os.urandom(4 * MiB)
    digest, source = _digest(data), Source(data)
    real_write = Fill.write

    def write(fill: Fill, chunk: bytes | memoryview) -> bool:
        if fill._written >= 2 * MiB:  # the disk is full from here on
            fill.discard()
            return False
        return real_write(fill, chunk)

    monkeypatch.setattr(Fill, "write", write)
    fills = Fills(BlobCache(tmp_path, 64 * MiB))
    readers = [fills.read(digest, len(data), first, len(data) - 1, source) for first in (0, 0, 100)]
    heads = [next(reader) for reader in readers]
    source.go.set()
    got = [head + b"".join(reader) for head, reader in zip(heads, readers, strict=True)]
    assert got == [data, data, data[100:]]
    assert source.streams[0] == (0, len(data) - 1)
    assert sorted(source.streams[1:]) == [(2 * MiB, len(data) - 1)] * 3, "each reader streams what was not written"
    assert fills.cache.kept() == [] and _files(tmp_path) == []


def test_bytes_that_are_not_the_digests_are_served_and_not_kept(tmp_path: Path) -> None:
    data = os.urandom(2 * MiB)
    source = Source(data)
    source.go.set()
    fills = Fills(BlobCache(tmp_path, 64 * MiB))
    wrong = _digest(b"something else")
    assert b"".join(fills.read(wrong, len(data), 0, len(data) - 1, source)) == data
    assert fills.cache.kept() == [] and _files(tmp_path) == []


def test_a_blob_that_does_not_fit_streams_for_each_reader_and_the_bound_holds(tmp_path: Path) -> None:
    big, small = os.urandom(3 * MiB), os.urandom(2 * MiB)
    fills = Fills(BlobCache(tmp_path, 4 * MiB))
    big_source, small_source = Source(big), Source(small)
    small_source.go.set()
    filling = fills.read(_digest(big), len(big), 0, len(big) - 1, big_source)
    head = next(filling)  # 3 MiB reserved by the running fill
    assert b"".join(fills.read(_digest(small), len(small), 0, len(small) - 1, small_source)) == small
    assert b"".join(fills.read(_digest(small), len(small), 0, len(small) - 1, small_source)) == small
    assert len(small_source.streams) == 2, "no room next to the running fill: each read streams alone"
    big_source.go.set()
    assert head + b"".join(filling) == big
    assert fills.cache.kept() == ["sha256-" + _digest(big).encoded] and fills.cache.held <= 4 * MiB


def test_a_fill_whose_thread_cannot_start_leaves_the_read_to_stream_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = os.urandom(2 * MiB)
    source = Source(data)
    source.go.set()

    def refuse(thread: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    fills = Fills(BlobCache(tmp_path, len(data)))
    assert b"".join(fills.read(_digest(data), len(data), 0, len(data) - 1, source)) == data
    assert source.streams == [(0, len(data) - 1)] and fills.running() == 0
    assert fills.cache.kept() == [] and _files(tmp_path) == []
    monkeypatch.undo()
    assert b"".join(fills.read(_digest(data), len(data), 0, len(data) - 1, source)) == data
    assert fills.cache.kept() == ["sha256-" + _digest(data).encoded], "its room was given back"
