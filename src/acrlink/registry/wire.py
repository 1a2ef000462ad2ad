"""The registry's wire format: OCI error JSON, ACR's 401 challenge, JSON bodies.

The one place where domain errors become registry HTTP answers. The status comes from the error code
(the OCI Distribution spec's table, plus ACR's), else from the error's class.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from acrlink.errors import (
    AcrlinkError,
    BadRequest,
    Conflict,
    Forbidden,
    MethodNotAllowed,
    NotFound,
    RangeInvalid,
    TooLarge,
    Unauthorized,
    Unavailable,
)
from acrlink.registry.scopes import InsufficientScope
from acrlink.services.content import ManifestUnknown
from acrlink.unconfirmed import REGISTRY_SERVER_HEADER, REGISTRY_UNAVAILABLE_CODE, REGISTRY_UNAVAILABLE_MESSAGE

JSON_TYPE = "application/json; charset=utf-8"
API_VERSION = {"Docker-Distribution-Api-Version": "registry/2.0"}
SERVER = ("server", REGISTRY_SERVER_HEADER)
"""Every registry answer names ACR as its server (not the HTTP server acrlink runs on)."""

CODES: dict[str, int] = {
    "BLOB_UNKNOWN": 404,
    "BLOB_UPLOAD_INVALID": 404,
    "BLOB_UPLOAD_UNKNOWN": 404,
    "DIGEST_INVALID": 400,
    "MANIFEST_BLOB_UNKNOWN": 404,
    "MANIFEST_INVALID": 400,
    "MANIFEST_UNKNOWN": 404,
    "NAME_INVALID": 400,
    "NAME_UNKNOWN": 404,
    "SIZE_INVALID": 400,
    "TAG_INVALID": 400,
    "UNAUTHORIZED": 401,
    "DENIED": 403,
    "UNSUPPORTED": 405,
    "TOOMANYREQUESTS": 429,
    "RANGE_INVALID": 416,
    "PAGINATION_NUMBER_INVALID": 400,
    "TAG_UNKNOWN": 404,
    "NOT_FOUND": 404,
    "REGISTRY_DISALLOWED_OPERATION": 405,
}
"""The OCI Distribution spec's error codes and the status each comes with, plus ACR's (a changeable
attribute forbids the operation: Azure/azure-sdk-for-net#22827). The spec's table gives no statuses;
these are Distribution's (``registry/api/errcode/register.go``: ``BLOB_UPLOAD_INVALID`` is 404)."""

_BY_CLASS: tuple[tuple[type[AcrlinkError], int], ...] = (
    (BadRequest, 400),
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (MethodNotAllowed, 405),
    (Conflict, 409),
    (TooLarge, 413),
    (RangeInvalid, 416),
)


def status_of(error: AcrlinkError) -> int:
    if isinstance(error, TooLarge):
        return 413
    if error.code in CODES:
        return CODES[error.code]
    for cls in type(error).__mro__:
        for known, status in _BY_CLASS:
            if cls is known:
                return status
    return 400


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    content = json.dumps(body, separators=(",", ":")).encode()
    return Response(content, status_code=status, media_type=JSON_TYPE, headers={**API_VERSION, **(headers or {})})


def challenge(login_server: str, scope: str | None) -> str:
    """ACR's ``WWW-Authenticate``: realm and service always, scope on repository and catalog requests."""
    value = f'Bearer realm="https://{login_server}/oauth2/token",service="{login_server}"'
    return f'{value},scope="{scope}"' if scope else value


def unavailable_response(outage: Unavailable) -> Response:
    """503 with ``Retry-After`` and the OCI error JSON: a server acrlink depends on is away (nothing was
    written; the client may retry after the time it names)."""
    body = {"errors": [{"code": REGISTRY_UNAVAILABLE_CODE, "message": REGISTRY_UNAVAILABLE_MESSAGE, "detail": None}]}
    return json_response(503, body, {"Retry-After": str(outage.retry_after)})


def error_response(error: AcrlinkError, login_server: str | None, extra: dict[str, str] | None = None) -> Response:
    """``{"errors":[{"code","message","detail"}]}`` with the code's status. 401s carry the challenge;
    so do 403s for a token that lacks a scope (the error's ``target``), flagged ``insufficient_scope``."""
    status = status_of(error)
    headers = dict(extra or {})
    if login_server and (status == 401 or (status == 403 and error.target)):
        headers["WWW-Authenticate"] = challenge(login_server, error.target)
        if status == 403:
            headers["WWW-Authenticate"] += ',error="insufficient_scope"'
    detail: Any = None
    if error.details:
        detail = [{"code": d.code, "message": d.message} for d in error.details]
    if isinstance(error, ManifestUnknown) and error.tag is not None:
        detail = {"Tag": error.tag}
    if isinstance(error, InsufficientScope):
        detail = error.detail()
    body = {"errors": [{"code": error.code, "message": error.message, "detail": detail}]}
    return json_response(status, body, headers)
