"""The ARM face's handlers for acrlink's own views: the network's (``services/network_views.py``) and
garbage collection (``services/gc.py``, for ``acrlink gc``)."""

from __future__ import annotations

import asyncio
import math
from functools import partial
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from acrlink.arm import routes
from acrlink.arm.wire import json_response
from acrlink.domain.principals import Principal
from acrlink.errors import BadRequest, MethodNotAllowed
from acrlink.services.network_views import parse_requests

if TYPE_CHECKING:
    from acrlink.arm.handlers import ArmFace


async def view(face: ArmFace, request: Request, r: routes.Route, body: Any, p: Principal) -> Response:
    face.tenancy.canonical_subscription(r.subscription)
    if face.views is None or face.deployments is None:
        raise MethodNotAllowed("MethodNotAllowed", "This view is not served here.")
    wanted = "POST" if r.name in ("whatif", "garbagecollection") else "GET"
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
    if r.name == "garbagecollection":
        return await _collect(face, body)
    requests = parse_requests(body)
    result = await face.deployments.on_worker(face.deployments.engine.rehearse_requests, p, requests)
    return json_response(200, result)


async def _collect(face: ArmFace, body: Any) -> Response:
    """One garbage collection: ``{"graceSeconds": N, "dryRun": bool}``, both optional; the report."""
    if face.collector is None:
        raise MethodNotAllowed("MethodNotAllowed", "Garbage collection is not served here.")
    options = {} if body is None else body
    if not isinstance(options, dict):
        raise BadRequest("InvalidRequestContent", "The request body must be a JSON object.")
    grace = options.get("graceSeconds")
    if grace is not None and (
        isinstance(grace, bool) or not isinstance(grace, int | float) or not math.isfinite(grace) or grace < 0
    ):
        raise BadRequest("InvalidRequestContent", "graceSeconds must be a number of seconds, 0 or more.")
    dry_run = options.get("dryRun", False)
    if not isinstance(dry_run, bool):
        raise BadRequest("InvalidRequestContent", "dryRun must be true or false.")
    collect = partial(face.collector.collect, grace_seconds=None if grace is None else float(grace), dry_run=dry_run)
    report = await asyncio.to_thread(collect)
    return json_response(200, report.as_json())


HANDLERS = {("acrlink_view", "GET"): view, ("acrlink_view", "POST"): view}
