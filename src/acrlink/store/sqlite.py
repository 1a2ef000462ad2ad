"""The embedded store: SQLite through SQLAlchemy Core, one file in the data directory.

WAL journal with ``synchronous=FULL``: a committed write survives a kill -9, an interrupted one
leaves nothing behind.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    select,
)

from acrlink.store import rows as resource_rows
from acrlink.store.base import Record

if TYPE_CHECKING:
    from acrlink.store.content import ContentTx

_metadata = MetaData()

resources = Table(
    "resources",
    _metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("key", String, nullable=False, unique=True),
    Column("type", String, nullable=False, index=True),
    Column("subscription", String, nullable=False, index=True),
    Column("resource_group", String, nullable=False),
    Column("parent", String, nullable=False, index=True),
    Column("body", Text, nullable=False),
)

kv = Table(
    "kv",
    _metadata,
    Column("key", String, primary_key=True),
    Column("value", Text, nullable=False),
)

changes = Table(
    "changes",
    _metadata,
    Column("topic", String, primary_key=True),
    Column("version", Integer, nullable=False),
)
"""The change counters (``base.WORLD``, ``base.CONTENT``): a transaction that marked a topic ``changed``
moves its counter as it commits, so every process sharing the file sees the change by reading one row."""

_BUMP = (
    "INSERT INTO changes (topic, version) VALUES (?, 1) ON CONFLICT(topic) DO UPDATE SET version = changes.version + 1"
    " RETURNING version"
)


_UPSERT = resource_rows.upsert("?")
_SELECT = f"SELECT {resource_rows.COLUMNS} FROM resources"


class SqliteTransaction:
    """Resource records through the driver's own cursor with plain SQL (the hot path of every ARM request:
    building SQLAlchemy statements costs more than running them); the rest through SQLAlchemy Core."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        raw = conn.connection.dbapi_connection
        assert raw is not None
        self._raw = raw
        self.topics: set[str] = set()
        """The change topics this transaction marked (``changed``); the store moves their counters."""

    @property
    def content(self) -> ContentTx:
        """Registry content in this transaction (the content tables share the file)."""
        from acrlink.store.content import ContentTx

        return ContentTx(self)

    def changed(self, topic: str) -> None:
        self.topics.add(topic)

    def bump_marked(self) -> dict[str, int]:
        """Move the counter of every topic this transaction marked (just before it commits); the counters as
        moved."""
        return {topic: int(self._raw.execute(_BUMP, (topic,)).fetchone()[0]) for topic in sorted(self.topics)}

    @property
    def connection(self) -> Connection:
        """The open connection, for stores of other data that share this file and transaction
        (``store/content.py``)."""
        return self._conn

    def get(self, key: str) -> Record | None:
        row = self._raw.execute(f"{_SELECT} WHERE key = ?", (key.lower(),)).fetchone()
        return resource_rows.record(row) if row else None

    def put(self, record: Record) -> None:
        self._raw.execute(
            _UPSERT,
            resource_rows.parameters(record),
        )

    def delete(self, key: str) -> bool:
        return bool(self._raw.execute("DELETE FROM resources WHERE key = ?", (key.lower(),)).rowcount)

    def query(
        self,
        *,
        type: str | None = None,
        subscription: str | None = None,
        resource_group: str | None = None,
        parent: str | None = None,
    ) -> list[Record]:
        where, params = resource_rows.where((type, subscription, resource_group, parent), "?")
        rows = self._raw.execute(f"{_SELECT}{where} ORDER BY seq", params).fetchall()
        return [resource_rows.record(row) for row in rows]

    def count(
        self,
        *,
        type: str | None = None,
        subscription: str | None = None,
        resource_group: str | None = None,
        parent: str | None = None,
    ) -> int:
        where, params = resource_rows.where((type, subscription, resource_group, parent), "?")
        return int(self._raw.execute(f"SELECT count(*) FROM resources{where}", params).fetchone()[0])

    def kv_get(self, key: str) -> Any | None:
        row = self._raw.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def kv_put(self, key: str, value: Any) -> None:
        self._raw.execute(
            "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value, separators=(",", ":"))),
        )

    def kv_insert(self, key: str, value: Any) -> Any:
        """Insert unless present (``INSERT ... DO NOTHING``; BEGIN IMMEDIATE already serialises writers)."""
        self._raw.execute(
            "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING",
            (key, json.dumps(value, separators=(",", ":"))),
        )
        return self.kv_get(key)

    def kv_delete(self, key: str) -> bool:
        return bool(self._conn.execute(kv.delete().where(kv.c.key == key)).rowcount)

    def kv_items(self, prefix: str) -> Iterator[tuple[str, Any]]:
        statement = select(kv).where(func.substr(kv.c.key, 1, len(prefix)) == prefix).order_by(kv.c.key)
        for row in self._conn.execute(statement).all():
            yield row.key, json.loads(row.value)


class SqliteStore:
    """SQLite file (or ``:memory:``) store. Writers are serialised by one lock and BEGIN IMMEDIATE."""

    def __init__(self, path: Path | str) -> None:
        url = "sqlite://" if str(path) == ":memory:" else f"sqlite:///{path}"
        self._engine = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"check_same_thread": False})
        event.listen(self._engine, "connect", _configure_connection)
        self._lock = threading.RLock()
        self._watchers: list[Callable[[Mapping[str, int]], None]] = []
        self._conn = self._engine.connect()
        from acrlink.store.content import create_tables

        # One BEGIN IMMEDIATE around the whole schema: create_all checks, then creates, and two processes
        # starting on a fresh shared file at once both saw no table ("table resources already exists").
        self._conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            _metadata.create_all(self._conn)
            create_tables(SqliteTransaction(self._conn))  # the content tables share the file and its transactions
        except BaseException:
            self._conn.exec_driver_sql("ROLLBACK")
            raise
        self._conn.exec_driver_sql("COMMIT")

    @contextmanager
    def transaction(self) -> Iterator[SqliteTransaction]:
        with self._lock:
            self._conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                tx = SqliteTransaction(self._conn)
                yield tx
                moved = tx.bump_marked()
            except BaseException:
                self._conn.exec_driver_sql("ROLLBACK")
                raise
            self._conn.exec_driver_sql("COMMIT")
        if moved:
            for listener in self._watchers:
                listener(moved)

    def watch(self, listener: Callable[[Mapping[str, int]], None]) -> None:
        """Told of every commit of this store object that moved a counter (``base.Store.watch``)."""
        self._watchers.append(listener)

    def versions(self) -> dict[str, int]:
        """Every change counter as committed now (one small read, outside any transaction)."""
        with self._lock:
            rows = self._conn.exec_driver_sql("SELECT topic, version FROM changes").fetchall()
        return {str(topic): int(version) for topic, version in rows}

    def snapshot(self) -> SqliteStore:
        """A private in-memory copy of everything stored now (a what-if rehearses on one): consistent, since
        no write can commit while it is taken."""
        copy = SqliteStore(":memory:")
        with self._lock:
            source = self._conn.connection.dbapi_connection
            target = copy._conn.connection.dbapi_connection
            assert source is not None and target is not None
            source.backup(target)  # type: ignore[attr-defined]
        return copy

    def close(self) -> None:
        self._conn.close()
        self._engine.dispose()


def _configure_connection(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
