"""What only the PostgreSQL store has to get right: outages (the server stopped, restarted, connections dropped
under it), bad input the server refuses, and several stores opening one database at once. The contract it shares
with SQLite is in test_store.py and test_content_store.py."""

from __future__ import annotations

import base64
import random
import threading
import time
from collections.abc import Iterator

import psycopg
import pytest

from acrlink.store.base import WORLD, Record, StoreUnavailable
from acrlink.store.content import ContentTx
from acrlink.store.postgres import CONNECT_TIMEOUT, PostgresStore, engine_url
from acrlink.store.urls import open_store
from tests.servers.postgres import PostgresServer

HANG_GUARD = 10 * CONNECT_TIMEOUT
"""Not a speed claim: a call that takes this long while the server is down is one that hangs."""


@pytest.fixture
def store(postgres_url: str) -> Iterator[PostgresStore]:
    opened = PostgresStore(postgres_url)
    yield opened
    opened.close()


def _record(key: str) -> Record:
    return Record(key, "t", "sub1", "rg", "", {"k": key})


def _refused_quickly(call: object) -> StoreUnavailable:
    """The ``StoreUnavailable`` a call raises, checking it did not hang to get there."""
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as raised:
        call()  # type: ignore[operator]
    assert time.monotonic() - started < HANG_GUARD, "the call hung while the server was down"
    return raised.value


def _write(store: PostgresStore, key: str) -> None:
    with store.transaction() as tx:
        tx.put(_record(key))
        tx.changed(WORLD)


def test_every_operation_is_unavailable_while_the_server_is_down(
    store: PostgresStore, postgres_server: PostgresServer
) -> None:
    _write(store, "/before")
    assert store.versions() == {WORLD: 1}
    postgres_server.stop()
    try:
        _refused_quickly(lambda: _write(store, "/during"))
        _refused_quickly(store.versions)
        _refused_quickly(store.snapshot)
        outage = _refused_quickly(lambda: _write(store, "/during"))
        assert outage.retry_after >= 1
        assert "cannot be reached" in str(outage)
    finally:
        postgres_server.start()
    with store.transaction() as tx:
        assert [r.key for r in tx.query()] == ["/before"]
    _write(store, "/after")
    assert store.versions() == {WORLD: 2}


def test_the_first_transaction_after_a_restart_works(store: PostgresStore, postgres_server: PostgresServer) -> None:
    """Connections pooled before the restart are dead; none of them reaches the caller."""
    _write(store, "/a")
    ready = threading.Barrier(2)

    def hold() -> None:  # a second pooled connection: versions() while a transaction is open
        ready.wait()
        store.versions()
        ready.wait()

    helper = threading.Thread(target=hold)
    helper.start()
    with store.transaction() as tx:
        ready.wait()
        ready.wait()
        tx.get("/a")
    helper.join()
    postgres_server.stop()
    postgres_server.start()
    with store.transaction() as tx:
        assert tx.get("/a") is not None
    assert store.versions() == {WORLD: 1}
    copy = store.snapshot()
    copy.close()


def test_a_connection_the_server_ends_is_replaced(store: PostgresStore, postgres_server: PostgresServer) -> None:
    _write(store, "/a")
    with psycopg.connect(postgres_server.url("postgres"), autocommit=True) as admin:
        ended = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'acrlink'"
        ).fetchone()
    assert ended is not None and ended[0] >= 1
    with store.transaction() as tx:
        assert tx.get("/a") is not None


def test_a_transaction_the_outage_interrupts_leaves_nothing(
    store: PostgresStore, postgres_server: PostgresServer
) -> None:
    written, resume = threading.Event(), threading.Event()
    outcome: list[BaseException] = []

    def interrupted() -> None:
        try:
            with store.transaction() as tx:
                tx.put(_record("/half"))
                tx.kv_put("half", 1)
                tx.content.link_blob("reg", "repo", "sha256:" + "1" * 64, 5)
                tx.changed(WORLD)
                written.set()
                resume.wait()
                tx.put(_record("/second-half"))
        except BaseException as error:  # noqa: BLE001 - the test looks at what it was
            outcome.append(error)

    worker = threading.Thread(target=interrupted)
    worker.start()
    assert written.wait(HANG_GUARD)
    postgres_server.stop()
    resume.set()
    worker.join()
    postgres_server.start()
    assert len(outcome) == 1 and isinstance(outcome[0], StoreUnavailable), outcome
    with store.transaction() as tx:
        assert tx.query() == []
        assert tx.kv_get("half") is None
        assert ContentTx(tx).blob_size("reg", "repo", "sha256:" + "1" * 64) is None
    assert store.versions() == {}


def test_a_transaction_that_cannot_commit_is_unavailable_and_leaves_nothing(
    store: PostgresStore, postgres_server: PostgresServer
) -> None:
    """The server goes away between the last statement and COMMIT."""
    with pytest.raises(StoreUnavailable), store.transaction() as tx:
        tx.put(_record("/uncommitted"))
        tx.changed(WORLD)
        postgres_server.stop()
    postgres_server.start()
    with store.transaction() as tx:
        assert tx.get("/uncommitted") is None
    assert store.versions() == {}


def test_text_postgresql_cannot_hold_is_looked_up_as_absent_and_refused_on_write(store: PostgresStore) -> None:
    with store.transaction() as tx:
        assert tx.get("/a\x00b") is None
        assert tx.delete("/a\x00b") is False
        assert tx.kv_get("k\x00") is None
        assert tx.kv_delete("k\x00") is False
        assert list(tx.kv_items("k\x00")) == []
        assert tx.query(type="t\x00") == []
        assert tx.count(parent="\x00") == 0
    with pytest.raises(ValueError), store.transaction() as tx:
        tx.put(_record("/a\x00b"))
    with pytest.raises(ValueError), store.transaction() as tx:
        tx.kv_put("k\x00", 1)
    with store.transaction() as tx:
        tx.put(Record("/nul-in-body", "t", "s", "g", "", {"v": "a\x00b"}))
    with store.transaction() as tx:
        found = tx.get("/nul-in-body")
        assert found is not None and found.body == {"v": "a\x00b"}


def test_a_refused_write_is_its_error_not_an_outage(store: PostgresStore) -> None:
    """A key longer than an index entry may be: the server's refusal, and the store works on."""
    with pytest.raises(psycopg.errors.ProgramLimitExceeded), store.transaction() as tx:
        tx.put(_record("/" + base64.b64encode(random.randbytes(8000)).decode()))
    _write(store, "/fine")
    with store.transaction() as tx:
        assert [r.key for r in tx.query()] == ["/fine"]


def test_a_nested_transaction_on_one_thread_is_refused(store: PostgresStore) -> None:
    with store.transaction(), pytest.raises(RuntimeError), store.transaction():
        pass
    _write(store, "/after")


def test_stores_opened_together_on_a_new_database_all_open(postgres_url: str) -> None:
    """Processes starting together create the schema once between them."""
    opened: list[PostgresStore] = []
    failed: list[BaseException] = []
    start = threading.Barrier(4)

    def open_one() -> None:
        start.wait()
        try:
            opened.append(PostgresStore(postgres_url))
        except BaseException as error:  # noqa: BLE001 - reported below
            failed.append(error)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert failed == []
        _write(opened[0], "/a")
        with opened[3].transaction() as tx:
            assert tx.get("/a") is not None
    finally:
        for store in opened:
            store.close()


def test_a_transaction_waits_for_one_another_store_holds(postgres_url: str) -> None:
    """Two stores on one database: the second store's transaction starts only when the first one's ends."""
    first, second = PostgresStore(postgres_url), PostgresStore(postgres_url)
    order: list[str] = []
    inside = threading.Event()

    def other() -> None:
        inside.wait()
        with second.transaction() as tx:
            order.append("second began")
            tx.kv_put("k", "second")

    waiter = threading.Thread(target=other)
    waiter.start()
    try:
        with first.transaction() as tx:
            tx.kv_put("k", "first")
            inside.set()
            # The other store is blocked on its turn: it cannot have begun while this one is open.
            for _ in range(20):
                time.sleep(0.01)
                assert order == []
            order.append("first ends")
        waiter.join()
        assert order == ["first ends", "second began"]
        with first.transaction() as tx:
            assert tx.kv_get("k") == "second"
    finally:
        second.close()
        first.close()


def test_store_urls_open_it_and_keep_their_own_connection_options(postgres_url: str) -> None:
    """``--store`` takes ``postgresql://`` and ``postgres://``; libpq options in the URL are kept beside the
    store's own session settings."""
    assert engine_url(postgres_url).startswith("postgresql+psycopg://")
    with_options = postgres_url.replace("postgresql://", "postgres://") + "?options=-c%20statement_timeout%3D4321"
    store = open_store(with_options)
    try:
        assert isinstance(store, PostgresStore)
        with store.transaction() as tx:
            settings = tx.connection.exec_driver_sql(
                "SELECT current_setting('statement_timeout'), current_setting('idle_in_transaction_session_timeout')"
            ).one()
        assert tuple(settings) == ("4321ms", "1min")
    finally:
        store.close()
    with pytest.raises(ValueError):
        engine_url("mysql://x/y")
