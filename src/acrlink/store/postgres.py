"""The shared store: PostgreSQL, for several acrlink processes serving one world (``--store postgresql://...``).

Driver: psycopg 3, synchronous. The store port is synchronous and is called from the event loop thread and
from worker threads; asyncpg could only serve it from a loop of its own in another thread, each statement a
hop there and back. ``bench/store_driver/run.py`` measured both on a local PostgreSQL 15 (21 interleaved rounds
of 300 transactions, ``BEGIN``, one statement, ``COMMIT``; medians over rounds, wall and client CPU per
transaction, on a shared 2-core machine): a SELECT by key took 0.49 ms wall / 0.24 ms CPU with psycopg against
1.53 / 0.76 ms for asyncpg with a hop per statement (3.1x / 3.2x) and 1.08 / 0.51 ms even with the whole
transaction in one hop (2.2x / 2.1x, which no ``with`` block can do); an upsert 1.54 / 0.30 ms against
3.51 / 1.02 ms (2.3x / 3.4x) and 2.29 / 0.62 ms. The hop, not the wire, decides: psycopg needs no thread and
no loop, and costs a third of the CPU. (This store through the port: 0.76 ms / 0.38 ms a read.)

Layout, as ``store/sqlite.py``: ``resources`` (an identity column ``seq`` keeps insertion order, a replaced
record keeps its place), ``kv``, ``changes`` (the change counters, moved in the committing transaction) and
the content tables of ``store/content.py`` through SQLAlchemy Core on the same connection. Keys and the query
columns are stored lower-cased; text is ``COLLATE "C"`` (code point order, like SQLite, whatever the
database's locale). JSON bodies are ``text``: JSONB would reorder an object's keys (ARM bodies are rendered
in the order they were stored) and refuses ``\\u0000`` in a string, which a body may hold; nothing queries
inside a body, so parsing it on the server would buy nothing.

Transactions are serial, as SQLite's are: each takes one transaction-scoped advisory lock (after a lock per
process, so threads queue in the process and hold no connection while they wait). The services are written
for serial transactions (read, check, write: a free IP address, a name not taken) and a ``with`` block cannot
be replayed after a serialization failure, so SERIALIZABLE with retries is not open to the port; the lock
gives every process the same order without failures. Readers outside transactions take no lock:
``versions()`` reads committed counters, ``snapshot()`` copies from one REPEATABLE READ snapshot. Row-level
compare-and-set (``ContentTx.update_upload``'s ``UPDATE ... WHERE``) is atomic on its own as well.

Outages: connections the server dropped (a restart) are discarded as they are found, before the transaction
that found them begins, which then connects again; while the server cannot be reached every transaction raises
``StoreUnavailable`` within ``CONNECT_TIMEOUT`` seconds, and one that the outage interrupted committed nothing
(PostgreSQL rolls back what was not committed). Bad input the server refuses (a NUL in a text value, a key
too long to index) is an error of its own, not an outage.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import psycopg
from psycopg import sql
from sqlalchemy import Connection, create_engine, event, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import ExceptionContext

from acrlink.store import content as content_tables
from acrlink.store import rows as resource_rows
from acrlink.store import sqlite as sqlite_tables
from acrlink.store.base import Record, StoreUnavailable
from acrlink.store.content import ContentTx, create_tables
from acrlink.store.sqlite import SqliteStore

CONNECT_TIMEOUT = 2
"""Seconds a new connection may take (libpq's minimum): how long a transaction waits when the server is away."""
LOCK_WAIT_SECONDS = 10
"""How long a transaction waits for its turn (the process's lock, then the advisory lock) before it gives up
with ``StoreUnavailable`` (SQLite's busy timeout plays this part for the embedded store)."""
IDLE_IN_TRANSACTION_SECONDS = 60
"""A transaction idle this long is ended by the server: a process stopped (not killed) while it holds the
lock cannot stop every other one for longer."""
POOL_SIZE = 2
"""Connections kept per process: one for the open transaction, one for ``versions()`` and snapshots."""
POOL_OVERFLOW = 6
WRITE_LOCK = 0x61636C5F777269
"""The advisory lock key that orders every transaction of every process sharing the database."""

_TRANSIENT_STATES = ("08", "40", "53", "57", "58", "55P03", "25P03")
"""SQLSTATE classes (or codes) that mean the server cannot serve now, not that the request is wrong: connection
exceptions, transaction rollbacks (deadlock, serialization), insufficient resources (too many connections, disk
full), operator intervention (shutdown, cannot connect now, query cancelled), system errors, a lock not granted
in time, a transaction the server ended for idling."""

_BEGIN = f"BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})"
_SESSION = f"-c lock_timeout={LOCK_WAIT_SECONDS}s -c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_SECONDS}s"
"""Session settings of every connection (libpq's ``options``): a lock not granted in time and a transaction left
idle end with an error instead of waiting on."""
_BUMP = sql.SQL(
    "INSERT INTO changes (topic, version) VALUES ({}, 1) "
    "ON CONFLICT (topic) DO UPDATE SET version = changes.version + 1"
)

_COMMITS: dict[frozenset[str], str] = {}
"""The COMMIT of a transaction that marked these topics, its counters moved first (composed once per set)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key text COLLATE "C" NOT NULL UNIQUE,
    type text COLLATE "C" NOT NULL,
    subscription text COLLATE "C" NOT NULL,
    resource_group text COLLATE "C" NOT NULL,
    parent text COLLATE "C" NOT NULL,
    body text NOT NULL
);
CREATE INDEX IF NOT EXISTS resources_type ON resources (type);
CREATE INDEX IF NOT EXISTS resources_subscription ON resources (subscription);
CREATE INDEX IF NOT EXISTS resources_parent ON resources (parent);
CREATE TABLE IF NOT EXISTS kv (key text COLLATE "C" PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS changes (topic text COLLATE "C" PRIMARY KEY, version bigint NOT NULL)
"""
"""The store's own tables (the content tables come from ``store/content.py``), created under the write lock."""

_UPSERT = resource_rows.upsert("%s")
_SELECT = f"SELECT {resource_rows.COLUMNS} FROM resources"
_KV_UPSERT = "INSERT INTO kv (key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value"


def is_transient(error: BaseException) -> bool:
    """Whether a driver error means the server cannot serve now (retry later), not a wrong request."""
    if not isinstance(error, psycopg.Error):
        return False
    state = error.sqlstate
    if state is None:
        # Raised by the client: the server went away, refused the connection or the connection is closed.
        return isinstance(error, psycopg.OperationalError | psycopg.InterfaceError)
    return state.startswith(_TRANSIENT_STATES)


def _unavailable(error: BaseException) -> StoreUnavailable:
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return StoreUnavailable(f"the PostgreSQL store cannot be reached: {first_line}")


def _has_nul(*values: str) -> bool:
    """PostgreSQL text cannot hold NUL: a key with one is never stored (look-ups find nothing)."""
    return any("\x00" in value for value in values)


class PostgresTransaction:
    """Resources, the key/value space and the change counters through psycopg's cursor with plain SQL (the hot
    path of every request); the content tables through SQLAlchemy Core on the same connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._raw = _raw(conn)
        self._cursor: psycopg.Cursor[Any] = self._raw.cursor()
        self.topics: set[str] = set()
        """The change topics this transaction marked (``changed``); their counters move as it commits."""

    def _run(self, query: str, params: Any = None) -> psycopg.Cursor[Any]:
        try:
            return self._cursor.execute(query, params)
        except psycopg.Error as error:
            if is_transient(error):
                raise _unavailable(error) from error
            raise

    @property
    def content(self) -> ContentTx:
        """Registry content in this transaction (the content tables share the database and the transaction)."""
        return ContentTx(self)

    @property
    def connection(self) -> Connection:
        """The open SQLAlchemy connection (``store/content.py`` runs its statements on it)."""
        return self._conn

    def changed(self, topic: str) -> None:
        self.topics.add(topic)

    def commit(self) -> None:
        """Move the marked counters and commit, in one round trip."""
        marked = frozenset(self.topics)
        statement = _COMMITS.get(marked)
        if statement is None:
            bumps = [_BUMP.format(sql.Literal(topic)) for topic in sorted(marked)]
            statement = _COMMITS[marked] = sql.SQL("; ").join([*bumps, sql.SQL("COMMIT")]).as_string(self._raw)
        self._run(statement)

    def get(self, key: str) -> Record | None:
        if _has_nul(key):
            return None
        row = self._run(f"{_SELECT} WHERE key = %s", (key.lower(),)).fetchone()
        return resource_rows.record(row) if row else None

    def put(self, record: Record) -> None:
        if _has_nul(record.key, record.type, record.subscription, record.resource_group, record.parent):
            raise ValueError("a stored key or query column cannot contain NUL")
        self._run(
            _UPSERT,
            resource_rows.parameters(record),
        )

    def delete(self, key: str) -> bool:
        if _has_nul(key):
            return False
        return bool(self._run("DELETE FROM resources WHERE key = %s", (key.lower(),)).rowcount)

    def query(
        self,
        *,
        type: str | None = None,
        subscription: str | None = None,
        resource_group: str | None = None,
        parent: str | None = None,
    ) -> list[Record]:
        values = (type, subscription, resource_group, parent)
        if _has_nul(*(v for v in values if v is not None)):
            return []
        where, params = resource_rows.where(values, "%s")
        rows = self._run(f"{_SELECT}{where} ORDER BY seq", params).fetchall()
        return [resource_rows.record(row) for row in rows]

    def count(
        self,
        *,
        type: str | None = None,
        subscription: str | None = None,
        resource_group: str | None = None,
        parent: str | None = None,
    ) -> int:
        values = (type, subscription, resource_group, parent)
        if _has_nul(*(v for v in values if v is not None)):
            return 0
        where, params = resource_rows.where(values, "%s")
        row = self._run(f"SELECT count(*) FROM resources{where}", params).fetchone()
        return int(row[0]) if row else 0

    def kv_get(self, key: str) -> Any | None:
        if _has_nul(key):
            return None
        row = self._run("SELECT value FROM kv WHERE key = %s", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def kv_put(self, key: str, value: Any) -> None:
        if _has_nul(key):
            raise ValueError("a key/value key cannot contain NUL")
        self._run(_KV_UPSERT, (key, json.dumps(value, separators=(",", ":"))))

    def kv_insert(self, key: str, value: Any) -> Any:
        """Insert unless present; the value stored now (store transactions are serial, so the first wins)."""
        if _has_nul(key):
            raise ValueError("a key/value key cannot contain NUL")
        self._run(
            "INSERT INTO kv (key, value) VALUES (%s, %s) ON CONFLICT (key) DO NOTHING",
            (key, json.dumps(value, separators=(",", ":"))),
        )
        return self.kv_get(key)

    def kv_delete(self, key: str) -> bool:
        if _has_nul(key):
            return False
        return bool(self._run("DELETE FROM kv WHERE key = %s", (key,)).rowcount)

    def kv_items(self, prefix: str) -> Iterator[tuple[str, Any]]:
        if _has_nul(prefix):
            return
        rows = self._run(
            "SELECT key, value FROM kv WHERE key >= %s AND starts_with(key, %s) ORDER BY key", (prefix, prefix)
        ).fetchall()
        for key, value in rows:
            yield key, json.loads(value)


def engine_url(url: str) -> str:
    """The SQLAlchemy URL of a ``postgresql://`` (or ``postgres://``) URL: the psycopg 3 driver."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres", "postgresql+psycopg"):
        raise ValueError(f"{url!r} is not a postgresql:// URL")
    return urlunsplit(("postgresql+psycopg", *parts[1:]))


class PostgresStore:
    """A PostgreSQL database shared by any number of processes; see the module docstring."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine = create_engine(
            engine_url(url),
            isolation_level="AUTOCOMMIT",
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
            pool_timeout=LOCK_WAIT_SECONDS,
            connect_args={
                "connect_timeout": CONNECT_TIMEOUT,
                "application_name": "acrlink",
                "options": " ".join(filter(None, (parse_qs(urlsplit(url).query).get("options", [""])[-1], _SESSION))),
            },
        )
        event.listen(self._engine, "handle_error", _translate)
        self._lock = threading.Lock()
        self._watchers: list[Callable[[Mapping[str, int]], None]] = []
        self._local = threading.local()
        with self.transaction() as tx:
            tx.connection.exec_driver_sql(SCHEMA)
            create_tables(tx)

    # Connections ----------------------------------------------------------------------------------------

    def _checkout(self) -> Connection:
        try:
            return self._engine.connect()
        except sa_exc.TimeoutError as error:
            raise StoreUnavailable("every connection to the PostgreSQL store is busy") from error

    @contextmanager
    def _connection(self, first: str) -> Iterator[tuple[Connection, list[Any]]]:
        """A pooled connection on which ``first`` (SQL without parameters) has run, and the rows it returned.
        Connections the server dropped since they were pooled (a restart) are discarded one by one and ``first``
        runs again on the next, until a new connection is made (or cannot be: ``StoreUnavailable``). Back to the
        pool when the block ends."""
        for attempt in range(POOL_SIZE + 2):
            conn = self._checkout()
            raw = _raw(conn)
            try:
                cursor = raw.execute(first)
                rows = cursor.fetchall() if cursor.description else []
            except BaseException as error:
                stale = raw.broken or raw.closed
                _roll_back(conn)
                conn.close()
                if not isinstance(error, psycopg.Error) or not is_transient(error):
                    raise
                if stale and attempt <= POOL_SIZE:
                    continue
                raise _unavailable(error) from error
            break
        try:
            yield conn, rows
        finally:
            conn.close()

    # The port -------------------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[PostgresTransaction]:
        if getattr(self._local, "open", False):
            raise RuntimeError("a store transaction is already open on this thread")
        if not self._lock.acquire(timeout=LOCK_WAIT_SECONDS):
            raise StoreUnavailable("the PostgreSQL store is busy: no turn for a transaction in time")
        self._local.open = True
        try:
            with self._connection(_BEGIN) as (conn, _):
                tx = PostgresTransaction(conn)
                try:
                    yield tx
                    tx.commit()
                except BaseException:
                    _roll_back(conn)
                    raise
        finally:
            self._local.open = False
            self._lock.release()
        if tx.topics and self._watchers:
            moved = self.versions()  # at least this commit's counters (other processes' moves are news too)
            for listener in self._watchers:
                listener(moved)

    def watch(self, listener: Callable[[Mapping[str, int]], None]) -> None:
        """Told after every commit of this store object that moved a counter (``base.Store.watch``)."""
        self._watchers.append(listener)

    def versions(self) -> dict[str, int]:
        """Every change counter as committed now (one small read, outside any transaction and its lock)."""
        with self._connection("SELECT topic, version FROM changes") as (_, rows):
            pass
        return {str(topic): int(version) for topic, version in rows}

    def snapshot(self) -> SqliteStore:
        """A private in-memory SQLite copy of everything committed now (a what-if rehearses on one), read from
        one REPEATABLE READ snapshot: consistent without holding up any writer."""
        with self._connection("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") as (conn, _):
            try:
                with _raw(conn).cursor() as cursor:
                    records = cursor.execute(
                        f"SELECT seq, {resource_rows.COLUMNS} FROM resources ORDER BY seq"
                    ).fetchall()
                    pairs = cursor.execute("SELECT key, value FROM kv").fetchall()
                    counters = cursor.execute("SELECT topic, version FROM changes").fetchall()
                rows = {table.name: conn.execute(select(table)).mappings().all() for table in content_tables.TABLES}
                _raw(conn).execute("COMMIT")
            except psycopg.Error as error:
                _roll_back(conn)
                raise (_unavailable(error) if is_transient(error) else error) from error
            except BaseException:
                _roll_back(conn)
                raise
        copy = SqliteStore(":memory:")
        with copy.transaction() as target:
            create_tables(target)
            into = target.connection
            names = ("seq", *resource_rows.COLUMNS.split(", "))
            if records:
                into.execute(sqlite_tables.resources.insert(), [dict(zip(names, r, strict=True)) for r in records])
            if pairs:
                into.execute(sqlite_tables.kv.insert(), [{"key": k, "value": v} for k, v in pairs])
            if counters:
                into.execute(sqlite_tables.changes.insert(), [{"topic": t, "version": v} for t, v in counters])
            for table in content_tables.TABLES:
                if rows[table.name]:
                    into.execute(table.insert(), [dict(row) for row in rows[table.name]])
        return copy

    def close(self) -> None:
        self._engine.dispose()


def _raw(conn: Connection) -> psycopg.Connection[Any]:
    """The psycopg connection under a pooled SQLAlchemy one."""
    raw = conn.connection.dbapi_connection
    assert isinstance(raw, psycopg.Connection)
    return raw


def _translate(context: ExceptionContext) -> None:
    """SQLAlchemy's error hook: a transient driver error (the server gone, a lock not granted in time) becomes
    ``StoreUnavailable``; SQLAlchemy still discards the connections a disconnect broke."""
    if is_transient(context.original_exception):
        raise _unavailable(context.original_exception)


def _roll_back(conn: Connection) -> None:
    """End whatever transaction is open on the connection; one that cannot (the server dropped it) is
    invalidated, so the pool never hands it out again (the server rolls back for it)."""
    if conn.invalidated:
        return
    raw = conn.connection.dbapi_connection
    if isinstance(raw, psycopg.Connection) and not raw.broken and not raw.closed:
        if raw.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
            return
        try:
            raw.execute("ROLLBACK")
            return
        except psycopg.Error:
            pass
    conn.invalidate()
