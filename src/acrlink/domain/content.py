"""Registry content as the rules and the stores see it: manifests, tags and ACR's changeable attributes.

Plain values with no behaviour; every store backend returns them and every service takes them.
"""

from __future__ import annotations

from dataclasses import dataclass

REPOSITORY, TAG, MANIFEST = "repository", "tag", "manifest"
"""The kinds of target a changeable attribute is set on."""


@dataclass(frozen=True)
class Attributes:
    """ACR's changeable attributes of a repository, tag or manifest; all true until set (what each one
    refuses: ``domain/changeable.py``)."""

    delete_enabled: bool = True
    write_enabled: bool = True
    read_enabled: bool = True
    list_enabled: bool = True


UNLOCKED = Attributes()
"""The attributes of a target that never had any set."""


@dataclass(frozen=True)
class Manifest:
    """A stored manifest of a repository: its bytes as pushed, and what referrers are indexed by."""

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
    """A repository's tag: the manifest digest it points at, when it was created and last moved."""

    name: str
    digest: str
    created: str
    updated: str
