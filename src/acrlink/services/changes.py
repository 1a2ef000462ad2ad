"""The change signal: what every cache of this process keys by, driven by the store's change counters.

A writer marks the topics its transaction changes (``tx.changed(WORLD)``, ``tx.changed(CONTENT)``); the store
moves those counters as the transaction commits (``store/base.py``). The signal holds the counters as last
seen, in memory, so ``version(topic)`` costs a dictionary look-up. It learns of a change two ways:

- a commit of this process: the store tells the signal on the committing thread, before the writer's request
  is answered (``Store.watch``), so this process reads its own writes at once;
- a commit of another process sharing the store: a background thread reads ``store.versions()`` every
  ``POLL_SECONDS``. A write anywhere is thus seen everywhere within one second (issue 12).

Counters only move forward; the signal keeps the highest it saw of each. Listeners (the DNS answer cache,
the DNS views) are told on the event loop once the signal is bound to it, whichever thread saw the change.
A store that cannot be read (``StoreUnavailable``, a locked SQLite file) is logged once per outage and
polled again; the poller never ends the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Mapping

from acrlink.store.base import CONTENT, WORLD, Store

log = logging.getLogger("acrlink.changes")

POLL_SECONDS = 0.25
"""How often the poller reads the store's counters: another process's write is seen within 1 s (the
issue's bound) with room for a slow read or a busy store."""

CATCH_UP_SECONDS = 0.05
"""The least time between two reads of the counters that ``catch_up`` makes (a miss storm costs the store at
most 20 reads a second)."""

Listener = Callable[[], None]


class ChangeSignal:
    """The change counters of one store, as this process last saw them (see the module docstring)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._versions: dict[str, int] = dict(store.versions())
        self._lock = threading.Lock()
        self._listeners: list[tuple[str, Listener]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False
        self._caught_up = 0.0
        store.watch(self._committed)

    def version(self, topic: str) -> int:
        """The counter of ``topic`` as last seen (0 when it never moved); a cache filled at one value is valid
        while the value stays."""
        return self._versions.get(topic, 0)

    def stamp(self) -> tuple[int, int]:
        """``(version(WORLD), version(CONTENT))``: what a cache of both kinds of data keys by."""
        versions = self._versions
        return versions.get(WORLD, 0), versions.get(CONTENT, 0)

    def subscribe(self, listener: Listener, topic: str = WORLD) -> None:
        """Call ``listener()`` whenever ``topic`` moves (on the event loop once ``bind`` was called)."""
        self._listeners.append((topic, listener))

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Tell listeners on ``loop`` (call from the loop's thread)."""
        self._loop = loop
        self._loop_thread = threading.get_ident()

    def poll(self) -> set[str]:
        """Read the store's counters now and move with them; the topics that moved."""
        return self._advance(self._store.versions())

    def catch_up(self) -> bool:
        """Before a face answers that a name does not exist: read the counters now (unless that was done in the
        last ``CATCH_UP_SECONDS``), so what another process created an instant ago, and a client behind a load
        balancer may already use, is found rather than refused. Whether anything moved; a store that cannot be
        read moves nothing (the poller reports the outage)."""
        now = time.monotonic()
        with self._lock:
            if now - self._caught_up < CATCH_UP_SECONDS:
                return False
            self._caught_up = now
        try:
            return bool(self.poll())
        except Exception:  # noqa: BLE001 - a miss is answered as a miss when the store cannot say otherwise
            return False

    def start(self) -> None:
        """Poll in a background thread every ``POLL_SECONDS`` until ``stop``."""
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="acrlink-changes", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _run(self) -> None:
        while not self._stopping.wait(POLL_SECONDS):
            self.tick()

    def tick(self) -> None:
        """One poll as the background thread makes it: a store that cannot be read is logged once per
        outage (and once more when it reads again), never raised."""
        try:
            self.poll()
        except Exception as exc:  # noqa: BLE001 - an outage must not end the poller; it is logged once
            if not self._failing:
                log.warning("the change signal cannot read the store (%s); retrying every %ss", exc, POLL_SECONDS)
                self._failing = True
            return
        if self._failing:
            log.warning("the change signal reads the store again")
            self._failing = False

    def _committed(self, moved: Mapping[str, int]) -> None:
        self._advance(moved)

    def _advance(self, seen: Mapping[str, int]) -> set[str]:
        with self._lock:
            current = self._versions
            moved = {topic for topic, version in seen.items() if version > current.get(topic, 0)}
            if moved:
                # A new dict, swapped in whole: readers take no lock.
                self._versions = {**current, **{topic: seen[topic] for topic in moved}}
        if moved:
            self._tell(moved)
        return moved

    def _tell(self, moved: set[str]) -> None:
        if self._loop is not None and threading.get_ident() != self._loop_thread:
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody is listening any more
                self._loop.call_soon_threadsafe(self._notify, moved)
        else:
            self._notify(moved)

    def _notify(self, moved: set[str]) -> None:
        for topic, listener in self._listeners:
            if topic in moved:
                try:
                    listener()
                except Exception:  # noqa: BLE001 - the write is committed; one listener's bug must not undo that
                    log.exception("a change listener failed")
