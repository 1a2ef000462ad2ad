"""The ARM face as an ASGI app: identity endpoints, Microsoft Graph, then ARM routes dispatched to the services.

Handlers only parse and render; every decision is in ``services`` and ``resources``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route as StarletteRoute

from acrlink.arm import (
    authorization_handlers,
    conditions,
    deployment_handlers,
    edge,
    filters,
    network_views,
    permissions,
    routes,
)
from acrlink.arm.auth import challenge
from acrlink.arm.deployment_handlers import DeploymentFace
from acrlink.arm.edge import parse_count, query_param
from acrlink.arm.graph import GraphFace
from acrlink.arm.headers import TracingHeaders
from acrlink.arm.identity import Identity, Principal
from acrlink.arm.lro import Answers
from acrlink.arm.wire import (
    error_response,
    internal_request,
    json_response,
    page,
    read_json,
    read_lenient_json,
    unavailable_response,
)
from acrlink.errors import AcrlinkError, BadRequest, MethodNotAllowed, NotFound, Unauthorized, Unavailable
from acrlink.services.access_admin import AccessAdmin
from acrlink.services.arm import ResourceService
from acrlink.services.authorization import Authorization, authorization_failed
from acrlink.services.gc import Collector
from acrlink.services.network_views import Views
from acrlink.services.tenancy import Tenancy

log = logging.getLogger("acrlink.arm")
ALLOWED_CACHE = 100_000
"""Requests remembered as allowed per change-signal version (the memo empties when it reaches this many)."""
ALL_METHODS = ["GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS"]


@dataclass(frozen=True)
class ArmAnswer:
    """What an internal ARM request got: the status and the JSON body (ARM's error envelope on failure)."""

    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return self.status < 300


class ArmFace:
    def __init__(
        self,
        service: ResourceService,
        tenancy: Tenancy,
        identity: Identity,
        answers: Answers,
        page_size: int,
        authorization: Authorization,
        deployments: DeploymentFace | None = None,
        views: Views | None = None,
        access: AccessAdmin | None = None,
        graph: GraphFace | None = None,
    ) -> None:
        self.access = access
        self.graph = graph
        self._allowed: dict[tuple[str, str, str, str], bool] = {}
        self._allowed_version = -1
        self.authorization = authorization
        self.deployments = deployments
        self.views = views
        self.collector: Collector | None = None
        """Garbage collection (the ``Acrlink.Network/garbageCollection`` view); set by the composition root."""
        self.service = service
        self.tenancy = tenancy
        self.identity = identity
        self.answers = answers
        self.page_size = page_size

    def app(self) -> TracingHeaders:
        return TracingHeaders(Starlette(routes=[StarletteRoute("/{path:path}", self.handle, methods=ALL_METHODS)]))

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        try:
            response = (
                await self.identity.answer(request)
                or (await self.graph.answer(request) if self.graph is not None else None)
                or await self._arm(request)
            )
        except AcrlinkError as error:
            response = error_response(error)
            if isinstance(error, Unauthorized):
                response.headers["WWW-Authenticate"] = challenge(str(request.base_url), error.message)
        except Unavailable as outage:
            log.warning("ARM %s %s: %s", request.method, request.url.path, outage)
            response = unavailable_response(outage)
        log.info(
            "ARM %s %s %d %.1fms from %s",
            request.method,
            request.url.path,
            response.status_code,
            (time.perf_counter() - started) * 1000,
            request.client.host if request.client else "-",
        )
        return response

    async def _arm(self, request: Request) -> Response:
        principal = self.identity.authenticate(request.headers.get("authorization"))
        return await self.dispatch(request, principal)

    def call(self, method: str, path: str, api_version: str, body: Any, principal: Principal) -> ArmAnswer:
        """One ARM request made inside acrlink (a template deployment applying a resource), answered by the
        same routes, checks and handlers as a client's request; errors come back as ARM's answer, not raised.
        The handlers never wait on I/O, so the request runs to its end here, on the caller's thread."""
        raw = b"" if body is None else json.dumps(body).encode()
        request = internal_request(method, path, api_version, raw)
        coroutine = self.dispatch(request, principal, raw)
        try:
            coroutine.send(None)
        except StopIteration as done:
            response: Response = done.value
        except AcrlinkError as error:
            response = error_response(error)
        else:
            coroutine.close()
            raise RuntimeError(f"internal ARM request {method} {path} waited on I/O")
        content = bytes(response.body)
        return ArmAnswer(response.status_code, json.loads(content) if content else None)

    async def dispatch(self, request: Request, principal: Principal, raw: bytes | None = None) -> Response:
        """Route and answer an authenticated request; ``raw`` is its body when already read."""
        if not request.query_params.get("api-version"):
            raise BadRequest(
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        route = routes.parse(request.url.path, self.service.catalog)
        handler = _handler(route, request.method)
        if handler is None:
            raise MethodNotAllowed(
                "MethodNotAllowed", f"The requested resource does not support http method '{request.method}'."
            )
        if raw is None:
            raw = await edge.read_body(request)
        body = None
        if request.method in ("PUT", "PATCH", "POST") and route.kind in routes.DEPLOYMENT_KINDS:
            body, request.state.positions = read_lenient_json(raw)
        elif request.method in ("PUT", "PATCH", "POST"):
            body = read_json(raw)
        edge.check_api_version(
            route,
            request.query_params["api-version"],
            body,
            lambda: self.service.stored_location(route.ref) if route.ref is not None else None,
            list(self.service.cloud.regions),
        )
        self._authorize(request, route, principal)
        return await handler(self, request, route, body, principal)

    def _authorize(self, request: Request, route: routes.Route, principal: Principal) -> None:
        """Azure RBAC in front of every handler: the token's tenant must own the subscription addressed
        (``InvalidAuthenticationTokenTenant``), then the caller needs the route's permission at its scope
        (``AuthorizationFailed``). A list the caller cannot read whole is answered filtered to what it can read,
        when it has some role inside the list's scope. A request allowed whole is remembered per (principal,
        method, path) until the change signal moves, so a repeated request costs one look-up."""
        request.state.visible = None
        if route.kind in permissions.NO_PERMISSION or route.kind == "subscriptions":
            return
        version = self.authorization.version
        if self._allowed_version != version:
            self._allowed = {}
            self._allowed_version = version
        seen = (principal.object_id, principal.tenant_id, request.method, request.url.path)
        if seen in self._allowed:
            return
        self._check(request, route, principal)
        if request.state.visible is None and len(self._allowed) < ALLOWED_CACHE:
            self._allowed[seen] = True

    def _check(self, request: Request, route: routes.Route, principal: Principal) -> None:
        """``_authorize``'s decision, made afresh."""
        try:
            subscription = self.tenancy.canonical_subscription(route.subscription)
        except NotFound:
            return  # the handler answers SubscriptionNotFound
        owner = self.tenancy.world.tenant_of(subscription).tenant_id
        if owner.lower() != principal.tenant_id.lower():
            raise _wrong_tenant(str(request.base_url).rstrip("/"), principal.tenant_id, owner)
        route = replace(route, subscription=subscription)
        oid = principal.object_id
        if route.kind in permissions.VISIBILITY:
            scope = permissions.subscription_scope(route)
            if not self.authorization.sees(oid, scope):
                raise authorization_failed(principal, "Microsoft.Resources/subscriptions/read", scope)
            return
        needed = permissions.needed(route, request.method)
        if needed is None or self.authorization.allows(oid, needed.action, needed.scope):
            return
        if (
            request.method == "GET"
            and route.kind in permissions.FILTERED_LISTS
            and self.authorization.sees(oid, needed.scope)
        ):
            request.state.visible = lambda doc: self.authorization.allows(oid, f"{doc['type']}/read", doc["id"])
            return
        raise authorization_failed(principal, needed.action, needed.scope)

    # Tenancy ----------------------------------------------------------------------------------------

    async def tenants(self, request: Request, _r: routes.Route, _b: Any, p: Principal) -> Response:
        """The tenant the caller's token is for (a service principal lists its own tenant)."""
        return json_response(200, page(request, [self.tenancy.tenant_doc(p.tenant_id)], self.page_size))

    async def subscriptions(self, request: Request, _r: routes.Route, _b: Any, p: Principal) -> Response:
        """The caller's tenant's subscriptions in which it has some role (as ``az login`` lists them)."""
        tenant = self.tenancy.world.tenant(p.tenant_id)
        subscriptions = tenant.subscriptions if tenant else ()
        docs = [
            self.tenancy.subscription_doc(s)
            for s in subscriptions
            if self.authorization.sees(p.object_id, f"/subscriptions/{s}")
        ]
        return json_response(200, page(request, docs, self.page_size))

    async def subscription(self, _q: Request, r: routes.Route, _b: Any, _p: Principal) -> Response:
        return json_response(200, self.tenancy.subscription_doc(self.tenancy.canonical_subscription(r.subscription)))

    async def locations(self, request: Request, r: routes.Route, _b: Any, _p: Principal) -> Response:
        docs = self.tenancy.locations(self.tenancy.canonical_subscription(r.subscription))
        return json_response(200, page(request, docs, self.page_size))

    async def providers(self, request: Request, r: routes.Route, _b: Any, _p: Principal) -> Response:
        subscription = self.tenancy.canonical_subscription(r.subscription)
        with self.service.store.transaction() as tx:
            docs = self.tenancy.providers(tx, subscription)
        return json_response(200, page(request, docs, self.page_size))

    async def provider(self, _q: Request, r: routes.Route, _b: Any, _p: Principal) -> Response:
        subscription = self.tenancy.canonical_subscription(r.subscription)
        with self.service.store.transaction() as tx:
            return json_response(200, self.tenancy.provider_doc(tx, subscription, r.namespace))

    async def provider_action(self, _q: Request, r: routes.Route, _b: Any, _p: Principal) -> Response:
        subscription = self.tenancy.canonical_subscription(r.subscription)
        with self.service.store.transaction() as tx:
            self.tenancy.set_registration(tx, subscription, r.namespace, r.name == "register")
            return json_response(200, self.tenancy.provider_doc(tx, subscription, r.namespace))

    # Resources --------------------------------------------------------------------------------------

    async def generic_resources(self, request: Request, r: routes.Route, _b: Any, _p: Principal) -> Response:
        wanted = filters.resources(request.query_params.get("$filter"))
        docs = _visible(request, self.service.generic_list(r.subscription, r.resource_group, wanted))
        return json_response(200, page(request, docs, self.page_size))

    async def collection(self, request: Request, r: routes.Route, _b: Any, _p: Principal) -> Response:
        assert r.rtype is not None
        if r.resource_group is None and not r.rtype.listed_in_subscription:
            raise BadRequest(
                "InvalidResourceType",
                f"The resource type '{r.rtype.type}' cannot be listed across a subscription.",
            )
        docs = _visible(request, self.service.list(r.rtype, r.subscription, r.resource_group, r.ref))
        docs = [edge.shaped(r.rtype, d, request) for d in docs]
        if r.rtype.list_view is not None:
            docs = r.rtype.list_view(docs, filters.equalities(query_param(request, "$filter"), r.rtype.filter_fields))
            top = query_param(request, "$top")
            if top is not None:
                return json_response(200, {"value": docs[: parse_count("$top", top)]})
        return json_response(200, page(request, docs, self.page_size))

    async def get_resource(self, request: Request, r: routes.Route, _b: Any, _p: Principal) -> Response:
        assert r.rtype and r.ref
        return json_response(200, edge.shaped(r.rtype, self.service.get(r.rtype, r.ref), request))

    async def head_resource(self, _q: Request, r: routes.Route, _b: Any, _p: Principal) -> Response:
        """ARM's existence check of its own types (``_handler`` offers it for no other): 204, or 404 without a
        body."""
        assert r.rtype and r.ref
        try:
            self.service.get(r.rtype, r.ref)
        except NotFound:
            return Response(status_code=404)
        return Response(status_code=204)

    async def put_resource(self, request: Request, r: routes.Route, body: Any, p: Principal) -> Response:
        assert r.rtype and r.ref
        doc, created = self.service.put(r.rtype, r.ref, body, p, conditions.read(request.headers, r.rtype))
        doc = edge.shaped(r.rtype, doc, request)
        if r.rtype.synchronous:
            return json_response(201 if created else 200, doc)
        status = r.rtype.create_status if created else "Updating"
        return self.answers.written(request, doc, created, r.subscription, r.rtype.namespace, status)

    async def patch_resource(self, request: Request, r: routes.Route, body: Any, p: Principal) -> Response:
        assert r.rtype and r.ref
        doc = self.service.patch(r.rtype, r.ref, body, p, conditions.read(request.headers, r.rtype))
        doc = edge.shaped(r.rtype, doc, request)
        if r.rtype.synchronous:
            return json_response(200, doc)
        return self.answers.written(request, doc, False, r.subscription, r.rtype.namespace, "Updating")

    async def delete_resource(self, request: Request, r: routes.Route, _b: Any, p: Principal) -> Response:
        assert r.rtype and r.ref
        existed = self.service.delete(r.rtype, r.ref, p, conditions.read(request.headers, r.rtype))
        if r.rtype.served_by_arm:
            return self.answers.deleted_by_arm(request, self.tenancy.canonical_subscription(r.subscription))
        response = self.answers.deleted(
            request, existed, r.subscription, r.rtype.namespace, "global", always_accepted=r.rtype.lingering is not None
        )
        if not existed and r.rtype.absent_delete_warning:
            response.headers["x-ms-warning"] = r.rtype.absent_delete_warning.format(name=r.ref.name)
        return response

    async def action(self, request: Request, r: routes.Route, body: Any, p: Principal) -> Response:
        assert r.rtype and r.ref
        action = r.rtype.actions[r.name]
        if action.method != request.method:
            raise MethodNotAllowed(
                "MethodNotAllowed", f"The requested resource does not support http method '{request.method}'."
            )
        status, result = self.service.action(r.rtype, r.ref, r.name, body, r.rest, p)
        return json_response(status, result)

    async def namespace_action(self, _q: Request, r: routes.Route, body: Any, p: Principal) -> Response:
        status, result = self.service.namespace_action(r.subscription, r.namespace, r.name, body, p)
        return json_response(status, result)

    async def operation(self, _q: Request, r: routes.Route, _b: Any, _p: Principal) -> Response:
        return self.answers.poll(r.name, r.rest[0])

    async def group_operation(self, _q: Request, r: routes.Route, _b: Any, _p: Principal) -> Response:
        return self.answers.poll(r.name, "operationresults")

    async def namespace_operations(self, request: Request, r: routes.Route, _b: Any, _p: Principal) -> Response:
        operations = []
        for rtype in self.service.catalog.in_namespace(r.namespace):
            for verb in ("read", "write", "delete"):
                operations.append(
                    {
                        "name": f"{rtype.type}/{verb}",
                        "isDataAction": False,
                        "display": {
                            "provider": r.namespace,
                            "resource": rtype.type.split("/")[-1],
                            "operation": verb,
                            "description": f"{verb} {rtype.type}",
                        },
                    }
                )
        return json_response(200, page(request, operations, self.page_size))


def _visible(request: Request, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A list as the caller may see it: whole, or filtered by ``ArmFace._authorize``'s predicate."""
    visible = getattr(request.state, "visible", None)
    return docs if visible is None else [d for d in docs if visible(d)]


def _wrong_tenant(authority: str, token_tenant: str, owner: str) -> Unauthorized:
    """ARM's refusal of a token from another tenant than the subscription's."""
    return Unauthorized(
        "InvalidAuthenticationTokenTenant",
        f"The access token is from the wrong issuer '{authority}/{token_tenant}/'. It must match the tenant "
        f"'{authority}/{owner}/' associated with this subscription. Please use the authority (URL) "
        f"'{authority}/{owner}' to get the token. Note, if the subscription is transferred to another tenant "
        "there is no impact to the services, but information about new tenant could take time to propagate "
        "(up to an hour). If you just transferred your subscription and see this error message, please try "
        "back later.",
    )


Handler = Callable[[ArmFace, Request, routes.Route, Any, Principal], Awaitable[Response]]

_HANDLERS: dict[tuple[str, str], Handler] = {
    ("tenants", "GET"): ArmFace.tenants,
    ("subscriptions", "GET"): ArmFace.subscriptions,
    ("subscription", "GET"): ArmFace.subscription,
    ("locations", "GET"): ArmFace.locations,
    ("providers", "GET"): ArmFace.providers,
    ("provider", "GET"): ArmFace.provider,
    ("provider_action", "POST"): ArmFace.provider_action,
    ("resources", "GET"): ArmFace.generic_resources,
    ("collection", "GET"): ArmFace.collection,
    ("resource", "GET"): ArmFace.get_resource,
    ("resource", "HEAD"): ArmFace.head_resource,
    ("resource", "PUT"): ArmFace.put_resource,
    ("resource", "PATCH"): ArmFace.patch_resource,
    ("resource", "DELETE"): ArmFace.delete_resource,
    ("action", "GET"): ArmFace.action,
    ("action", "POST"): ArmFace.action,
    ("namespace_action", "POST"): ArmFace.namespace_action,
    ("operation", "GET"): ArmFace.operation,
    ("group_operation", "GET"): ArmFace.group_operation,
    ("namespace_operations", "GET"): ArmFace.namespace_operations,
    **deployment_handlers.HANDLERS,
    **network_views.HANDLERS,
    **authorization_handlers.HANDLERS,
}


def _handler(route: routes.Route, method: str) -> Handler | None:
    """The handler of a route kind and method; HEAD of a resource only for a type ARM answers itself (a provider
    answers it 405, as for any method it does not serve)."""
    if method == "HEAD" and route.kind == "resource" and not (route.rtype and route.rtype.served_by_arm):
        return None
    return _HANDLERS.get((route.kind, method))
