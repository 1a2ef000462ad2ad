"""Several processes starting on one fresh SQLite file at once (a cluster's first start) all get a store: the
schema is created under one write lock, not checked and then created."""

from __future__ import annotations

import threading
from pathlib import Path

from acrlink.store.sqlite import SqliteStore

OPENERS = 8


def _open_at_once(path: Path) -> list[BaseException]:
    barrier = threading.Barrier(OPENERS)
    failures: list[BaseException] = []
    stores: list[SqliteStore] = []

    def opener() -> None:
        barrier.wait()
        try:
            stores.append(SqliteStore(path))
        except BaseException as error:  # noqa: BLE001 - the test reports it
            failures.append(error)

    threads = [threading.Thread(target=opener) for _ in range(OPENERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for store in stores:
        store.close()
    return failures


def test_stores_opened_at_once_on_a_fresh_file_all_open(tmp_path: Path) -> None:
    for attempt in range(5):
        assert _open_at_once(tmp_path / f"fresh{attempt}.db") == []
