"""Where a template's expressions are evaluated: the ``Scope`` the template functions ask.

A ``Frame`` is one template being deployed (the top-level one or a nested one with ``inner`` scope): its
bound parameters, its variables (evaluated on first use), its target (subscription and group), and the
deployment's ``deployment()`` document. An ``Evaluation`` is a frame at one place in the template: which
functions are allowed there (``reference`` only in resource bodies and outputs, ``utcNow``/``newGuid``
only in parameter defaults) and the copy-loop indexes in force. What needs the world (``reference()``,
``list*``, ``resourceGroup()``) is asked of ARM through the deployment's ``Reader``, as real ARM asks the
resource providers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import Any, Protocol

from acrlink.domain.cloud import CloudProfile
from acrlink.domain.templates import evaluator, types
from acrlink.domain.templates.environment import environment_doc
from acrlink.domain.templates.template import Template, invalid
from acrlink.errors import BadRequest

PARAMETER_DEFAULT = "parameter"
"""Evaluating a parameter's ``defaultValue``: the only place ``utcNow``/``newGuid`` are allowed."""
PLAN = "plan"
"""Names, types, api-versions, conditions, copy counts, dependsOn: known before anything is deployed."""
BODY = "body"
"""A resource's body (properties, location, tags...): ``reference()`` and ``list*`` allowed."""
OUTPUTS = "outputs"


class Reader(Protocol):
    """What an evaluation reads from the world, through ARM."""

    def get(self, resource_id: str, api_version: str) -> dict[str, Any]:
        """The resource's GET document; raises the provider's error (e.g. ResourceNotFound)."""

    def post(self, resource_id: str, action: str, api_version: str, body: Any) -> Any:
        """``POST {id}/{action}`` (``listCredentials``...)."""

    def resource_group(self, subscription: str, name: str) -> dict[str, Any]:
        """The group's document (``ResourceGroupNotFound`` when it does not exist)."""

    def subscription(self, subscription: str) -> dict[str, Any]:
        """The subscription's document."""

    def tenant(self) -> dict[str, Any]:
        """The tenant's document."""

    def provider(self, subscription: str, namespace: str) -> dict[str, Any]:
        """The resource provider's document in the subscription."""


@dataclass(frozen=True)
class Target:
    """Where a template deploys: a subscription, and a group unless at subscription scope."""

    subscription: str
    resource_group: str | None
    location: str | None = None

    @property
    def id(self) -> str:
        base = f"/subscriptions/{self.subscription}"
        return f"{base}/resourceGroups/{self.resource_group}" if self.resource_group else base


Resolve = Callable[[str, "Evaluation"], tuple[str, str | None, bool]]
"""(reference target as written, evaluation) -> (resource id, api-version of a template resource or None,
whether the template deploys it)."""
ResolveLoop = Callable[[str], list[str]]
"""(loop symbol) -> the resource ids of its instances whose condition holds, in copy order."""


@dataclass
class Frame:
    template: Template
    target: Target
    deployment: dict[str, Any]
    reader: Reader
    cloud: CloudProfile
    clock: Callable[[], datetime]
    supplied: Mapping[str, Any]
    """Parameter values given (by declared name, any casing): already plain values."""
    resolve: Resolve | None = None
    resolve_loop: ResolveLoop | None = None
    outer: Frame | None = None
    """For a nested template with ``outer`` scope: the frame whose parameters and variables it sees."""
    _parameters: dict[str, Any] = field(default_factory=dict)
    _variables: dict[str, Any] = field(default_factory=dict)
    _evaluating: set[str] = field(default_factory=set)
    _group_doc: dict[str, Any] | None = None

    def evaluation(self, where: str) -> Evaluation:
        return Evaluation(self, where)

    # Parameters and variables -----------------------------------------------------------------------

    def parameter(self, name: str) -> Any:
        if self.outer is not None:
            return self.outer.parameter(name)
        declared = _find(self.template.parameters, name)
        if declared is None:
            raise BadRequest(
                "InvalidTemplate",
                f"The template parameter '{name}' is not found. Please see https://aka.ms/arm-syntax-parameters "
                "for usage details.",
            )
        key = declared.lower()
        if key in self._parameters:
            return self._parameters[key]
        supplied = _find(self.supplied, declared)
        if supplied is not None:
            value = self.supplied[supplied]
        else:
            decl = self.template.parameters[declared]
            if "defaultValue" not in decl:
                raise _missing_parameter(self.template, declared)
            value = self._guarded(
                f"parameter:{key}", lambda: evaluator.evaluate(decl["defaultValue"], self.evaluation(PARAMETER_DEFAULT))
            )
        self._parameters[key] = value
        return value

    def variable(self, name: str) -> Any:
        if self.outer is not None:
            return self.outer.variable(name)
        variables = self.template.variables
        key = name.lower()
        if key in self._variables:
            return self._variables[key]
        copies = variables.get("copy")
        declared = _find(variables, name) if key != "copy" else None
        if declared is None and isinstance(copies, list):
            for loop in copies:
                if isinstance(loop, Mapping) and str(loop.get("name", "")).lower() == key:
                    value = self._guarded(f"variable:{key}", partial(self._variable_copy, loop))
                    self._variables[key] = value
                    return value
        if declared is None:
            raise BadRequest(
                "InvalidTemplate",
                f"The template variable '{name}' is not found. Please see https://aka.ms/arm-syntax-variables for "
                "usage details.",
            )
        raw = variables[declared]
        value = self._guarded(f"variable:{key}", lambda: evaluator.evaluate(raw, self.evaluation(PLAN).in_variable()))
        self._variables[key] = value
        return value

    def _variable_copy(self, loop: Mapping[str, Any]) -> list[Any]:
        name = str(loop["name"])
        base = self.evaluation(PLAN).in_variable()
        count = copy_count(evaluator.evaluate(loop.get("count"), base), f"variable copy '{name}'")
        return [evaluator.evaluate(loop.get("input"), base.with_index(name, i)) for i in range(count)]

    def _guarded(self, key: str, compute: Callable[[], Any]) -> Any:
        if key in self._evaluating:
            kind, name = key.split(":", 1)
            raise BadRequest(
                "InvalidTemplate",
                f"The template {kind} '{name}' is not valid: it refers to itself (a circular reference).",
            )
        self._evaluating.add(key)
        try:
            return compute()
        finally:
            self._evaluating.discard(key)

    def bind_all(self) -> dict[str, Any]:
        """Every declared parameter's value (given or default), checked against its type."""
        values: dict[str, Any] = {}
        for name, decl in self.template.parameters.items():
            value = self.parameter(name)
            try:
                types.check(value, decl, self.template.definitions)
            except types.TypeMismatch as mismatch:
                at = self.template.at(decl)
                where = f" at line '{at[0]}' and column '{at[1]}'" if at else ""
                raise invalid(
                    f"The provided value for the template parameter '{name}'{where} is not valid. {mismatch} Please "
                    "see https://aka.ms/arm-create-parameter-file for usage details.",
                    at,
                    f"parameters.{name}",
                ) from None
            values[name] = value
        return values

    # The world -----------------------------------------------------------------------------------------

    def group_doc(self) -> dict[str, Any]:
        """``resourceGroup()``: the group the template deploys to; with ``outer`` scope the parent's, unless
        the parent deploys to a subscription (then the nested deployment's own group)."""
        if self.outer is not None and self.outer.target.resource_group is not None:
            return self.outer.group_doc()
        if self.target.resource_group is None:
            raise BadRequest(
                "InvalidTemplate",
                "The template function 'resourceGroup' is not expected at this location: the deployment is at "
                "subscription scope.",
            )
        if self._group_doc is None:
            self._group_doc = self.reader.resource_group(self.target.subscription, self.target.resource_group)
        return self._group_doc


def _find(mapping: Mapping[str, Any], name: str) -> str | None:
    """The key of ``mapping`` that is ``name`` in any casing."""
    if name in mapping:
        return name
    lower = name.lower()
    for key in mapping:
        if key.lower() == lower:
            return key
    return None


def _missing_parameter(template: Template, name: str) -> BadRequest:
    at = template.at(template.parameters[name])
    where = f" at line '{at[0]}' and column '{at[1]}'" if at else ""
    return invalid(
        f"The value for the template parameter '{name}'{where} is not provided. Please see "
        "https://aka.ms/arm-create-parameter-file for usage details.",
        at,
        f"parameters.{name}",
    )


def copy_count(value: Any, what: str) -> int:
    """A copy loop's count: an integer from 0 to 800."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 800:
        raise BadRequest(
            "InvalidTemplate",
            f"The {what} has an invalid copy count '{value}'. The copy count must be a non-negative integer value "
            "and cannot exceed '800'.",
        )
    return value


@dataclass(frozen=True)
class Evaluation:
    """A frame at one place: what is allowed there, and the copy indexes in force."""

    frame: Frame
    where: str
    indexes: tuple[tuple[str, int], ...] = ()
    loop: str | None = None
    """The copy loop of the resource (or output) being evaluated: what ``copyIndex()`` means."""
    variable_context: bool = False

    def with_index(self, loop: str, index: int, current: bool = False) -> Evaluation:
        kept = tuple((n, i) for n, i in self.indexes if n.lower() != loop.lower())
        return replace(self, indexes=(*kept, (loop, index)), loop=loop if current or self.loop is None else self.loop)

    def in_variable(self) -> Evaluation:
        return replace(self, variable_context=True)

    def at(self, where: str) -> Evaluation:
        return replace(self, where=where)

    # Scope ---------------------------------------------------------------------------------------------

    def parameter(self, name: str) -> Any:
        return self.frame.parameter(name)

    def variable(self, name: str) -> Any:
        if self.where == PARAMETER_DEFAULT:
            raise _not_here("variables")
        return self.frame.variable(name)

    def copy_index(self, loop: str | None) -> int:
        wanted = loop if loop is not None else self.loop
        if wanted is not None:
            for name, index in self.indexes:
                if name.lower() == wanted.lower():
                    return index
        if loop is not None:
            raise BadRequest("InvalidTemplate", f"The template copy name '{loop}' is not found.")
        raise BadRequest(
            "InvalidTemplate",
            "The template function 'copyIndex' is not expected at this location. The function can only be used in a "
            "resource with copy specified. Please see https://aka.ms/arm-copy for usage details.",
        )

    def target(self) -> tuple[str, str | None]:
        frame = self.frame.outer or self.frame
        return frame.target.subscription, frame.target.resource_group

    def deployment(self) -> dict[str, Any]:
        return (self.frame.outer or self.frame).deployment

    def resource_group(self) -> dict[str, Any]:
        return self.frame.group_doc()

    def subscription(self) -> dict[str, Any]:
        frame = self.frame.outer or self.frame
        return frame.reader.subscription(frame.target.subscription)

    def tenant(self) -> dict[str, Any]:
        return self.frame.reader.tenant()

    def environment(self) -> dict[str, Any]:
        return environment_doc(self.frame.cloud)

    def _runtime_allowed(self, function: str) -> None:
        if self.where not in (BODY, OUTPUTS):
            raise _not_here(function)

    def reference(self, target: str, api_version: str | None, full: bool) -> Any:
        self._runtime_allowed("reference")
        frame = self.frame.outer or self.frame
        if frame.resolve is None:
            raise _not_here("reference")
        resource_id, own_version, _ = frame.resolve(target, self)
        version = api_version or own_version
        if version is None:
            raise BadRequest(
                "InvalidTemplate",
                f"The resource '{target}' is not defined in the template: reference() needs its api-version. Please "
                "see https://aka.ms/arm-function-reference for usage details.",
            )
        doc = frame.reader.get(resource_id, version)
        return full_reference(doc, resource_id, version, own_version is not None) if full else doc.get("properties", {})

    def references(self, symbol: str, full: bool) -> list[Any]:
        self._runtime_allowed("references")
        frame = self.frame.outer or self.frame
        if frame.resolve_loop is None:
            raise _not_here("references")
        return [self.reference(resource_id, None, full) for resource_id in frame.resolve_loop(symbol)]

    def list_action(self, function: str, resource: str, api_version: str | None, body: Any) -> Any:
        self._runtime_allowed(function)
        frame = self.frame.outer or self.frame
        if frame.resolve is None:
            raise _not_here(function)
        resource_id, own_version, _ = frame.resolve(resource, self)
        version = api_version or own_version
        if version is None:
            raise BadRequest("InvalidTemplate", f"The template function '{function}' needs an api-version.")
        return frame.reader.post(resource_id, function, version, body)

    def providers(self, namespace: str, resource_type: str | None) -> Any:
        frame = self.frame.outer or self.frame
        doc = frame.reader.provider(frame.target.subscription, namespace)
        if resource_type is None:
            return doc
        for entry in doc.get("resourceTypes", []):
            if str(entry.get("resourceType", "")).lower() == resource_type.lower():
                return entry
        raise BadRequest(
            "InvalidTemplate", f"The resource type '{resource_type}' is not found in the namespace '{namespace}'."
        )

    def pick_zones(self, namespace: str, resource_type: str, location: str, count: int, offset: int) -> list[str]:
        """acrlink's regions model no availability zones: no zone is picked (as for a region without zones)."""
        return []

    def runtime(self, function: str) -> datetime:
        if self.where != PARAMETER_DEFAULT:
            raise BadRequest(
                "InvalidTemplate",
                f"The template function '{function}' is not expected at this location. It can only be used in the "
                "default value of a parameter. Please see https://aka.ms/arm-functions for usage details.",
            )
        return self.frame.clock()


def _not_here(function: str) -> BadRequest:
    return BadRequest(
        "InvalidTemplate",
        f"The template function '{function}' is not expected at this location. Please see "
        "https://aka.ms/arm-functions for usage details.",
    )


def full_reference(doc: Mapping[str, Any], resource_id: str, api_version: str, in_template: bool) -> dict[str, Any]:
    """``reference(..., 'Full')``: the resource's envelope plus ARM's bookkeeping about it."""
    parts = resource_id.split("/")
    lowered = [p.lower() for p in parts]
    relative = "/".join(parts[lowered.index("providers") + 1 :]) if "providers" in lowered else resource_id
    group = parts[4] if len(parts) > 4 and lowered[3] == "resourcegroups" else None
    envelope = {k: v for k, v in doc.items() if k not in ("id", "name", "type")}
    envelope.setdefault("properties", {})
    envelope.update(
        {
            "apiVersion": api_version,
            "subscriptionId": parts[2] if len(parts) > 2 else "",
            "resourceId": relative,
            "referenceApiVersion": api_version,
            "condition": True,
            "isConditionTrue": True,
            "isTemplateResource": in_template,
            "isAction": False,
            "provisioningOperation": "Create" if in_template else "Read",
        }
    )
    if group is not None:
        envelope["resourceGroupName"] = group
    return envelope
