"""The store contract every backend meets (see ``tests/contract``).

Resources are JSON documents indexed by their lower-cased id plus a few columns for listing.
A small key/value space holds everything that is not an ARM resource (subscriptions, provider
registration, operation records, secrets). A transaction is all or nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Record:
    """One stored resource. ``type`` and the scope columns are lower case (they are query keys)."""

    key: str
    type: str
    subscription: str
    resource_group: str
    parent: str
    body: dict[str, Any]


class Transaction(Protocol):
    def get(self, key: str) -> Record | None: ...

    def put(self, record: Record) -> None:
        """Insert or replace; a replaced record keeps its place in listing order."""

    def delete(self, key: str) -> bool: ...

    def query(
        self,
        *,
        type: str | None = None,
        subscription: str | None = None,
        resource_group: str | None = None,
        parent: str | None = None,
    ) -> list[Record]:
        """Records matching every given column (compared lower case), in insertion order."""

    def count(
        self,
        *,
        type: str | None = None,
        subscription: str | None = None,
        resource_group: str | None = None,
        parent: str | None = None,
    ) -> int:
        """How many records ``query`` with the same arguments would return (without reading them)."""

    def kv_get(self, key: str) -> Any | None: ...

    def kv_put(self, key: str, value: Any) -> None: ...

    def kv_delete(self, key: str) -> bool: ...

    def kv_items(self, prefix: str) -> Iterator[tuple[str, Any]]: ...


class Store(Protocol):
    def transaction(self) -> AbstractContextManager[Transaction]:
        """A unit of work: committed when the block ends normally, rolled back when it raises."""

    def close(self) -> None: ...
