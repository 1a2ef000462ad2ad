"""The Blob Storage face: the subset of Azure Blob Storage that az's build-context upload and log streaming use.

Path-style URLs, as the storage SDK reads a ``127.0.0.1`` host: ``/{account}/{container}/{blob...}``.
- ``PUT`` with ``x-ms-blob-type: BlockBlob``: Put Blob, 201 (the SDK refuses a 200);
- ``GET`` (optionally ``x-ms-range``/``Range: bytes=s-e``): the blob, 206 with ``Content-Range`` for a range;
- ``HEAD``: Get Blob Properties: ``Content-Length``, ``x-ms-blob-type``, ``x-ms-meta-*``.
Every request carries a service SAS (``sas.py``); a refused one is 403 with Storage's error XML. The blobs are
a ``TaskBlobs`` (``blobs.py``), shared by every process of the store; a backend behind a network is called in a
worker thread, and one that cannot be reached answers 503 ``ServerBusy`` with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import formatdate
from typing import Any, ParamSpec, TypeVar
from xml.sax.saxutils import escape

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from acrlink.domain import sas
from acrlink.store.base import StoreUnavailable
from acrlink.tasks.blobs import Properties, TaskBlobs, valid_blob_name
from acrlink.unconfirmed import BLOB_FACE_UNAVAILABLE_CODE, BLOB_FACE_UNAVAILABLE_MESSAGE

MAX_PUT = 256 * 1024 * 1024
"""The largest Put Blob acrlink takes (az sends one Put Blob up to 64 MiB)."""
_RANGE = re.compile(r"bytes=(\d+)-(\d*)$")
RETRY_AFTER = "5"
"""Seconds a client is told to wait when the blobs' backend cannot be reached."""
P = ParamSpec("P")
T = TypeVar("T")


def _now_header() -> str:
    return formatdate(usegmt=True)


def storage_error(status: int, code: str, message: str, detail: str = "", head: bool = False) -> Response:
    """Azure Storage's error: XML body with ``Code`` and ``Message`` (a HEAD gets the code header only)."""
    request_id = str(uuid.uuid4())
    headers = {"x-ms-error-code": code, "x-ms-request-id": request_id, "x-ms-version": sas.VERSION}
    if head:
        return Response(status_code=status, headers=headers)
    text = f"{message}\nRequestId:{request_id}\nTime:{datetime.now(UTC).isoformat()}"
    extra = f"<AuthenticationErrorDetail>{escape(detail)}</AuthenticationErrorDetail>" if detail else ""
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        f"<Error><Code>{code}</Code><Message>{escape(text)}</Message>{extra}</Error>"
    )
    return Response(body, status_code=status, headers=headers, media_type="application/xml")


def _refused(refusal: sas.SasRefused, head: bool) -> Response:
    if refusal.code == "AuthenticationFailed":
        message = (
            "Server failed to authenticate the request. Make sure the value of Authorization header is formed "
            "correctly including the signature."
        )
        return storage_error(403, refusal.code, message, str(refusal), head)
    return storage_error(403, refusal.code, str(refusal), head=head)


def _base_headers(props: Properties) -> dict[str, str]:
    headers = {
        "x-ms-blob-type": "BlockBlob",
        "x-ms-version": sas.VERSION,
        "x-ms-request-id": str(uuid.uuid4()),
        "Last-Modified": formatdate(props.modified, usegmt=True),
        "ETag": f'"0x{int(props.modified * 1e6):X}{props.size:X}"',
        "Accept-Ranges": "bytes",
        "Date": _now_header(),
    }
    for key, value in props.metadata.items():
        headers[f"x-ms-meta-{key}"] = value
    return headers


class BlobFace:
    """The face over ``files``, checking SAS signed with ``key``."""

    def __init__(self, files: TaskBlobs, key: bytes, now: Callable[[], datetime] | None = None) -> None:
        self.files = files
        self._key = key
        self._now = now or (lambda: datetime.now(UTC))

    async def _call(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``function(*args, **kwargs)``: in a worker thread when the backend blocks, else right here."""
        if self.files.blocking:
            return await asyncio.to_thread(function, *args, **kwargs)
        return function(*args, **kwargs)

    def app(self) -> Starlette:
        methods = ["GET", "HEAD", "PUT"]
        return Starlette(routes=[Route("/{account}/{container}/{blob:path}", self._endpoint, methods=methods)])

    async def _endpoint(self, request: Request) -> Response:
        params = request.path_params
        head = request.method == "HEAD"
        blob = str(params["blob"])
        if not valid_blob_name(blob):
            return storage_error(400, "InvalidUri", "The requested URI does not represent any resource on the server.")
        name = sas.BlobName(str(params["account"]), str(params["container"]), blob)
        needed = sas.WRITE + sas.CREATE if request.method == "PUT" else sas.READ
        try:
            sas.check(self._key, name, dict(request.query_params), needed, self._now())
        except sas.SasRefused as refusal:
            return _refused(refusal, head)
        try:
            return await self._serve(request, name, head)
        except StoreUnavailable:
            response = storage_error(503, BLOB_FACE_UNAVAILABLE_CODE, BLOB_FACE_UNAVAILABLE_MESSAGE, head=head)
            response.headers["Retry-After"] = RETRY_AFTER
            return response

    async def _serve(self, request: Request, name: sas.BlobName, head: bool) -> Response:
        if request.method == "PUT":
            return await self._put(request, name)
        props = await self._call(self.files.properties, name)
        if props is None:
            return storage_error(404, "BlobNotFound", "The specified blob does not exist.", head=head)
        if head:
            headers = _base_headers(props)
            headers["Content-Length"] = str(props.size)
            return Response(status_code=200, headers=headers, media_type="application/octet-stream")
        return await self._get(request, name, props)

    async def _put(self, request: Request, name: sas.BlobName) -> Response:
        if request.query_params.get("comp"):
            return storage_error(400, "UnsupportedQueryParameter", "acrlink supports Put Blob only (no blocks).")
        blob_type = request.headers.get("x-ms-blob-type")
        if blob_type != "BlockBlob":
            return storage_error(
                400, "MissingRequiredHeader", "An HTTP header that's mandatory for this request is not specified."
            )
        declared = request.headers.get("content-length")
        if declared is not None and int(declared) > MAX_PUT:
            return storage_error(413, "RequestBodyTooLarge", "The request body is too large.")
        data = await request.body()
        metadata = {k[len("x-ms-meta-") :]: v for k, v in request.headers.items() if k.startswith("x-ms-meta-")}
        try:
            await self._call(self.files.put, name, data, metadata)
        except ValueError:
            return storage_error(400, "InvalidMetadata", "The metadata specified is invalid.")
        props = await self._call(self.files.properties, name)
        if props is None:  # replaced and removed meanwhile: what was put is not there to describe
            return storage_error(404, "BlobNotFound", "The specified blob does not exist.")
        headers = _base_headers(props)
        headers["x-ms-request-server-encrypted"] = "true"
        return Response(status_code=201, headers=headers)

    async def _get(self, request: Request, name: sas.BlobName, props: Properties) -> Response:
        headers: dict[str, Any] = _base_headers(props)
        wanted = request.headers.get("x-ms-range") or request.headers.get("range")
        if not wanted:
            body = await self._call(self.files.read, name, 0, props.size - 1)
            return Response(body, 200, headers, "application/octet-stream")
        match = _RANGE.match(wanted.strip())
        if match is None:
            return storage_error(
                400, "InvalidRange", "The range specified is invalid for the current size of the resource."
            )
        start = int(match.group(1))
        end = int(match.group(2)) if match.group(2) else props.size - 1
        if start >= props.size:
            return storage_error(
                416, "InvalidRange", "The range specified is invalid for the current size of the resource."
            )
        end = min(end, props.size - 1)
        headers["Content-Range"] = f"bytes {start}-{end}/{props.size}"
        return Response(await self._call(self.files.read, name, start, end), 206, headers, "application/octet-stream")
