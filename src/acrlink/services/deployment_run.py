"""Running a planned template: each resource applied as an ARM request, in dependency order, each recorded as
a deployment operation; then outputs, then (in Complete mode) the deletions.

Every resource goes through ``Caller.call``, the ARM face's own routes and handlers, so a resource in a
template is validated, refused and side-effected exactly as the same request from az would be. A failed
resource fails the deployment (``DeploymentFailed`` with its error in ``details``); what was created stays,
resources that do not depend on the failure still deploy, and its dependents are skipped.
"""

from __future__ import annotations

import http
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from acrlink import unconfirmed
from acrlink.clock import iso
from acrlink.domain.principals import Principal
from acrlink.domain.templates import evaluator, types
from acrlink.errors import AcrlinkError, BadRequest, ErrorDetail
from acrlink.resources import api_versions
from acrlink.services.deployment_plan import NESTED, RESOURCE, Instance, Plan
from acrlink.services.deployment_scope import BODY, OUTPUTS, Evaluation, Frame, copy_count

TEMPLATE_ONLY = frozenset(
    {
        "type",
        "apiversion",
        "name",
        "dependson",
        "condition",
        "copy",
        "comments",
        "resources",
        "existing",
        "metadata",
        "scope",
        "resourcegroup",
        "subscriptionid",
        "$schema",
    }
)
"""Members of a resource declaration that instruct the deployment and are not sent to the provider."""

DEPLOYMENT_FAILED = (
    "At least one resource deployment operation failed. Please list deployment operations for details. Please see "
    "https://aka.ms/arm-deployment-operations for usage details."
)


class Answer(Protocol):
    status: int
    body: Any


class Caller(Protocol):
    def call(self, method: str, path: str, api_version: str, body: Any, principal: Principal) -> Any: ...


@dataclass
class ArmFailure(AcrlinkError):
    """A provider's refusal as ARM answered it, with the HTTP status."""

    status: int = 400


def failure(answer: Answer) -> ArmFailure:
    error = (answer.body or {}).get("error") if isinstance(answer.body, dict) else None
    error = error if isinstance(error, dict) else {}
    details = [
        ErrorDetail(str(d.get("code", "")), str(d.get("message", "")), d.get("target"))
        for d in error.get("details") or []
        if isinstance(d, dict)
    ]
    return ArmFailure(
        str(error.get("code", "Failed")),
        str(error.get("message", "")),
        error.get("target"),
        details,
        status=answer.status,
    )


def status_name(status: int) -> str:
    """The HTTP status as ARM's operations name it: ``OK``, ``Created``, ``BadRequest``, ``NotFound``."""
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        return str(status)
    return "".join(word[:1].upper() + word[1:] for word in phrase.replace("-", " ").split())


class ArmReader:
    """The ``Reader`` templates read the world through: ARM GETs and POSTs as the deploying principal."""

    def __init__(self, arm: Caller, principal: Principal, tenant: Callable[[], dict[str, Any]]) -> None:
        self._arm = arm
        self._principal = principal
        self._tenant = tenant

    def _ok(self, method: str, path: str, version: str, body: Any = None) -> Any:
        answer = self._arm.call(method, path, version, body, self._principal)
        if answer.status >= 300:
            raise failure(answer)
        return answer.body

    def get(self, resource_id: str, api_version: str) -> dict[str, Any]:
        found = self._ok("GET", resource_id, api_version)
        return found if isinstance(found, dict) else {}

    def post(self, resource_id: str, action: str, api_version: str, body: Any) -> Any:
        return self._ok("POST", f"{resource_id}/{action}", api_version, body)

    def resource_group(self, subscription: str, name: str) -> dict[str, Any]:
        return self.get(
            f"/subscriptions/{subscription}/resourceGroups/{name}",
            api_versions.newest_stable("Microsoft.Resources/resourceGroups"),
        )

    def subscription(self, subscription: str) -> dict[str, Any]:
        return self.get(
            f"/subscriptions/{subscription}", api_versions.newest_stable("Microsoft.Resources/subscriptions")
        )

    def tenant(self) -> dict[str, Any]:
        return self._tenant()

    def provider(self, subscription: str, namespace: str) -> dict[str, Any]:
        return self.get(
            f"/subscriptions/{subscription}/providers/{namespace}",
            api_versions.newest_stable("Microsoft.Resources/providers"),
        )


NestedRun = Callable[[Instance, dict[str, Any], Frame], tuple[dict[str, Any] | None, ArmFailure | None]]
"""(the nested deployment instance, its evaluated body, the parent frame) -> (the nested deployment's
document, or its failure)."""


@dataclass
class Outcome:
    outputs: dict[str, Any] = field(default_factory=dict)
    output_resources: list[dict[str, str]] = field(default_factory=list)
    error: AcrlinkError | None = None
    canceled: bool = False


class Runner:
    def __init__(
        self,
        arm: Caller,
        principal: Principal,
        clock: Callable[[], datetime],
        record: Callable[[dict[str, Any]], None],
        cancelled: Callable[[], bool],
        nested: NestedRun,
        new_id: Callable[[], str],
        delete_rank: Callable[[str], int] = lambda _type: 50,
    ) -> None:
        """``delete_rank``: a resource type's place in deletion order (lower first: dependents before what
        they use), for Complete mode."""
        self._delete_rank = delete_rank
        self._arm = arm
        self._principal = principal
        self._clock = clock
        self._record = record
        self._cancelled = cancelled
        self._nested = nested
        self._new_id = new_id

    def execute(self, plan: Plan, mode: str, keep: Callable[[str], bool] | None = None) -> Outcome:
        outcome = Outcome()
        failed: set[str] = set()
        errors: list[ErrorDetail] = []
        for instance in plan.ordered():
            if self._cancelled():
                outcome.canceled = True
                return outcome
            if not instance.deploys:
                continue
            if instance.depends & failed:
                failed.add(instance.key)
                continue
            error = self._apply(instance, plan.frame)
            if error is not None:
                failed.add(instance.key)
                errors.append(ErrorDetail(error.code, error.message, instance.id, error.details))
            else:
                outcome.output_resources.append({"id": instance.id})
        if errors:
            outcome.error = AcrlinkError("DeploymentFailed", DEPLOYMENT_FAILED, details=errors)
            return outcome
        if mode == "Complete" and keep is not None:
            outcome.error = self._complete(plan, keep)
            if outcome.error is not None:
                return outcome
        try:
            outcome.outputs = outputs(plan.frame)
        except AcrlinkError as refused:
            outcome.error = AcrlinkError(
                "DeploymentOutputEvaluationFailed",
                "Unable to evaluate template outputs. Please see error details and deployment operations. Please see "
                "https://aka.ms/arm-common-errors for usage details.",
                details=[ErrorDetail(refused.code, refused.message)],
            )
        return outcome

    def _apply(self, instance: Instance, frame: Frame) -> ArmFailure | None:
        started = time.perf_counter()
        moment = self._clock()
        try:
            body = resource_body(instance)
        except AcrlinkError as error:
            failed = ArmFailure(error.code, error.message, status=400)
            self._operation(instance, "Create", failed.status, {"error": _error_doc(failed)}, moment, started)
            return failed
        if instance.kind == NESTED:
            doc, nested_error = self._nested(instance, body, frame)
            status = 400 if nested_error else 200
            shown: Any = {"error": _error_doc(nested_error)} if nested_error else {"status": "Succeeded"}
            self._operation(instance, "Create", nested_error.status if nested_error else status, shown, moment, started)
            return nested_error
        answer = self._arm.call("PUT", instance.id, instance.api_version, body, self._principal)
        if answer.status >= 300:
            refused = failure(answer)
            self._operation(instance, "Create", answer.status, {"error": _error_doc(refused)}, moment, started)
            return refused
        self._operation(instance, "Create", answer.status, {"status": "OK"}, moment, started)
        return None

    def _complete(self, plan: Plan, keep: Callable[[str], bool]) -> AcrlinkError | None:
        """Delete what the group holds and the template no longer declares (``keep`` says what stays)."""
        target = plan.frame.target
        version = api_versions.newest_stable("Microsoft.Resources/resources")
        answer = self._arm.call("GET", f"{target.id}/resources", version, None, self._principal)
        if answer.status >= 300:
            return failure(answer)
        declared = {i.key for i in plan.instances if i.condition and i.kind == RESOURCE}
        doomed = [r for r in answer.body.get("value", []) if r["id"].lower() not in declared and not keep(r["id"])]
        doomed.sort(key=lambda r: self._delete_rank(str(r["type"])))
        errors: list[ErrorDetail] = []
        for resource in doomed:
            started = time.perf_counter()
            moment = self._clock()
            rtype = str(resource["type"])
            gone = self._arm.call("DELETE", resource["id"], api_versions.newest_stable(rtype), None, self._principal)
            target_doc = {"id": resource["id"], "resourceType": rtype, "resourceName": resource["name"]}
            if gone.status >= 300:
                error = failure(gone)
                errors.append(ErrorDetail(error.code, error.message, resource["id"]))
                self._write(target_doc, "Delete", gone.status, {"error": _error_doc(error)}, moment, started)
            else:
                self._write(target_doc, "Delete", gone.status, {"status": "OK"}, moment, started)
        if errors:
            return AcrlinkError("DeploymentFailed", DEPLOYMENT_FAILED, details=errors)
        return None

    def _operation(
        self, instance: Instance, verb: str, status: int, message: Any, moment: datetime, started: float
    ) -> None:
        target = {"id": instance.id, "resourceType": instance.type, "resourceName": instance.name}
        if instance.api_version:
            target["apiVersion"] = instance.api_version
        if instance.declared.symbol:
            target["symbolicName"] = instance.symbol or instance.declared.symbol
        self._write(target, verb, status, message, moment, started)

    def _write(
        self, target: dict[str, Any], verb: str, status: int, message: Any, moment: datetime, started: float
    ) -> None:
        ok = status < 300
        self._record(
            {
                "operationId": self._new_id(),
                "properties": {
                    "provisioningOperation": verb,
                    "provisioningState": "Succeeded" if ok else "Failed",
                    "timestamp": iso(moment),
                    "duration": duration(time.perf_counter() - started),
                    "trackingId": str(uuid.uuid4()),
                    "serviceRequestId": str(uuid.uuid4()),
                    "statusCode": status_name(status),
                    "statusMessage": message if unconfirmed.OPERATION_STATUS_MESSAGE_IS_BODY or not ok else None,
                    "targetResource": target,
                },
            }
        )


def _error_doc(error: AcrlinkError) -> dict[str, Any]:
    doc: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.details:
        doc["details"] = [
            {"code": d.code, "message": d.message, **({"target": d.target} if d.target else {})} for d in error.details
        ]
    return doc


def duration(seconds: float) -> str:
    """An ISO 8601 duration as ARM writes it: ``PT1.2345678S``."""
    return f"PT{seconds:.7f}S"


def resource_body(instance: Instance) -> dict[str, Any]:
    """The request body for a resource: its declaration without the template-only members, evaluated (with
    property copy loops expanded and null members dropped)."""
    evaluation = instance.evaluation.at(BODY)
    body: dict[str, Any] = {}
    for key, value in instance.declared.body.items():
        if key.lower() in TEMPLATE_ONLY:
            continue
        if instance.kind == NESTED and key == "properties" and isinstance(value, Mapping):
            body[key] = nested_properties(value, evaluation)
            continue
        evaluated = evaluate_body(value, evaluation, instance)
        if evaluated is not None:
            body[key] = evaluated
    return body


def nested_properties(value: Mapping[str, Any], evaluation: Evaluation) -> dict[str, Any]:
    """A nested deployment's properties: with ``inner`` scope the parent evaluates only the parameter values
    (the nested template is its own); with ``outer`` scope nothing is evaluated here (the nested template's
    expressions are the parent's, evaluated as it deploys)."""
    properties = dict(value)
    options = properties.get("expressionEvaluationOptions") or {}
    inner = isinstance(options, Mapping) and str(options.get("scope", "")).lower() == "inner"
    if "mode" in properties:
        properties["mode"] = evaluator.evaluate(properties["mode"], evaluation)
    if inner and "parameters" in properties:
        properties["parameters"] = evaluator.evaluate(properties["parameters"], evaluation)
    return properties


def evaluate_body(value: Any, evaluation: Evaluation, instance: Instance | None = None) -> Any:
    """Evaluate a resource body: strings are expressions, ``copy`` arrays inside objects are property loops."""
    if isinstance(value, str):
        return evaluator.evaluate(value, evaluation)
    if isinstance(value, list):
        return [evaluate_body(v, evaluation, instance) for v in value]
    if not isinstance(value, Mapping):
        return value
    result: dict[str, Any] = {}
    for key, item in value.items():
        if key == "copy" and isinstance(item, list):
            for loop in item:
                if not isinstance(loop, Mapping) or not isinstance(loop.get("name"), str):
                    raise BadRequest(
                        "InvalidTemplate", "A property copy loop needs a 'name', a 'count' and an 'input'."
                    )
                name = loop["name"]
                count = copy_count(evaluator.evaluate(loop.get("count"), evaluation), f"property copy '{name}'")
                result[name] = [
                    evaluate_body(loop.get("input"), evaluation.with_index(name, i), instance) for i in range(count)
                ]
            continue
        evaluated = evaluate_body(item, evaluation, instance)
        if evaluated is not None:
            result[key] = evaluated
    return result


def outputs(frame: Frame) -> dict[str, Any]:
    """The template's outputs, evaluated once every resource is deployed; secure outputs carry no value."""
    evaluation = frame.evaluation(OUTPUTS)
    shown: dict[str, Any] = {}
    for name, decl in frame.template.outputs.items():
        if not isinstance(decl, Mapping):
            raise BadRequest("InvalidTemplate", f"The template output '{name}' must be an object.")
        try:
            if "condition" in decl and evaluator.evaluate(decl["condition"], evaluation) is False:
                continue
            kind = types.declared_type(decl, frame.template.definitions)
            copy = decl.get("copy")
            if isinstance(copy, Mapping):
                count = copy_count(evaluator.evaluate(copy.get("count"), evaluation), f"output copy '{name}'")
                value: Any = [
                    evaluator.evaluate(copy.get("input"), evaluation.with_index(name, i, current=True))
                    for i in range(count)
                ]
            else:
                value = evaluator.evaluate(decl.get("value"), evaluation)
            types.check(value, decl, frame.template.definitions)
        except (AcrlinkError, types.TypeMismatch) as error:
            message = error.message if isinstance(error, AcrlinkError) else str(error)
            raise BadRequest("InvalidTemplate", f"The template output '{name}' is not valid: {message}") from None
        entry: dict[str, Any] = {"type": types.PRIMITIVES[kind]}
        if kind not in types.SECURE:
            entry["value"] = value
        shown[name] = entry
    return shown
