"""Leases over a real SQLite file shared by two ``Leases`` (two processes): a fresh lease is its owner's, the
heartbeat keeps it so, a stale one is taken over once, and renewal forgets leases lost to another process."""

from __future__ import annotations

from pathlib import Path

from acrlink.domain import leases as rules
from acrlink.services.leases import Leases
from acrlink.store.sqlite import SqliteStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_claims_renewal_and_take_over(tmp_path: Path) -> None:
    clock = Clock()
    store = SqliteStore(tmp_path / "shared.db")
    first, second = Leases(store, "a", clock), Leases(store, "b", clock)
    try:
        with store.transaction() as tx:
            assert first.claim(tx, "work")
            assert not second.claim(tx, "work") and not second.take_over(tx, "work")
        clock.now += rules.EXPIRY_FACTOR * first.renewal
        assert first.renew() == 1, "renewed just in time"
        clock.now += rules.EXPIRY_FACTOR * first.renewal
        with store.transaction() as tx:
            assert not second.take_over(tx, "work"), "the renewal kept the lease the first's"
            assert not first.take_over(tx, "work"), "a process's own work is never its orphan"
        clock.now += 1
        with store.transaction() as tx:
            assert second.take_over(tx, "work"), "not renewed for three intervals: the owner is gone"
        with store.transaction() as tx:
            assert not first.claim(tx, "work"), "the first came back too late: the work is the second's"
            assert second.mine(tx, "work") and not first.mine(tx, "work")
        assert first.renew() == 0, "a lost lease is forgotten, not renewed over the new owner's"
        with store.transaction() as tx:
            second.drop(tx, "work")
            assert first.claim(tx, "work"), "dropped work is free"
    finally:
        store.close()


def test_the_rules() -> None:
    assert rules.expired(None, 0.0) and rules.expired({"renewed": "x"}, 0.0)
    assert not rules.expired(rules.lease("a", 10.0), 10.0 + rules.EXPIRY_FACTOR * rules.RENEWAL_SECONDS)
    assert rules.orphaned(None, "a", 0.0), "work from before leases is recovered"
    assert rules.claimable(rules.lease("a", 0.0), "a", 1e9) and not rules.orphaned(rules.lease("a", 0.0), "a", 1e9)


def test_the_heartbeat_renews_and_sweeps(tmp_path: Path) -> None:
    """The heartbeat thread renews what the process holds and runs the recoveries every few renewals."""
    import threading

    clock = Clock()
    store = SqliteStore(tmp_path / "shared.db")
    leases = Leases(store, "a", clock, renewal=0.01)
    swept = threading.Event()

    def sweep() -> None:
        clock.now += 1
        swept.set()

    try:
        with store.transaction() as tx:
            leases.hold(tx, "work")
        clock.now += 5
        leases.start([sweep])
        assert swept.wait(30), "the heartbeat never ran its sweep"
        leases.stop()
        with store.transaction() as tx:
            held = tx.kv_get("lease/work")
        assert held["owner"] == "a" and held["renewed"] >= 1005.0, "renewed after the clock moved"
    finally:
        leases.stop()
        store.close()
