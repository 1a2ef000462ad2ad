"""Which PostgreSQL driver the store uses: psycopg 3 (synchronous) against asyncpg as a synchronous port
would have to call it, measured on a real local PostgreSQL.

Run: .venv/bin/python bench/store_driver/run.py [--rounds R] [--ops N]   (README.md next to this file)

The store port (``store/base.py``) is synchronous and is called both from the event loop thread and from
worker threads, so asyncpg cannot be awaited where the port is called: it needs a loop of its own in a
thread, and every statement of a transaction is a hop to that loop and back (``run_coroutine_threadsafe``
and ``Future.result``). Both drivers run the same transactions: ``BEGIN; one statement; COMMIT``, a
single-row SELECT by primary key and a single-row upsert. Variants in interleaved rounds (the order is
shuffled every round): psycopg; asyncpg with one hop per statement (what the port would do); asyncpg with the
whole transaction in one hop (a bound no port with a ``with`` block can reach); and, for reference, acrlink's
``PostgresStore`` and ``SqliteStore`` through the port itself (``tx.get`` and ``tx.put``). Printed: per
transaction, the median over rounds of each round's mean, and the spread (min-max over rounds).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # tests.servers: the throwaway PostgreSQL cluster

import asyncpg  # noqa: E402
import psycopg  # noqa: E402

from tests.servers.postgres import running_server  # noqa: E402

ROWS = 1000
BODY = json.dumps({"properties": {"sku": {"name": "Premium"}, "tags": {f"k{i}": "v" * 20 for i in range(8)}}})
SCHEMA = 'CREATE TABLE bench (seq bigint GENERATED ALWAYS AS IDENTITY, key text COLLATE "C" PRIMARY KEY, body text)'
SELECT_PG = "SELECT body FROM bench WHERE key = %s"
UPSERT_PG = "INSERT INTO bench (key, body) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET body = excluded.body"
SELECT_ASYNC = "SELECT body FROM bench WHERE key = $1"
UPSERT_ASYNC = "INSERT INTO bench (key, body) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET body = excluded.body"


def _key(i: int) -> str:
    return f"/subscriptions/s/resourcegroups/rg/providers/microsoft.containerregistry/registries/r{i % ROWS}"


class Psycopg:
    label = "psycopg 3 (sync)"

    def __init__(self, url: str) -> None:
        self.conn = psycopg.connect(url, autocommit=True)

    def read(self, i: int) -> None:
        self.conn.execute("BEGIN")
        self.conn.execute(SELECT_PG, (_key(i),)).fetchone()
        self.conn.execute("COMMIT")

    def write(self, i: int) -> None:
        self.conn.execute("BEGIN")
        self.conn.execute(UPSERT_PG, (_key(i), BODY))
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()


class AsyncpgHops:
    """asyncpg on a loop thread of its own, called the way the synchronous port would call it."""

    label = "asyncpg, a hop per statement"

    def __init__(self, url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.conn: asyncpg.Connection = self.call(asyncpg.connect(url))

    def call(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def read(self, i: int) -> None:
        self.call(self.conn.execute("BEGIN"))
        self.call(self.conn.fetchrow(SELECT_ASYNC, _key(i)))
        self.call(self.conn.execute("COMMIT"))

    def write(self, i: int) -> None:
        self.call(self.conn.execute("BEGIN"))
        self.call(self.conn.execute(UPSERT_ASYNC, _key(i), BODY))
        self.call(self.conn.execute("COMMIT"))

    def close(self) -> None:
        self.call(self.conn.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


class AsyncpgOneHop(AsyncpgHops):
    label = "asyncpg, one hop per transaction (bound)"

    def read(self, i: int) -> None:
        async def run() -> None:
            async with self.conn.transaction():
                await self.conn.fetchrow(SELECT_ASYNC, _key(i))

        self.call(run())

    def write(self, i: int) -> None:
        async def run() -> None:
            async with self.conn.transaction():
                await self.conn.execute(UPSERT_ASYNC, _key(i), BODY)

        self.call(run())


class Port:
    """An acrlink store through the port (``tx.get`` / ``tx.put``), for reference."""

    def __init__(self, label: str, store: Any) -> None:
        from acrlink.store.base import Record

        self.label = label
        self.store = store
        self._record = Record
        self._body = json.loads(BODY)
        for i in range(ROWS):
            self.write(i)

    def read(self, i: int) -> None:
        with self.store.transaction() as tx:
            tx.get(_key(i))

    def write(self, i: int) -> None:
        with self.store.transaction() as tx:
            tx.put(self._record(_key(i), "microsoft.containerregistry/registries", "s", "rg", "", self._body))

    def close(self) -> None:
        self.store.close()


def _rounds(variants: list[Any], rounds: int, ops: int) -> dict[tuple[str, str], list[float]]:
    """Per (variant, operation) the mean microseconds per transaction of each round."""
    figures: dict[tuple[str, str], list[float]] = {}
    for round_no in range(rounds):
        order = variants[:]
        random.shuffle(order)
        for variant in order:
            for op in ("read", "write"):
                run: Callable[[int], None] = getattr(variant, op)
                start = time.perf_counter()
                for i in range(ops):
                    run(i)
                elapsed = time.perf_counter() - start
                figures.setdefault((variant.label, op), []).append(elapsed / ops * 1e6)
        print(f"round {round_no + 1}/{rounds} done", file=sys.stderr, flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--ops", type=int, default=2000, help="transactions per variant, operation and round")
    parser.add_argument("--no-port", action="store_true", help="leave out acrlink's own stores")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="acrlink-bench-pg-") as work, running_server(Path(work) / "pg") as server:
        url = server.create_database()
        with psycopg.connect(url, autocommit=True) as setup:
            setup.execute(SCHEMA)
            with setup.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO bench (key, body) VALUES (%s, %s)", [(_key(i), BODY) for i in range(ROWS)]
                )
        variants: list[Any] = [Psycopg(url), AsyncpgHops(url), AsyncpgOneHop(url)]
        if not args.no_port:
            from acrlink.store.postgres import PostgresStore
            from acrlink.store.sqlite import SqliteStore

            variants.append(Port("acrlink PostgresStore (port)", PostgresStore(server.create_database())))
            variants.append(Port("acrlink SqliteStore (port, file)", SqliteStore(Path(work) / "bench.db")))
        for variant in variants:  # warm up: connections made, statements prepared, caches filled
            for i in range(200):
                variant.read(i)
                variant.write(i)
        figures = _rounds(variants, args.rounds, args.ops)
        for variant in variants:
            variant.close()
        with psycopg.connect(url) as probe:
            version = probe.execute("SHOW server_version").fetchone()
    print(f"PostgreSQL {version[0] if version else '?'}, {args.rounds} interleaved rounds of {args.ops} transactions")
    print(f"{'variant':44} {'op':6} {'median µs/tx':>13} {'spread (min-max)':>18}")
    base = {op: statistics.median(figures[(Psycopg.label, op)]) for op in ("read", "write")}
    for (label, op), values in figures.items():
        median = statistics.median(values)
        spread = f"{min(values):.0f}-{max(values):.0f}"
        print(f"{label:44} {op:6} {median:13.0f} {spread:>18}   x{median / base[op]:.2f} of psycopg")


if __name__ == "__main__":
    main()
