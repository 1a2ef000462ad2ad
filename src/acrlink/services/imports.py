"""ARM ``importImage``: copy an image (an index with every platform) from the ``mcr.microsoft.com`` stand-in
or another acrlink registry into a registry, inside the ARM request's transaction.

Blob bytes are content-addressed and shared, so a copy links blobs and no bytes move. The manifests go in
the way a client's push would send them, through ``content.write_manifest``: each platform's manifest by
digest, then the image by each target tag, or by digest into each untagged target repository. So the
changeable attributes hold as they do for a push: an import into a write-locked repository, onto a
write-locked tag, or over a write-locked manifest by digest is refused, and the whole request changes
nothing (``unconfirmed.IMPORT_LOCKED_CODE``). One webhook push event is queued per target, as ACR sends.
"""

from __future__ import annotations

from datetime import datetime

from acrlink import unconfirmed
from acrlink.clock import iso
from acrlink.domain.changeable import DISALLOWED_CODE, DISALLOWED_MESSAGE
from acrlink.domain.content import Manifest
from acrlink.domain.imports import ImportRequest, invalid
from acrlink.domain.manifests import parse_manifest
from acrlink.domain.oci import is_digest_like
from acrlink.domain.webhooks import Event, Target
from acrlink.errors import Conflict, MethodNotAllowed
from acrlink.resources import webhook_events
from acrlink.services import content as registry_content
from acrlink.store.base import ContentTransaction, Transaction


def _closure(content: ContentTransaction, registry: str, repo: str, top: Manifest) -> list[Manifest]:
    """The manifest and, for an index, every manifest it lists (children first)."""
    ordered: list[Manifest] = []
    for child in parse_manifest(top.body, top.media_type).children:
        found = content.manifest(registry, repo, child.digest)
        if found is None:
            raise invalid(f"The source manifest {child.digest} is incomplete in the source registry.")
        ordered.extend(_closure(content, registry, repo, found))
    return [*ordered, top]


def _source(content: ContentTransaction, request: ImportRequest, image: str) -> Manifest:
    digest = request.reference
    if not is_digest_like(digest):
        tag = content.tag(request.source_registry, request.source_repo, digest)
        if tag is None:
            raise invalid(f"The source image '{image}' was not found.")
        digest = tag.digest
    top = content.manifest(request.source_registry, request.source_repo, digest)
    if top is None:
        raise invalid(f"The source image '{image}' was not found.")
    return top


def _link_blobs(
    content: ContentTransaction, request: ImportRequest, registry: str, repo: str, manifest: Manifest
) -> None:
    for blob in parse_manifest(manifest.body, manifest.media_type).blobs:
        size = content.blob_size(request.source_registry, request.source_repo, blob.digest)
        if size is None or not content.hold_links(request.source_registry, request.source_repo, [blob.digest]):
            raise invalid(f"The source blob {blob.digest} is missing in the source registry.")
        content.link_blob(registry, repo, blob.digest, size)


def _write(tx: Transaction, registry: str, repo: str, manifest: Manifest, tag: str | None, now: str) -> None:
    """One manifest in, through the push path; a changeable attribute's refusal becomes ARM's."""
    copied = Manifest(**{**manifest.__dict__, "created": now})
    parsed = parse_manifest(manifest.body, manifest.media_type)
    try:
        registry_content.write_manifest(tx, registry, repo, copied, parsed, tag, now)
    except MethodNotAllowed as refused:
        if refused.code != DISALLOWED_CODE:
            raise
        where = f"{repo}:{tag}" if tag is not None else f"{repo}@{manifest.digest}"
        raise Conflict(
            unconfirmed.IMPORT_LOCKED_CODE, f"The import to {where} is not allowed: {DISALLOWED_MESSAGE}"
        ) from None


def import_image(tx: Transaction, registry: str, request: ImportRequest, image: str, now: datetime) -> None:
    """Copy the image ``request`` names into ``registry`` (its content key) inside ``tx``. ``NoForce``
    refuses (409 ``TagAlreadyExists``) to move a target tag that points at another manifest; the source
    must hold the image whole (``InvalidParameters``); ``image`` is the request's source image, for messages."""
    content = tx.content
    top = _source(content, request, image)
    if not request.force:
        for repo, tag in request.targets:
            existing = content.tag(registry, repo, tag)
            if existing is not None and existing.digest != top.digest:
                raise Conflict(
                    "TagAlreadyExists",
                    f"The tag {repo}:{tag} already exists in the target registry; use --force.",
                )
    manifests = _closure(content, request.source_registry, request.source_repo, top)
    written = iso(now)
    for repo in request.repositories:
        for manifest in manifests:
            _link_blobs(content, request, registry, repo, manifest)
        for child in manifests[:-1]:
            _write(tx, registry, repo, child, None, written)
    for repo, tag in request.targets:
        _write(tx, registry, repo, top, tag, written)
    for repo in request.untagged:
        _write(tx, registry, repo, top, None, written)
    pushed: list[tuple[str, str | None]] = [*request.targets, *((r, None) for r in request.untagged)]
    for repo, pushed_tag in pushed:
        target = Target(repo, top.digest, top.media_type, top.size, pushed_tag)
        webhook_events.emit(tx, registry, Event("push", target))


class ArmContent:
    """Registry content as ARM's resource rules reach it (``resources.base.RegistryContent``): inside the
    ARM request's transaction, through the same rules as the registry face."""

    def import_image(self, tx: Transaction, registry: str, request: ImportRequest, image: str, now: datetime) -> None:
        """``importImage`` (``import_image``)."""
        import_image(tx, registry, request, image, now)

    def drop_registry(self, tx: Transaction, registry: str) -> None:
        """A deleted registry's content goes with it (``content.drop_registry``)."""
        registry_content.drop_registry(tx, registry)
