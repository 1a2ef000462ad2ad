"""Registry content: the rules for pushing, importing, reading, listing and deleting manifests, tags and blobs.

The one owner of registry content: every write of a manifest, tag, blob link or changeable attribute goes
through this module, inside one store transaction (``tx.content``, the store's ``ContentTransaction``)
that marks the ``CONTENT`` change topic, so every process's read cache sees it. ACR's changeable
attributes (``domain/changeable.py``) are applied here and nowhere else. Blob bytes live in the blob
store; a repository holds a blob when it has a link to it (pushed, mounted or imported into it).

``write_manifest`` is the one path a manifest takes into a repository: a push (``Content.put_manifest``)
and ``importImage`` (``services/imports.py``, inside the ARM request's transaction) both take it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from acrlink.clock import iso
from acrlink.clock import now as clock_now
from acrlink.domain import changeable
from acrlink.domain.content import MANIFEST, REPOSITORY, TAG, UNLOCKED, Attributes, Manifest, Tag
from acrlink.domain.manifests import MAX_MANIFEST_BYTES, OCI_INDEX, ParsedManifest, parse_manifest
from acrlink.domain.oci import check_tag, digest_of, is_digest_like, is_tag, parse_digest
from acrlink.domain.webhooks import Event, Origin, Target
from acrlink.errors import BadRequest, NotFound, TooLarge
from acrlink.resources import webhook_events
from acrlink.services import offload
from acrlink.store.base import CONTENT, BlobStore, ContentTransaction, Store, Transaction
from acrlink.store.base import BlobRange as BlobRange  # what ``open_blob`` gives the faces

AttributeMap = dict[tuple[str, str, str], Attributes]
"""A registry's changeable attributes that are not the default, by (repository, kind, ref)."""


@dataclass(frozen=True)
class Pushed:
    """A stored manifest's digest, and the subject it names (the ``OCI-Subject`` header)."""

    digest: str
    subject: str | None


def tag_unknown(repo: str, tag: str) -> NotFound:
    """No tag of that name in the repository."""
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
    """No repository of that name in the registry."""
    return NotFound("NAME_UNKNOWN", f"repository name not known to registry: {repo}")


def blob_unknown(digest: str) -> NotFound:
    """The repository holds no blob of that digest (or its bytes are gone)."""
    return NotFound("BLOB_UNKNOWN", f"blob unknown to registry: {digest}")


# The write path shared by pushes and imports ------------------------------------------------------------


def manifest_row(digest: str, body: bytes, parsed: ParsedManifest, now: str) -> Manifest:
    """The stored form of a parsed manifest."""
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


def _check_references(content: ContentTransaction, registry: str, repo: str, parsed: ParsedManifest) -> None:
    """Every referenced blob linked in the repository (held: garbage collection keeps what a push relies on)
    and every child manifest in it."""
    held = content.hold_links(registry, repo, [d.digest for d in parsed.blobs])
    missing = [d.digest for d in parsed.blobs if d.digest not in held]
    missing += [d.digest for d in parsed.children if content.manifest(registry, repo, d.digest) is None]
    if missing:
        raise NotFound("MANIFEST_BLOB_UNKNOWN", f"manifest references unknown blobs: {', '.join(missing)}")


def write_manifest(
    tx: Transaction, registry: str, repo: str, manifest: Manifest, parsed: ParsedManifest, tag: str | None, now: str
) -> None:
    """Store a manifest in a repository, by ``tag`` or (``tag`` None) by digest, inside ``tx``: every blob
    and child manifest it references must already be in the repository (``MANIFEST_BLOB_UNKNOWN``), and the
    changeable attributes must allow the write: the repository's and the tag's ``writeEnabled``, or, by
    digest over a manifest the repository has, the manifest's (``changeable.check_write``). Queues no
    webhook event: the caller knows which push it was."""
    content = tx.content
    _check_references(content, registry, repo, parsed)
    written = [content.attributes(registry, repo, REPOSITORY)]
    if tag is not None:
        written.append(content.attributes(registry, repo, TAG, tag))
    elif content.manifest(registry, repo, manifest.digest) is not None:
        written.append(content.attributes(registry, repo, MANIFEST, manifest.digest))
    changeable.check_write(*written)
    content.touch_repository(registry, repo, now)
    content.put_manifest(registry, repo, manifest)
    if tag is not None:
        content.put_tag(registry, repo, tag, manifest.digest, now)
    tx.changed(CONTENT)


def drop_registry(tx: Transaction, registry: str) -> None:
    """Everything a registry's repositories hold goes, inside ``tx`` (its ARM resource is being deleted; a
    new registry of the same name starts empty). Blob bytes stay: they are shared by digest."""
    tx.content.drop_registry(registry)
    tx.changed(CONTENT)


def _deleted(
    tx: Transaction, registry: str, repo: str, manifest: Manifest, tags: tuple[str, ...], origin: Origin | None
) -> None:
    """Queue the webhook delete event of a manifest that is gone (with the tags it had, for scope matching)."""
    target = Target(repo, manifest.digest, manifest.media_type, manifest.size, tags=tags)
    webhook_events.emit(tx, registry, Event("delete", target, origin))


class Content:
    """Registry content over a store and a blob store; each public method is one store transaction."""

    def __init__(self, store: Store, blobs: BlobStore, now: Callable[[], str] = lambda: iso(clock_now())) -> None:
        self.store = store
        self.blobs = blobs
        self._now = now

    # Manifests ----------------------------------------------------------------------------------------

    def manifest(self, registry: str, repo: str, reference: str) -> Manifest:
        """A manifest by tag or digest; ``MANIFEST_UNKNOWN`` when there is none."""
        with self.store.transaction() as tx:
            content = tx.content
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
        """Push: store a manifest under its digest (and tag) through ``write_manifest``. Pushing by digest
        verifies that digest with its own algorithm. The push event for webhooks is queued in the same
        transaction (``origin``: the request's host, method and user agent)."""
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
            write_manifest(tx, registry, repo, manifest_row(digest, body, parsed, now), parsed, tag, now)
            pushed = Target(repo, digest, parsed.media_type, len(body), tag)
            webhook_events.emit(tx, registry, Event("push", pushed, origin))
        return Pushed(digest, parsed.subject)

    def delete_manifest(self, registry: str, repo: str, reference: str, origin: Origin | None = None) -> None:
        """By digest: the manifest and its tags (a webhook delete event). By tag: only the tag (OCI 1.1; no
        event). Refused, changing nothing, when the repository or anything that would go is locked against
        deletion."""
        with self.store.transaction() as tx:
            content = tx.content
            if is_digest_like(reference):
                parse_digest(reference)
                found = content.manifest(registry, repo, reference)
                if found is None:
                    raise manifest_unknown(reference)
                tags = tuple(content.tags_of(registry, repo, reference))
                going = [content.attributes(registry, repo, REPOSITORY)]
                going.append(content.attributes(registry, repo, MANIFEST, reference))
                going += [content.attributes(registry, repo, TAG, t) for t in tags]
                changeable.check_delete(*going)
                content.delete_manifest(registry, repo, reference)
                _deleted(tx, registry, repo, found, tags, origin)
            else:
                tag = check_tag(reference)
                if content.tag(registry, repo, tag) is None:
                    raise manifest_unknown(reference)
                self._delete_tag(tx, registry, repo, tag)
            tx.changed(CONTENT)

    @staticmethod
    def _delete_tag(tx: Transaction, registry: str, repo: str, tag: str) -> None:
        content = tx.content
        changeable.check_delete(
            content.attributes(registry, repo, REPOSITORY), content.attributes(registry, repo, TAG, tag)
        )
        content.delete_tag(registry, repo, tag)

    # Reading: the changeable attributes a pull and a listing obey --------------------------------------

    @staticmethod
    def check_read(locks: AttributeMap, repo: str, *targets: tuple[str, str]) -> None:
        """Refuse a pull from ``repo`` when the repository, or one of the (kind, ref) targets the pull names
        (the tag, the manifest), has ``readEnabled`` false (``changeable.check_read``). ``locks`` is
        ``attribute_map``'s answer (the registry face's read cache keeps it: a pull costs no transaction)."""
        if not locks:
            return
        found = [locks.get((repo, kind, ref), UNLOCKED) for kind, ref in ((REPOSITORY, ""), *targets)]
        changeable.check_read(*found)

    # Listing ------------------------------------------------------------------------------------------

    def tags(self, registry: str, repo: str, last: str | None, n: int | None, *, listed_only: bool = True) -> list[Tag]:
        """A page of tags; those with ``listEnabled`` false only when ``listed_only`` is False."""
        with self.store.transaction() as tx:
            content = tx.content
            if content.repository(registry, repo) is None:
                raise name_unknown(repo)
            return content.tags(registry, repo, last, n, listed_only=listed_only)

    def catalog(self, registry: str, last: str | None, n: int | None) -> list[str]:
        """A page of the repositories whose ``listEnabled`` is true."""
        with self.store.transaction() as tx:
            return tx.content.repository_names(registry, last, n, listed_only=True)

    def manifest_listing(self, registry: str, repo: str) -> tuple[list[Manifest], list[Tag], AttributeMap]:
        """What ``/acr/v1/REPO/_manifests`` shows: the manifests whose ``listEnabled`` is true, every tag of
        the repository (to name each manifest's) and the registry's attributes; ``NAME_UNKNOWN`` for no
        such repository."""
        with self.store.transaction() as tx:
            content = tx.content
            if content.repository(registry, repo) is None:
                raise name_unknown(repo)
            locks = content.all_attributes(registry)
            listed = [
                m
                for m in content.manifests(registry, repo)
                if changeable.is_listed(locks.get((repo, MANIFEST, m.digest), UNLOCKED))
            ]
            return listed, content.tags(registry, repo), locks

    def referrers(self, registry: str, repo: str, subject: str, artifact_type: str | None) -> dict[str, object]:
        """The referrers API's answer: an OCI index of the manifests whose ``subject`` is ``subject``."""
        parse_digest(subject)
        with self.store.transaction() as tx:
            found = tx.content.referrers(registry, repo, subject)
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

    # The blob methods called from the event loop are coroutines: the blob store's calls go through
    # ``offload`` (a worker thread when the store is behind a network).

    async def blob_size(self, registry: str, repo: str, digest: str) -> int:
        """The size of a blob the repository holds and the blob store has; ``BLOB_UNKNOWN`` otherwise. The
        blob store is asked every time (no process caches whether a blob exists: another may delete it)."""
        parsed = parse_digest(digest)
        with self.store.transaction() as tx:
            size = tx.content.blob_size(registry, repo, digest)
        if size is None or await offload.call(self.blobs, self.blobs.size, parsed) is None:
            raise blob_unknown(digest)
        return size

    async def open_blob(self, registry: str, repo: str, digest: str, first: int, last: int) -> BlobRange:
        """Bytes ``first..last`` of a blob the repository holds, open; ``BLOB_UNKNOWN`` when its bytes are gone."""
        try:
            return await offload.call(self.blobs, self.blobs.open_range, parse_digest(digest), first, last)
        except FileNotFoundError:
            raise blob_unknown(digest) from None

    def link_blob(self, registry: str, repo: str, digest: str, size: int) -> None:
        """The repository holds the (stored) blob from now on."""
        with self.store.transaction() as tx:
            tx.content.link_blob(registry, repo, digest, size)
            tx.changed(CONTENT)

    def put_blob(self, registry: str, repo: str, data: bytes) -> str:
        """Store small content under its digest (unless stored already) and link it to the repository; the
        digest. For content acrlink makes itself (the ``mcr.microsoft.com`` stand-in's samples)."""
        digest = digest_of(data)
        if self.blobs.size(parse_digest(digest)) is None:
            self.blobs.write(parse_digest(digest), data)
        self.link_blob(registry, repo, digest, len(data))
        return digest

    async def mount(self, registry: str, repo: str, digest: str, source: str) -> bool:
        """Link a blob another repository of the registry holds; False when it does not hold it. The bytes
        are checked first, then the source link is held and the new one made in one transaction: bytes
        collected after the check had lost every link before it, so the hold finds none and nothing links."""
        parsed = parse_digest(digest)
        if await offload.call(self.blobs, self.blobs.size, parsed) is None:
            return False
        with self.store.transaction() as tx:
            content = tx.content
            size = content.blob_size(registry, source, digest)
            if size is None or not content.hold_links(registry, source, [digest]):
                return False
            content.link_blob(registry, repo, digest, size)
            tx.changed(CONTENT)
        return True

    def delete_blob(self, registry: str, repo: str, digest: str) -> None:
        """Unlink a blob from the repository (its bytes stay: other repositories may hold them); refused
        while the repository is locked against deletion."""
        parse_digest(digest)
        with self.store.transaction() as tx:
            content = tx.content
            if content.blob_size(registry, repo, digest) is None:
                raise blob_unknown(digest)
            changeable.check_delete(content.attributes(registry, repo, REPOSITORY))
            content.unlink_blob(registry, repo, digest)
            tx.changed(CONTENT)

    # Repositories (ACR's /acr/v1 API) -----------------------------------------------------------------

    def repository(self, registry: str, repo: str) -> tuple[dict[str, str], list[Manifest], list[Tag]]:
        """A repository's row, manifests and tags; ``NAME_UNKNOWN`` for no such repository."""
        with self.store.transaction() as tx:
            content = tx.content
            found = content.repository(registry, repo)
            if found is None:
                raise name_unknown(repo)
            return found, content.manifests(registry, repo), content.tags(registry, repo)

    def tags_of(self, registry: str, repo: str, digest: str) -> list[str]:
        """The tags that point at a manifest, in lexical order."""
        with self.store.transaction() as tx:
            return tx.content.tags_of(registry, repo, digest)

    def delete_repository(self, registry: str, repo: str, origin: Origin | None = None) -> tuple[list[str], list[str]]:
        """Delete a repository; the manifests and tags it held (a webhook delete event for each manifest).
        Refused, changing nothing, while the repository or any tag or manifest in it is locked against
        deletion."""
        with self.store.transaction() as tx:
            content = tx.content
            if content.repository(registry, repo) is None:
                raise name_unknown(repo)
            changeable.check_delete(*(a for (r, _, _), a in content.all_attributes(registry).items() if r == repo))
            manifests = content.manifests(registry, repo)
            digests = [m.digest for m in manifests]
            tag_names = [t.name for t in content.tags(registry, repo)]
            tags_by_digest = {m.digest: tuple(content.tags_of(registry, repo, m.digest)) for m in manifests}
            content.delete_repository(registry, repo)
            for manifest in manifests:
                _deleted(tx, registry, repo, manifest, tags_by_digest[manifest.digest], origin)
            tx.changed(CONTENT)
        return digests, tag_names

    def delete_tag(self, registry: str, repo: str, tag: str) -> None:
        """Delete a tag (its manifest stays); refused while the repository or the tag is locked against
        deletion."""
        with self.store.transaction() as tx:
            if tx.content.tag(registry, repo, check_tag(tag)) is None:
                raise tag_unknown(repo, tag)
            self._delete_tag(tx, registry, repo, tag)
            tx.changed(CONTENT)

    # Changeable attributes ----------------------------------------------------------------------------

    def attribute_map(self, registry: str) -> AttributeMap:
        """Every attribute a registry's repositories, tags and manifests have that is not the default,
        by (repo, kind, ref); a missing key means all true."""
        with self.store.transaction() as tx:
            return tx.content.all_attributes(registry)

    def update_attributes(self, registry: str, repo: str, kind: str, ref: str, body: object) -> Attributes:
        """Apply an update body (``{"writeEnabled": false, ...}``, read by ``changeable.parse_update``) to an
        existing repository (``ref`` empty), tag or manifest (``ref`` a digest, or a tag naming one)."""
        changes = changeable.parse_update(body)
        with self.store.transaction() as tx:
            content = tx.content
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
            updated = changeable.updated(content.attributes(registry, repo, kind, ref), changes)
            content.put_attributes(registry, repo, kind, ref, updated)
            tx.changed(CONTENT)
        return updated
