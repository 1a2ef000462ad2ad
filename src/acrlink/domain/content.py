"""Registry content as the rules and the stores see it: manifests, tags and ACR's changeable attributes.

Plain values with no behaviour; every store backend returns them and every service takes them.
"""

from __future__ import annotations

from dataclasses import dataclass

REPOSITORY, TAG, MANIFEST = "repository", "tag", "manifest"
"""The kinds of target a changeable attribute is set on."""


@dataclass(frozen=True)
class Attributes:
    delete_enabled: bool = True
    write_enabled: bool = True
    read_enabled: bool = True
    list_enabled: bool = True


UNLOCKED = Attributes()


@dataclass(frozen=True)
class Manifest:
    digest: str
    media_type: str
    size: int
    body: bytes
    created: str
    artifact_type: str | None = None
    subject: str | None = None
    annotations: str | None = None
    """The manifest's ``annotations`` as JSON text (for referrers' descriptors), or None."""


@dataclass(frozen=True)
class Tag:
    name: str
    digest: str
    created: str
    updated: str
