"""The blob read cache on its own (a directory, no blob store): fills reserve their room, only a complete,
verified copy is kept, a copy dropped while it fills is not kept, two fills of one blob keep one copy."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from acrlink.domain.oci import Digest, parse_digest
from acrlink.store.blob_cache import BlobCache


def _digest(data: bytes) -> Digest:
    return parse_digest("sha256:" + hashlib.sha256(data).hexdigest())


def _fill(cache: BlobCache, data: bytes) -> bool:
    fill = cache.fill(_digest(data), len(data))
    assert fill is not None
    fill.write(data)
    return fill.keep()


def test_a_kept_copy_opens_and_reads_its_bytes(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path, 100)
    assert cache.open(_digest(b"abc")) is None
    assert _fill(cache, b"abc")
    copy = cache.open(_digest(b"abc"))
    assert copy is not None
    with copy:
        assert copy.read() == b"abc"
    assert cache.fill(_digest(b"abc"), 3) is None, "kept already: no second fill"
    assert cache.held == 3


def test_only_a_complete_copy_that_matches_its_digest_is_kept(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path, 100)
    short = cache.fill(_digest(b"abcdef"), 6)
    assert short is not None
    short.write(b"abc")
    assert not short.keep(), "fewer bytes than the blob has"
    wrong = cache.fill(_digest(b"abcdef"), 6)
    assert wrong is not None
    wrong.write(b"ABCDEF")
    assert not wrong.keep(), "bytes that are not the digest's"
    assert cache.kept() == [] and list(tmp_path.iterdir()) == [] and cache.held == 0
    assert _fill(cache, b"abcdef"), "the room of both is free again"


def test_fills_in_flight_count_against_the_bound(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path, 10)
    first = cache.fill(_digest(b"x" * 6), 6)
    assert first is not None
    assert cache.fill(_digest(b"y" * 6), 6) is None, "6 reserved + 6 > 10"
    first.discard()
    assert list(tmp_path.iterdir()) == []
    assert _fill(cache, b"y" * 6)
    assert cache.fill(_digest(b"z" * 11), 11) is None, "larger than the bound"


def test_a_copy_dropped_while_it_fills_is_not_kept(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path, 100)
    fill = cache.fill(_digest(b"gone"), 4)
    assert fill is not None
    fill.write(b"go")
    cache.drop(_digest(b"gone"))
    fill.write(b"ne")
    assert not fill.keep()
    assert cache.kept() == [] and list(tmp_path.iterdir()) == []
    assert _fill(cache, b"gone"), "a fill after the drop ended is kept"


def test_two_fills_of_one_blob_keep_one_copy(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path, 100)
    fills = [cache.fill(_digest(b"same"), 4) for _ in range(2)]
    for fill in fills:
        assert fill is not None
        fill.write(b"same")
    assert [fill.keep() for fill in fills if fill is not None] == [True, True], "the blob is cached either way"
    assert cache.kept() == ["sha256-" + _digest(b"same").encoded] and cache.held == 4
    assert [p.name for p in tmp_path.iterdir()] == cache.kept()


def test_a_discarded_or_kept_fill_is_settled_once(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path, 8)
    fill = cache.fill(_digest(b"once"), 4)
    assert fill is not None
    fill.write(b"once")
    assert fill.keep()
    fill.discard()
    assert not fill.keep()
    assert cache.held == 4 and _fill(cache, b"more"), "a settled fill gives back no room twice, takes none twice"
    assert cache.held == 8


def test_a_copy_removed_behind_the_cache_is_a_miss(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path, 100)
    assert _fill(cache, b"abc")
    (tmp_path / ("sha256-" + _digest(b"abc").encoded)).unlink()
    assert cache.open(_digest(b"abc")) is None and cache.held == 0


def test_the_bound_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        BlobCache(tmp_path, 0)
