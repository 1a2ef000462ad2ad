"""Pull and discovery: /v2/, manifests and blobs (GET, HEAD), tags/list, _catalog, referrers."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.responses import Response

from acrlink import signing
from acrlink.clock import epoch
from acrlink.domain.content import MANIFEST, TAG
from acrlink.domain.manifests import OCI_INDEX, acceptable
from acrlink.domain.oci import is_digest_like, parse_byte_range
from acrlink.errors import Forbidden, NotFound
from acrlink.registry.blobserve import BlobResponse
from acrlink.registry.handlers.base import Call, page
from acrlink.registry.wire import API_VERSION, json_response

REDIRECT_LIFETIME = 10 * 60
"""A data endpoint URL is valid for ten minutes (ACR's redirect URLs are short-lived SAS URLs)."""


async def base(call: Call) -> Response:
    return json_response(200, {})


def _check_read(call: Call, *targets: tuple[str, str]) -> None:
    """The content service's read rule, over the registry's attributes as the read cache holds them."""
    call.face.content.check_read(call.face.cache.attributes(call.registry.name), call.name, *targets)


async def get_manifest(call: Call) -> Response:
    reference = call.params["reference"]
    manifest = call.face.cache.manifest(call.registry.name, call.name, reference)
    tag = () if is_digest_like(reference) else ((TAG, reference),)
    _check_read(call, *tag, (MANIFEST, manifest.digest))
    if not acceptable(manifest.media_type, ",".join(call.request.headers.getlist("accept"))):
        raise NotFound(
            "MANIFEST_UNKNOWN",
            f"manifest of type {manifest.media_type} found, but the Accept header does not allow it",
        )
    headers = {
        **API_VERSION,
        "Docker-Content-Digest": manifest.digest,
        "Content-Type": manifest.media_type,
        "ETag": f'"{manifest.digest}"',
    }
    if call.request.method == "HEAD":
        return Response(b"", 200, headers={**headers, "Content-Length": str(manifest.size)})
    return Response(manifest.body, 200, headers=headers)


def _page_link(path: str, n: int, last: str) -> str:
    return f'<{path}?{urlencode({"last": last, "n": n})}>; rel="next"'


async def tags_list(call: Call) -> Response:
    """``tags/list`` in lexical order; with ``n`` a page and a ``Link`` to the next when more follow."""
    n = call.query_int("n")
    last = call.request.query_params.get("last")
    found, more = page(call.face.content.tags(call.registry.name, call.name, last, None if n is None else n + 1), n)
    headers = {}
    if more and n is not None:
        headers["Link"] = _page_link(f"/v2/{call.name}/tags/list", n, found[-1].name)
    return json_response(200, {"name": call.name, "tags": [t.name for t in found]}, headers)


async def catalog(call: Call) -> Response:
    n = call.query_int("n")
    last = call.request.query_params.get("last")
    names, more = page(call.face.content.catalog(call.registry.name, last, None if n is None else n + 1), n)
    headers = {}
    if more and n is not None:
        headers["Link"] = _page_link("/v2/_catalog", n, names[-1])
    return json_response(200, {"repositories": names}, headers)


async def referrers(call: Call) -> Response:
    artifact_type = call.request.query_params.get("artifactType")
    index = call.face.content.referrers(call.registry.name, call.name, call.params["digest"], artifact_type)
    headers = {"OCI-Filters-Applied": "artifactType"} if artifact_type is not None else {}
    response = json_response(200, index, headers)
    response.headers["Content-Type"] = OCI_INDEX
    return response


# Blobs --------------------------------------------------------------------------------------------------


async def _serve_blob(call: Call, digest: str) -> Response:
    size = await call.face.content.blob_size(call.registry.name, call.name, digest)
    headers = {
        **API_VERSION,
        "Docker-Content-Digest": digest,
        "Content-Type": "application/octet-stream",
        "Accept-Ranges": "bytes",
        "ETag": f'"{digest}"',
    }
    wanted = call.request.headers.get("range")
    span = parse_byte_range(wanted, size) if wanted else None
    if span is None:
        return BlobResponse(
            await call.face.content.open_blob(call.registry.name, call.name, digest, 0, size - 1), 200, headers
        )
    first, last = span
    opened = await call.face.content.open_blob(call.registry.name, call.name, digest, first, last)
    return BlobResponse(opened, 206, {**headers, "Content-Range": f"bytes {first}-{last}/{size}"})


async def get_blob(call: Call) -> Response:
    """A blob, or, for registries with data endpoints, a 307 to a signed URL on one of them."""
    digest = call.params["digest"]
    _check_read(call)
    if call.request.method == "GET" and call.registry.redirects_blobs:
        await call.face.content.blob_size(call.registry.name, call.name, digest)
        return _redirect(call, digest)
    return await _serve_blob(call, digest)


def _redirect(call: Call, digest: str) -> Response:
    region = _region(call)
    host = call.face.cloud.data_endpoint(call.registry.name, region)
    claims = {"kind": "data", "reg": call.registry.name, "repo": call.name, "digest": digest}
    token = signing.encode({**claims, "exp": epoch() + REDIRECT_LIFETIME}, call.face.key)
    location = f"https://{host}/v2/{call.name}/blobs/{digest}?{urlencode({'se': token})}"
    return Response(b"", 307, headers={**API_VERSION, "Location": location})


def _region(call: Call) -> str:
    """The home region, unless the connection's origin names a region the registry lives in."""
    origin = call.request.scope.get("state", {}).get("origin")
    wanted = getattr(origin, "region", None)
    return wanted if wanted in call.registry.regions else call.registry.home


async def data_endpoint_blob(call: Call) -> Response:
    """What a data endpoint serves: the blob a signed, unexpired URL names, nothing else."""
    try:
        claims = signing.decode(call.request.query_params.get("se", ""), call.face.key)
    except signing.InvalidToken as exc:
        raise Forbidden("DENIED", f"the data endpoint URL is not valid ({exc})") from None
    named = (claims.get("kind"), claims.get("reg"), claims.get("repo"), claims.get("digest"))
    if named != ("data", call.registry.name, call.name, call.params["digest"]):
        raise Forbidden("DENIED", "the data endpoint URL does not match this blob")
    return await _serve_blob(call, call.params["digest"])
