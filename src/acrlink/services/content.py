"""Registry content: the rules for pushing, reading, listing and deleting manifests, tags and blobs.

Every public method is one store transaction over the content tables. Blob bytes live in the blob
store; a repository holds a blob when it has a link to it (pushed, mounted or imported into it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from acrlink.clock import iso
from acrlink.clock import now as clock_now
from acrlink.domain.content import MANIFEST, REPOSITORY, TAG, Attributes, Manifest, Tag
from acrlink.domain.oci import check_tag, digest_of, is_digest_like, is_tag, parse_digest
from acrlink.domain.webhooks import Event, Origin, Target
from acrlink.errors import BadRequest, MethodNotAllowed, NotFound, TooLarge
from acrlink.registry.manifests import MAX_MANIFEST_BYTES, OCI_INDEX, ParsedManifest, parse_manifest
from acrlink.services import webhook_events
from acrlink.store.base import BlobRange, BlobStore, Store, Transaction
from acrlink.store.content import ContentTx, create_tables
from acrlink.unconfirmed import ATTRIBUTES_INVALID_CODE


def content_tx(tx: object) -> ContentTx:
    """The content tables inside an open store transaction (SQLite or PostgreSQL)."""
    return ContentTx(tx)  # type: ignore[arg-type]


_content = content_tx


@dataclass(frozen=True)
class Pushed:
    digest: str
    subject: str | None


def tag_unknown(repo: str, tag: str) -> NotFound:
    return NotFound("TAG_UNKNOWN", f"the tag {tag} is not known to the repository {repo}")


@dataclass
class ManifestUnknown(NotFound):
    """No manifest answers to the reference; ``tag`` is the tag it named (ACR's error ``detail``)."""

    tag: str | None = field(default=None)


def manifest_unknown(reference: str) -> ManifestUnknown:
    """ACR's words: ``manifest tagged by "TAG" is not found`` (the tag in ``detail``) and
    ``manifest DIGEST is not found`` (as recorded in Container Apps' and docker's error output)."""
    if is_digest_like(reference):
        return ManifestUnknown("MANIFEST_UNKNOWN", f"manifest {reference[:200]} is not found")
    return ManifestUnknown("MANIFEST_UNKNOWN", f'manifest tagged by "{reference[:200]}" is not found', tag=reference)


def name_unknown(repo: str) -> NotFound:
    return NotFound("NAME_UNKNOWN", f"repository name not known to registry: {repo}")


def blob_unknown(digest: str) -> NotFound:
    return NotFound("BLOB_UNKNOWN", f"blob unknown to registry: {digest}")


DISALLOWED_CODE = "REGISTRY_DISALLOWED_OPERATION"
DISALLOWED_MESSAGE = (
    "The operation is disallowed on this registry, repository or image. View troubleshooting steps at "
    "https://aka.ms/acr/faq/#why-does-my-pull-or-push-request-fail-with-disallowed-operation"
)
"""What ACR answers (405) for a push or delete a changeable attribute forbids (Azure/azure-sdk-for-net#22827)."""

ATTRIBUTE_NAMES = {
    "deleteEnabled": "delete_enabled",
    "writeEnabled": "write_enabled",
    "readEnabled": "read_enabled",
    "listEnabled": "list_enabled",
}
"""The changeable attributes as ACR's JSON names them, and as ``Attributes`` does."""


def disallowed() -> MethodNotAllowed:
    return MethodNotAllowed(DISALLOWED_CODE, DISALLOWED_MESSAGE)


def _may_write(found: Attributes) -> bool:
    return found.write_enabled


def _may_delete(found: Attributes) -> bool:
    """``writeEnabled`` false locks against deletion too (ACR's image lock article)."""
    return found.write_enabled and found.delete_enabled


def _check(allowed: Callable[[Attributes], bool], *targets: Attributes) -> None:
    if not all(allowed(t) for t in targets):
        raise disallowed()


class Content:
    def __init__(self, store: Store, blobs: BlobStore, now: Callable[[], str] = lambda: iso(clock_now())) -> None:
        self.store = store
        self.blobs = blobs
        self._now = now
        with store.transaction() as tx:
            create_tables(tx)  # type: ignore[arg-type]

    # Manifests ----------------------------------------------------------------------------------------

    def manifest(self, registry: str, repo: str, reference: str) -> Manifest:
        """A manifest by tag or digest; ``MANIFEST_UNKNOWN`` when there is none."""
        with self.store.transaction() as tx:
            content = _content(tx)
            digest = reference
            if not is_digest_like(reference):
                # A reference that cannot be a tag names nothing: 404 on reads, as the OCI conformance
                # suite expects ("HEAD/GET nonexistent manifest"); pushes still say TAG_INVALID.
                tag = content.tag(registry, repo, reference) if is_tag(reference) else None
                if tag is None:
                    raise manifest_unknown(reference)
                digest = tag.digest
            else:
                parse_digest(reference)
            found = content.manifest(registry, repo, digest)
        if found is None:
            raise manifest_unknown(reference)
        return found

    def put_manifest(
        self,
        registry: str,
        repo: str,
        reference: str,
        body: bytes,
        content_type: str | None,
        origin: Origin | None = None,
    ) -> Pushed:
        """Store a manifest under its digest (and tag). Pushing by digest verifies that digest with its
        own algorithm; every blob and child manifest it references must already be in the repository.
        A write-locked repository takes no pushes, a write-locked tag is not moved, and a write-locked
        manifest is not pushed over by digest (a new tag for it is a new tag, not a write to it).
        The push event for webhooks is queued in the same transaction (``origin``: the request's host,
        method and user agent)."""
        if len(body) > MAX_MANIFEST_BYTES:
            raise TooLarge("SIZE_INVALID", f"manifest exceeds the {MAX_MANIFEST_BYTES} byte limit")
        if is_digest_like(reference):
            wanted = parse_digest(reference)
            digest = digest_of(body, wanted.algorithm)
            if digest != str(wanted):
                raise BadRequest("DIGEST_INVALID", f"manifest digest {digest} does not match {reference}")
            tag = None
        else:
            tag = check_tag(reference)
            digest = digest_of(body)
        parsed = parse_manifest(body, content_type)
        now = self._now()
        with self.store.transaction() as tx:
            content = _content(tx)
            self._check_references(content, registry, repo, parsed)
            _check(_may_write, content.attributes(registry, repo, REPOSITORY))
            if tag is not None:
                _check(_may_write, content.attributes(registry, repo, TAG, tag))
            elif content.manifest(registry, repo, digest) is not None:
                _check(_may_write, content.attributes(registry, repo, MANIFEST, digest))
            content.touch_repository(registry, repo, now)
            content.put_manifest(registry, repo, self._row(digest, body, parsed, now))
            if tag is not None:
                content.put_tag(registry, repo, tag, digest, now)
            pushed = Target(repo, digest, parsed.media_type, len(body), tag)
            webhook_events.emit(tx, registry, Event("push", pushed, origin))
        return Pushed(digest, parsed.subject)

    @staticmethod
    def _row(digest: str, body: bytes, parsed: ParsedManifest, now: str) -> Manifest:
        return Manifest(
            digest=digest,
            media_type=parsed.media_type,
            size=len(body),
            body=body,
            created=now,
            artifact_type=parsed.artifact_type,
            subject=parsed.subject,
            annotations=json.dumps(parsed.annotations) if parsed.annotations else None,
        )

    def _check_references(self, content: ContentTx, registry: str, repo: str, parsed: ParsedManifest) -> None:
        missing = [d.digest for d in parsed.blobs if content.blob_size(registry, repo, d.digest) is None]
        missing += [d.digest for d in parsed.children if content.manifest(registry, repo, d.digest) is None]
        if missing:
            raise NotFound("MANIFEST_BLOB_UNKNOWN", f"manifest references unknown blobs: {', '.join(missing)}")

    def delete_manifest(self, registry: str, repo: str, reference: str, origin: Origin | None = None) -> None:
        """By digest: the manifest and its tags (a webhook delete event). By tag: only the tag (OCI 1.1; no
        event). Refused, changing nothing, when the repository or anything that would go is locked against
        deletion."""
        with self.store.transaction() as tx:
            content = _content(tx)
            if is_digest_like(reference):
                parse_digest(reference)
                if content.manifest(registry, repo, reference) is None:
                    raise manifest_unknown(reference)
                self._check_manifest_delete(content, registry, repo, reference)
                found = content.manifest(registry, repo, reference)
                tags = tuple(content.tags_of(registry, repo, reference))
                content.delete_manifest(registry, repo, reference)
                if found is not None:
                    _deleted(tx, registry, repo, found, tags, origin)
            else:
                tag = check_tag(reference)
                if content.tag(registry, repo, tag) is None:
                    raise manifest_unknown(reference)
                _check(_may_delete, *self._tag_targets(content, registry, repo, tag))
                content.delete_tag(registry, repo, tag)

    @staticmethod
    def _tag_targets(content: ContentTx, registry: str, repo: str, tag: str) -> tuple[Attributes, Attributes]:
        return content.attributes(registry, repo, REPOSITORY), content.attributes(registry, repo, TAG, tag)

    @staticmethod
    def _check_manifest_delete(content: ContentTx, registry: str, repo: str, digest: str) -> None:
        """Deleting a manifest deletes its tags: each of them, the manifest and the repository must allow it."""
        targets = [content.attributes(registry, repo, REPOSITORY), content.attributes(registry, repo, MANIFEST, digest)]
        targets += [content.attributes(registry, repo, TAG, t) for t in content.tags_of(registry, repo, digest)]
        _check(_may_delete, *targets)

    # Listing ------------------------------------------------------------------------------------------

    def tags(self, registry: str, repo: str, last: str | None, n: int | None, *, listed_only: bool = True) -> list[Tag]:
        """A page of tags; those with ``listEnabled`` false only when ``listed_only`` is False."""
        with self.store.transaction() as tx:
            content = _content(tx)
            if content.repository(registry, repo) is None:
                raise name_unknown(repo)
            return content.tags(registry, repo, last, n, listed_only=listed_only)

    def catalog(self, registry: str, last: str | None, n: int | None) -> list[str]:
        """A page of the repositories whose ``listEnabled`` is true."""
        with self.store.transaction() as tx:
            return _content(tx).repository_names(registry, last, n, listed_only=True)

    def referrers(self, registry: str, repo: str, subject: str, artifact_type: str | None) -> dict[str, object]:
        """The referrers API's answer: an OCI index of the manifests whose ``subject`` is ``subject``."""
        parse_digest(subject)
        with self.store.transaction() as tx:
            found = _content(tx).referrers(registry, repo, subject)
        entries = []
        for manifest in found:
            if artifact_type is not None and manifest.artifact_type != artifact_type:
                continue
            entry: dict[str, object] = {
                "mediaType": manifest.media_type,
                "digest": manifest.digest,
                "size": manifest.size,
            }
            if manifest.artifact_type:
                entry["artifactType"] = manifest.artifact_type
            if manifest.annotations:
                entry["annotations"] = json.loads(manifest.annotations)
            entries.append(entry)
        return {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}

    # Blobs --------------------------------------------------------------------------------------------

    def blob_size(self, registry: str, repo: str, digest: str) -> int:
        """The size of a blob the repository holds; ``BLOB_UNKNOWN`` otherwise."""
        parsed = parse_digest(digest)
        with self.store.transaction() as tx:
            size = _content(tx).blob_size(registry, repo, digest)
        if size is None or self.blobs.size(parsed) is None:
            raise blob_unknown(digest)
        return size

    def open_blob(self, registry: str, repo: str, digest: str, first: int, last: int) -> BlobRange:
        """Bytes ``first..last`` of a blob the repository holds, open; ``BLOB_UNKNOWN`` when its bytes are gone."""
        try:
            return self.blobs.open_range(parse_digest(digest), first, last)
        except FileNotFoundError:
            raise blob_unknown(digest) from None

    def link_blob(self, registry: str, repo: str, digest: str, size: int) -> None:
        with self.store.transaction() as tx:
            _content(tx).link_blob(registry, repo, digest, size)

    def mount(self, registry: str, repo: str, digest: str, source: str) -> bool:
        """Link a blob another repository of the registry holds; False when it does not hold it."""
        parsed = parse_digest(digest)
        with self.store.transaction() as tx:
            content = _content(tx)
            size = content.blob_size(registry, source, digest)
            if size is None or self.blobs.size(parsed) is None:
                return False
            content.link_blob(registry, repo, digest, size)
        return True

    def delete_blob(self, registry: str, repo: str, digest: str) -> None:
        parse_digest(digest)
        with self.store.transaction() as tx:
            content = _content(tx)
            if content.blob_size(registry, repo, digest) is None:
                raise blob_unknown(digest)
            _check(_may_delete, content.attributes(registry, repo, REPOSITORY))
            content.unlink_blob(registry, repo, digest)

    # Repositories (ACR's /acr/v1 API) -----------------------------------------------------------------

    def repository(self, registry: str, repo: str) -> tuple[dict[str, str], list[Manifest], list[Tag]]:
        with self.store.transaction() as tx:
            content = _content(tx)
            found = content.repository(registry, repo)
            if found is None:
                raise name_unknown(repo)
            return found, content.manifests(registry, repo), content.tags(registry, repo)

    def tags_of(self, registry: str, repo: str, digest: str) -> list[str]:
        with self.store.transaction() as tx:
            return _content(tx).tags_of(registry, repo, digest)

    def delete_repository(self, registry: str, repo: str, origin: Origin | None = None) -> tuple[list[str], list[str]]:
        """Delete a repository; the manifests and tags it held (a webhook delete event for each manifest).
        Refused, changing nothing, while the repository or any tag or manifest in it is locked against
        deletion."""
        with self.store.transaction() as tx:
            content = _content(tx)
            if content.repository(registry, repo) is None:
                raise name_unknown(repo)
            locks = [a for (r, _, _), a in content.all_attributes(registry).items() if r == repo]
            _check(_may_delete, *locks)
            manifests = content.manifests(registry, repo)
            digests = [m.digest for m in manifests]
            tag_names = [t.name for t in content.tags(registry, repo)]
            tags_by_digest = {m.digest: tuple(content.tags_of(registry, repo, m.digest)) for m in manifests}
            content.delete_repository(registry, repo)
            for manifest in manifests:
                _deleted(tx, registry, repo, manifest, tags_by_digest[manifest.digest], origin)
        return digests, tag_names

    def delete_tag(self, registry: str, repo: str, tag: str) -> None:
        with self.store.transaction() as tx:
            content = _content(tx)
            if content.tag(registry, repo, check_tag(tag)) is None:
                raise tag_unknown(repo, tag)
            _check(_may_delete, *self._tag_targets(content, registry, repo, tag))
            content.delete_tag(registry, repo, tag)

    # Changeable attributes ----------------------------------------------------------------------------

    def attribute_map(self, registry: str) -> dict[tuple[str, str, str], Attributes]:
        """Every attribute a registry's repositories, tags and manifests have that is not the default,
        by (repo, kind, ref); a missing key means all true."""
        with self.store.transaction() as tx:
            return _content(tx).all_attributes(registry)

    def update_attributes(self, registry: str, repo: str, kind: str, ref: str, body: object) -> Attributes:
        """Apply a PATCH body (``{"writeEnabled": false, ...}``; attributes it leaves out keep their value)
        to an existing repository (``ref`` empty), tag or manifest (``ref`` a digest, or a tag naming one)."""
        changes = _attribute_changes(body)
        with self.store.transaction() as tx:
            content = _content(tx)
            if content.repository(registry, repo) is None:
                raise name_unknown(repo)
            if kind == TAG:
                if content.tag(registry, repo, check_tag(ref)) is None:
                    raise tag_unknown(repo, ref)
            elif kind == MANIFEST:
                if not is_digest_like(ref):
                    found = content.tag(registry, repo, check_tag(ref))
                    if found is None:
                        raise manifest_unknown(ref)
                    ref = found.digest
                parse_digest(ref)
                if content.manifest(registry, repo, ref) is None:
                    raise manifest_unknown(ref)
            current = content.attributes(registry, repo, kind, ref)
            updated = Attributes(**{**current.__dict__, **changes})
            content.put_attributes(registry, repo, kind, ref, updated)
        return updated

    def drop_registry(self, registry: str) -> None:
        with self.store.transaction() as tx:
            _content(tx).drop_registry(registry)


def _attribute_changes(body: object) -> dict[str, bool]:
    """The attributes a PATCH body sets. Booleans only; ``teleportEnabled`` (repositories) and other
    names acrlink does not model are ignored."""
    if not isinstance(body, dict):
        raise BadRequest(ATTRIBUTES_INVALID_CODE, "the request body must be a JSON object of changeable attributes")
    changes: dict[str, bool] = {}
    for name, attribute in ATTRIBUTE_NAMES.items():
        if name in body:
            value = body[name]
            if not isinstance(value, bool):
                raise BadRequest(ATTRIBUTES_INVALID_CODE, f"{name} must be true or false")
            changes[attribute] = value
    return changes


def _deleted(
    tx: Transaction, registry: str, repo: str, manifest: Manifest, tags: tuple[str, ...], origin: Origin | None
) -> None:
    """Queue the webhook delete event of a manifest that is gone (with the tags it had, for scope matching)."""
    target = Target(repo, manifest.digest, manifest.media_type, manifest.size, tags=tags)
    webhook_events.emit(tx, registry, Event("delete", target, origin))
