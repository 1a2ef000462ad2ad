"""The embedded store: SQLite through SQLAlchemy Core, one file in the data directory.

WAL journal with ``synchronous=FULL``: a committed write survives a kill -9, an interrupted one
leaves nothing behind.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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
from sqlalchemy.dialects.sqlite import insert

from acrlink.store.base import Record

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


class SqliteTransaction:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    @property
    def connection(self) -> Connection:
        """The open connection, for stores of other data that share this file and transaction
        (``store/content.py``)."""
        return self._conn

    def get(self, key: str) -> Record | None:
        row = self._conn.execute(select(resources).where(resources.c.key == key.lower())).first()
        return _record(row) if row else None

    def put(self, record: Record) -> None:
        values = {
            "key": record.key.lower(),
            "type": record.type.lower(),
            "subscription": record.subscription.lower(),
            "resource_group": record.resource_group.lower(),
            "parent": record.parent.lower(),
            "body": json.dumps(record.body, separators=(",", ":")),
        }
        statement = insert(resources).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=[resources.c.key],
            set_={k: statement.excluded[k] for k in values if k != "key"},
        )
        self._conn.execute(statement)

    def delete(self, key: str) -> bool:
        result = self._conn.execute(resources.delete().where(resources.c.key == key.lower()))
        return bool(result.rowcount)

    def query(
        self,
        *,
        type: str | None = None,
        subscription: str | None = None,
        resource_group: str | None = None,
        parent: str | None = None,
    ) -> list[Record]:
        statement = select(resources).order_by(resources.c.seq)
        for column, value in (
            (resources.c.type, type),
            (resources.c.subscription, subscription),
            (resources.c.resource_group, resource_group),
            (resources.c.parent, parent),
        ):
            if value is not None:
                statement = statement.where(column == value.lower())
        return [_record(row) for row in self._conn.execute(statement)]

    def kv_get(self, key: str) -> Any | None:
        row = self._conn.execute(select(kv.c.value).where(kv.c.key == key)).first()
        return json.loads(row[0]) if row else None

    def kv_put(self, key: str, value: Any) -> None:
        statement = insert(kv).values(key=key, value=json.dumps(value, separators=(",", ":")))
        statement = statement.on_conflict_do_update(index_elements=[kv.c.key], set_={"value": statement.excluded.value})
        self._conn.execute(statement)

    def kv_delete(self, key: str) -> bool:
        return bool(self._conn.execute(kv.delete().where(kv.c.key == key)).rowcount)

    def kv_items(self, prefix: str) -> Iterator[tuple[str, Any]]:
        statement = select(kv).where(func.substr(kv.c.key, 1, len(prefix)) == prefix).order_by(kv.c.key)
        for row in self._conn.execute(statement).all():
            yield row.key, json.loads(row.value)


def _record(row: Any) -> Record:
    return Record(
        key=row.key,
        type=row.type,
        subscription=row.subscription,
        resource_group=row.resource_group,
        parent=row.parent,
        body=json.loads(row.body),
    )


class SqliteStore:
    """SQLite file (or ``:memory:``) store. Writers are serialised by one lock and BEGIN IMMEDIATE."""

    def __init__(self, path: Path | str) -> None:
        url = "sqlite://" if str(path) == ":memory:" else f"sqlite:///{path}"
        self._engine = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"check_same_thread": False})
        event.listen(self._engine, "connect", _configure_connection)
        self._lock = threading.RLock()
        with self._engine.begin() as conn:
            _metadata.create_all(conn)
        self._conn = self._engine.connect()

    @contextmanager
    def transaction(self) -> Iterator[SqliteTransaction]:
        with self._lock:
            self._conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield SqliteTransaction(self._conn)
            except BaseException:
                self._conn.exec_driver_sql("ROLLBACK")
                raise
            self._conn.exec_driver_sql("COMMIT")

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
