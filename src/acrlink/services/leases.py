"""This process's leases on running work, kept in the store's key/value table (``lease/KEY``) so every
process over the store sees them, renewed by a heartbeat thread while the process lives.

Every claim and take-over reads and writes the lease inside one store transaction; store transactions are
serial (SQLite's BEGIN IMMEDIATE, PostgreSQL's advisory write lock), so that is a compare-and-set: of two
processes claiming one piece of work, the second sees the first's fresh lease and leaves it.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable

from acrlink.domain import leases as rules
from acrlink.errors import Unavailable
from acrlink.outages import OutageLog
from acrlink.store.base import Store, Transaction

log = logging.getLogger("acrlink.leases")

PREFIX = "lease/"


class Leases:
    """The leases one process (``owner``, a fresh id per process) holds, and its claims on others' work."""

    def __init__(
        self,
        store: Store,
        owner: str | None = None,
        clock: Callable[[], float] = time.time,
        renewal: float = rules.RENEWAL_SECONDS,
    ) -> None:
        self.store = store
        self.owner = owner or uuid.uuid4().hex
        self.renewal = renewal
        self._clock = clock
        self._held: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def hold(self, tx: Transaction, key: str) -> None:
        """Lease ``key`` to this process (in ``tx``), renewed from now on until ``drop``."""
        tx.kv_put(PREFIX + key, rules.lease(self.owner, self._clock()))
        with self._lock:
            self._held.add(key)

    def drop(self, tx: Transaction, key: str) -> None:
        """End the lease on ``key`` (in ``tx``): the work is over."""
        tx.kv_delete(PREFIX + key)
        with self._lock:
            self._held.discard(key)

    def claim(self, tx: Transaction, key: str, now: float | None = None) -> bool:
        """Lease ``key`` to this process if no live other process holds it; whether it now does."""
        moment = self._clock() if now is None else now
        if not rules.claimable(tx.kv_get(PREFIX + key), self.owner, moment, self.renewal):
            return False
        self.hold(tx, key)
        return True

    def take_over(self, tx: Transaction, key: str, now: float | None = None) -> bool:
        """Lease ``key`` to this process if its owner is gone (the work is an orphan to recover); whether so."""
        moment = self._clock() if now is None else now
        if not rules.orphaned(tx.kv_get(PREFIX + key), self.owner, moment, self.renewal):
            return False
        self.hold(tx, key)
        return True

    def mine(self, tx: Transaction, key: str) -> bool:
        """Whether this process still holds ``key`` (no one took it over meanwhile)."""
        held = tx.kv_get(PREFIX + key)
        return isinstance(held, dict) and held.get("owner") == self.owner

    def renew(self) -> int:
        """Renew every lease this process holds, in one transaction; leases another process took over (or
        that were dropped) are forgotten. How many were renewed."""
        with self._lock:
            keys = sorted(self._held)
        if not keys:
            return 0
        lost: list[str] = []
        with self.store.transaction() as tx:
            for key in keys:
                if self.mine(tx, key):
                    tx.kv_put(PREFIX + key, rules.lease(self.owner, self._clock()))
                else:
                    lost.append(key)
        with self._lock:
            self._held.difference_update(lost)
        return len(keys) - len(lost)

    def start(self, sweeps: Iterable[Callable[[], object]] = ()) -> None:
        """Renew every ``renewal`` seconds on a thread of its own; every ``EXPIRY_FACTOR`` renewals (as often
        as a lease can expire) run ``sweeps`` too: the recoveries of work whose owner went while this one runs."""
        tasks = list(sweeps)
        self._thread = threading.Thread(target=self._run, args=(tasks,), name="acrlink-leases", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.renewal + 2)

    def _run(self, sweeps: list[Callable[[], object]]) -> None:
        outage = OutageLog(log, "lease renewal")
        beats = 0
        while not self._stop.wait(self.renewal):
            beats += 1
            try:
                self.renew()
                if beats % rules.EXPIRY_FACTOR == 0:
                    for sweep in sweeps:
                        sweep()
                outage.succeeded()
            except Unavailable as away:
                outage.failed(away)
            except Exception:  # noqa: BLE001 - renewal must outlive one bad pass; the log has the trace
                log.exception("lease renewal failed")
