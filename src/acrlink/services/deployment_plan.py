"""From a template to the resources it deploys: copy loops expanded, names and ids known, dependencies
resolved into a graph without cycles.

Everything here is decided before anything is deployed (ARM's validation step): a name, type, api-version,
condition or copy count that cannot be evaluated, a ``dependsOn`` naming nothing in the template, a
``reference()`` by name to a resource the template does not declare, and a dependency cycle are each
``InvalidTemplate`` and nothing is created.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from acrlink.domain.templates import evaluator, expressions
from acrlink.domain.templates.template import Declared, invalid
from acrlink.errors import AcrlinkError, BadRequest
from acrlink.services.deployment_scope import PLAN, Evaluation, Frame, Target, copy_count

DEPLOYMENTS_TYPE = "Microsoft.Resources/deployments"
GROUPS_TYPE = "Microsoft.Resources/resourceGroups"
MAX_BATCH = 800
RESOURCE = "resource"
NESTED = "deployment"
EXISTING = "existing"

_REFERENCING = ("reference", "references")
"""Functions whose first argument names a resource the caller then depends on (with any ``list*``)."""


@dataclass
class Instance:
    """One resource (or nested deployment) the template deploys, or reads (``existing``)."""

    declared: Declared
    evaluation: Evaluation
    """Where its body is evaluated: the frame with this instance's copy index."""
    id: str
    type: str
    name: str
    api_version: str
    condition: bool
    kind: str
    target: Target
    """The scope it deploys into (a nested deployment's own target)."""
    symbol: str | None = None
    """``sym`` or ``sym[2]`` (languageVersion 2.0)."""
    loop: str | None = None
    index: int | None = None
    depends: set[str] = field(default_factory=set)
    """Keys (lower-case ids) of the instances it waits for."""

    @property
    def key(self) -> str:
        return self.id.lower()

    @property
    def deploys(self) -> bool:
        return self.condition and self.kind != EXISTING


@dataclass
class Plan:
    frame: Frame
    instances: list[Instance]
    by_key: dict[str, Instance]
    loops: dict[str, list[str]]
    """Copy-loop name or loop symbol (lower case) -> its instances' keys, in copy order."""

    def resolve(self, target: str, evaluation: Evaluation) -> tuple[str, str | None, bool]:
        """What ``reference(target)`` means: a symbolic name, a template resource's name, or a resource id."""
        found = self.find(target)
        if found is not None:
            return found.id, found.api_version, found.kind != EXISTING
        resource_id = absolute_id(target, self.frame.target)
        instance = self.by_key.get(resource_id.lower())
        if instance is not None:
            return instance.id, instance.api_version, instance.kind != EXISTING
        if not resource_id.startswith("/"):
            raise BadRequest(
                "InvalidTemplate",
                f"The resource '{target}' is not defined in the template. Please see "
                "https://aka.ms/arm-function-reference "
                "for usage details.",
            )
        return resource_id, None, False

    def resolve_loop(self, symbol: str) -> list[str]:
        keys = self.loops.get(symbol.lower())
        if keys is None:
            raise BadRequest("InvalidTemplate", f"The resource copy loop '{symbol}' is not defined in the template.")
        return [self.by_key[k].id for k in keys if self.by_key[k].condition]

    def find(self, name: str) -> Instance | None:
        """A template instance by symbolic name (``sym``, ``sym[1]``) or by its name as deployed."""
        lower = name.lower()
        for instance in self.instances:
            if instance.symbol is not None and instance.symbol.lower() == lower:
                return instance
        if self.frame.template.symbolic:
            return None
        matches = [i for i in self.instances if i.name.lower() == lower]
        return matches[0] if len(matches) == 1 else None

    def ordered(self) -> list[Instance]:
        """The instances in an order that respects every dependency (declaration order among equals)."""
        indegree = {i.key: len(i.depends) for i in self.instances}
        dependents: dict[str, list[str]] = {}
        for instance in self.instances:
            for dep in instance.depends:
                dependents.setdefault(dep, []).append(instance.key)
        ready = [i.key for i in self.instances if indegree[i.key] == 0]
        order: list[Instance] = []
        while ready:
            key = ready.pop(0)
            order.append(self.by_key[key])
            for dependent in dependents.get(key, []):
                indegree[dependent] -= 1
                if indegree[dependent] == 0:
                    ready.append(dependent)
        if len(order) != len(self.instances):
            stuck = next(i for i in self.instances if indegree[i.key] > 0)
            raise invalid(
                f"Circular dependency detected on resource: '{stuck.id}'. Please see "
                "https://aka.ms/arm-syntax-resources "
                "for usage details.",
                stuck.declared.at,
                stuck.declared.path,
            )
        return order


def absolute_id(text: str, target: Target) -> str:
    """A resource id as written in a template: full (``/subscriptions/...``), or provider-relative
    (``Microsoft.Network/virtualNetworks/vnet1``) in the template's group."""
    if text.startswith("/"):
        return text
    parts = text.split("/")
    if len(parts) >= 3 and "." in parts[0]:
        base = target.id
        return f"{base}/providers/{text}"
    return text


def _evaluate(declared: Declared, evaluation: Evaluation, value: Any) -> Any:
    try:
        return evaluator.evaluate(value, evaluation)
    except AcrlinkError as error:
        if error.code == "InvalidTemplate" and not error.message.startswith("Deployment template validation failed"):
            raise declared.refuse(error.message) from None
        raise


def _text(declared: Declared, evaluation: Evaluation, key: str) -> str:
    value = _evaluate(declared, evaluation, declared.body.get(key))
    if not isinstance(value, str) or not value:
        raise declared.refuse(f"The resource property '{key}' must evaluate to a non-empty string.")
    return value


def resource_id(declared: Declared, target: Target, type_: str, name: str) -> str:
    """The id of a resource of ``type_`` named ``name`` (``parent/child`` for child types) at ``target``."""
    namespace, *types = type_.split("/")
    names = name.split("/")
    if not types or len(types) != len(names) or not all(names):
        raise declared.refuse(
            f"The resource name '{name}' and type '{type_}' have incorrect segment lengths. A nested resource type "
            "must "
            "have identical number of segments as its resource name. A root resource type must have segment length one "
            "greater than its resource name."
        )
    if type_.lower() == GROUPS_TYPE.lower():
        return f"/subscriptions/{target.subscription}/resourceGroups/{name}"
    tail = "/".join(f"{t}/{n}" for t, n in zip(types, names, strict=True))
    return f"{target.id}/providers/{namespace}/{tail}"


def build(frame: Frame) -> Plan:
    """Expand the template's resources (validation: raises ``InvalidTemplate``)."""
    template = frame.template
    plan = Plan(frame, [], {}, {})
    frame.resolve = plan.resolve
    frame.resolve_loop = plan.resolve_loop
    parents: dict[int, list[Instance]] = {}
    serial: list[tuple[Declared, list[Instance]]] = []
    for declared in template.resources:
        made = _expand(declared, frame, parents.get(declared.parent.index) if declared.parent else None)
        parents[declared.index] = made
        for instance in made:
            if instance.key in plan.by_key:
                raise declared.refuse(f"The resource '{instance.id}' is defined multiple times in a template.")
            plan.instances.append(instance)
            plan.by_key[instance.key] = instance
        copy = declared.body.get("copy")
        if isinstance(copy, Mapping):
            for loop in {declared.symbol, copy.get("name")}:
                if isinstance(loop, str):
                    plan.loops.setdefault(loop.lower(), []).extend(i.key for i in made)
            serial.append((declared, made))
    for instance in plan.instances:
        _dependencies(plan, instance)
    for declared, made in serial:
        _serialise(declared, made)
    plan.ordered()
    return plan


def _serialise(declared: Declared, made: list[Instance]) -> None:
    """A ``serial`` copy loop deploys in batches of ``batchSize`` (default 1), each after the one before."""
    copy = declared.body["copy"]
    mode = _evaluate(declared, made[0].evaluation, copy.get("mode", "parallel")) if made else "parallel"
    if not isinstance(mode, str) or mode.lower() not in ("serial", "parallel"):
        raise declared.refuse(f"The copy mode '{mode}' is not valid. It must be 'serial' or 'parallel'.")
    if mode.lower() != "serial":
        return
    size = _evaluate(declared, made[0].evaluation, copy.get("batchSize", 1))
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_BATCH:
        raise declared.refuse(
            f"The copy batch size '{size}' is not valid. It must be an integer from 1 to {MAX_BATCH}."
        )
    for index, instance in enumerate(made):
        if index >= size:
            start = (index // size - 1) * size
            instance.depends.update(i.key for i in made[start : start + size])


def _expand(declared: Declared, frame: Frame, parent_instances: list[Instance] | None) -> list[Instance]:
    base = frame.evaluation(PLAN)
    copy = declared.body.get("copy")
    contexts: list[tuple[Evaluation, Instance | None, str | None, int | None]]
    if parent_instances is not None:
        contexts = [(p.evaluation, p, p.loop, p.index) for p in parent_instances]
    elif isinstance(copy, Mapping):
        name = str(copy["name"])
        try:
            count = copy_count(_evaluate(declared, base, copy.get("count")), "copy loop")
        except AcrlinkError as error:
            raise declared.refuse(error.message) from None
        contexts = [(base.with_index(name, i, current=True), None, name, i) for i in range(count)]
    else:
        contexts = [(base, None, None, None)]
    made: list[Instance] = []
    for evaluation, parent, loop, index in contexts:
        made.append(_instance(declared, frame, evaluation, parent, loop, index))
    return made


def _instance(
    declared: Declared,
    frame: Frame,
    evaluation: Evaluation,
    parent: Instance | None,
    loop: str | None,
    index: int | None,
) -> Instance:
    body = declared.body
    type_ = _text(declared, evaluation, "type")
    name = _text(declared, evaluation, "name")
    if parent is not None:
        if "/" not in type_ or "." not in type_.split("/", 1)[0]:
            type_ = f"{parent.type}/{type_}"
        if name.count("/") < type_.count("/") - 1:
            name = f"{parent.name}/{name}"
    api_version = str(_evaluate(declared, evaluation, body.get("apiVersion")) or "")
    condition = True
    if "condition" in body:
        value = _evaluate(declared, evaluation, body["condition"])
        if not isinstance(value, bool):
            raise declared.refuse(f"The 'condition' property must evaluate to a boolean, not '{value}'.")
        condition = value
    target = frame.target
    nested = type_.lower() == DEPLOYMENTS_TYPE.lower()
    if "resourceGroup" in body or "subscriptionId" in body:
        if not nested:
            raise declared.refuse(
                "The 'resourceGroup' and 'subscriptionId' properties are only allowed on nested deployments."
            )
        subscription = str(_evaluate(declared, evaluation, body.get("subscriptionId")) or target.subscription)
        group = _evaluate(declared, evaluation, body.get("resourceGroup"))
        target = Target(
            subscription,
            str(group) if group else (target.resource_group if subscription == target.subscription else None),
        )
    if "scope" in body and not declared.existing:
        raise declared.refuse("Extension resources (the 'scope' property) are not supported by acrlink.")
    kind = EXISTING if declared.existing else NESTED if nested else RESOURCE
    if nested and not declared.existing:
        rid = resource_id(declared, Target(target.subscription, target.resource_group), type_, name)
    else:
        rid = resource_id(declared, frame.target if not nested else target, type_, name)
    symbol = declared.symbol
    if symbol is not None and index is not None and parent is None:
        symbol = f"{symbol}[{index}]"
    return Instance(declared, evaluation, rid, type_, name, api_version, condition, kind, target, symbol, loop, index)


def _dependencies(plan: Plan, instance: Instance) -> None:
    declared = instance.declared
    evaluation = instance.evaluation
    if declared.parent is not None:
        parent_id = instance.id.rsplit("/", 2)[0]
        if parent_id.lower() in plan.by_key:
            instance.depends.add(parent_id.lower())
    for entry in declared.body.get("dependsOn") or []:
        value = _evaluate(declared, evaluation, entry)
        if not isinstance(value, str):
            raise declared.refuse(f"The dependsOn entry '{entry}' must evaluate to a string.")
        keys = _targets(plan, value)
        if not keys:
            raise invalid(
                f"The resource '{value}' is not defined in the template. Please see https://aka.ms/arm-syntax for "
                "usage details.",
                declared.at,
                declared.path,
            )
        instance.depends.update(keys)
    for call in _calls(declared.body):
        if call.key not in _REFERENCING and not call.key.startswith("list"):
            continue
        if not call.args:
            continue
        try:
            named = evaluator.evaluate_node(call.args[0], evaluation)
        except AcrlinkError:
            continue  # depends on something only known while deploying: no static dependency
        if not isinstance(named, str):
            continue
        found = _targets(plan, named)
        if not found and call.key == "reference" and len(call.args) == 1 and "/" not in named:
            raise invalid(
                f"The resource '{named}' is not defined in the template. Please see "
                "https://aka.ms/arm-function-reference "
                "for usage details.",
                declared.at,
                declared.path,
            )
        instance.depends.update(found)
    instance.depends.discard(instance.key)


def _targets(plan: Plan, text: str) -> set[str]:
    """The instances a dependsOn entry or a referenced name means: a loop (all of it), a symbolic name,
    a resource's name, its full id, or its provider-relative id."""
    lower = text.lower()
    if lower in plan.loops:
        return set(plan.loops[lower])
    found = plan.find(text)
    if found is not None:
        return {found.key}
    resource = absolute_id(text, plan.frame.target).lower()
    if resource in plan.by_key:
        return {resource}
    matches = {i.key for i in plan.instances if i.key.endswith("/providers/" + lower)}
    return matches


def _calls(value: Any) -> Iterator[expressions.Call]:
    """Every function call in the expressions of a declaration (its nested template excluded)."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            stack.extend(v for k, v in node.items() if k != "template")
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str) and expressions.is_expression(node):
            try:
                parsed = expressions.parse(node)
            except AcrlinkError:
                continue
            yield from expressions.iter_calls(parsed)
