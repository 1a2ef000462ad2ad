"""ARM ``importImage``: what a request asks to copy, and where to.

Pure: reads the source image and the targets of a request whose source registry is already resolved
(``resources/imports.py``); ``services/imports.py`` does the copy.
"""

from __future__ import annotations

from dataclasses import dataclass

from acrlink.domain.oci import check_name, check_reference, check_tag, is_digest_like
from acrlink.errors import BadRequest

MODES = ("NoForce", "Force")
"""``NoForce`` refuses to move an existing target tag to another manifest; ``Force`` moves it."""


def invalid(message: str) -> BadRequest:
    """ACR's refusal of an import request it cannot carry out as asked (400 ``InvalidParameters``)."""
    return BadRequest("InvalidParameters", message)


@dataclass(frozen=True)
class ImportRequest:
    """An import, resolved: the source registry's content key (a registry's lower-case name, or
    ``mcr.microsoft.com``), its repository and reference (tag or digest), the (repository, tag) targets, the
    repositories that get the image untagged, and whether existing tags may be moved (``Force``)."""

    source_registry: str
    source_repo: str
    reference: str
    targets: tuple[tuple[str, str], ...]
    untagged: tuple[str, ...]
    force: bool

    @property
    def repositories(self) -> list[str]:
        """Every target repository, once each, tagged ones first."""
        return list(dict.fromkeys([r for r, _ in self.targets] + list(self.untagged)))


def split_image(image: str) -> tuple[str, str]:
    """``repo:tag``, ``repo@digest`` or ``repo`` (tag ``latest``) -> (repository, reference)."""
    if "@" in image:
        repo, reference = image.split("@", 1)
    elif ":" in image.rsplit("/", 1)[-1]:
        repo, reference = image.rsplit(":", 1)
    else:
        repo, reference = image, "latest"
    return check_name(repo), check_reference(reference)


def split_target(text: str) -> tuple[str, str]:
    """A target tag ``repo:tag`` or ``repo`` (tag ``latest``) -> (repository, tag)."""
    repo, _, tag = text.rpartition(":") if ":" in text.rsplit("/", 1)[-1] else (text, "", "latest")
    return check_name(repo), check_tag(tag)


def check_mode(mode: str) -> bool:
    """Whether an import of this mode may move existing tags (``Force``); ``InvalidParameters`` for a mode
    that is neither ``NoForce`` nor ``Force``."""
    if mode not in MODES:
        raise invalid(f"The import mode '{mode}' is not valid; use NoForce or Force.")
    return mode == "Force"


def import_request(
    source_registry: str, source_image: str, target_tags: list[str], untagged: list[str], mode: str
) -> ImportRequest:
    """Read a request's image, targets and mode. With neither target tags nor untagged repositories, the
    image keeps its name: the source repository and tag, or the source repository untagged for a digest."""
    force = check_mode(mode)
    repo, reference = split_image(source_image)
    targets = [split_target(t) for t in target_tags]
    repositories = [check_name(r) for r in untagged]
    if not targets and not repositories:
        if is_digest_like(reference):
            repositories = [repo]
        else:
            targets = [(repo, reference)]
    return ImportRequest(source_registry, repo, reference, tuple(targets), tuple(repositories), force)
