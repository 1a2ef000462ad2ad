"""The blob store contract (acrlink.store.blobs): byte operations by key, commits that never replace."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from acrlink.domain.oci import parse_digest
from acrlink.store.blobs import FileBlobStore as BlobStore


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@pytest.fixture
def blobs(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "blobs")


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
    writer.close()
    with pytest.raises(ValueError):
        b"".join(blobs.read_staged("u.0", 7))


def test_commit_stores_exactly_length_bytes_and_never_replaces(blobs: BlobStore) -> None:
    good = b"verified bytes"
    digest = parse_digest(_digest(good))
    blobs.stage("a.0")
    writer = blobs.writer("a.0", 0)
    writer.write(good + b"trailing")
    writer.close()
    assert blobs.commit("a.0", len(good), digest)
    assert blobs.size(digest) == len(good)
    blobs.stage("b.0")
    writer = blobs.writer("b.0", 0)
    writer.write(b"EVIL" * 4)
    writer.close()
    assert not blobs.commit("b.0", len(good), digest), "an existing blob is kept"
    opened = blobs.open_range(digest, 0, len(good) - 1)
    assert b"".join(opened.chunks()) == good
    opened.close()
    with pytest.raises(FileNotFoundError):
        b"".join(blobs.read_staged("b.0", 1))


def test_direct_writes_are_verified(blobs: BlobStore) -> None:
    data = b"{}"
    digest = parse_digest(_digest(data))
    with pytest.raises(ValueError):
        blobs.write(digest, b"not it")
    assert blobs.size(digest) is None
    assert blobs.write(digest, data)
    assert not blobs.write(digest, data)
    with pytest.raises(FileNotFoundError):
        blobs.open_range(parse_digest(_digest(b"absent")), 0, 0)


def test_keys_cannot_leave_the_staging_area(blobs: BlobStore) -> None:
    for key in ("../x", ".hidden", "", "a/b"):
        with pytest.raises(ValueError):
            blobs.stage(key)


def test_sweep_drops_only_old_staged_objects(blobs: BlobStore) -> None:
    blobs.stage("fresh.0")
    assert blobs.sweep_staged(3600) == []
    assert blobs.sweep_staged(-1) == ["fresh.0"]


# Garbage collection: listing, touching, conditional deletes ---------------------------------------------


def _commit(blobs: BlobStore, key: str, data: bytes) -> bool:
    blobs.stage(key)
    writer = blobs.writer(key, 0)
    writer.write(data)
    writer.close()
    return blobs.commit(key, len(data), parse_digest(_digest(data)))


def _listed(blobs: BlobStore) -> dict[str, tuple[int, float, str]]:
    return {str(b.digest): (b.size, b.modified, b.version) for b in blobs.stored()}


def test_stored_lists_committed_blobs_not_staged_uploads(blobs: BlobStore) -> None:
    import time

    started = time.time()
    assert _listed(blobs) == {}
    assert _commit(blobs, "a.0", b"first blob")
    assert blobs.write(parse_digest(_digest(b"{}")), b"{}")
    blobs.stage("pending.0")
    listed = _listed(blobs)
    assert set(listed) == {_digest(b"first blob"), _digest(b"{}")}
    size, modified, _ = listed[_digest(b"first blob")]
    assert size == len(b"first blob")
    assert started - 2 <= modified <= time.time() + 2, "modified is epoch seconds"


def test_committing_an_existing_digest_touches_it(blobs: BlobStore) -> None:
    data = b"shared layer"
    assert _commit(blobs, "a.0", data)
    (_, modified, version) = _listed(blobs)[_digest(data)]
    assert not _commit(blobs, "b.0", data), "already stored"
    (_, again, touched) = _listed(blobs)[_digest(data)]
    assert touched != version and again >= modified
    assert not blobs.write(parse_digest(_digest(data)), data)
    assert _listed(blobs)[_digest(data)][2] != touched, "a direct write of a stored digest touches it too"


def test_touch_changes_the_version_and_only_of_stored_blobs(blobs: BlobStore) -> None:
    data = b"touched"
    digest = parse_digest(_digest(data))
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
    digest = parse_digest(_digest(data))
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
