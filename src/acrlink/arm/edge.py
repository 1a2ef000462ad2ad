"""What ARM checks on every request before a resource provider sees it: the body's size, the numbers in the
query string, and the api-version (against ``resources/api_versions.py``).

Each check refuses with ARM's error and never reads more than it must: a body whose Content-Length is over
the limit is refused unread, and a body without one is read only up to the limit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.requests import Request

from acrlink import unconfirmed
from acrlink.arm.routes import AUTHORIZATION_KINDS, DEPLOYMENT_KINDS, Route
from acrlink.errors import BadRequest, TooLarge
from acrlink.resources import api_versions
from acrlink.resources.base import Doc, ResourceType

MAX_BODY = 4 * 1024 * 1024
"""ARM refuses request bodies over 4 MB (``RequestContentTooLarge``)."""

_DECIMAL = re.compile(r"[0-9]{1,10}")
"""ASCII digits only (``str.isdigit`` also accepts ``²`` and ``١``, which ``int`` refuses or misreads), and few
enough that the value fits a 32-bit count."""
MAX_COUNT = 2**31 - 1


def _too_large() -> TooLarge:
    return TooLarge("RequestContentTooLarge", "The request content size exceeds the maximum size of 4 MB.")


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The request body, refused before reading when its Content-Length is over ``limit`` and as soon as the
    bytes received pass it otherwise."""
    declared = request.headers.get("content-length")
    if declared is not None:
        length = parse_count("Content-Length", declared.strip(), header=True)
        if length > limit:
            raise _too_large()
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def parse_count(name: str, raw: str, header: bool = False) -> int:
    """The one strict reading of a non-negative count from a query parameter or header: 1-10 ASCII digits,
    at most 2**31-1; anything else is ARM's 400."""
    if _DECIMAL.fullmatch(raw) is None or int(raw) > MAX_COUNT:
        if header:
            raise BadRequest("InvalidRequestContent", f"The value '{raw[:64]}' of the header '{name}' is invalid.")
        raise BadRequest(
            unconfirmed.INVALID_QUERY_VALUE_CODE,
            f"The query parameter '{name}' has an invalid value '{raw[:64]}'. It must be a non-negative integer "
            f"no larger than {MAX_COUNT}.",
            target=name,
        )
    return int(raw)


def query_param(request: Request, name: str) -> str | None:
    """A query parameter by name in any casing (``$skipToken`` and ``$skiptoken`` are one parameter)."""
    wanted = name.lower()
    for key, value in request.query_params.multi_items():
        if key.lower() == wanted:
            return value
    return None


_ARM_KINDS = {
    "tenants": "Microsoft.Resources/tenants",
    "subscriptions": "Microsoft.Resources/subscriptions",
    "subscription": "Microsoft.Resources/subscriptions",
    "locations": "Microsoft.Resources/subscriptions/locations",
    "group_operation": "Microsoft.Resources/subscriptions/operationresults",
    "resources": "Microsoft.Resources/resources",
    "providers": "Microsoft.Resources/providers",
    "provider": "Microsoft.Resources/providers",
    "provider_action": "Microsoft.Resources/providers",
    **{kind: "Microsoft.Resources/deployments" for kind in DEPLOYMENT_KINDS},
    "role_assignments": "Microsoft.Authorization/roleAssignments",
    "role_assignment": "Microsoft.Authorization/roleAssignments",
    "role_definitions": "Microsoft.Authorization/roleDefinitions",
    "role_definition": "Microsoft.Authorization/roleDefinitions",
}
"""Route kinds that are not catalog types (ARM's own, Microsoft.Resources, and the Microsoft.Authorization
extension resources), by the type they are checked as."""


def type_key(route: Route) -> str:
    """The type whose api-versions a route is checked against (canonical casing; look-ups ignore case)."""
    if route.kind in _ARM_KINDS:
        return _ARM_KINDS[route.kind]
    if route.rtype is not None:
        return route.rtype.type
    if route.kind in ("namespace_action", "acrlink_view"):
        return f"{route.namespace}/{route.name}"
    return route.namespace


def check_api_version(
    route: Route, version: str, body: Any, stored_location: Callable[[], str | None], regions: list[str]
) -> None:
    """Refuse an api-version the addressed type does not have. The location ARM names is the body's, else the
    stored resource's (looked up only for a refusal), else ``*``."""
    key = type_key(route)
    if version in api_versions.supported(key):
        return
    location = body.get("location") if isinstance(body, dict) else None
    if not isinstance(location, str) or not location:
        location = stored_location() or "*"
    regional = route.kind not in AUTHORIZATION_KINDS and (route.rtype is None or route.rtype.location == "regional")
    api_versions.check(key, version, location, tuple(regions) if regional else ("global",))


def shaped(rtype: ResourceType, doc: Doc, request: Request) -> Doc:
    """A rendered document as the request's api-version shows it (``ResourceType.shape``)."""
    if rtype.shape is None:
        return doc
    return rtype.shape(doc, request.query_params.get("api-version", ""))
