"""A least-recently-used map bounded by bytes, for the DNS face's answers."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

Key = TypeVar("Key")

ENTRY_OVERHEAD = 320
"""Bytes counted per entry on top of its key's and value's bytes: the ordered dict's slot and link, the key
tuple, the objects' headers (tracemalloc on CPython 3.11: 311 for a (host, 40 bytes) key and a 100-byte
value), so the budget bounds the process's memory, not just the payload."""


class ByteLru(Generic[Key]):
    """Key -> bytes, at most ``budget`` bytes (``key_size(key) + len(value) + ENTRY_OVERHEAD`` each);
    adding past the budget drops the least recently used entries.

    ``get`` marks an entry used. A hot path may read ``entries`` itself (``entries.get`` then
    ``entries.move_to_end`` on a hit), which is the same thing without a Python call."""

    def __init__(self, budget: int, key_size: Callable[[Key], int]) -> None:
        self.budget = budget
        self.bytes = 0
        self.entries: OrderedDict[Key, bytes] = OrderedDict()
        self._key_size = key_size

    def __len__(self) -> int:
        return len(self.entries)

    def _cost(self, key: Key, value: bytes) -> int:
        return self._key_size(key) + len(value) + ENTRY_OVERHEAD

    def get(self, key: Key) -> bytes | None:
        value = self.entries.get(key)
        if value is not None:
            self.entries.move_to_end(key)
        return value

    def put(self, key: Key, value: bytes) -> None:
        cost = self._cost(key, value)
        if cost > self.budget:
            return
        old = self.entries.pop(key, None)
        if old is not None:
            self.bytes -= self._cost(key, old)
        self.entries[key] = value
        self.bytes += cost
        while self.bytes > self.budget:
            dropped_key, dropped = self.entries.popitem(last=False)
            self.bytes -= self._cost(dropped_key, dropped)

    def clear(self) -> None:
        self.entries.clear()
        self.bytes = 0
