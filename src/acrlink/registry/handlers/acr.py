"""ACR's own repository API under ``/acr/v1/`` (what ``az acr repository`` and the Python SDK call)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from starlette.responses import Response

from acrlink.errors import NotFound
from acrlink.registry.handlers.base import Call
from acrlink.registry.wire import json_response
from acrlink.store.content import Manifest, Tag

WRITABLE = {"deleteEnabled": True, "writeEnabled": True, "readEnabled": True, "listEnabled": True}


def _next(path: str, n: int, last: str, orderby: str | None) -> dict[str, str]:
    params = {"last": last, "n": str(n), **({"orderby": orderby} if orderby else {})}
    return {"Link": f'<{path}?{urlencode(params)}>; rel="next"'}


def _tag(tag: Tag) -> dict[str, object]:
    return {
        "name": tag.name,
        "digest": tag.digest,
        "createdTime": tag.created,
        "lastUpdateTime": tag.updated,
        "signed": False,
        "changeableAttributes": WRITABLE,
    }


def _platform(manifest: Manifest) -> dict[str, object]:
    """Architecture and OS are in the image config for images; acrlink reports them for indexes'
    children only when the manifest itself says (it does not open config blobs)."""
    try:
        document = json.loads(manifest.body)
    except ValueError:
        return {}
    layers = document.get("layers") or []
    size = sum(int(layer.get("size", 0)) for layer in layers if isinstance(layer, dict))
    config = document.get("config") or {}
    return {"imageSize": size + int(config.get("size", 0) or 0), "configMediaType": config.get("mediaType")}


def _manifest(manifest: Manifest, tags: list[str]) -> dict[str, object]:
    return {
        "digest": manifest.digest,
        "mediaType": manifest.media_type,
        "createdTime": manifest.created,
        "lastUpdateTime": manifest.created,
        "tags": tags,
        "changeableAttributes": {**WRITABLE, "quarantineState": "Passed"},
        **{k: v for k, v in _platform(manifest).items() if v is not None},
    }


async def catalog(call: Call) -> Response:
    n = call.query_int("n")
    last = call.request.query_params.get("last")
    names = call.face.content.catalog(call.registry.name, last, None if n is None else n + 1)
    headers = {}
    if n is not None and len(names) > n:
        names = names[:n]
        headers = _next("/acr/v1/_catalog", n, names[-1], None)
    return json_response(200, {"repositories": names}, headers)


async def repository(call: Call) -> Response:
    found, manifests, tags = call.face.content.repository(call.registry.name, call.name)
    return json_response(
        200,
        {
            "registry": call.registry.login_server,
            "imageName": call.name,
            "createdTime": found["created"],
            "lastUpdateTime": found["updated"],
            "manifestCount": len(manifests),
            "tagCount": len(tags),
            "changeableAttributes": {**WRITABLE, "teleportEnabled": False},
        },
    )


async def delete_repository(call: Call) -> Response:
    manifests, tags = call.face.content.delete_repository(call.registry.name, call.name)
    return json_response(202, {"manifestsDeleted": manifests, "tagsDeleted": tags})


async def tags(call: Call) -> Response:
    """Tags with their attributes; ``orderby`` (``timedesc``/``timeasc``) sorts the page by update time."""
    n = call.query_int("n")
    last = call.request.query_params.get("last")
    orderby = call.request.query_params.get("orderby")
    digest = call.request.query_params.get("digest")
    found = call.face.content.tags(call.registry.name, call.name, last, None)
    if digest:
        found = [t for t in found if t.digest == digest]
    if orderby in ("timedesc", "timeasc"):
        found.sort(key=lambda t: t.updated, reverse=orderby == "timedesc")
    headers = {}
    if n is not None and len(found) > n:
        found = found[:n]
        headers = _next(f"/acr/v1/{call.name}/_tags", n, found[-1].name, orderby)
    body = {"registry": call.registry.login_server, "imageName": call.name, "tags": [_tag(t) for t in found]}
    return json_response(200, body, headers)


async def tag(call: Call) -> Response:
    reference = call.params["tag"]
    found = [t for t in call.face.content.tags(call.registry.name, call.name, None, None) if t.name == reference]
    if not found:
        raise NotFound("TAG_UNKNOWN", f"the tag {reference} is not known to the repository {call.name}")
    body = {"registry": call.registry.login_server, "imageName": call.name, "tag": _tag(found[0])}
    return json_response(200, body)


async def delete_tag(call: Call) -> Response:
    call.face.content.delete_tag(call.registry.name, call.name, call.params["tag"])
    return Response(b"", 202, headers={"Content-Length": "0"})


async def manifests(call: Call) -> Response:
    _, found, all_tags = call.face.content.repository(call.registry.name, call.name)
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
    if n is not None and len(found) > n:
        found = found[:n]
        headers = _next(f"/acr/v1/{call.name}/_manifests", n, found[-1].digest, orderby)
    body = {
        "registry": call.registry.login_server,
        "imageName": call.name,
        "manifests": [_manifest(m, by_digest.get(m.digest, [])) for m in found],
    }
    return json_response(200, body, headers)


async def manifest(call: Call) -> Response:
    found = call.face.content.manifest(call.registry.name, call.name, call.params["digest"])
    tags_of = call.face.content.tags_of(call.registry.name, call.name, found.digest)
    body = {"registry": call.registry.login_server, "imageName": call.name, "manifest": _manifest(found, tags_of)}
    return json_response(200, body)


async def delete_manifest(call: Call) -> Response:
    call.face.content.delete_manifest(call.registry.name, call.name, call.params["digest"])
    return Response(b"", 202, headers={"Content-Length": "0"})
