"""A minimal Microsoft Graph on the ARM face's origin (``/v1.0/...``, ``/beta/...``): what the Azure CLI's
``az ad sp create-for-rbac | show | list``, ``az ad app``'s basics and ``az role assignment``'s principal
look-ups send.

Tokens: an Entra token of this face's audience (``identity.graph_resource`` of the request's origin, with or
without a trailing slash), from any tenant acrlink hosts; the token's tenant is the directory asked. ARM
tokens are refused here as Graph refuses them, and Graph tokens are refused by ARM (not an ARM audience).
Who may write is ``services.principals``' rule. Errors are Graph's: ``{"error": {"code", "message",
"innerError"}}``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from acrlink import signing
from acrlink.arm.identity import graph_resource
from acrlink.arm.wire import json_response
from acrlink.domain import graph_filter
from acrlink.errors import AcrlinkError, BadRequest, Conflict, Forbidden, MethodNotAllowed, NotFound, Unauthorized
from acrlink.services.principals import Principals

VERSIONS = ("v1.0", "beta")
EMPTY_COLLECTIONS = ("users", "groups")
"""acrlink's directories have no users or groups: look-ups of them answer empty lists."""

Doc = dict[str, Any]


def _status(error: AcrlinkError) -> int:
    for kind, status in ((Unauthorized, 401), (Forbidden, 403), (NotFound, 404), (Conflict, 409)):
        if isinstance(error, kind):
            return status
    if isinstance(error, MethodNotAllowed):
        return 405
    return 400


def error_response(error: AcrlinkError) -> Response:
    """Graph's error envelope."""
    date = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    request_id = str(uuid.uuid4())
    body = {
        "error": {
            "code": error.code,
            "message": error.message,
            "innerError": {"date": date, "request-id": request_id, "client-request-id": request_id},
        }
    }
    return json_response(_status(error), body)


class GraphFace:
    def __init__(
        self, principals: Principals, verify: Callable[[str], dict[str, Any]], tenants: frozenset[str]
    ) -> None:
        """``verify``: the Entra face's token check (signature, expiry); ``tenants``: the tenant ids acrlink
        hosts, lower case."""
        self.principals = principals
        self._verify = verify
        self._tenants = tenants

    async def answer(self, request: Request) -> Response | None:
        """The Graph answer to a ``/v1.0/`` or ``/beta/`` request, or None for any other path."""
        parts = [p for p in request.url.path.split("/") if p]
        if not parts or parts[0] not in VERSIONS:
            return None
        base = str(request.base_url).rstrip("/")
        try:
            tenant, app_id = self._caller(request, base)
            return await self._route(request, base, parts[0], parts[1:], tenant, app_id)
        except AcrlinkError as error:
            return error_response(error)

    def _caller(self, request: Request, base: str) -> tuple[str, str]:
        """(tenant id, app id) of the bearer token, or Graph's 401."""
        scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("InvalidAuthenticationToken", "Access token is empty.")
        try:
            claims = self._verify(token.strip())
        except signing.ExpiredToken:
            raise Unauthorized(
                "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired."
            ) from None
        except signing.InvalidToken:
            raise Unauthorized("InvalidAuthenticationToken", "Access token validation failure.") from None
        audience = str(claims.get("aud", "")).rstrip("/")
        if audience != graph_resource(base):
            raise Unauthorized("InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
        tenant = str(claims.get("tid", ""))
        if tenant.lower() not in self._tenants:
            raise Unauthorized("InvalidAuthenticationToken", "Access token validation failure.")
        return tenant, str(claims.get("appid", ""))

    async def _route(
        self, request: Request, base: str, version: str, path: list[str], tenant: str, app_id: str
    ) -> Response:
        method = request.method
        collection = path[0] if path else ""
        context = f"{base}/{version}/$metadata#{collection}"
        if collection in EMPTY_COLLECTIONS and len(path) == 1 and method == "GET":
            _filtered([], request)
            return _listing(context, [])
        if collection == "me":
            raise BadRequest("BadRequest", "/me request is only valid with delegated authentication flow.")
        if collection == "servicePrincipals":
            return await self._service_principals(request, context, path[1:], tenant, app_id)
        if collection == "applications":
            return await self._applications(request, context, path[1:], tenant, app_id)
        if path == ["directoryObjects", "getByIds"] and method == "POST":
            body = await _body(request)
            ids = body.get("ids")
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                raise BadRequest("Request_BadRequest", "Invalid value specified for property 'ids'.")
            return _listing(f"{base}/{version}/$metadata#directoryObjects", self.principals.objects(tenant, ids))
        raise BadRequest("BadRequest", f"Resource not found for the segment '{collection or '/'}'.")

    async def _service_principals(
        self, request: Request, context: str, rest: list[str], tenant: str, app_id: str
    ) -> Response:
        method = request.method
        if not rest and method == "GET":
            return _listing(context, _filtered(self.principals.service_principals(tenant), request))
        if not rest and method == "POST":
            self.principals.require_writer(app_id)
            body = await _body(request)
            wanted = body.get("appId")
            if not isinstance(wanted, str) or not wanted:
                raise BadRequest("Request_BadRequest", "Property 'appId' is required.")
            created = self.principals.create_service_principal(tenant, wanted)
            return json_response(201, {"@odata.context": f"{context}/$entity", **created})
        if len(rest) == 1 and method == "GET":
            for sp in self.principals.service_principals(tenant):
                if sp["id"].lower() == rest[0].lower():
                    return json_response(200, {"@odata.context": f"{context}/$entity", **sp})
            raise _not_found(rest[0])
        raise MethodNotAllowed("Request_BadRequest", f"The method '{method}' is not supported here.")

    async def _applications(
        self, request: Request, context: str, rest: list[str], tenant: str, app_id: str
    ) -> Response:
        method = request.method
        if not rest and method == "GET":
            return _listing(context, _filtered(self.principals.applications(tenant), request))
        if not rest and method == "POST":
            self.principals.require_writer(app_id)
            body = await _body(request)
            name = body.get("displayName")
            if not isinstance(name, str):
                raise BadRequest("Request_BadRequest", "Property 'displayName' is required.")
            created = self.principals.create_application(tenant, name)
            return json_response(201, {"@odata.context": f"{context}/$entity", **created})
        if len(rest) == 1 and method == "GET":
            return json_response(
                200, {"@odata.context": f"{context}/$entity", **self.principals.application(tenant, rest[0])}
            )
        if len(rest) == 1 and method == "PATCH":
            self.principals.require_writer(app_id)
            body = await _body(request)
            name = body.get("displayName")
            self.principals.rename_application(tenant, rest[0], name if isinstance(name, str) else None)
            return Response(status_code=204)
        if len(rest) == 2 and rest[1] == "addPassword" and method == "POST":
            self.principals.require_writer(app_id)
            credential = (await _body(request)).get("passwordCredential") or {}
            if not isinstance(credential, dict):
                raise BadRequest("Request_BadRequest", "Invalid value specified for property 'passwordCredential'.")
            added = self.principals.add_password(
                tenant,
                rest[0],
                _text(credential.get("displayName")),
                _text(credential.get("startDateTime")),
                _text(credential.get("endDateTime")),
            )
            base = context.split("/$metadata#")[0]
            return json_response(
                200, {"@odata.context": f"{base}/$metadata#microsoft.graph.passwordCredential", **added}
            )
        if len(rest) == 2 and rest[1] == "removePassword" and method == "POST":
            self.principals.require_writer(app_id)
            key_id = (await _body(request)).get("keyId")
            if not isinstance(key_id, str):
                raise BadRequest("Request_BadRequest", "Property 'keyId' is required.")
            self.principals.remove_password(tenant, rest[0], key_id)
            return Response(status_code=204)
        raise MethodNotAllowed("Request_BadRequest", f"The method '{method}' is not supported here.")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _not_found(object_id: str) -> NotFound:
    return NotFound(
        "Request_ResourceNotFound",
        f"Resource '{object_id}' does not exist or one of its queried reference-property objects are not present.",
    )


async def _body(request: Request) -> Doc:
    raw = await request.body()
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise BadRequest("BadRequest", "Unable to read JSON request payload.") from None
    if not isinstance(body, dict):
        raise BadRequest("BadRequest", "Unable to read JSON request payload.")
    return body


def _filtered(objects: list[Doc], request: Request) -> list[Doc]:
    """The objects ``$filter`` selects (all without one); an unsupported filter is Graph's 400."""
    text = request.query_params.get("$filter")
    if text is None:
        return objects
    try:
        clauses = graph_filter.parse(text)
    except graph_filter.FilterError:
        raise BadRequest("Request_UnsupportedQuery", "Unsupported query.") from None
    return [o for o in objects if graph_filter.matches(o, clauses)]


def _listing(context: str, objects: list[Doc]) -> Response:
    return json_response(200, {"@odata.context": context, "value": objects})
