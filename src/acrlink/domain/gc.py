"""Garbage collection: which stored blobs and which blob links are garbage (pure; ``services/gc.py`` applies it).

Blob bytes are shared by digest across every registry, so a blob is judged against the whole store:

- a **blob link** (repository -> blob) is stale when it is older than the grace period and no manifest of
  its own repository references the blob; stale links are removed;
- a **stored blob** is garbage when no manifest of any registry references it, no link to it remains (every
  remaining link is young or referenced), and its bytes were last written or touched longer ago than the
  grace period.

Manifests are rows, not blobs: a manifest's body never needs a blob. What a manifest keeps alive is read
leniently from its stored body (``references``): anything that names a blob where any manifest format puts
one, so a manifest the registry accepted keeps at least every blob it checked at push.

The grace period is what makes collection safe while pushes run: a blob pushed but not yet referenced (the
manifest comes after its layers) is young, and so is its link.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

DEFAULT_GRACE_SECONDS = 3600.0
"""How old an unreferenced blob or link must be before it is collected (``ACRLINK_GC_GRACE_SECONDS``)."""
DEFAULT_INTERVAL_SECONDS = 600.0
"""How often ``acrlink up`` collects on its own (``ACRLINK_GC_INTERVAL_SECONDS``; 0 never)."""


@dataclass(frozen=True)
class Link:
    """A repository's link to a blob, and when it was last made or held (epoch seconds)."""

    registry: str
    repo: str
    digest: str
    linked: float


@dataclass(frozen=True)
class StoredManifest:
    """A manifest row as collection reads it: where it is, its media type and body."""

    registry: str
    repo: str
    media_type: str
    body: bytes


@dataclass
class References:
    """The blobs manifests reference: per repository (which links are in use) and in all (which bytes)."""

    in_repository: set[tuple[str, str, str]] = field(default_factory=set)
    digests: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Plan:
    """What one collection removes, judged on one consistent reading of the store."""

    links: list[Link]
    blobs: list[str]


def cutoff(now: float, grace_seconds: float) -> float:
    """The moment before which unreferenced links and bytes count as abandoned."""
    if grace_seconds < 0:
        raise ValueError("the grace period cannot be negative")
    return now - grace_seconds


def _descriptor_digest(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        digest = value.get("digest")
        if isinstance(digest, str):
            yield digest


def references(body: bytes) -> frozenset[str]:
    """The blob digests a stored manifest keeps alive: its ``config`` and ``layers`` (with or without
    ``urls``), the ``blobs`` of an artifact manifest, and the ``fsLayers`` of a schema 1 manifest. An index's
    ``manifests`` and any ``subject`` are manifests, not blobs. A body that is not JSON keeps nothing (the
    registry never accepts one)."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return frozenset()
    if not isinstance(document, dict):
        return frozenset()
    found: set[str] = set(_descriptor_digest(document.get("config")))
    for key in ("layers", "blobs"):
        items = document.get(key)
        if isinstance(items, list):
            for item in items:
                found.update(_descriptor_digest(item))
    schema1 = document.get("fsLayers")
    if isinstance(schema1, list):
        found.update(i["blobSum"] for i in schema1 if isinstance(i, dict) and isinstance(i.get("blobSum"), str))
    return frozenset(found)


def referenced(manifests: Iterable[StoredManifest]) -> References:
    """Every blob the given manifests reference, per repository and in all."""
    found = References()
    for manifest in manifests:
        for digest in references(manifest.body):
            found.in_repository.add((manifest.registry, manifest.repo, digest))
            found.digests.add(digest)
    return found


def is_stale(link: Link, refs: References, before: float) -> bool:
    """A link older than ``before`` that no manifest of its repository references."""
    return link.linked < before and (link.registry, link.repo, link.digest) not in refs.in_repository


def is_garbage(digest: str, modified: float, refs: References, linked: set[str], before: float) -> bool:
    """Stored bytes no manifest references, no remaining link names, last written or touched before ``before``."""
    return digest not in refs.digests and digest not in linked and modified < before


def plan(
    manifests: Iterable[StoredManifest], links: Iterable[Link], blobs: Iterable[tuple[str, float]], before: float
) -> Plan:
    """The whole rule on one reading: the stale links, and the blobs (digest, last modified) that are garbage
    once those links are gone."""
    refs = referenced(manifests)
    stale: list[Link] = []
    remaining: set[str] = set()
    for link in links:
        if is_stale(link, refs, before):
            stale.append(link)
        else:
            remaining.add(link.digest)
    garbage = [d for d, modified in blobs if is_garbage(d, modified, refs, remaining, before)]
    return Plan(stale, garbage)
