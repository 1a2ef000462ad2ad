"""The change signal over the store's counters (``services/changes.py``): two store objects on one SQLite
file stand for two processes. A write through one is seen by the other's signal within a second, and by
the writer's own signal at once; the registry read cache of one follows a content write through the other."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from acrlink.domain.cloud import find_cloud
from acrlink.services.changes import CATCH_UP_SECONDS, POLL_SECONDS, ChangeSignal
from acrlink.services.content import Content
from acrlink.services.read_cache import ReadCache
from acrlink.services.registry import Registries
from acrlink.store.base import CONTENT, WORLD, Record, Store, StoreUnavailable, Transaction
from acrlink.store.blobs import FileBlobStore
from acrlink.store.sqlite import SqliteStore

INDEX = "application/vnd.oci.image.index.v1+json"
SEEN_WITHIN = 1.0
"""The issue's bound: a write on one process is seen by every other one within a second."""


@pytest.fixture
def two(tmp_path: Path) -> Iterator[tuple[SqliteStore, SqliteStore]]:
    first, second = SqliteStore(tmp_path / "shared.db"), SqliteStore(tmp_path / "shared.db")
    yield first, second
    first.close()
    second.close()


def _write(store: Store, name: str, *topics: str) -> None:
    with store.transaction() as tx:
        tx.put(Record(f"/x/{name}", "t", "", "", "", {"name": name}))
        for topic in topics:
            tx.changed(topic)


def _within(seconds: float, seen: Callable[[], bool]) -> bool:
    """Whether ``seen()`` becomes true before ``seconds`` pass (checked every 10 ms)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if seen():
            return True
        time.sleep(0.01)
    return seen()


def test_the_poll_interval_leaves_room_within_the_bound() -> None:
    assert POLL_SECONDS * 3 <= SEEN_WITHIN


def test_a_write_is_seen_by_the_writer_at_once(two: tuple[SqliteStore, SqliteStore]) -> None:
    first, _ = two
    signal = ChangeSignal(first)  # no poller: the commit itself moves it
    before = signal.version(WORLD)
    _write(first, "a", WORLD)
    assert signal.version(WORLD) == before + 1
    assert signal.version(CONTENT) == 0


def test_a_write_marking_nothing_moves_nothing(two: tuple[SqliteStore, SqliteStore]) -> None:
    first, _ = two
    signal = ChangeSignal(first)
    _write(first, "quiet")
    assert signal.stamp() == (0, 0)
    assert signal.poll() == set()


def test_a_rolled_back_write_moves_nothing(two: tuple[SqliteStore, SqliteStore]) -> None:
    first, second = two
    signal = ChangeSignal(second)
    with pytest.raises(RuntimeError), first.transaction() as tx:
        tx.changed(WORLD)
        raise RuntimeError("abandon")
    assert first.versions() == {} and signal.poll() == set()


def test_another_process_write_is_seen_within_a_second(two: tuple[SqliteStore, SqliteStore]) -> None:
    first, second = two
    other = ChangeSignal(second)
    told = threading.Event()
    other.subscribe(told.set)
    other.start()
    try:
        _write(first, "b", WORLD)
        assert told.wait(SEEN_WITHIN), "the other process's signal did not move within 1 s"
        assert other.version(WORLD) == first.versions()[WORLD]
    finally:
        other.stop()


def test_listeners_hear_only_their_topic(two: tuple[SqliteStore, SqliteStore]) -> None:
    first, _ = two
    signal = ChangeSignal(first)
    heard: list[str] = []
    signal.subscribe(lambda: heard.append(WORLD))
    signal.subscribe(lambda: heard.append(CONTENT), CONTENT)
    _write(first, "c", CONTENT)
    _write(first, "d", WORLD, CONTENT)
    assert heard == [CONTENT, WORLD, CONTENT]


def test_counters_never_move_back(two: tuple[SqliteStore, SqliteStore]) -> None:
    first, _ = two
    signal = ChangeSignal(first)
    _write(first, "e", WORLD)
    _write(first, "f", WORLD)
    signal._committed({WORLD: 1})  # a late report of the first commit
    assert signal.version(WORLD) == 2


def test_listeners_are_told_on_the_bound_loop(two: tuple[SqliteStore, SqliteStore]) -> None:
    first, _ = two
    signal = ChangeSignal(first)
    threads: list[int] = []

    async def main() -> int:
        signal.bind(asyncio.get_running_loop())
        done = asyncio.Event()
        signal.subscribe(lambda: (threads.append(threading.get_ident()), done.set()))
        writer = threading.Thread(target=_write, args=(first, "g", WORLD))
        writer.start()
        await asyncio.wait_for(done.wait(), 10)
        writer.join()
        return threading.get_ident()

    loop_thread = asyncio.run(main())
    assert threads == [loop_thread]


class _Flaky:
    """A store whose counters cannot be read while ``down`` is set (a server outage)."""

    def __init__(self, store: SqliteStore) -> None:
        self.store = store
        self.down = False

    def transaction(self) -> AbstractContextManager[Transaction]:
        return self.store.transaction()

    def snapshot(self) -> Store:
        return self.store.snapshot()

    def versions(self) -> dict[str, int]:
        if self.down:
            raise StoreUnavailable("connection refused")
        return self.store.versions()

    def watch(self, listener: Callable[[Mapping[str, int]], None]) -> None:
        self.store.watch(listener)

    def close(self) -> None:
        self.store.close()


def test_an_outage_is_logged_once_and_polling_goes_on(
    two: tuple[SqliteStore, SqliteStore], caplog: pytest.LogCaptureFixture
) -> None:
    first, second = two
    flaky = _Flaky(second)
    signal = ChangeSignal(flaky)
    flaky.down = True
    with caplog.at_level(logging.WARNING, logger="acrlink.changes"):
        for _ in range(3):
            signal.tick()
        _write(first, "h", WORLD)
        flaky.down = False
        signal.tick()
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == [
        "the change signal cannot read the store",
        "the change signal reads the store again",
    ]
    assert signal.version(WORLD) == 1


def _index(note: str) -> bytes:
    return json.dumps({"schemaVersion": 2, "mediaType": INDEX, "manifests": [], "annotations": {"n": note}}).encode()


def test_the_read_cache_follows_a_content_write_of_another_process(
    two: tuple[SqliteStore, SqliteStore], tmp_path: Path
) -> None:
    first, second = two
    blobs = FileBlobStore(tmp_path / "blobs")
    writer = Content(first, blobs)
    reader = Content(second, blobs)
    signal = ChangeSignal(second)
    cache = ReadCache(Registries(second, find_cloud("AzureChinaCloud")), reader, signal)
    writer.put_manifest("reg", "app", "v1", _index("one"), INDEX)
    signal.poll()
    assert cache.manifest("reg", "app", "v1").body == _index("one")

    writer.put_manifest("reg", "app", "v1", _index("two"), INDEX)
    assert cache.manifest("reg", "app", "v1").body == _index("one"), "served from memory until the signal moves"
    signal.start()
    try:
        assert _within(SEEN_WITHIN, lambda: cache.manifest("reg", "app", "v1").body == _index("two"))
    finally:
        signal.stop()


def test_the_read_cache_reads_its_own_writes_at_once(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "one.db")
    content = Content(store, FileBlobStore(tmp_path / "blobs"))
    cache = ReadCache(Registries(store, find_cloud("AzureChinaCloud")), content, ChangeSignal(store))
    content.put_manifest("reg", "app", "v1", _index("one"), INDEX)
    assert cache.manifest("reg", "app", "v1").body == _index("one")
    content.put_manifest("reg", "app", "v1", _index("two"), INDEX)
    assert cache.manifest("reg", "app", "v1").body == _index("two")
    store.close()


def _create_registry(store: Store, name: str) -> None:
    key = f"/subscriptions/s/resourcegroups/g/providers/microsoft.containerregistry/registries/{name}"
    body = {"id": key, "name": name, "location": "chinanorth2", "properties": {}}
    with store.transaction() as tx:
        tx.put(Record(key, "microsoft.containerregistry/registries", "", "", "", body))
        tx.changed(WORLD)


def test_a_remembered_miss_is_checked_again_once_another_process_created_the_registry(
    two: tuple[SqliteStore, SqliteStore], tmp_path: Path
) -> None:
    first, second = two
    signal = ChangeSignal(second)  # no poller: only catch_up can tell it of the other process's write
    cache = ReadCache(
        Registries(second, find_cloud("AzureChinaCloud")), Content(second, FileBlobStore(tmp_path)), signal
    )
    assert cache.resolve("fresh.azurecr.cn") is None
    _create_registry(first, "fresh")
    found = cache.resolve("fresh.azurecr.cn")
    assert found is not None and found.registry.name == "fresh"


def test_catch_up_reads_the_store_at_most_once_per_interval(two: tuple[SqliteStore, SqliteStore]) -> None:
    first, second = two
    signal = ChangeSignal(second)
    assert signal.catch_up() is False, "nothing moved"
    _write(first, "b", WORLD)
    assert signal.catch_up() is False, "read again too soon: the miss stays a miss"
    time.sleep(CATCH_UP_SECONDS)
    assert signal.catch_up() is True


def test_catch_up_on_an_unreadable_store_moves_nothing(two: tuple[SqliteStore, SqliteStore]) -> None:
    _, second = two
    signal = ChangeSignal(second)
    second.versions = lambda: (_ for _ in ()).throw(StoreUnavailable("down"))  # type: ignore[method-assign]
    assert signal.catch_up() is False
