"""The registry face as one ASGI app: pick the registry by Host, the route by path, check the token,
run the handler, and turn domain errors into OCI/ACR error JSON (``wire.py``)."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from acrlink.domain.oci import check_name
from acrlink.errors import AcrlinkError, Forbidden, MethodNotAllowed, NotFound, Unavailable
from acrlink.registry.handlers.base import Call, Face
from acrlink.registry.routes import DATA_ENDPOINT_ROUTES, ROUTES, match
from acrlink.registry.wire import SERVER, error_response, unavailable_response
from acrlink.unconfirmed import FIREWALL_SPARES_CHALLENGE

log = logging.getLogger("acrlink.registry")


def _is_challenge(request: Request, data_region: str | None) -> bool:
    """An anonymous ``GET /v2/`` on the login server: the ping that fetches the token service's challenge.
    ACR answers it (401 and the challenge) even to a client its firewall refuses, and refuses that client
    at the token service and every other request instead."""
    return (
        not data_region
        and request.scope["path"] == "/v2/"
        and request.method in ("GET", "HEAD")
        and "authorization" not in request.headers
    )


class RegistryApp:
    def __init__(self, face: Face, log_requests: bool = False) -> None:
        self.face = face
        self._log_requests = log_requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        try:
            response = await self.answer(request)
        except Unavailable as outage:
            log.warning("%s %s %s: %s", request.headers.get("host"), request.method, scope["path"], outage)
            response = unavailable_response(outage)
        response.headers[SERVER[0]] = SERVER[1]
        if self._log_requests:
            client = request.client.host if request.client else "-"
            log.info(
                "%s %s %s -> %s from %s",
                request.headers.get("host"),
                request.method,
                scope["path"],
                response.status_code,
                client,
            )
        await response(scope, receive, send)

    async def answer(self, request: Request) -> Response:
        host = request.headers.get("host") or ""
        target = self.face.cache.resolve(host)
        if target is None:
            name = host.split(":")[0]
            return error_response(NotFound("NAME_UNKNOWN", f"registry {name!r} not found"), None)
        registry = target.registry
        try:
            denial = self.face.firewall(registry.name, request.scope.get("state", {}).get("origin"))
            if denial is not None and not (FIREWALL_SPARES_CHALLENGE and _is_challenge(request, target.data_region)):
                raise Forbidden("DENIED", denial)
            routes = DATA_ENDPOINT_ROUTES if target.data_region else ROUTES
            found = match(routes, request.scope["path"])
            if found is None:
                raise NotFound("NOT_FOUND", f"{request.scope['path']} not found")
            route, params = found
            method = route.methods.get(request.method)
            if method is None:
                raise MethodNotAllowed("UNSUPPORTED", f"{request.method} is not supported on {request.scope['path']}")
            if "name" in params:
                check_name(params["name"])
            call = Call(self.face, request, registry, params, target.data_region)
            if method.access is not None:
                needed = route.scope(request.method, params)
                call.claims = self.face.tokens.authorize(request.headers.get("authorization"), registry, needed)
            return await method.handler(call)
        except AcrlinkError as error:
            return error_response(error, None if target.data_region else registry.login_server)
