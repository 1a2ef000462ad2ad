"""ARM resource identifiers: parsing, building and case-insensitive keys.

An id looks like ``/subscriptions/{s}/resourceGroups/{rg}/providers/{ns}/{type}/{name}[/{type}/{name}...]``,
or ``/subscriptions/{s}/resourceGroups/{rg}`` for the group itself. Names keep the caller's casing; identity (the
store key) is the lower-cased id.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

ARM_NAMESPACE = "Microsoft.Resources"
"""ARM's own namespace (groups, deployments): what ARM answers itself, not a resource provider."""
GROUP_TYPE = f"{ARM_NAMESPACE}/resourceGroups"


@dataclass(frozen=True)
class ResourceRef:
    """A resource in a resource group: the namespace plus (type, name) pairs from the top down. A ref without
    segments is the resource group itself (``group_ref``)."""

    subscription: str
    resource_group: str
    namespace: str
    segments: tuple[tuple[str, str], ...]

    @property
    def is_group(self) -> bool:
        """Whether the ref names a resource group rather than a resource in one."""
        return not self.segments

    @property
    def name(self) -> str:
        return self.segments[-1][1] if self.segments else self.resource_group

    @property
    def type(self) -> str:
        """The full type, e.g. ``Microsoft.ContainerRegistry/registries/replications``."""
        if not self.segments:
            return GROUP_TYPE
        return "/".join([self.namespace, *(t for t, _ in self.segments)])

    @property
    def id(self) -> str:
        if not self.segments:
            return group_id(self.subscription, self.resource_group)
        tail = "/".join(f"{t}/{n}" for t, n in self.segments)
        return f"{group_id(self.subscription, self.resource_group)}/providers/{self.namespace}/{tail}"

    @property
    def key(self) -> str:
        return self.id.lower()

    @property
    def parent(self) -> ResourceRef | None:
        if len(self.segments) <= 1:
            return None
        return ResourceRef(self.subscription, self.resource_group, self.namespace, self.segments[:-1])

    def child(self, type_name: str, name: str) -> ResourceRef:
        return ResourceRef(self.subscription, self.resource_group, self.namespace, (*self.segments, (type_name, name)))


def group_id(subscription: str, resource_group: str) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/{resource_group}"


def group_ref(subscription: str, resource_group: str) -> ResourceRef:
    """The ref of a resource group itself."""
    return ResourceRef(subscription, resource_group, ARM_NAMESPACE, ())


def parse_group_id(resource_id: str) -> ResourceRef | None:
    """A resource group's id -> its ``group_ref``; ``None`` for anything else."""
    parts = resource_id.strip().split("/")
    if len(parts) != 5 or parts[0] != "" or not parts[2] or not parts[4]:
        return None
    if parts[1].lower() != "subscriptions" or parts[3].lower() != "resourcegroups":
        return None
    return group_ref(parts[2], parts[4])


def parse_resource_id(resource_id: str) -> ResourceRef | None:
    """Parse a full resource id; ``None`` when it is not one (wrong shape or a group id)."""
    parts = [p for p in resource_id.strip().split("/")]
    if len(parts) < 9 or parts[0] != "":
        return None
    parts = parts[1:]
    if parts[0].lower() != "subscriptions" or parts[2].lower() != "resourcegroups" or parts[4].lower() != "providers":
        return None
    rest = parts[6:]
    if not rest or len(rest) % 2 or any(not p for p in parts):
        return None
    pairs = tuple((rest[i], rest[i + 1]) for i in range(0, len(rest), 2))
    return ResourceRef(parts[1], parts[3], parts[5], pairs)


def new_guid() -> str:
    return str(uuid.uuid4())


def new_hex() -> str:
    return uuid.uuid4().hex
