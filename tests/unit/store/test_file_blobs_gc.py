"""The files blob store's conditional delete against a commit of the same digest on another process, each
interleaving played deterministically (two stores over one directory, the other one's step run inside ours)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from acrlink.domain.oci import Digest, parse_digest
from acrlink.store.blobs import FileBlobStore

DATA = b"a layer two processes push"
DIGEST = parse_digest("sha256:" + hashlib.sha256(DATA).hexdigest())


def _commit(blobs: FileBlobStore, key: str) -> bool:
    blobs.stage(key)
    writer = blobs.writer(key, 0)
    writer.write(DATA)
    writer.close()
    return blobs.commit(key, len(DATA), DIGEST)


def _read(blobs: FileBlobStore, digest: Digest = DIGEST) -> bytes:
    opened = blobs.open_range(digest, 0, len(DATA) - 1)
    try:
        return b"".join(opened.chunks())
    finally:
        opened.close()


def _version(blobs: FileBlobStore) -> str:
    (listed,) = list(blobs.stored())
    return listed.version


def _around_rename(monkeypatch: pytest.MonkeyPatch, before: Callable[[], Any], after: Callable[[], Any]) -> None:
    """Run the other process's step just before or just after the collector's rename (once)."""
    real = os.rename
    done: list[bool] = []

    def rename(src: Any, dst: Any) -> None:
        if not done:
            done.append(True)
            before()
            real(src, dst)
            after()
        else:
            real(src, dst)

    monkeypatch.setattr(os, "rename", rename)


@pytest.fixture
def stores(tmp_path: Path) -> tuple[FileBlobStore, FileBlobStore]:
    """The collector's store and another process's, over the same directory."""
    return FileBlobStore(tmp_path / "blobs"), FileBlobStore(tmp_path / "blobs")


def test_a_commit_just_before_the_rename_keeps_the_blob(
    stores: tuple[FileBlobStore, FileBlobStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    collector, other = stores
    assert _commit(other, "first.0")
    listed = _version(collector)
    _around_rename(monkeypatch, before=lambda: _commit(other, "again.0"), after=lambda: None)
    assert not collector.delete_if_unchanged(DIGEST, listed)
    assert _read(collector) == DATA
    assert list((collector._root / "_gc").iterdir()) == [], "the tombstone was linked back and dropped"


def test_a_commit_just_after_the_rename_stores_its_own_copy(
    stores: tuple[FileBlobStore, FileBlobStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    collector, other = stores
    assert _commit(other, "first.0")
    listed = _version(collector)
    committed: list[bool] = []
    _around_rename(monkeypatch, before=lambda: None, after=lambda: committed.append(_commit(other, "again.0")))
    assert collector.delete_if_unchanged(DIGEST, listed), "the copy listed is gone"
    assert committed == [True], "the digest path was free: the commit stored its verified copy"
    assert _read(collector) == DATA


def test_a_commit_that_found_the_blob_and_lost_it_before_its_touch_links_it_again(
    stores: tuple[FileBlobStore, FileBlobStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    collector, other = stores
    assert _commit(other, "first.0")
    listed = _version(collector)
    real_touch = other.touch
    deleted: list[bool] = []

    def touch(digest: Digest) -> bool:
        deleted.append(collector.delete_if_unchanged(digest, listed))  # between the commit's link and its touch
        return real_touch(digest)

    monkeypatch.setattr(other, "touch", touch)
    assert _commit(other, "again.0"), "stored again from the staged bytes"
    assert deleted == [True]
    assert _read(collector) == DATA


def test_a_commit_between_the_listing_and_the_delete_keeps_the_blob(
    stores: tuple[FileBlobStore, FileBlobStore],
) -> None:
    collector, other = stores
    assert _commit(other, "first.0")
    listed = _version(collector)
    assert not _commit(other, "again.0")
    assert not collector.delete_if_unchanged(DIGEST, listed)
    assert _read(collector) == DATA


def test_a_tombstone_a_dead_collector_left_is_put_back_by_the_next_listing(
    stores: tuple[FileBlobStore, FileBlobStore],
) -> None:
    collector, other = stores
    assert _commit(other, "first.0")
    root = collector._root
    (root / "_gc").mkdir()
    os.rename(root / "sha256" / DIGEST.encoded[:2] / DIGEST.encoded, root / "_gc" / f"sha256-{DIGEST.encoded}-dead")
    assert collector.size(DIGEST) is None
    assert [str(b.digest) for b in collector.stored()] == [str(DIGEST)]
    assert _read(collector) == DATA
    assert list((root / "_gc").iterdir()) == []


def test_files_that_are_not_blobs_are_not_listed(tmp_path: Path) -> None:
    blobs = FileBlobStore(tmp_path / "blobs")
    assert _commit(blobs, "a.0")
    (tmp_path / "blobs" / "sha256" / "zz").mkdir()
    (tmp_path / "blobs" / "sha256" / "zz" / "notahexdigest").write_bytes(b"x")
    misplaced = tmp_path / "blobs" / "sha256" / "00"
    misplaced.mkdir(exist_ok=True)
    (misplaced / ("f" * 64)).write_bytes(b"x")
    (tmp_path / "blobs" / "md5").mkdir()
    blobs.stage("pending.0")
    assert [str(b.digest) for b in blobs.stored()] == [str(DIGEST)]
