"""A change counter for the resource graph: caches derived from it (the network graph, DNS answers)
rebuild when the version moves. Services bump it after every committed write."""

from __future__ import annotations

from collections.abc import Callable


class ChangeFeed:
    def __init__(self) -> None:
        self.version = 0
        self._listeners: list[Callable[[int], None]] = []

    def bump(self) -> None:
        self.version += 1
        for listener in self._listeners:
            listener(self.version)

    def subscribe(self, listener: Callable[[int], None]) -> None:
        self._listeners.append(listener)
