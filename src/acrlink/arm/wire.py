"""ARM's wire format: JSON bodies, the error envelope, and paged collections.

The one place where domain errors become HTTP statuses. Business errors never use 408/429/5xx:
clients retry those.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from acrlink import unconfirmed
from acrlink.arm.edge import parse_count, query_param
from acrlink.domain.templates import jsonc
from acrlink.errors import (
    AcrlinkError,
    BadRequest,
    Conflict,
    ErrorDetail,
    Forbidden,
    MethodNotAllowed,
    NotFound,
    PreconditionFailed,
    TooLarge,
    Unauthorized,
    Unavailable,
)

JSON_TYPE = "application/json; charset=utf-8"

_STATUS: tuple[tuple[type[AcrlinkError], int], ...] = (
    (BadRequest, 400),
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (MethodNotAllowed, 405),
    (Conflict, 409),
    (PreconditionFailed, 412),
    (TooLarge, 413),
)


def status_of(error: AcrlinkError) -> int:
    for cls in type(error).__mro__:
        for known, status in _STATUS:
            if cls is known:
                return status
    return 400


def error_body(error: AcrlinkError) -> dict[str, Any]:
    body = _error_object(error)
    if error.additional_info:
        body["additionalInfo"] = error.additional_info
    return {"error": body}


def _error_object(error: AcrlinkError | ErrorDetail) -> dict[str, Any]:
    """``{code, message[, target][, details]}``, details nested as deep as they go."""
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.target:
        body["target"] = error.target
    if error.details:
        body["details"] = [_error_object(d) for d in error.details]
    return body


def json_response(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Response:
    content = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
    media = JSON_TYPE if body is not None else None
    return Response(content, status_code=status, media_type=media, headers=headers)


def error_response(error: AcrlinkError) -> Response:
    headers = {"x-ms-failure-cause": "gateway"} if isinstance(error, Unauthorized) else None
    return json_response(status_of(error), error_body(error), headers)


def unavailable_response(outage: Unavailable) -> Response:
    """503 with ``Retry-After`` and ARM's error shape: a server acrlink depends on is away (the SDKs and az retry
    a 503 after the time it names)."""
    seconds = outage.retry_after
    body = {
        "error": {
            "code": unconfirmed.ARM_UNAVAILABLE_CODE,
            "message": unconfirmed.ARM_UNAVAILABLE_MESSAGE.format(seconds=seconds),
        }
    }
    return json_response(503, body, {"Retry-After": str(seconds)})


def page(request: Request, items: list[Any], page_size: int) -> dict[str, Any]:
    """One page of a collection. ``$top`` sizes the page (never above ``page_size``); ``nextLink`` (absolute,
    with every query parameter but the skip token) follows whenever more items remain, with or without
    ``$top``, so paging through a list gives all of it. ``$skiptoken`` is any casing of the name."""
    token = query_param(request, "$skiptoken")
    start = 0 if token is None else parse_count("$skiptoken", token)
    top = query_param(request, "$top")
    requested = None if top is None else parse_count("$top", top)
    size = min(page_size, requested) if requested else page_size
    body: dict[str, Any] = {"value": items[start : start + size]}
    if start + size < len(items):
        params = [(k, v) for k, v in request.query_params.multi_items() if k.lower() != "$skiptoken"]
        params.append(("$skiptoken", str(start + size)))
        body["nextLink"] = f"{str(request.base_url).rstrip('/')}{request.url.path}?{urlencode(params)}"
    return body


def read_json(raw: bytes) -> Any:
    """The request body as JSON (None when empty), or ``InvalidRequestContent``: not JSON, or nested deeper
    than ARM reads."""
    if not raw.strip():
        return None
    try:
        doc = json.loads(raw)
    except RecursionError:
        raise _too_deep() from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(
            "InvalidRequestContent",
            f"The request content was invalid and could not be deserialized: '{exc}'.",
        ) from None
    if _depth_over(doc, unconfirmed.JSON_MAX_DEPTH):
        raise _too_deep()
    return doc


def read_lenient_json(raw: bytes) -> tuple[Any, jsonc.Positions | None]:
    """A body read as ARM reads deployment requests: JSON with comments, unquoted keys and trailing commas,
    which is what az sends (it splices the template file's text in verbatim, under an unquoted key); and
    where each object in it starts, for messages that name a template's line and column."""
    if not raw.strip():
        return None, None
    try:
        doc, positions = jsonc.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise BadRequest(
            "InvalidRequestContent", f"The request content was invalid and could not be deserialized: '{exc}'."
        ) from None
    except jsonc.JsonSyntaxError as exc:
        raise BadRequest(
            "InvalidRequestContent", f"The request content was invalid and could not be deserialized: '{exc}'."
        ) from None
    if _depth_over(doc, unconfirmed.JSON_MAX_DEPTH):
        raise _too_deep()
    return doc, positions


def internal_request(method: str, path: str, api_version: str, body: bytes) -> Request:
    """A request made inside acrlink, shaped like one that came over the wire to ARM's own host."""
    scope = {
        "type": "http",
        "method": method,
        "scheme": "https",
        "server": (INTERNAL_HOST, 443),
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": urlencode({"api-version": api_version}).encode(),
        "headers": [(b"host", INTERNAL_HOST.encode()), (b"content-type", b"application/json")],
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(scope, receive)


INTERNAL_HOST = "management.acrlink.internal"
"""The host internal requests name (it appears only in URLs an internal caller never follows)."""


def _too_deep() -> BadRequest:
    return BadRequest(
        "InvalidRequestContent",
        "The request content was invalid and could not be deserialized: "
        f"'The reader's MaxDepth of {unconfirmed.JSON_MAX_DEPTH} has been exceeded.'.",
    )


def _depth_over(doc: Any, limit: int) -> bool:
    """Whether arrays and objects nest deeper than ``limit`` (iterative: no recursion on hostile input)."""
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False
