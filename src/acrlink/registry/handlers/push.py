"""Push and delete: manifests (PUT, DELETE), blob uploads (POST, PATCH, PUT, GET, DELETE), blob DELETE."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.responses import Response

from acrlink.domain.manifests import MAX_MANIFEST_BYTES
from acrlink.domain.oci import parse_digest, parse_number
from acrlink.errors import Forbidden, TooLarge
from acrlink.registry.handlers.base import Call
from acrlink.registry.scopes import Scope, permits
from acrlink.registry.wire import API_VERSION
from acrlink.services.uploads import Session


def _writable(call: Call) -> None:
    if call.registry.read_only:
        raise Forbidden("DENIED", f"{call.registry.login_server} is read-only")


def _empty(status: int, headers: dict[str, str]) -> Response:
    return Response(b"", status, headers={**API_VERSION, "Content-Length": "0", **headers})


async def put_manifest(call: Call) -> Response:
    _writable(call)
    declared = parse_number(call.request.headers.get("content-length") or "")
    if declared is not None and declared > MAX_MANIFEST_BYTES:
        raise TooLarge("SIZE_INVALID", f"manifest exceeds the {MAX_MANIFEST_BYTES} byte limit")
    body = b""
    async for chunk in call.chunks():
        body += chunk
        if len(body) > MAX_MANIFEST_BYTES:
            raise TooLarge("SIZE_INVALID", f"manifest exceeds the {MAX_MANIFEST_BYTES} byte limit")
    reference = call.params["reference"]
    pushed = call.face.content.put_manifest(
        call.registry.name, call.name, reference, body, call.request.headers.get("content-type"), call.origin
    )
    headers = {"Location": f"/v2/{call.name}/manifests/{pushed.digest}", "Docker-Content-Digest": pushed.digest}
    if pushed.subject:
        headers["OCI-Subject"] = pushed.subject
    return _empty(201, headers)


async def delete_manifest(call: Call) -> Response:
    _writable(call)
    call.face.content.delete_manifest(call.registry.name, call.name, call.params["reference"], call.origin)
    return _empty(202, {})


async def delete_blob(call: Call) -> Response:
    _writable(call)
    call.face.content.delete_blob(call.registry.name, call.name, call.params["digest"])
    return _empty(202, {})


# Uploads ------------------------------------------------------------------------------------------------


def _session_headers(call: Call, session: Session) -> dict[str, str]:
    state = call.face.uploads.state(session)
    return {
        "Location": f"/v2/{call.name}/blobs/uploads/{session.id}?{urlencode({'_state': state})}",
        "Range": session.range_header(),
        "Docker-Upload-UUID": session.id,
    }


def _committed(call: Call, digest: str) -> Response:
    return _empty(201, {"Location": f"/v2/{call.name}/blobs/{digest}", "Docker-Content-Digest": digest})


async def start_upload(call: Call) -> Response:
    """POST: mount from another repository, a monolithic upload (``digest``), or a new session."""
    _writable(call)
    query = call.request.query_params
    registry, repo = call.registry.name, call.name
    mount, source = query.get("mount"), query.get("from")
    if mount:
        parse_digest(mount)
        if source and _may_pull(call, source) and await call.face.content.mount(registry, repo, mount, source):
            return _committed(call, mount)
    digest = query.get("digest")
    if digest and not mount:
        committed = await call.face.uploads.monolithic(registry, repo, call.chunks(), digest)
        return _committed(call, committed)
    session = await call.face.uploads.open(registry, repo)
    return _empty(202, _session_headers(call, session))


def _may_pull(call: Call, source: str) -> bool:
    """A cross-repository mount needs pull on the source; without it the client gets a session."""
    return permits(list(call.claims.get("access") or []), Scope("repository", source, frozenset({"pull"})))


def _upload(call: Call) -> tuple[str, str, str, str | None]:
    """The registry, repository, session id and signed state a session request names."""
    return call.registry.name, call.name, call.params["upload"], call.request.query_params.get("_state")


async def upload_status(call: Call) -> Response:
    return _empty(204, _session_headers(call, call.face.uploads.status(*_upload(call))))


async def patch_upload(call: Call) -> Response:
    content_range = call.request.headers.get("content-range")
    session = await call.face.uploads.append(*_upload(call), call.chunks(), content_range)
    return _empty(202, _session_headers(call, session))


async def finish_upload(call: Call) -> Response:
    digest = await call.face.uploads.finish(
        *_upload(call),
        call.chunks(),
        call.request.headers.get("content-range"),
        call.request.query_params.get("digest"),
    )
    return _committed(call, digest)


async def cancel_upload(call: Call) -> Response:
    await call.face.uploads.cancel(*_upload(call))
    return _empty(204, {})
