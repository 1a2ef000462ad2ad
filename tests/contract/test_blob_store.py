"""The blob store contract (acrlink.store.base.BlobStore), run against every backend: files and Azure Blob
Storage (a real Azurite). Byte operations by key, commits that never replace, ranges read back exactly."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from acrlink.domain.oci import Digest, parse_digest
from acrlink.store.azure_blobs import AzureBlobStore
from acrlink.store.base import BlobStore
from acrlink.store.blobs import FileBlobStore

MiB = 1 << 20


def _digest(data: bytes) -> Digest:
    return parse_digest("sha256:" + hashlib.sha256(data).hexdigest())


@pytest.fixture(params=["files", "azurite", "azurite-cached"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    store: BlobStore
    if request.param == "files":
        store = FileBlobStore(tmp_path / "blobs")
    else:
        container = request.getfixturevalue("azurite_container")
        cache = {"cache_dir": tmp_path / "cache", "cache_bytes": 64 * MiB} if request.param == "azurite-cached" else {}
        store = AzureBlobStore(container.connection_string, container.name, **cache)  # type: ignore[arg-type]
    yield store
    store.close()


def test_only_a_store_behind_a_network_blocks(blobs: BlobStore) -> None:
    assert blobs.blocking is isinstance(blobs, AzureBlobStore), "the event loop calls files directly"


def _staged(blobs: BlobStore, key: str, *parts: bytes) -> None:
    """Stage ``key`` and write ``parts`` into it, one writer (one request) per part."""
    blobs.stage(key)
    offset = 0
    for part in parts:
        writer = blobs.writer(key, offset)
        writer.write(part)
        writer.close()
        offset = writer.offset


def _read(blobs: BlobStore, digest: Digest, first: int, last: int) -> bytes:
    opened = blobs.open_range(digest, first, last)
    try:
        assert (opened.first, opened.last) == (first, last)
        if opened.file is not None:
            opened.file.seek(first)
            return opened.file.read(last - first + 1)
        return b"".join(opened.chunks())
    finally:
        opened.close()


def test_writes_go_at_explicit_offsets_not_at_the_end(blobs: BlobStore) -> None:
    blobs.stage("u.0")
    with pytest.raises(FileExistsError):
        blobs.stage("u.0")
    writer = blobs.writer("u.0", 0)
    writer.write(b"hello world")
    writer.close()
    writer = blobs.writer("u.0", 5)
    writer.write(b"!")
    assert writer.offset == 6
    writer.close()
    assert b"".join(blobs.read_staged("u.0", 6)) == b"hello!", "bytes after the offset are dropped first"
    writer = blobs.writer("u.0", 6)
    writer.write(b"junk")
    writer.rewind()
    assert writer.offset == 6
    writer.close()
    with pytest.raises(ValueError):
        b"".join(blobs.read_staged("u.0", 7))


def test_a_writer_needs_a_staged_key(blobs: BlobStore) -> None:
    with pytest.raises(FileNotFoundError):
        blobs.writer("never.0", 0)
    with pytest.raises(FileNotFoundError):
        b"".join(blobs.read_staged("never.0", 1))
    blobs.stage("empty.0")
    with pytest.raises(ValueError):
        b"".join(blobs.read_staged("empty.0", 1))
    assert b"".join(blobs.read_staged("empty.0", 0)) == b""


def test_read_staged_after_close_gives_every_byte_written(blobs: BlobStore) -> None:
    data = os.urandom(9 * MiB + 5)
    pieces = [data[i : i + 64 * 1024] for i in range(0, len(data), 64 * 1024)]
    blobs.stage("big.0")
    writer = blobs.writer("big.0", 0)
    for piece in pieces:
        writer.write(piece)
    assert writer.offset == len(data)
    writer.close()
    assert b"".join(blobs.read_staged("big.0", len(data))) == data
    assert b"".join(blobs.read_staged("big.0", 1000)) == data[:1000], "a prefix reads as such"
    assert b"".join(blobs.read_staged("big.0", 0)) == b""
    with pytest.raises(ValueError):
        b"".join(blobs.read_staged("big.0", len(data) + 1))


@pytest.mark.parametrize("cut", [0, 4 * MiB, 4 * MiB + 10, 9 * MiB + 4, 9 * MiB + 5])
def test_a_writer_reopened_at_a_lower_offset_keeps_exactly_the_bytes_before_it(blobs: BlobStore, cut: int) -> None:
    data = os.urandom(9 * MiB + 5)
    _staged(blobs, "r.0", data)
    writer = blobs.writer("r.0", cut)
    assert (writer.start, writer.offset) == (cut, cut)
    writer.write(b"tail")
    writer.close()
    expected = data[:cut] + b"tail"
    assert b"".join(blobs.read_staged("r.0", len(expected))) == expected
    with pytest.raises(ValueError):
        b"".join(blobs.read_staged("r.0", len(expected) + 1))


def test_a_rewound_writer_at_a_lower_offset_still_drops_what_follows(blobs: BlobStore) -> None:
    _staged(blobs, "w.0", b"0123456789")
    writer = blobs.writer("w.0", 4)
    writer.write(b"XYZ")
    writer.rewind()
    writer.close()
    assert b"".join(blobs.read_staged("w.0", 4)) == b"0123"
    with pytest.raises(ValueError):
        b"".join(blobs.read_staged("w.0", 5))


def test_many_small_requests_add_up(blobs: BlobStore) -> None:
    parts = [bytes([i]) * (100 + i) for i in range(40)]
    _staged(blobs, "s.0", *parts)
    data = b"".join(parts)
    assert b"".join(blobs.read_staged("s.0", len(data))) == data
    digest = _digest(data)
    assert blobs.commit("s.0", len(data), digest)
    assert _read(blobs, digest, 0, len(data) - 1) == data


def test_commit_stores_exactly_length_bytes_and_never_replaces(blobs: BlobStore) -> None:
    good = b"verified bytes"
    digest = _digest(good)
    _staged(blobs, "a.0", good + b"trailing")
    assert blobs.commit("a.0", len(good), digest)
    assert blobs.size(digest) == len(good)
    _staged(blobs, "b.0", b"EVIL" * 4)
    assert not blobs.commit("b.0", len(good), digest), "an existing blob is kept"
    assert _read(blobs, digest, 0, len(good) - 1) == good
    with pytest.raises(FileNotFoundError):
        b"".join(blobs.read_staged("b.0", 1))


def test_a_commit_never_replaces_a_blob_stored_by_a_direct_write(blobs: BlobStore) -> None:
    data = b'{"schemaVersion": 2}'
    digest = _digest(data)
    assert blobs.write(digest, data)
    _staged(blobs, "c.0", b"X" * len(data))
    assert not blobs.commit("c.0", len(data), digest)
    assert _read(blobs, digest, 0, len(data) - 1) == data
    with pytest.raises(FileNotFoundError):
        blobs.writer("c.0", 0)


def test_commit_refuses_more_bytes_than_staged_and_keeps_them(blobs: BlobStore) -> None:
    _staged(blobs, "short.0", b"abc")
    digest = _digest(b"abcd")
    with pytest.raises(ValueError):
        blobs.commit("short.0", 4, digest)
    assert blobs.size(digest) is None
    assert b"".join(blobs.read_staged("short.0", 3)) == b"abc"
    with pytest.raises(FileNotFoundError):
        blobs.commit("absent.0", 0, _digest(b""))


def test_an_empty_blob_commits(blobs: BlobStore) -> None:
    digest = _digest(b"")
    blobs.stage("e.0")
    assert blobs.commit("e.0", 0, digest)
    assert blobs.size(digest) == 0


def test_a_large_commit_reads_back_in_every_range(blobs: BlobStore) -> None:
    data = os.urandom(9 * MiB + 5)
    digest = _digest(data)
    _staged(blobs, "l.0", data[: 3 * MiB], data[3 * MiB :])
    assert blobs.commit("l.0", len(data), digest)
    assert blobs.size(digest) == len(data)
    assert _read(blobs, digest, 0, len(data) - 1) == data, "the whole blob"
    middle = (4 * MiB - 7, 8 * MiB + 3)
    assert _read(blobs, digest, *middle) == data[middle[0] : middle[1] + 1], "a middle range across chunks"
    assert _read(blobs, digest, len(data) - 1, len(data) - 1) == data[-1:], "the last byte"
    assert _read(blobs, digest, 0, 0) == data[:1], "the first byte"


def test_open_range_of_an_absent_blob_is_file_not_found(blobs: BlobStore) -> None:
    with pytest.raises(FileNotFoundError):
        blobs.open_range(_digest(b"absent"), 0, 0)
    assert blobs.size(_digest(b"absent")) is None


def test_delete_removes_a_stored_blob_once(blobs: BlobStore) -> None:
    data = b"to be collected"
    digest = _digest(data)
    assert blobs.write(digest, data)
    assert blobs.delete(digest)
    assert blobs.size(digest) is None
    with pytest.raises(FileNotFoundError):
        blobs.open_range(digest, 0, 0)
    assert not blobs.delete(digest)
    assert blobs.write(digest, data), "a deleted digest can be stored again"


def test_direct_writes_are_verified(blobs: BlobStore) -> None:
    data = b"{}"
    digest = _digest(data)
    with pytest.raises(ValueError):
        blobs.write(digest, b"not it")
    assert blobs.size(digest) is None
    assert blobs.write(digest, data)
    assert not blobs.write(digest, data)
    assert _read(blobs, digest, 0, 1) == data


def test_keys_cannot_leave_the_staging_area(blobs: BlobStore) -> None:
    for key in ("../x", ".hidden", "", "a/b"):
        with pytest.raises(ValueError):
            blobs.stage(key)
        with pytest.raises(ValueError):
            blobs.writer(key, 0)


def test_drop_staged_forgets_a_key_and_tolerates_an_absent_one(blobs: BlobStore) -> None:
    _staged(blobs, "d.0", b"bytes")
    blobs.drop_staged("d.0")
    blobs.drop_staged("d.0")
    with pytest.raises(FileNotFoundError):
        blobs.writer("d.0", 0)
    blobs.stage("d.0")


def test_sweep_drops_only_old_staged_objects(blobs: BlobStore) -> None:
    stored = b"a stored blob is not staged"
    assert blobs.write(_digest(stored), stored)
    _staged(blobs, "fresh.0", b"some bytes")
    blobs.stage("fresh.1")
    assert blobs.sweep_staged(3600) == []
    assert sorted(blobs.sweep_staged(-1)) == ["fresh.0", "fresh.1"]
    with pytest.raises(FileNotFoundError):
        blobs.writer("fresh.0", 0)
    assert blobs.size(_digest(stored)) == len(stored), "sweeping never touches stored blobs"
    assert blobs.sweep_staged(-1) == []


# Garbage collection: listing, touching, conditional deletes ---------------------------------------------


def _commit(blobs: BlobStore, key: str, data: bytes) -> bool:
    blobs.stage(key)
    writer = blobs.writer(key, 0)
    writer.write(data)
    writer.close()
    return blobs.commit(key, len(data), _digest(data))


def _listed(blobs: BlobStore) -> dict[str, tuple[int, float, str]]:
    return {str(b.digest): (b.size, b.modified, b.version) for b in blobs.stored()}


def test_stored_lists_committed_blobs_not_staged_uploads(blobs: BlobStore) -> None:
    import time

    started = time.time()
    assert _listed(blobs) == {}
    assert _commit(blobs, "a.0", b"first blob")
    assert blobs.write(_digest(b"{}"), b"{}")
    blobs.stage("pending.0")
    listed = _listed(blobs)
    assert set(listed) == {str(_digest(b"first blob")), str(_digest(b"{}"))}
    size, modified, _ = listed[str(_digest(b"first blob"))]
    assert size == len(b"first blob")
    assert started - 2 <= modified <= time.time() + 2, "modified is epoch seconds"


def test_committing_an_existing_digest_touches_it(blobs: BlobStore) -> None:
    data = b"shared layer"
    assert _commit(blobs, "a.0", data)
    (_, modified, version) = _listed(blobs)[str(_digest(data))]
    assert not _commit(blobs, "b.0", data), "already stored"
    (_, again, touched) = _listed(blobs)[str(_digest(data))]
    assert touched != version and again >= modified
    assert not blobs.write(_digest(data), data)
    assert _listed(blobs)[str(_digest(data))][2] != touched, "a direct write of a stored digest touches it too"


def test_touch_changes_the_version_and_only_of_stored_blobs(blobs: BlobStore) -> None:
    data = b"touched"
    digest = _digest(data)
    assert not blobs.touch(digest)
    assert _commit(blobs, "a.0", data)
    versions = {_listed(blobs)[str(digest)][2]}
    for _ in range(3):
        assert blobs.touch(digest)
        versions.add(_listed(blobs)[str(digest)][2])
    assert len(versions) == 4, "every touch is a new version, however quickly they follow"
    opened = blobs.open_range(digest, 0, len(data) - 1)
    assert b"".join(opened.chunks()) == data, "a touch leaves the bytes alone"
    opened.close()


def test_delete_if_unchanged_removes_only_the_version_listed(blobs: BlobStore) -> None:
    data = b"candidate"
    digest = _digest(data)
    assert _commit(blobs, "a.0", data)
    (_, _, listed) = _listed(blobs)[str(digest)]
    assert blobs.touch(digest), "a push on another process commits the same digest"
    assert not blobs.delete_if_unchanged(digest, listed), "touched after the listing: kept"
    assert blobs.size(digest) == len(data)
    (_, _, current) = _listed(blobs)[str(digest)]
    assert blobs.delete_if_unchanged(digest, current)
    assert blobs.size(digest) is None and _listed(blobs) == {}
    assert not blobs.delete_if_unchanged(digest, current), "nothing left to delete"
    assert _commit(blobs, "b.0", data), "a commit after the delete stores it again"
    opened = blobs.open_range(digest, 0, len(data) - 1)
    assert b"".join(opened.chunks()) == data
    opened.close()


def test_a_range_opened_before_a_touch_reads_whole(blobs: BlobStore) -> None:
    """A pull is not pinned to a version: a touch (a push of the same digest, a collection's listing) before or
    during the read leaves it whole."""
    data = os.urandom(3 * MiB + 7)
    digest = _digest(data)
    assert _commit(blobs, "t.0", data)
    for _ in range(2):  # with a read cache: the filling read, then the cached one
        opened = blobs.open_range(digest, 0, len(data) - 1)
        assert blobs.touch(digest)
        chunks = opened.chunks()
        first = next(chunks)
        assert blobs.touch(digest)
        assert not _commit(blobs, "t.1", data)
        assert first + b"".join(chunks) == data
        opened.close()
