"""Background loops while the store is away: one warning when the outage begins, one line when it ends, and
the loop goes on (no trace per retry)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from acrlink.outages import OutageLog
from acrlink.services import webhook_delivery
from acrlink.store.base import StoreUnavailable
from acrlink.tasks import agent


class FlakyStore:
    """A store that is away for ``down`` transactions, then serves an empty world; ``stop`` is set after
    ``rounds`` transactions."""

    def __init__(self, down: int, rounds: int, stop: Any) -> None:
        self.calls = 0
        self._down = down
        self._rounds = rounds
        self.stop = stop

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        self.calls += 1
        if self.calls >= self._rounds:
            self.stop()
        if self.calls <= self._down:
            raise StoreUnavailable("the PostgreSQL store cannot be reached: test")
        yield Empty()


class Empty:
    def query(self, **_: Any) -> list[Any]:
        return []

    def kv_items(self, _prefix: str) -> Iterator[tuple[str, Any]]:
        return iter(())


def _messages(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records]


def test_an_outage_is_logged_when_it_begins_and_when_it_ends(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("acrlink.test-outage")
    outage = OutageLog(log, "the loop")
    with caplog.at_level(logging.INFO, logger="acrlink.test-outage"):
        outage.succeeded()
        for _ in range(5):
            outage.failed(StoreUnavailable("away"))
        outage.succeeded()
        outage.succeeded()
        outage.failed(StoreUnavailable("away again"))
    assert _messages(caplog) == [
        (logging.WARNING, "the loop is waiting: away (retrying until it is back)"),
        (logging.INFO, "the loop goes on: the server it waited for is back"),
        (logging.WARNING, "the loop is waiting: away again (retrying until it is back)"),
    ]


def test_the_build_agent_waits_out_an_outage(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(agent, "POLL_SECONDS", 0)
    worker = agent.Agent.__new__(agent.Agent)
    worker._stopped = agent.threading.Event()
    worker._store = FlakyStore(down=4, rounds=6, stop=worker._stopped.set)  # type: ignore[assignment]
    with caplog.at_level(logging.INFO, logger=agent.log.name):
        worker._loop()
    assert [level for level, _ in _messages(caplog)] == [logging.WARNING, logging.INFO]
    assert worker._store.calls == 6  # type: ignore[attr-defined]


def test_webhook_delivery_waits_out_an_outage(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webhook_delivery, "GATHER", 0)
    worker = webhook_delivery.WebhookDelivery.__new__(webhook_delivery.WebhookDelivery)
    worker._stop = webhook_delivery.threading.Event()
    worker.store = FlakyStore(down=3, rounds=5, stop=worker._stop.set)  # type: ignore[assignment]
    with caplog.at_level(logging.INFO, logger=webhook_delivery.log.name):
        worker._run()
    assert [level for level, _ in _messages(caplog)] == [logging.WARNING, logging.INFO]
