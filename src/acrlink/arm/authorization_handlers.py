"""The ARM face's handlers for ``Microsoft.Authorization`` (``services/access_admin.py``): role assignments and
role definitions at any scope. ``ArmFace._authorize`` has already checked the caller's permission."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from acrlink.arm import filters, routes
from acrlink.arm.edge import query_param
from acrlink.arm.wire import json_response, page
from acrlink.domain.principals import Principal
from acrlink.errors import MethodNotAllowed
from acrlink.services.access_admin import AccessAdmin, Scope

if TYPE_CHECKING:
    from acrlink.arm.handlers import ArmFace


def _access(face: ArmFace) -> AccessAdmin:
    if face.access is None:
        raise MethodNotAllowed("MethodNotAllowed", "Microsoft.Authorization is not served here.")
    return face.access


def _scope(r: routes.Route) -> Scope | None:
    """The route's scope for the service (None: the tenant root)."""
    if r.scope == "/":
        return None
    return Scope(r.subscription, r.rtype, r.ref)


def _required_scope(r: routes.Route) -> Scope:
    scope = _scope(r)
    assert scope is not None, "the routes serve role assignments below the tenant root only"
    return scope


async def list_assignments(face: ArmFace, request: Request, r: routes.Route, _b: Any, _p: Principal) -> Response:
    docs = _access(face).list_at(_required_scope(r), filters.assignments(query_param(request, "$filter")))
    return json_response(200, page(request, docs, face.page_size))


async def get_assignment(face: ArmFace, _q: Request, r: routes.Route, _b: Any, _p: Principal) -> Response:
    return json_response(200, _access(face).get(_required_scope(r), r.name))


async def put_assignment(face: ArmFace, _q: Request, r: routes.Route, body: Any, p: Principal) -> Response:
    doc, created = _access(face).create(_required_scope(r), r.name, body, p)
    return json_response(201 if created else 200, doc)


async def delete_assignment(face: ArmFace, _q: Request, r: routes.Route, _b: Any, _p: Principal) -> Response:
    doc = _access(face).delete(_required_scope(r), r.name)
    return json_response(204) if doc is None else json_response(200, doc)


async def list_definitions(face: ArmFace, request: Request, r: routes.Route, _b: Any, _p: Principal) -> Response:
    docs = _access(face).definitions(_scope(r), filters.definitions(query_param(request, "$filter")))
    return json_response(200, page(request, docs, face.page_size))


async def get_definition(face: ArmFace, _q: Request, r: routes.Route, _b: Any, _p: Principal) -> Response:
    return json_response(200, _access(face).definition(_scope(r), r.name))


HANDLERS = {
    ("role_assignments", "GET"): list_assignments,
    ("role_assignment", "GET"): get_assignment,
    ("role_assignment", "PUT"): put_assignment,
    ("role_assignment", "DELETE"): delete_assignment,
    ("role_definitions", "GET"): list_definitions,
    ("role_definition", "GET"): get_definition,
}
