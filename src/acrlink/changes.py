"""A change counter for the resource graph: caches derived from it (the network graph, DNS answers)
rebuild when the version moves. Services bump it after every committed write.

Writes also happen on worker threads (a template deployment runs on one). Listeners live on the event loop
(the DNS face schedules work there), so once the feed is bound to its loop a bump from another thread tells
them through the loop; the version itself moves at once, on any thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable


class ChangeFeed:
    def __init__(self) -> None:
        self.version = 0
        self._listeners: list[Callable[[int], None]] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Tell listeners on ``loop`` (call from the loop's thread)."""
        self._loop = loop
        self._loop_thread = threading.get_ident()

    def bump(self) -> None:
        with self._lock:
            self.version += 1
            version = self.version
        if self._loop is not None and threading.get_ident() != self._loop_thread:
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody is listening any more
                self._loop.call_soon_threadsafe(self._notify, version)
        else:
            self._notify(version)

    def _notify(self, version: int) -> None:
        for listener in self._listeners:
            listener(version)

    def subscribe(self, listener: Callable[[int], None]) -> None:
        self._listeners.append(listener)
