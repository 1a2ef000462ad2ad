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

from acrlink.errors import (
    AcrlinkError,
    BadRequest,
    Conflict,
    MethodNotAllowed,
    NotFound,
    PreconditionFailed,
    Unauthorized,
)

JSON_TYPE = "application/json; charset=utf-8"

_STATUS: tuple[tuple[type[AcrlinkError], int], ...] = (
    (BadRequest, 400),
    (Unauthorized, 401),
    (NotFound, 404),
    (MethodNotAllowed, 405),
    (Conflict, 409),
    (PreconditionFailed, 412),
)


def status_of(error: AcrlinkError) -> int:
    for cls in type(error).__mro__:
        for known, status in _STATUS:
            if cls is known:
                return status
    return 400


def error_body(error: AcrlinkError) -> dict[str, Any]:
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.target:
        body["target"] = error.target
    if error.details:
        body["details"] = [
            {"code": d.code, "message": d.message, **({"target": d.target} if d.target else {})} for d in error.details
        ]
    return {"error": body}


def json_response(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Response:
    content = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
    media = JSON_TYPE if body is not None else None
    return Response(content, status_code=status, media_type=media, headers=headers)


def error_response(error: AcrlinkError) -> Response:
    headers = {"x-ms-failure-cause": "gateway"} if isinstance(error, Unauthorized) else None
    return json_response(status_of(error), error_body(error), headers)


def page(request: Request, items: list[Any], page_size: int) -> dict[str, Any]:
    """One page of a collection; ``nextLink`` (absolute, with every query parameter) when more follow."""
    token = request.query_params.get("$skiptoken", "0")
    start = int(token) if token.isdigit() else 0
    top = request.query_params.get("$top")
    size = min(page_size, int(top)) if top and top.isdigit() and int(top) > 0 else page_size
    body: dict[str, Any] = {"value": items[start : start + size]}
    if start + size < len(items) and not top:
        params = {k: v for k, v in request.query_params.items() if k != "$skiptoken"}
        params["$skiptoken"] = str(start + size)
        body["nextLink"] = f"{str(request.base_url).rstrip('/')}{request.url.path}?{urlencode(params)}"
    return body


def read_json(raw: bytes) -> Any:
    """The request body as JSON (None when empty), or ``InvalidRequestContent``."""
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(
            "InvalidRequestContent",
            f"The request content was invalid and could not be deserialized: '{exc}'.",
        ) from None
