"""The ARM face's ``Microsoft.Resources/deployments`` handlers: parse, hand to the engine, render.

A deployment's PUT is a long-running operation. With ``--arm-async`` it answers 201 ``Accepted`` with an
``Azure-AsyncOperation`` URL at once and runs on a worker thread; otherwise it answers once the deployment
has ended, with its final state (the SDK's body polling then finishes without a poll). Validate and
what-if run on a worker thread too, so the event loop keeps serving while they rehearse on a fork.
"""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from acrlink.arm import routes
from acrlink.arm.wire import json_response, page
from acrlink.domain.principals import Principal
from acrlink.errors import AcrlinkError, NotFound
from acrlink.services import deployments as records
from acrlink.services.deployment_engine import Engine
from acrlink.services.deployment_scope import Target

if TYPE_CHECKING:
    from acrlink.arm.handlers import ArmFace

WORKERS = 4
"""Deployments, validations and what-ifs that run at once (more wait for a worker)."""


class DeploymentFace:
    """The engine and the worker threads the ARM face runs deployments on."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.workers = ThreadPoolExecutor(WORKERS, thread_name_prefix="deployment")

    def target(self, r: routes.Route) -> Target:
        return self.engine.history.target(r.subscription, r.resource_group)

    async def on_worker(self, work: Any, *args: Any) -> Any:
        """``work(*args)`` on a worker thread, so the event loop keeps serving; inline when there is no loop
        (an internal ARM request, already on a thread of its own)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return work(*args)
        return await loop.run_in_executor(self.workers, work, *args)

    def close(self) -> None:
        self.workers.shutdown(wait=False, cancel_futures=True)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _correlation(request: Request) -> str:
    """The request's correlation id, as its answer's ``x-ms-correlation-request-id`` carries it."""
    return str(getattr(request.state, "correlation_id", "") or uuid.uuid4())


def _positions(request: Request) -> Any:
    return getattr(request.state, "positions", None)


def _face(face: ArmFace) -> DeploymentFace:
    if face.deployments is None:
        raise NotFound(
            "InvalidResourceType",
            "The resource type 'deployments' could not be found in the namespace 'Microsoft.Resources'.",
        )
    return face.deployments


async def list_deployments(face: ArmFace, request: Request, r: routes.Route, _b: Any, _p: Principal) -> Response:
    deployments = _face(face)
    target = deployments.target(r)
    with deployments.engine.history.store.transaction() as tx:
        docs = [records.public(d) for d in deployments.engine.history.in_scope(tx, target)]
    docs.sort(key=lambda d: str(d["properties"].get("timestamp", "")), reverse=True)
    return json_response(200, page(request, docs, face.page_size))


async def get_deployment(face: ArmFace, _q: Request, r: routes.Route, _b: Any, _p: Principal) -> Response:
    deployments = _face(face)
    target = deployments.target(r)
    with deployments.engine.history.store.transaction() as tx:
        return json_response(200, records.public(deployments.engine.history.require(tx, target, r.name)))


async def head_deployment(face: ArmFace, _q: Request, r: routes.Route, _b: Any, _p: Principal) -> Response:
    deployments = _face(face)
    target = deployments.target(r)
    with deployments.engine.history.store.transaction() as tx:
        found = deployments.engine.history.load(tx, target, r.name)
    return Response(status_code=204 if found else 404)


async def put_deployment(face: ArmFace, request: Request, r: routes.Route, body: Any, p: Principal) -> Response:
    deployments = _face(face)
    target = deployments.target(r)
    parsed = records.parse_request(body, _positions(request), records.scope_of(target))
    engine = deployments.engine
    doc, created, job = await deployments.on_worker(
        engine.create, face, p, target, r.name, parsed, _correlation(request)
    )
    status = 201 if created else 200
    if face.answers.asynchronous:
        deployments.workers.submit(job)
        return json_response(201, doc, {"Azure-AsyncOperation": _status_url(request, doc), "Retry-After": "1"})
    await deployments.on_worker(job)
    with engine.history.store.transaction() as tx:
        final = records.public(engine.history.require(tx, target, r.name))
    if final["properties"].get("provisioningState") in ("Failed", "Canceled"):
        return json_response(status, final, _ended_badly_headers(request, final))
    return json_response(status, final)


def _status_url(request: Request, doc: dict[str, Any]) -> str:
    return (
        f"{_base(request)}{doc['id']}/operationStatuses/{records.operation_id()}"
        f"?api-version={request.query_params['api-version']}"
    )


def _ended_badly_headers(request: Request, doc: dict[str, Any]) -> dict[str, str]:
    """Even without ``--arm-async``, a deployment that ended Failed or Canceled is answered with an
    ``Azure-AsyncOperation`` (its status already terminal, polled after 1 ms). azure-core takes a PUT's
    201 whose body is already terminal as the result without looking at the state, so az would print the
    failed deployment and exit 0; through the status it raises and prints ``DeploymentFailed`` with the
    inner error, as with real ARM."""
    return {"Azure-AsyncOperation": _status_url(request, doc), "Retry-After-Ms": "1"}


async def delete_deployment(face: ArmFace, request: Request, r: routes.Route, _b: Any, _p: Principal) -> Response:
    deployments = _face(face)
    target = deployments.target(r)
    existed = deployments.engine.delete(target, r.name)
    if not existed:
        return json_response(204)
    operation = f"deployment-delete-{uuid.uuid4()}"
    face.service.record_operation(operation, {"status": "Succeeded"})
    url = (
        f"{_base(request)}/subscriptions/{target.subscription}/operationresults/{operation}"
        f"?api-version={request.query_params['api-version']}"
    )
    return json_response(202, None, {"Location": url, "Retry-After": "1"})


async def deployment_action(face: ArmFace, request: Request, r: routes.Route, body: Any, p: Principal) -> Response:
    deployments = _face(face)
    target = deployments.target(r)
    engine = deployments.engine
    action = r.rest[0]
    if action == "cancel":
        engine.cancel(target, r.name)
        return json_response(204)
    if action == "exporttemplate":
        with engine.history.store.transaction() as tx:
            doc = engine.history.require(tx, target, r.name)
        return json_response(200, {"template": records.template_of(doc)})
    scope = records.scope_of(target)
    if action == "validate":
        parsed = records.parse_request(body, _positions(request), scope)
        result = await deployments.on_worker(engine.validate, p, target, r.name, parsed, _correlation(request))
        return json_response(200, result)
    try:
        parsed = records.parse_request(body, _positions(request), scope, what_if=True)
        result = await deployments.on_worker(engine.what_if, face, p, target, r.name, parsed)
    except AcrlinkError as error:  # what-if answers its refusals in the result (az cannot read a 400 here)
        result = {"status": "Failed", "error": records.error_doc(error)}
    if not face.answers.asynchronous:
        return json_response(200, result)
    operation = f"whatif-{uuid.uuid4()}"
    face.service.record_operation(operation, {"status": "Succeeded", "result": result})
    url = (
        f"{_base(request)}/subscriptions/{target.subscription}/operationresults/{operation}"
        f"?api-version={request.query_params['api-version']}"
    )
    return json_response(202, None, {"Location": url, "Retry-After": "1"})


async def deployment_status(face: ArmFace, _q: Request, r: routes.Route, _b: Any, _p: Principal) -> Response:
    """The ``Azure-AsyncOperation`` of a deployment's PUT: Running until the deployment ends, then its state
    (with its error when it failed). A Running answer carries ``Retry-After: 1``: azure-core takes the delay
    before the next poll from the last poll's answer, and without one waits 30 seconds."""
    deployments = _face(face)
    target = deployments.target(r)
    with deployments.engine.history.store.transaction() as tx:
        doc = deployments.engine.history.require(tx, target, r.name)
    state = doc["properties"].get("provisioningState")
    status: dict[str, Any] = {"status": "Running" if state in records.ACTIVE else state}
    if state == "Failed" and doc["properties"].get("error"):
        status["error"] = doc["properties"]["error"]
    return json_response(200, status, {"Retry-After": "1"} if status["status"] == "Running" else None)


async def list_operations(face: ArmFace, request: Request, r: routes.Route, _b: Any, _p: Principal) -> Response:
    deployments = _face(face)
    target = deployments.target(r)
    history = deployments.engine.history
    with history.store.transaction() as tx:
        doc = history.require(tx, target, r.name)
        operations = history.operations(tx, doc["id"])
    return json_response(200, page(request, operations, face.page_size))


async def get_operation(face: ArmFace, _q: Request, r: routes.Route, _b: Any, _p: Principal) -> Response:
    deployments = _face(face)
    target = deployments.target(r)
    history = deployments.engine.history
    with history.store.transaction() as tx:
        doc = history.require(tx, target, r.name)
        for operation in history.operations(tx, doc["id"]):
            if operation["operationId"].lower() == r.rest[0].lower():
                return json_response(200, operation)
    raise NotFound("DeploymentOperationNotFound", f"Deployment operation '{r.rest[0]}' could not be found.")


HANDLERS = {
    ("deployments", "GET"): list_deployments,
    ("deployment", "GET"): get_deployment,
    ("deployment", "HEAD"): head_deployment,
    ("deployment", "PUT"): put_deployment,
    ("deployment", "DELETE"): delete_deployment,
    ("deployment_action", "POST"): deployment_action,
    ("deployment_status", "GET"): deployment_status,
    ("deployment_operations", "GET"): list_operations,
    ("deployment_operation", "GET"): get_operation,
}
