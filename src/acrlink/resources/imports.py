"""The registry's ``importImage`` action: its ARM body, and which registry its source names.

The source is the ``mcr.microsoft.com`` stand-in or another acrlink registry of this cloud (by resource id
or login server); nothing is fetched from outside the machine. The copy is the content service's
(``ctx.content``, ``services/imports.py``), in the request's transaction.
"""

from __future__ import annotations

from typing import Any

from acrlink.domain.acr import MCR_HOST
from acrlink.domain.imports import check_mode, import_request, invalid
from acrlink.ids import ResourceRef, parse_resource_id
from acrlink.resources.base import Context, Doc
from acrlink.resources.validation import Body, parse


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


def source_registry(ctx: Context, source: Source) -> str:
    """The content key of an import's source: ``mcr.microsoft.com`` or an acrlink registry's name (by
    resource id, which must exist, or by ``NAME.<acr suffix>``); any other registry is refused."""
    if source.resourceId:
        ref = parse_resource_id(source.resourceId)
        if ref is None or ctx.load(ref) is None:
            raise invalid(f"The source registry '{source.resourceId}' was not found.")
        return ref.name.lower()
    uri = (source.registryUri or "").lower().removeprefix("https://").rstrip("/")
    if uri == MCR_HOST:
        return MCR_HOST
    suffix = f".{ctx.cloud.acr_suffix}"
    if uri.endswith(suffix) and "." not in uri[: -len(suffix)]:
        return uri[: -len(suffix)]
    raise invalid(
        f"The source registry '{source.registryUri}' is not reachable from acrlink: import from "
        f"{MCR_HOST} or another registry of this cloud."
    )


def import_image(ctx: Context, ref: ResourceRef, _doc: Doc, body: Any, _rest: tuple[str, ...]) -> tuple[int, Any]:
    """POST ``.../importImage``: copy the source image into this registry (200, no body)."""
    request = parse(ImportBody, body)
    check_mode(request.mode)
    source = request.source
    found = import_request(
        source_registry(ctx, source),
        source.sourceImage,
        request.targetTags or [],
        request.untaggedTargetRepositories or [],
        request.mode,
    )
    ctx.content.import_image(ctx.tx, ref.name.lower(), found, source.sourceImage, ctx.now)
    return 200, None
