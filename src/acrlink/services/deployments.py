"""``Microsoft.Resources/deployments``: the deployment history of a group or subscription, and the engine's
entry points (create, validate, what-if, cancel).

A deployment is stored as a record in its scope (so deleting a group deletes its history, as in Azure) and
each of its operations as a child record. Creating one checks the request and the template first
(``InvalidTemplate`` and friends: nothing is stored), then records it ``Accepted`` and hands back a job
that runs it (``deployment_engine.py``). Validation and what-if run the same engine on a scratch copy
of the world (``Fork``), so they check everything a deployment would do and change nothing.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from acrlink import unconfirmed
from acrlink.clock import iso
from acrlink.clock import now as clock_now
from acrlink.domain.templates import hashing, types
from acrlink.domain.templates.template import GROUP_SCOPE, SUBSCRIPTION_SCOPE, Positions
from acrlink.errors import AcrlinkError, BadRequest, Conflict, NotFound
from acrlink.resources import groups
from acrlink.services.deployment_scope import Target
from acrlink.services.leases import Leases
from acrlink.services.tenancy import Tenancy
from acrlink.store.base import Record, Store, Transaction

DEPLOYMENT_TYPE = "Microsoft.Resources/deployments"
OPERATION_TYPE = "Microsoft.Resources/deployments/operations"
ACTIVE = ("Accepted", "Running")
TERMINAL = ("Succeeded", "Failed", "Canceled")
_NAME = re.compile(r"^[-\w._()]{1,64}$")
_PRIVATE = "_acrlink"
"""The member of a stored deployment that only acrlink reads (the template, for export)."""


Mode = Literal["Incremental", "Complete"]
ResultFormat = Literal["FullResourcePayloads", "ResourceIdOnly"]


@dataclass(frozen=True)
class DeploymentRequest:
    """A deployment's PUT/validate/whatIf body, checked."""

    mode: Mode
    template: Mapping[str, Any]
    positions: Positions | None
    parameters: dict[str, Any]
    """Given values by name (plain values, not ``{"value": ...}``)."""
    location: str | None = None
    tags: dict[str, str] | None = None
    on_error: dict[str, Any] | None = None
    validation_level: str | None = None
    result_format: ResultFormat = "FullResourcePayloads"


def check_name(name: str) -> None:
    """1-64 letters, digits, ``-``, ``_``, ``.``, ``(`` and ``)``."""
    if not _NAME.match(name):
        raise BadRequest(
            unconfirmed.INVALID_DEPLOYMENT_NAME_CODE,
            f"The deployment name '{name}' is invalid. It must be 1 to 64 characters long and can contain only "
            "alphanumeric characters, underscores, parentheses, hyphens and periods.",
        )


def _content_error(message: str) -> BadRequest:
    return BadRequest(
        "InvalidRequestContent", f"The request content was invalid and could not be deserialized: '{message}'."
    )


def parse_request(body: Any, positions: Positions | None, scope: str, what_if: bool = False) -> DeploymentRequest:
    """The request body's meaning, or ARM's refusal of its shape."""
    if not isinstance(body, Mapping):
        raise _content_error("Required property 'properties' not found in JSON. Path ''.")
    properties = body.get("properties")
    if not isinstance(properties, Mapping):
        raise _content_error("Required property 'properties' not found in JSON. Path ''.")
    mode = properties.get("mode")
    if not isinstance(mode, str):
        raise _content_error("Required property 'mode' not found in JSON. Path 'properties'.")
    modes: dict[str, Mode] = {"incremental": "Incremental", "complete": "Complete"}
    canonical = modes.get(mode.lower())
    if canonical is None:
        raise _content_error(f"Error converting value \"{mode}\" to type 'DeploymentMode'. Path 'properties.mode'.")
    if canonical == "Complete" and scope == SUBSCRIPTION_SCOPE:
        raise BadRequest(
            "InvalidDeploymentMode",
            "The deployment mode 'Complete' is not supported for deployments at subscription scope.",
        )
    if properties.get("templateLink") is not None:
        link = properties["templateLink"]
        uri = link.get("uri") or link.get("id") if isinstance(link, Mapping) else link
        raise BadRequest(
            "InvalidContentLink",
            f"Unable to download deployment content from '{uri}': acrlink deploys only templates sent inline.",
        )
    if properties.get("parametersLink") is not None:
        raise BadRequest(
            "InvalidContentLink", "Unable to download deployment parameters: acrlink takes inline parameters only."
        )
    template = properties.get("template")
    if template is None:
        raise BadRequest("InvalidRequestContent", "The request content must contain 'template' or 'templateLink'.")
    if not isinstance(template, Mapping):
        raise BadRequest(
            "InvalidTemplate", "Deployment template validation failed: 'The template must be a JSON object.'."
        )
    supplied = properties.get("parameters") or {}
    if not isinstance(supplied, Mapping):
        raise _content_error("The 'parameters' property must be an object. Path 'properties.parameters'.")
    parameters: dict[str, Any] = {}
    for name, given in supplied.items():
        if isinstance(given, Mapping) and "reference" in given:
            raise BadRequest(
                unconfirmed.KEYVAULT_REFERENCE_CODE,
                f"The parameter '{name}' is a Key Vault reference; acrlink has no Key Vault to resolve it from.",
            )
        if not isinstance(given, Mapping) or "value" not in given:
            raise _content_error(
                f"The parameter '{name}' must be an object with a 'value'. Path 'properties.parameters.{name}'."
            )
        parameters[name] = given["value"]
    location = body.get("location")
    if scope == SUBSCRIPTION_SCOPE and not location:
        raise BadRequest("LocationRequired", "The location property is required for this definition.")
    settings = properties.get("whatIfSettings") or {}
    asked = settings.get("resultFormat", "FullResourcePayloads") if isinstance(settings, Mapping) else ""
    result_format: ResultFormat = "ResourceIdOnly" if asked == "ResourceIdOnly" else "FullResourcePayloads"
    if what_if and asked not in ("FullResourcePayloads", "ResourceIdOnly"):
        raise _content_error(f"Error converting value \"{asked}\" to type 'WhatIfResultFormat'.")
    tags = body.get("tags")
    return DeploymentRequest(
        mode=canonical,
        template=template,
        positions=positions,
        parameters=parameters,
        location=str(location) if location else None,
        tags=dict(tags) if isinstance(tags, Mapping) else None,
        on_error=dict(properties["onErrorDeployment"])
        if isinstance(properties.get("onErrorDeployment"), Mapping)
        else None,
        validation_level=properties.get("validationLevel")
        if isinstance(properties.get("validationLevel"), str)
        else None,
        result_format=result_format,
    )


def deployment_id(target: Target, name: str) -> str:
    return f"{target.id}/providers/{DEPLOYMENT_TYPE}/{name}"


def operation_id() -> str:
    """ARM's operation ids: 16 upper-case hex digits."""
    return uuid.uuid4().hex[:16].upper()


def parameters_doc(template: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """The deployment's ``parameters``: each with its declared type; secure ones without their value."""
    definitions = template.get("definitions") or {}
    declared = template.get("parameters") or {}
    shown: dict[str, Any] = {}
    for name, value in values.items():
        decl = declared.get(name) or {}
        try:
            kind = types.declared_type(decl, definitions)
        except types.TypeMismatch:
            kind = "string"
        entry: dict[str, Any] = {"type": types.PRIMITIVES[kind]}
        if kind not in types.SECURE:
            entry["value"] = value
        shown[name] = entry
    return shown


CANCEL_PREFIX = "deployments/cancel/"
"""The store's key/value space: a cancel asked of a deployment another process runs (its key after this)."""


class CancelFlag:
    """Whether a running deployment was asked to stop: by this process (the event) or by another one sharing
    the store (a ``CANCEL_PREFIX`` key, read each time the run asks, which is once per resource)."""

    def __init__(self, event: threading.Event, store: Store | None, key: str) -> None:
        self.event = event
        self.store = store
        self.key = key

    def set(self) -> None:
        self.event.set()

    def is_set(self) -> bool:
        if not self.event.is_set() and self.store is not None:
            with self.store.transaction() as tx:
                if tx.kv_get(CANCEL_PREFIX + self.key) is not None:
                    self.event.set()
        return self.event.is_set()


@dataclass
class Running:
    """Deployments running in this process, by key, each with its cancel flag; with a store, a cancel of a
    deployment this process does not run is left in the store for the process that runs it."""

    flags: dict[str, CancelFlag] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    store: Store | None = None

    def start(self, key: str) -> CancelFlag:
        with self.lock:
            flag = CancelFlag(threading.Event(), self.store, key)
            self.flags[key] = flag
            return flag

    def finish(self, key: str) -> None:
        with self.lock:
            self.flags.pop(key, None)
        if self.store is not None:
            with self.store.transaction() as tx:
                tx.kv_delete(CANCEL_PREFIX + key)

    def cancel(self, key: str) -> bool:
        """Stop the deployment ``key`` at its next resource: True when this process runs it, or when the store
        took the request for the process that does (the caller checked it is Accepted or Running)."""
        with self.lock:
            flag = self.flags.get(key)
        if flag is not None:
            flag.set()
            return True
        if self.store is None:
            return False
        with self.store.transaction() as tx:
            tx.kv_put(CANCEL_PREFIX + key, True)
        return True


class History:
    """The stored deployments and their operations: the one owner of those records."""

    def __init__(
        self,
        store: Store,
        tenancy: Tenancy,
        clock: Callable[[], datetime] = clock_now,
        leases: Leases | None = None,
    ) -> None:
        self.store = store
        self.tenancy = tenancy
        self._clock = clock
        self.leases = leases if leases is not None else Leases(store)
        """This process's leases: a deployment Accepted or Running is leased to the process running it."""

    def target(self, subscription: str, group: str | None, tx: Transaction | None = None) -> Target:
        """The scope a route names, canonical; ``ResourceGroupNotFound`` for a group that does not exist."""
        subscription = self.tenancy.canonical_subscription(subscription)
        if group is None:
            return Target(subscription, None)
        if tx is None:
            with self.store.transaction() as own:
                return self.target(subscription, group, own)
        return Target(subscription, str(groups.require(tx, subscription, group)["name"]))

    def _key(self, target: Target, name: str) -> str:
        return deployment_id(target, name).lower()

    def load(self, tx: Transaction, target: Target, name: str) -> dict[str, Any] | None:
        record = tx.get(self._key(target, name))
        return record.body if record else None

    def require(self, tx: Transaction, target: Target, name: str) -> dict[str, Any]:
        found = self.load(tx, target, name)
        if found is None:
            raise NotFound("DeploymentNotFound", f"Deployment '{name}' could not be found.")
        return found

    def save(self, tx: Transaction, target: Target, doc: dict[str, Any]) -> None:
        """Store ``doc``; while it is active this process holds its lease (in the same transaction), once it
        ended the lease goes."""
        if doc["properties"].get("provisioningState") in ACTIVE:
            self.leases.hold(tx, doc["id"].lower())
        else:
            self.leases.drop(tx, doc["id"].lower())
        tx.put(
            Record(
                key=doc["id"].lower(),
                type=DEPLOYMENT_TYPE,
                subscription=target.subscription,
                resource_group=target.resource_group or "",
                parent="",
                body=doc,
            )
        )

    def add_operation(self, deployment: str, operation: dict[str, Any]) -> None:
        doc = {"id": f"{deployment}/operations/{operation['operationId']}", **operation}
        with self.store.transaction() as tx:
            tx.put(
                Record(
                    key=doc["id"].lower(),
                    type=OPERATION_TYPE,
                    subscription="",
                    resource_group="",
                    parent=deployment.lower(),
                    body=doc,
                )
            )

    def operations(self, tx: Transaction, deployment: str) -> list[dict[str, Any]]:
        return [r.body for r in tx.query(type=OPERATION_TYPE, parent=deployment.lower())]

    def clear_operations(self, tx: Transaction, deployment: str) -> None:
        for record in tx.query(type=OPERATION_TYPE, parent=deployment.lower()):
            tx.delete(record.key)

    def in_scope(self, tx: Transaction, target: Target) -> list[dict[str, Any]]:
        records = tx.query(
            type=DEPLOYMENT_TYPE, subscription=target.subscription, resource_group=target.resource_group or ""
        )
        prefix = f"{target.id}/providers/".lower()
        return [r.body for r in records if r.key.startswith(prefix)]

    def delete(self, tx: Transaction, doc: Mapping[str, Any]) -> None:
        self.clear_operations(tx, doc["id"])
        self.leases.drop(tx, doc["id"].lower())
        tx.delete(doc["id"].lower())

    def groom(self, tx: Transaction, target: Target) -> None:
        """ARM's automatic history deletion: above 775 deployments in a group, the oldest finished ones go
        until 750 remain; at the limit with nothing finished to delete, a new deployment is refused."""
        if target.resource_group is None:
            return
        stored = self.in_scope(tx, target)
        if len(stored) < unconfirmed.GROOM_ABOVE:
            return
        finished = sorted(
            (d for d in stored if d["properties"].get("provisioningState") not in ACTIVE),
            key=lambda d: str(d["properties"].get("timestamp", "")),
        )
        excess = len(stored) + 1 - unconfirmed.GROOM_TO
        for doc in finished[:excess]:
            self.delete(tx, doc)
        if len(stored) - min(excess, len(finished)) >= unconfirmed.DEPLOYMENT_HISTORY_LIMIT:
            raise Conflict(
                unconfirmed.DEPLOYMENT_QUOTA_CODE,
                f"Creating the deployment would exceed the quota of '{unconfirmed.DEPLOYMENT_HISTORY_LIMIT}'. The "
                f"current deployment count is '{len(stored)}'. Please delete some deployments before creating a new "
                "one, or see https://aka.ms/DeployOperations for more details.",
            )

    def recover(self, now: float | None = None) -> int:
        """Deployments left Accepted or Running by a process that stopped (their lease expired, or they have
        none) end Failed, saying why; those a live process runs are left to it."""
        ended = 0
        with self.store.transaction() as tx:
            for record in tx.query(type=DEPLOYMENT_TYPE):
                doc = record.body
                if doc["properties"].get("provisioningState") not in ACTIVE:
                    continue
                if self.leases.take_over(tx, record.key, now):
                    doc["properties"]["provisioningState"] = "Failed"
                    doc["properties"]["error"] = {
                        "code": unconfirmed.DEPLOYMENT_INTERRUPTED_CODE,
                        "message": "The deployment was interrupted because acrlink stopped while it ran. Resources "
                        "already deployed stay; deploy again to finish.",
                    }
                    doc["properties"]["timestamp"] = iso(self._clock())
                    tx.put(Record(record.key, record.type, record.subscription, record.resource_group, "", doc))
                    self.leases.drop(tx, record.key)
                    ended += 1
        return ended


def public(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A stored deployment as ARM answers it."""
    return {k: v for k, v in doc.items() if k != _PRIVATE}


def template_of(doc: Mapping[str, Any]) -> Any:
    return (doc.get(_PRIVATE) or {}).get("template")


def new_doc(
    target: Target,
    name: str,
    request: DeploymentRequest,
    values: Mapping[str, Any],
    correlation: str,
    moment: datetime,
    state: str,
) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": deployment_id(target, name), "name": name, "type": DEPLOYMENT_TYPE}
    if target.resource_group is None:
        doc["location"] = request.location
    if request.tags is not None:
        doc["tags"] = request.tags
    properties: dict[str, Any] = {
        "templateHash": hashing.template_hash(request.template),
        "parameters": parameters_doc(request.template, values),
        "mode": request.mode,
        "provisioningState": state,
        "timestamp": iso(moment),
        "duration": "PT0S",
        "correlationId": correlation,
        "providers": [],
        "dependencies": [],
    }
    if request.on_error is not None:
        properties["onErrorDeployment"] = request.on_error
    if request.validation_level is not None:
        properties["validationLevel"] = request.validation_level
    doc["properties"] = properties
    doc[_PRIVATE] = {"template": request.template}
    return doc


def scope_of(target: Target) -> str:
    return GROUP_SCOPE if target.resource_group is not None else SUBSCRIPTION_SCOPE


def error_doc(error: AcrlinkError) -> dict[str, Any]:
    """An error as a deployment's ``error`` member: code, message, target, details nested."""
    doc: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.target:
        doc["target"] = error.target
    if error.details:
        doc["details"] = [_detail(d) for d in error.details]
    if error.additional_info:
        doc["additionalInfo"] = error.additional_info
    return doc


def _detail(detail: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"code": detail.code, "message": detail.message}
    if detail.target:
        doc["target"] = detail.target
    if getattr(detail, "details", None):
        doc["details"] = [_detail(d) for d in detail.details]
    return doc
