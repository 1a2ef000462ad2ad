"""ACR's own repository API under ``/acr/v1/`` (what ``az acr repository`` and the Python SDK call)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from starlette.responses import Response

from acrlink.domain.changeable import to_wire
from acrlink.domain.content import MANIFEST, REPOSITORY, TAG, UNLOCKED, Attributes, Manifest, Tag
from acrlink.errors import BadRequest
from acrlink.registry.handlers.base import Call, page
from acrlink.registry.wire import json_response
from acrlink.services.content import AttributeMap, tag_unknown
from acrlink.unconfirmed import ATTRIBUTES_INVALID_CODE

PATCH_LIMIT = 64 * 1024


def _attributes(call: Call) -> AttributeMap:
    return call.face.content.attribute_map(call.registry.name)


def _next(path: str, n: int, last: str, orderby: str | None) -> dict[str, str]:
    params = {"last": last, "n": str(n), **({"orderby": orderby} if orderby else {})}
    return {"Link": f'<{path}?{urlencode(params)}>; rel="next"'}


def _tag(tag: Tag, found: Attributes) -> dict[str, object]:
    return {
        "name": tag.name,
        "digest": tag.digest,
        "createdTime": tag.created,
        "lastUpdateTime": tag.updated,
        "signed": False,
        "changeableAttributes": to_wire(found),
    }


def _platform(manifest: Manifest) -> dict[str, object]:
    """Architecture and OS are in the image config for images; acrlink reports them for indexes'
    children only when the manifest itself says (it does not open config blobs)."""
    try:
        document = json.loads(manifest.body)
    except (ValueError, RecursionError):
        return {}
    if not isinstance(document, dict):
        return {}
    layers = document.get("layers")
    config = document.get("config")
    descriptors = [*(layers if isinstance(layers, list) else []), config]
    size = sum(_size(d) for d in descriptors)
    media_type = config.get("mediaType") if isinstance(config, dict) else None
    return {"imageSize": size, "configMediaType": media_type if isinstance(media_type, str) else None}


def _size(descriptor: object) -> int:
    """A descriptor's ``size`` (0 for anything that is not one: documents stored before validation)."""
    size = descriptor.get("size") if isinstance(descriptor, dict) else None
    return size if isinstance(size, int) and not isinstance(size, bool) else 0


def _manifest(manifest: Manifest, tags: list[str], found: Attributes) -> dict[str, object]:
    return {
        "digest": manifest.digest,
        "mediaType": manifest.media_type,
        "createdTime": manifest.created,
        "lastUpdateTime": manifest.created,
        "tags": tags,
        "changeableAttributes": {**to_wire(found), "quarantineState": "Passed"},
        **{k: v for k, v in _platform(manifest).items() if v is not None},
    }


async def catalog(call: Call) -> Response:
    n = call.query_int("n")
    last = call.request.query_params.get("last")
    names, more = page(call.face.content.catalog(call.registry.name, last, None if n is None else n + 1), n)
    headers = {}
    if more and n is not None:
        headers = _next("/acr/v1/_catalog", n, names[-1], None)
    return json_response(200, {"repositories": names}, headers)


async def repository(call: Call) -> Response:
    return _repository(call)


def _repository(call: Call) -> Response:
    found, manifests, tags = call.face.content.repository(call.registry.name, call.name)
    attributes = _attributes(call).get((call.name, REPOSITORY, ""), UNLOCKED)
    return json_response(
        200,
        {
            "registry": call.registry.login_server,
            "imageName": call.name,
            "createdTime": found["created"],
            "lastUpdateTime": found["updated"],
            "manifestCount": len(manifests),
            "tagCount": len(tags),
            "changeableAttributes": {**to_wire(attributes), "teleportEnabled": False},
        },
    )


async def _patch_body(call: Call) -> object:
    body = b""
    async for chunk in call.chunks():
        body += chunk
        if len(body) > PATCH_LIMIT:
            raise BadRequest(ATTRIBUTES_INVALID_CODE, "request body too large")
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise BadRequest(ATTRIBUTES_INVALID_CODE, "the request body is not JSON") from None


async def update_repository(call: Call) -> Response:
    """PATCH: the repository's changeable attributes (``az acr repository update --repository``)."""
    body = await _patch_body(call)
    call.face.content.update_attributes(call.registry.name, call.name, REPOSITORY, "", body)
    return _repository(call)


async def delete_repository(call: Call) -> Response:
    manifests, tags = call.face.content.delete_repository(call.registry.name, call.name, call.origin)
    return json_response(202, {"manifestsDeleted": manifests, "tagsDeleted": tags})


async def tags(call: Call) -> Response:
    """Tags with their attributes; ``orderby`` (``timedesc``/``timeasc``) sorts the page by update time."""
    n = call.query_int("n")
    last = call.request.query_params.get("last")
    orderby = call.request.query_params.get("orderby")
    digest = call.request.query_params.get("digest")
    found = call.face.content.tags(call.registry.name, call.name, last, None)
    attributes = _attributes(call)
    if digest:
        found = [t for t in found if t.digest == digest]
    if orderby in ("timedesc", "timeasc"):
        found.sort(key=lambda t: t.updated, reverse=orderby == "timedesc")
    headers = {}
    found, more = page(found, n)
    if more and n is not None:
        headers = _next(f"/acr/v1/{call.name}/_tags", n, found[-1].name, orderby)
    tags_out = [_tag(t, attributes.get((call.name, TAG, t.name), UNLOCKED)) for t in found]
    body = {"registry": call.registry.login_server, "imageName": call.name, "tags": tags_out}
    return json_response(200, body, headers)


async def tag(call: Call) -> Response:
    """One tag, also when its ``listEnabled`` is false (that hides it from listings only)."""
    return _one_tag(call)


def _one_tag(call: Call) -> Response:
    reference = call.params["tag"]
    everything = call.face.content.tags(call.registry.name, call.name, None, None, listed_only=False)
    found = [t for t in everything if t.name == reference]
    if not found:
        raise tag_unknown(call.name, reference)
    attributes = _attributes(call).get((call.name, TAG, reference), UNLOCKED)
    body = {"registry": call.registry.login_server, "imageName": call.name, "tag": _tag(found[0], attributes)}
    return json_response(200, body)


async def update_tag(call: Call) -> Response:
    """PATCH: a tag's changeable attributes (``az acr repository update --image REPO:TAG``)."""
    body = await _patch_body(call)
    call.face.content.update_attributes(call.registry.name, call.name, TAG, call.params["tag"], body)
    return _one_tag(call)


async def delete_tag(call: Call) -> Response:
    call.face.content.delete_tag(call.registry.name, call.name, call.params["tag"])
    return Response(b"", 202, headers={"Content-Length": "0"})


async def manifests(call: Call) -> Response:
    found, all_tags, attributes = call.face.content.manifest_listing(call.registry.name, call.name)
    by_digest: dict[str, list[str]] = {}
    for t in all_tags:
        by_digest.setdefault(t.digest, []).append(t.name)
    orderby = call.request.query_params.get("orderby")
    if orderby in ("timedesc", "timeasc"):
        found.sort(key=lambda m: m.created, reverse=orderby == "timedesc")
    else:
        found.sort(key=lambda m: m.digest)
    last = call.request.query_params.get("last")
    if last and orderby not in ("timedesc", "timeasc"):
        found = [m for m in found if m.digest > last]
    n = call.query_int("n")
    headers = {}
    found, more = page(found, n)
    if more and n is not None:
        headers = _next(f"/acr/v1/{call.name}/_manifests", n, found[-1].digest, orderby)
    body = {
        "registry": call.registry.login_server,
        "imageName": call.name,
        "manifests": [
            _manifest(m, by_digest.get(m.digest, []), attributes.get((call.name, MANIFEST, m.digest), UNLOCKED))
            for m in found
        ],
    }
    return json_response(200, body, headers)


async def manifest(call: Call) -> Response:
    return _one_manifest(call)


def _one_manifest(call: Call) -> Response:
    found = call.face.content.manifest(call.registry.name, call.name, call.params["digest"])
    tags_of = call.face.content.tags_of(call.registry.name, call.name, found.digest)
    attributes = _attributes(call).get((call.name, MANIFEST, found.digest), UNLOCKED)
    document = _manifest(found, tags_of, attributes)
    body = {"registry": call.registry.login_server, "imageName": call.name, "manifest": document}
    return json_response(200, body)


async def update_manifest(call: Call) -> Response:
    """PATCH: a manifest's changeable attributes (``az acr repository update --image REPO@DIGEST``)."""
    body = await _patch_body(call)
    call.face.content.update_attributes(call.registry.name, call.name, MANIFEST, call.params["digest"], body)
    return _one_manifest(call)


async def delete_manifest(call: Call) -> Response:
    call.face.content.delete_manifest(call.registry.name, call.name, call.params["digest"], call.origin)
    return Response(b"", 202, headers={"Content-Length": "0"})
