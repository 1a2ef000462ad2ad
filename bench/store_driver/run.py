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
transaction, wall time and this process's CPU time (every thread), the median over rounds of each round's
mean, the interquartile range over rounds, and the ratio to psycopg.
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


def _rounds(variants: list[Any], rounds: int, ops: int) -> dict[tuple[str, str], list[tuple[float, float]]]:
    """Per (variant, operation) the mean wall and CPU microseconds per transaction of each round (CPU: this
    process, every thread, so asyncpg's loop thread counts)."""
    figures: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for round_no in range(rounds):
        order = variants[:]
        random.shuffle(order)
        for variant in order:
            for op in ("read", "write"):
                run: Callable[[int], None] = getattr(variant, op)
                start, cpu = time.perf_counter(), time.process_time()
                for i in range(ops):
                    run(i)
                wall, used = time.perf_counter() - start, time.process_time() - cpu
                figures.setdefault((variant.label, op), []).append((wall / ops * 1e6, used / ops * 1e6))
        print(f"round {round_no + 1}/{rounds} done", file=sys.stderr, flush=True)
    return figures


def _quartiles(values: list[float]) -> str:
    low, _, high = statistics.quantiles(values, n=4) if len(values) > 1 else (values[0], 0, values[0])
    return f"{low:.0f}-{high:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--ops", type=int, default=300, help="transactions per variant, operation and round")
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
    print(f"{'variant':42} {'op':5} {'wall µs/tx':>10} {'IQR':>11} {'x':>5}   {'CPU µs/tx':>9} {'IQR':>11} {'x':>5}")
    base = {op: figures[(Psycopg.label, op)] for op in ("read", "write")}
    for variant in variants:
        for op in ("read", "write"):
            values = figures[(variant.label, op)]
            wall, cpu = [v[0] for v in values], [v[1] for v in values]
            wall_x = statistics.median(wall) / statistics.median([v[0] for v in base[op]])
            cpu_x = statistics.median(cpu) / statistics.median([v[1] for v in base[op]])
            print(
                f"{variant.label:42} {op:5} {statistics.median(wall):10.0f} {_quartiles(wall):>11} {wall_x:5.2f}"
                f"   {statistics.median(cpu):9.0f} {_quartiles(cpu):>11} {cpu_x:5.2f}"
            )
    print("median over rounds of each round's mean; IQR over rounds; x = ratio to psycopg 3 (sync)")


if __name__ == "__main__":
    main()
