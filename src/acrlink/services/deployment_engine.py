"""The deployment engine: create (and run), validate, what-if, cancel, nested deployments.

``create`` checks the template completely before anything is stored or deployed, records the deployment
``Accepted`` and returns a job; the job (run on a worker thread by the ARM face) deploys each resource
through ARM's own handlers (``deployment_run.py``) and records the outcome. ``validate`` and ``what_if`` run
the same engine against a fork: a scratch copy of the whole world with its own ARM face, so what they
report is what the deployment would do, and nothing real changes.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from acrlink import unconfirmed
from acrlink.clock import iso
from acrlink.clock import now as clock_now
from acrlink.domain import reachability, whatif
from acrlink.domain.cloud import CloudProfile
from acrlink.domain.netgraph import Graph
from acrlink.domain.principals import Principal
from acrlink.domain.templates import evaluator, hashing
from acrlink.domain.templates import template as templates
from acrlink.errors import AcrlinkError, BadRequest, Conflict, ErrorDetail
from acrlink.resources import api_versions
from acrlink.services import deployments as records
from acrlink.services.deployment_plan import NESTED, Instance, Plan, build
from acrlink.services.deployment_run import ArmFailure, ArmReader, Caller, Runner, duration
from acrlink.services.deployment_scope import Frame, Target
from acrlink.services.deployments import DeploymentRequest, History, Running

log = logging.getLogger("acrlink.deployments")

MAX_NESTING = 10
"""Nested deployments deeper than this are refused (a template that deploys itself)."""


class Fork(Protocol):
    """A scratch copy of the world: its own ARM face and engine over a copy of the store."""

    arm: Caller
    engine: Engine

    def graph(self) -> Graph: ...


@dataclass
class Prepared:
    target: Target
    name: str
    request: DeploymentRequest
    frame: Frame
    plan: Plan
    values: dict[str, Any]
    description: dict[str, Any] = field(default_factory=dict)
    """``providers`` and ``dependencies`` (``describe``)."""


@dataclass
class Applied:
    """What a run applied (for what-if): every instance, nested ones included, with its frame's target."""

    instances: list[Instance] = field(default_factory=list)
    groups: set[tuple[str, str]] = field(default_factory=set)


class Engine:
    def __init__(
        self,
        history: History,
        cloud: CloudProfile,
        tenant: Callable[[], dict[str, Any]],
        fork: Callable[[], Fork] | None = None,
        graph: Callable[[], Graph] | None = None,
        clock: Callable[[], datetime] = clock_now,
        delete_ranks: Mapping[str, int] | None = None,
    ) -> None:
        self._delete_ranks = delete_ranks or {}
        self.history = history
        self.cloud = cloud
        self._tenant = tenant
        self._fork = fork
        self._graph = graph
        self._clock = clock
        self.running = Running(store=history.store)
        self.applied = Applied()

    def live_graph(self) -> Graph:
        """The network graph of this engine's world."""
        assert self._graph is not None
        return self._graph()

    # Checking ------------------------------------------------------------------------------------------

    def prepare(
        self, arm: Caller, principal: Principal, target: Target, name: str, request: DeploymentRequest
    ) -> Prepared:
        """Everything ARM checks before deploying: the template's shape, the parameters, the plan."""
        records.check_name(name)
        template = templates.load(request.template, request.positions, records.scope_of(target))
        _check_supplied(template, request.parameters)
        frame = Frame(
            template=template,
            target=Target(target.subscription, target.resource_group, request.location),
            deployment=self._deployment_function(target, name, request),
            reader=ArmReader(arm, principal, self._tenant),
            cloud=self.cloud,
            clock=self._clock,
            supplied=request.parameters,
        )
        values = frame.bind_all()
        plan = build(frame)
        return Prepared(target, name, request, frame, plan, values, describe(plan))

    def _deployment_function(self, target: Target, name: str, request: DeploymentRequest) -> dict[str, Any]:
        """``deployment()``: the deployment's name and what it was sent."""
        doc: dict[str, Any] = {
            "name": name,
            "properties": {
                "template": request.template,
                "templateHash": hashing.template_hash(request.template),
                "parameters": {},
                "mode": request.mode,
                "provisioningState": "Accepted",
            },
        }
        if target.resource_group is None:
            doc["location"] = request.location
        return doc

    # Creating ------------------------------------------------------------------------------------------

    def create(
        self,
        arm: Caller,
        principal: Principal,
        target: Target,
        name: str,
        request: DeploymentRequest,
        correlation: str,
    ) -> tuple[dict[str, Any], bool, Callable[[], None]]:
        """Check, record ``Accepted``, and return (the document, whether it is new, the job that runs it)."""
        prepared = self.prepare(arm, principal, target, name, request)
        with self.history.store.transaction() as tx:
            existing = self.history.load(tx, target, name)
            if existing is not None:
                _refuse_active(existing, name)
                moved = str(existing.get("location") or "").lower() != str(request.location or "").lower()
                if target.resource_group is None and existing.get("location") and request.location and moved:
                    raise BadRequest(
                        "InvalidDeploymentLocation",
                        f"Invalid deployment location '{request.location}'. The deployment '{name}' already exists "
                        f"in location '{existing['location']}'.",
                    )
                self.history.delete(tx, existing)
            self.history.groom(tx, target)
            doc = records.new_doc(target, name, request, prepared.values, correlation, self._clock(), "Accepted")
            doc["properties"].update(prepared.description)
            self.history.save(tx, target, doc)
            tx.kv_delete(records.CANCEL_PREFIX + doc["id"].lower())  # a cancel left by a run of the same name
        flag = self.running.start(doc["id"].lower())

        def job() -> None:
            self._run(arm, principal, prepared, doc["id"], flag)

        return records.public(doc), existing is None, job

    def _run(
        self, arm: Caller, principal: Principal, prepared: Prepared, deployment: str, flag: Any, depth: int = 0
    ) -> tuple[dict[str, Any], AcrlinkError | None]:
        """Run a recorded deployment to its end; whatever happens, it ends Succeeded, Failed or Canceled."""
        started = time.perf_counter()
        self._update(prepared.target, prepared.name, {"provisioningState": "Running"})
        outcome_error: AcrlinkError | None = None
        updates: dict[str, Any] = {}
        try:
            runner = Runner(
                arm,
                principal,
                self._clock,
                lambda op: self.history.add_operation(deployment, op),
                flag.is_set,
                lambda instance, body, frame: self._nested(arm, principal, instance, body, frame, flag, depth + 1),
                records.operation_id,
                lambda rtype: self._delete_ranks.get(rtype.lower(), 50),
            )
            self.applied.instances.extend(prepared.plan.instances)
            if prepared.target.resource_group is not None:
                self.applied.groups.add((prepared.target.subscription, prepared.target.resource_group))
            outcome = runner.execute(
                prepared.plan, prepared.request.mode, keep=self._keeper(arm, principal, prepared.plan)
            )
            if outcome.canceled:
                updates["provisioningState"] = "Canceled"
            elif outcome.error is not None:
                outcome_error = outcome.error
                updates["provisioningState"] = "Failed"
                updates["error"] = records.error_doc(outcome.error)
            else:
                updates["provisioningState"] = "Succeeded"
                updates["outputs"] = outcome.outputs
            updates["outputResources"] = outcome.output_resources
        except Exception as error:  # noqa: BLE001 - a deployment must never stay Running
            log.exception("deployment %s failed unexpectedly", deployment)
            outcome_error = AcrlinkError("DeploymentFailed", f"The deployment failed unexpectedly: {error}")
            updates = {"provisioningState": "Failed", "error": records.error_doc(outcome_error)}
        finally:
            updates["duration"] = duration(time.perf_counter() - started)
            doc = self._update(prepared.target, prepared.name, updates)
            self.running.finish(deployment.lower())
        return doc, outcome_error

    def _update(self, target: Target, name: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        with self.history.store.transaction() as tx:
            doc = self.history.require(tx, target, name)
            doc["properties"].update(changes)
            doc["properties"]["timestamp"] = iso(self._clock())
            self.history.save(tx, target, doc)
        return records.public(doc)

    def _keeper(self, arm: Caller, principal: Principal, plan: Plan) -> Callable[[str], bool]:
        """What Complete mode leaves although the template does not declare it: the network interfaces a
        declared private endpoint manages (they go with their endpoint)."""
        declared = {i.key for i in plan.instances if i.condition}

        def keep(resource_id: str) -> bool:
            if "/microsoft.network/networkinterfaces/" not in resource_id.lower():
                return False
            version = api_versions.newest_stable("Microsoft.Network/networkInterfaces")
            answer = arm.call("GET", resource_id, version, None, principal)
            endpoint = ((answer.body or {}).get("properties") or {}).get("privateEndpoint") or {}
            return str(endpoint.get("id", "")).lower() in declared

        return keep

    def _nested(
        self,
        arm: Caller,
        principal: Principal,
        instance: Instance,
        body: dict[str, Any],
        parent: Frame,
        flag: Any,
        depth: int,
    ) -> tuple[dict[str, Any] | None, ArmFailure | None]:
        """A ``Microsoft.Resources/deployments`` resource: a deployment of its own in its target scope, with
        its own history entry and operations."""
        try:
            if depth > MAX_NESTING:
                raise BadRequest("InvalidTemplate", f"Nested deployments may go at most {MAX_NESTING} levels deep.")
            properties = body.get("properties") or {}
            options = properties.get("expressionEvaluationOptions") or {}
            inner = str(options.get("scope", "")).lower() == "inner"
            mode = str(properties.get("mode") or "Incremental")
            if mode.lower() != "incremental":
                raise BadRequest(
                    "InvalidTemplate",
                    f"The nested deployment '{instance.name}' must use mode 'Incremental'; only the root deployment "
                    "may "
                    "be Complete.",
                )
            payload: dict[str, Any] = {"properties": {**properties, "mode": "Incremental"}}
            if instance.target.resource_group is None and body.get("location"):
                payload["location"] = body["location"]
            if not inner:
                payload["properties"]["parameters"] = {}
            request = records.parse_request(payload, None, records.scope_of(instance.target))
            target = self.history.target(instance.target.subscription, instance.target.resource_group)
            prepared = self._prepare_nested(arm, principal, target, instance.name, request, None if inner else parent)
            with self.history.store.transaction() as tx:
                existing = self.history.load(tx, target, instance.name)
                if existing is not None:
                    _refuse_active(existing, instance.name)
                    self.history.delete(tx, existing)
                doc = records.new_doc(
                    target, instance.name, request, prepared.values, str(uuid.uuid4()), self._clock(), "Accepted"
                )
                doc["properties"].update(prepared.description)
                self.history.save(tx, target, doc)
            doc, error = self._run(arm, principal, prepared, doc["id"], flag, depth)
        except AcrlinkError as error:
            return None, ArmFailure(error.code, error.message, error.target, error.details, status=400)
        if error is not None:
            return doc, ArmFailure(error.code, error.message, error.target, error.details, status=400)
        return doc, None

    def _prepare_nested(
        self,
        arm: Caller,
        principal: Principal,
        target: Target,
        name: str,
        request: DeploymentRequest,
        outer: Frame | None,
    ) -> Prepared:
        if outer is None:
            return self.prepare(arm, principal, target, name, request)
        template = templates.load(request.template, None, records.scope_of(target))
        frame = Frame(
            template=template,
            target=target,
            deployment=outer.deployment,
            reader=outer.reader,
            cloud=self.cloud,
            clock=self._clock,
            supplied={},
            outer=outer,
        )
        plan = build(frame)
        return Prepared(target, name, request, frame, plan, {}, describe(plan))

    # Cancel --------------------------------------------------------------------------------------------

    def cancel(self, target: Target, name: str) -> None:
        """Stop a running deployment after the resource it is applying; it ends ``Canceled``."""
        with self.history.store.transaction() as tx:
            doc = self.history.require(tx, target, name)
        state = doc["properties"].get("provisioningState")
        if state not in records.ACTIVE or not self.running.cancel(doc["id"].lower()):
            raise Conflict(
                unconfirmed.DEPLOYMENT_NOT_CANCELLABLE_CODE,
                f"The deployment '{name}' cannot be canceled because it is in provisioning state '{state}'. Only "
                "deployments that are 'Accepted' or 'Running' can be canceled.",
            )

    def delete(self, target: Target, name: str) -> bool:
        with self.history.store.transaction() as tx:
            doc = self.history.load(tx, target, name)
            if doc is None:
                return False
            _refuse_active(doc, name)
            self.history.delete(tx, doc)
        return True

    # Validate and what-if -------------------------------------------------------------------------------

    def _forked(self) -> Fork:
        if self._fork is None:
            raise RuntimeError("this engine runs inside a fork: it cannot fork again")
        return self._fork()

    def validate(
        self, principal: Principal, target: Target, name: str, request: DeploymentRequest, correlation: str
    ) -> dict[str, Any]:
        """ARM's preflight: the template checks, then the deployment run on a fork; a provider's refusal of a
        resource's request (a 400) fails validation, as the providers' preflight checks do in Azure."""
        fork = self._forked()
        prepared = fork.engine.prepare(fork.arm, principal, target, name, request)
        doc, error = fork.engine.rehearse(fork.arm, principal, prepared, correlation)
        if error is not None:
            preflight = [d for d in error.details if _is_preflight(d)]
            if preflight:
                raise _preflight_failure(name, correlation, preflight)
        result = records.new_doc(target, name, request, prepared.values, correlation, self._clock(), "Succeeded")
        result["properties"].update(prepared.description)
        result["properties"]["validatedResources"] = [{"id": i.id} for i in prepared.plan.instances if i.deploys]
        return records.public(result)

    def rehearse(
        self, arm: Caller, principal: Principal, prepared: Prepared, correlation: str
    ) -> tuple[dict[str, Any], AcrlinkError | None]:
        """Run a prepared deployment here, inline (this engine is a fork's)."""
        target, name = prepared.target, prepared.name
        with self.history.store.transaction() as tx:
            existing = self.history.load(tx, target, name)
            if existing is not None:
                self.history.delete(tx, existing)
            doc = records.new_doc(
                target, name, prepared.request, prepared.values, correlation, self._clock(), "Accepted"
            )
            self.history.save(tx, target, doc)
        flag = self.running.start(doc["id"].lower())
        return self._run(arm, principal, prepared, doc["id"], flag)

    def what_if(
        self, real: Caller, principal: Principal, target: Target, name: str, request: DeploymentRequest
    ) -> dict[str, Any]:
        """ARM's whatIf result, computed by deploying on a fork and comparing each resource before and after;
        plus acrlink's ``reachability``: how every host's view of every registry changes."""
        fork = self._forked()
        prepared = fork.engine.prepare(fork.arm, principal, target, name, request)
        _, error = fork.engine.rehearse(fork.arm, principal, prepared, str(uuid.uuid4()))
        if error is not None:
            return {"status": "Failed", "error": records.error_doc(error)}
        changes = self._changes(real, fork, principal, request)
        properties: dict[str, Any] = {"changes": changes}
        if self._graph is not None:
            moved = reachability.changes(self._graph(), fork.graph())
            properties["reachability"] = [reachability.as_json(c) for c in moved]
            properties["diagnostics"] = [reachability.as_diagnostic(c) for c in moved]
        return {"status": "Succeeded", "properties": properties}

    def rehearse_requests(self, principal: Principal, requests: list[dict[str, Any]]) -> dict[str, Any]:
        """ARM requests run, in order, on a fork: the first refusal (as ARM answered it on the fork), or how
        every host's reach changes."""
        fork = self._forked()
        for request in requests:
            answer = fork.arm.call(
                request["method"], request["path"], request["apiVersion"], request.get("body"), principal
            )
            if answer.status >= 300:
                error = (answer.body or {}).get("error") if isinstance(answer.body, dict) else None
                return {"status": "Failed", "error": error or {"code": str(answer.status), "message": ""}}
        moved = reachability.changes(self._graph(), fork.graph()) if self._graph is not None else []
        return {
            "status": "Succeeded",
            "properties": {
                "reachability": [reachability.as_json(c) for c in moved],
                "diagnostics": [reachability.as_diagnostic(c) for c in moved],
            },
        }

    def _changes(
        self, real: Caller, fork: Fork, principal: Principal, request: DeploymentRequest
    ) -> list[dict[str, Any]]:
        applied = fork.engine.applied
        seen: dict[str, dict[str, Any]] = {}
        declared: set[str] = set()
        for instance in applied.instances:
            if instance.kind == NESTED or not instance.deploys or instance.key in seen:
                continue
            declared.add(instance.key)
            before = _read(real, principal, instance.id, instance.api_version)
            after = _read(fork.arm, principal, instance.id, instance.api_version)
            seen[instance.key] = whatif.change(
                instance.id, before, after, True, request.mode, request.result_format, instance.api_version
            )
        version = api_versions.newest_stable("Microsoft.Resources/resources")
        for subscription, group in sorted(applied.groups):
            path = f"/subscriptions/{subscription}/resourceGroups/{group}/resources"
            before_list = _list(real, principal, path, version)
            after_ids = {r["id"].lower() for r in _list(fork.arm, principal, path, version)}
            for resource in before_list:
                key = resource["id"].lower()
                if key in seen or key in declared:
                    continue
                rtype = str(resource["type"])
                api = api_versions.newest_stable(rtype)
                before = _read(real, principal, resource["id"], api)
                after = _read(fork.arm, principal, resource["id"], api) if key in after_ids else None
                seen[key] = whatif.change(
                    resource["id"], before, after, False, request.mode, request.result_format, api
                )
        return list(seen.values())


def _read(arm: Caller, principal: Principal, resource_id: str, api_version: str) -> dict[str, Any] | None:
    answer = arm.call("GET", resource_id, api_version, None, principal)
    return answer.body if answer.status == 200 and isinstance(answer.body, dict) else None


def _list(arm: Caller, principal: Principal, path: str, api_version: str) -> list[dict[str, Any]]:
    answer = arm.call("GET", path, api_version, None, principal)
    if answer.status != 200:
        return []
    return list(answer.body.get("value", []))


def _is_preflight(detail: ErrorDetail) -> bool:
    """A provider's refusal of the request itself (its shape, name, SKU, location...), which Azure's preflight
    also catches; conflicts and missing references surface only when deploying."""
    return detail.code not in ("ResourceNotFound", "ParentResourceNotFound", "ResourceGroupNotFound") and not any(
        word in detail.code for word in ("NotFound", "Conflict", "InUse", "AlreadyExists")
    )


def _preflight_failure(name: str, correlation: str, details: list[ErrorDetail]) -> BadRequest:
    return BadRequest(
        "InvalidTemplateDeployment",
        f"The template deployment '{name}' is not valid according to the validation procedure. The tracking id is "
        f"'{correlation}'. See inner errors for details.",
        details=[
            ErrorDetail(
                "PreflightValidationCheckFailed",
                "Preflight validation failed. Please refer to the details for the specific errors.",
                details=details,
            )
        ],
    )


def _refuse_active(doc: Mapping[str, Any], name: str) -> None:
    if doc["properties"].get("provisioningState") in records.ACTIVE:
        raise Conflict(
            unconfirmed.DEPLOYMENT_ACTIVE_CODE,
            f"Unable to edit or replace deployment '{name}': previous deployment from "
            f"'{doc['properties'].get('timestamp')}' is still active (provisioning state is 'Running'). Please see "
            "https://aka.ms/arm-deploy for usage details.",
        )


def _check_supplied(template: templates.Template, supplied: Mapping[str, Any]) -> None:
    declared = {name.lower() for name in template.parameters}
    extra = [name for name in supplied if name.lower() not in declared]
    if extra:
        allowed = ", ".join(template.parameters)
        raise templates.invalid(
            f"The template parameters '{', '.join(extra)}' in the parameters file are not valid; they are not present "
            "in "
            "the original template and can therefore not be provided at deployment time. The only supported parameters "
            f"for this template are '{allowed}'. Please see https://aka.ms/arm-pass-parameter-values for usage details."
        )


def _location(instance: Instance) -> str:
    """The instance's location when it is known before deploying (a literal, or an expression that needs
    nothing deployed); empty otherwise."""
    raw = instance.declared.body.get("location")
    try:
        value = evaluator.evaluate(raw, instance.evaluation)
    except AcrlinkError:
        return ""
    return value if isinstance(value, str) else ""


def describe(plan: Plan) -> dict[str, Any]:
    """``providers`` and ``dependencies``, as ARM lists them on a deployment (worked out when the plan is,
    outside any store transaction: a location may read the group through ARM)."""
    providers: dict[str, dict[str, set[str]]] = {}
    for instance in plan.instances:
        if not instance.deploys:
            continue
        namespace, _, rest = instance.type.partition("/")
        location = _location(instance)
        providers.setdefault(namespace, {}).setdefault(rest, set()).update({location} if location else set())
    described: dict[str, Any] = {}
    described["providers"] = [
        {
            "namespace": namespace,
            "resourceTypes": [{"resourceType": t, "locations": sorted(locs)} for t, locs in types_.items()],
        }
        for namespace, types_ in providers.items()
    ]
    by_key = plan.by_key
    described["dependencies"] = [
        {
            "id": i.id,
            "resourceType": i.type,
            "resourceName": i.name,
            "dependsOn": [
                {"id": by_key[d].id, "resourceType": by_key[d].type, "resourceName": by_key[d].name}
                for d in sorted(i.depends)
            ],
        }
        for i in plan.instances
        if i.depends and i.deploys
    ]
    return described
