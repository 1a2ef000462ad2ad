"""Read caches for the registry face's hot path: which registry a host names, manifests by reference, and
each registry's changeable attributes (which pulls must check).

Without them a manifest GET costs five SQL statements built through SQLAlchemy in two transactions
(about 1.4 ms of CPU; CNCF Distribution answers in 1.1 ms). An entry is tagged with the change signal's
``(WORLD, CONTENT)`` versions (``services/changes.py``) and used only while they have not moved: registries
and their names are ARM resources (``WORLD``), manifests, tags and attributes registry content (``CONTENT``).
This process's own writes move the signal as they commit, so a cached answer is the answer the store gives
now; another process's writes within the signal's poll interval (under a second). Any write of either kind
empties every cache. Failed manifest lookups are not cached (their errors are recomputed).
"""

from __future__ import annotations

from acrlink.domain.content import Attributes, Manifest
from acrlink.services.changes import ChangeSignal
from acrlink.services.content import Content
from acrlink.services.registry import Registries, Target

MAX_HOSTS = 1024
"""Host names are client input: the host cache is emptied when it reaches this many entries."""
MAX_MANIFEST_BYTES = 16 << 20
"""Manifests are cached up to this many body bytes in all (one manifest may be 4 MiB)."""


class ReadCache:
    """The registry face's look-ups, remembered while the change signal stays (module docstring)."""

    def __init__(self, registries: Registries, content: Content, signal: ChangeSignal) -> None:
        self._registries = registries
        self._content = content
        self._signal = signal
        self._version: tuple[int, int] | None = None
        self._hosts: dict[str, Target | None] = {}
        self._manifests: dict[tuple[str, str, str], Manifest] = {}
        self._manifest_bytes = 0
        self._attributes: dict[str, dict[tuple[str, str, str], Attributes]] = {}

    def _current(self) -> None:
        """Empty the caches if the signal moved since they were filled."""
        version = self._signal.stamp()
        if version != self._version:
            self._hosts.clear()
            self._manifests.clear()
            self._manifest_bytes = 0
            self._attributes.clear()
            self._version = version

    def resolve(self, host: str) -> Target | None:
        """``Registries.resolve``, cached (also when no registry answers to the host). A remembered miss is
        checked again once the signal catches up with the store (``ChangeSignal.catch_up``): the registry
        may be another process's of an instant ago."""
        self._current()
        if host in self._hosts:
            cached = self._hosts[host]
            if cached is not None or not self._signal.catch_up():
                return cached
            self._current()
        target = self._registries.resolve(host)
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
            if len(self._attributes) >= MAX_HOSTS:
                self._attributes.clear()
            self._attributes[registry] = found
        return found
