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
