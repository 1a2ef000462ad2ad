"""Read caches for the registry face's hot path: which registry a host names, manifests by reference, and
each registry's changeable attributes (which pulls must check).

Without them a manifest GET costs five SQL statements built through SQLAlchemy in two transactions
(about 1.4 ms of CPU; CNCF Distribution answers in 1.1 ms). An entry is tagged with the store's
version and used only while that version has not moved, so a cached answer is always the answer the
store would give now. The version is the ``total_changes`` of acrlink's SQLite connection (it moves
with every row this process inserts, updates or deletes, committed or not) and ``data_version`` (it
moves when another connection, e.g. another process on the same data dir, commits). Any write
anywhere empties both caches. Failed manifest lookups are not cached (their errors are recomputed).
"""

from __future__ import annotations

import sqlite3

from acrlink.domain.content import Attributes, Manifest
from acrlink.services.content import Content
from acrlink.services.registry import Registries, Target

MAX_HOSTS = 1024
"""Host names are client input: the host cache is emptied when it reaches this many entries."""
MAX_MANIFEST_BYTES = 16 << 20
"""Manifests are cached up to this many body bytes in all (one manifest may be 4 MiB)."""


class ReadCache:
    def __init__(self, registries: Registries, content: Content) -> None:
        self._registries = registries
        self._content = content
        self._connection: sqlite3.Connection | None = None
        self._sqlite = True
        self._version: tuple[int, int] | None = None
        self._hosts: dict[str, Target | None] = {}
        self._manifests: dict[tuple[str, str, str], Manifest] = {}
        self._manifest_bytes = 0
        self._attributes: dict[str, dict[tuple[str, str, str], Attributes]] = {}

    def _current(self) -> None:
        """Empty the caches if the store moved since they were filled (or its version is unknown)."""
        version = self._store_version()
        if version is None or version != self._version:
            self._hosts.clear()
            self._manifests.clear()
            self._manifest_bytes = 0
            self._attributes.clear()
            self._version = version

    def _store_version(self) -> tuple[int, int] | None:
        """The store's version, read from its SQLite connection directly (a few microseconds; a store
        transaction costs ten times that); ``None`` for a store that is not SQLite."""
        if self._connection is None and self._sqlite:
            with self._content.store.transaction() as tx:
                found = getattr(getattr(getattr(tx, "connection", None), "connection", None), "dbapi_connection", None)
            self._sqlite = isinstance(found, sqlite3.Connection)
            self._connection = found if self._sqlite else None
        if self._connection is None:
            return None
        try:
            (data_version,) = self._connection.execute("PRAGMA data_version").fetchone()
            return self._connection.total_changes, int(data_version)
        except sqlite3.Error:
            self._connection = None
            return None

    def resolve(self, host: str) -> Target | None:
        """``Registries.resolve``, cached (also when no registry answers to the host)."""
        self._current()
        if host in self._hosts:
            return self._hosts[host]
        target = self._registries.resolve(host)
        if self._version is not None:
            if len(self._hosts) >= MAX_HOSTS:
                self._hosts.clear()
            self._hosts[host] = target
        return target

    def manifest(self, registry: str, repo: str, reference: str) -> Manifest:
        """``Content.manifest``, cached when found."""
        self._current()
        key = (registry, repo, reference)
        found = self._manifests.get(key)
        if found is not None:
            return found
        found = self._content.manifest(registry, repo, reference)
        if self._version is not None:
            if self._manifest_bytes + found.size > MAX_MANIFEST_BYTES:
                self._manifests.clear()
                self._manifest_bytes = 0
            self._manifests[key] = found
            self._manifest_bytes += found.size
        return found

    def attributes(self, registry: str) -> dict[tuple[str, str, str], Attributes]:
        """``Content.attribute_map``, cached (a registry with no locks costs one dict lookup per pull)."""
        self._current()
        found = self._attributes.get(registry)
        if found is None:
            found = self._content.attribute_map(registry)
            if self._version is not None:
                if len(self._attributes) >= MAX_HOSTS:
                    self._attributes.clear()
                self._attributes[registry] = found
        return found
