"""ARM ``importImage`` on a registry: copy an image (and, for an index, every platform) from the
``mcr.microsoft.com`` stand-in or another acrlink registry, inside the ARM request's transaction.

Blob files are content-addressed and shared, so a copy links blobs and copies manifest rows; no bytes
move. Nothing is fetched from outside the machine: other source registries are refused.
"""

from __future__ import annotations

from typing import Any

from acrlink.clock import iso
from acrlink.domain.oci import check_name, check_reference, check_tag, is_digest_like
from acrlink.domain.webhooks import Event, Target
from acrlink.errors import BadRequest, Conflict
from acrlink.ids import ResourceRef, parse_resource_id
from acrlink.domain.manifests import parse_manifest
from acrlink.resources.base import Context, Doc
from acrlink.resources.validation import Body, parse
from acrlink.services import webhook_events
from acrlink.services.registry import MCR_HOST
from acrlink.store.content import ContentTx, Manifest
from acrlink.store.sqlite import SqliteTransaction


class SourceCredentials(Body):
    username: str | None = None
    password: str


class Source(Body):
    resourceId: str | None = None  # noqa: N815 - wire name
    registryUri: str | None = None  # noqa: N815
    credentials: SourceCredentials | None = None
    sourceImage: str  # noqa: N815


class ImportBody(Body):
    source: Source
    targetTags: list[str] | None = None  # noqa: N815
    untaggedTargetRepositories: list[str] | None = None  # noqa: N815
    mode: str = "NoForce"


def _invalid(message: str) -> BadRequest:
    return BadRequest("InvalidParameters", message)


def _source_registry(ctx: Context, source: Source) -> str:
    """The content key of the source: ``mcr.microsoft.com`` or an acrlink registry's name."""
    if source.resourceId:
        ref = parse_resource_id(source.resourceId)
        if ref is None or ctx.load(ref) is None:
            raise _invalid(f"The source registry '{source.resourceId}' was not found.")
        return ref.name.lower()
    uri = (source.registryUri or "").lower().removeprefix("https://").rstrip("/")
    if uri == MCR_HOST:
        return MCR_HOST
    suffix = f".{ctx.cloud.acr_suffix}"
    if uri.endswith(suffix) and "." not in uri[: -len(suffix)]:
        return uri[: -len(suffix)]
    raise _invalid(
        f"The source registry '{source.registryUri}' is not reachable from acrlink: import from "
        f"{MCR_HOST} or another registry of this cloud."
    )


def _split(image: str) -> tuple[str, str]:
    """``repo:tag``, ``repo@digest`` or ``repo`` (tag ``latest``) -> (repo, reference)."""
    if "@" in image:
        repo, reference = image.split("@", 1)
    elif ":" in image.rsplit("/", 1)[-1]:
        repo, reference = image.rsplit(":", 1)
    else:
        repo, reference = image, "latest"
    return check_name(repo), check_reference(reference)


def _closure(content: ContentTx, registry: str, repo: str, top: Manifest) -> list[Manifest]:
    """The manifest and, for an index, every manifest it lists (children first)."""
    ordered: list[Manifest] = []
    for child in parse_manifest(top.body, top.media_type).children:
        found = content.manifest(registry, repo, child.digest)
        if found is None:
            raise _invalid(f"The source manifest {child.digest} is incomplete in the source registry.")
        ordered.extend(_closure(content, registry, repo, found))
    return [*ordered, top]


def import_image(ctx: Context, ref: ResourceRef, doc: Doc, body: Any, _rest: tuple[str, ...]) -> tuple[int, Any]:
    request = parse(ImportBody, body)
    if request.mode not in ("NoForce", "Force"):
        raise _invalid(f"The import mode '{request.mode}' is not valid; use NoForce or Force.")
    assert isinstance(ctx.tx, SqliteTransaction)
    content = ContentTx(ctx.tx)
    source_registry = _source_registry(ctx, request.source)
    repo, reference = _split(request.source.sourceImage)
    digest = reference
    if not is_digest_like(reference):
        tag = content.tag(source_registry, repo, reference)
        if tag is None:
            raise _invalid(f"The source image '{request.source.sourceImage}' was not found.")
        digest = tag.digest
    top = content.manifest(source_registry, repo, digest)
    if top is None:
        raise _invalid(f"The source image '{request.source.sourceImage}' was not found.")
    targets = [_target(t) for t in request.targetTags or []]
    untagged = [check_name(r) for r in request.untaggedTargetRepositories or []]
    if not targets and not untagged:
        targets = [(repo, reference)] if not is_digest_like(reference) else []
        untagged = [] if targets else [repo]
    target_registry = ref.name.lower()
    if request.mode == "NoForce":
        for target_repo, target_tag in targets:
            existing = content.tag(target_registry, target_repo, target_tag)
            if existing is not None and existing.digest != top.digest:
                raise Conflict(
                    "TagAlreadyExists",
                    f"The tag {target_repo}:{target_tag} already exists in the target registry; use --force.",
                )
    manifests = _closure(content, source_registry, repo, top)
    now = iso(ctx.now)
    for target_repo in dict.fromkeys([r for r, _ in targets] + untagged):
        _copy(content, source_registry, repo, target_registry, target_repo, manifests, now)
    for target_repo, target_tag in targets:
        content.put_tag(target_registry, target_repo, target_tag, top.digest, now)
    pushed: list[tuple[str, str | None]] = [*targets, *((r, None) for r in untagged)]
    for pushed_repo, pushed_tag in pushed:
        imported = Target(pushed_repo, top.digest, top.media_type, top.size, pushed_tag)
        webhook_events.emit(ctx.tx, target_registry, Event("push", imported))
    return 200, None


def _target(text: str) -> tuple[str, str]:
    repo, _, tag = text.rpartition(":") if ":" in text.rsplit("/", 1)[-1] else (text, "", "latest")
    return check_name(repo), check_tag(tag)


def _copy(
    content: ContentTx, source: str, repo: str, target: str, target_repo: str, manifests: list[Manifest], now: str
) -> None:
    content.touch_repository(target, target_repo, now)
    for manifest in manifests:
        for blob in parse_manifest(manifest.body, manifest.media_type).blobs:
            size = content.blob_size(source, repo, blob.digest)
            if size is None:
                raise _invalid(f"The source blob {blob.digest} is missing in the source registry.")
            content.link_blob(target, target_repo, blob.digest, size)
        copied = Manifest(**{**manifest.__dict__, "created": now})
        content.put_manifest(target, target_repo, copied)


def drop_content(ctx: Context, ref: ResourceRef) -> None:
    """A deleted registry's content goes with it (a new registry of the same name starts empty)."""
    if isinstance(ctx.tx, SqliteTransaction):
        ContentTx(ctx.tx).drop_registry(ref.name.lower())
