"""The ARM face's handlers for acrlink's own network views (``services/network_views.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from acrlink.arm import routes
from acrlink.arm.wire import json_response
from acrlink.domain.principals import Principal
from acrlink.errors import MethodNotAllowed
from acrlink.services.network_views import parse_requests

if TYPE_CHECKING:
    from acrlink.arm.handlers import ArmFace


async def view(face: ArmFace, request: Request, r: routes.Route, body: Any, p: Principal) -> Response:
    face.tenancy.canonical_subscription(r.subscription)
    if face.views is None or face.deployments is None:
        raise MethodNotAllowed("MethodNotAllowed", "This view is not served here.")
    wanted = "POST" if r.name == "whatif" else "GET"
    if request.method != wanted:
        raise MethodNotAllowed(
            "MethodNotAllowed", f"The requested resource does not support http method '{request.method}'."
        )
    if r.name == "reachability":
        query = request.query_params
        value = face.views.reachability(query.get("host"), query.get("name"), query.get("principal"))
        return json_response(200, {"value": value})
    if r.name == "networkgraph":
        return json_response(200, face.views.network_graph())
    requests = parse_requests(body)
    result = await face.deployments.on_worker(face.deployments.engine.rehearse_requests, p, requests)
    return json_response(200, result)


HANDLERS = {("acrlink_view", "GET"): view, ("acrlink_view", "POST"): view}
