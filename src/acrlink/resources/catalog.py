"""Every ARM resource type acrlink serves. Routes, listing and deletion order derive from this."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

from acrlink.ids import ResourceRef
from acrlink.resources import registry, runs
from acrlink.resources.agent_pools import AGENT_POOLS
from acrlink.resources.base import CollectionActionHandler, ResourceType
from acrlink.resources.connection import CONNECTIONS_TYPE
from acrlink.resources.groups import RESOURCE_GROUPS
from acrlink.resources.network import nic_render, registry_link
from acrlink.resources.network.nic import NETWORK_INTERFACES
from acrlink.resources.network.peering import PEERINGS
from acrlink.resources.network.private_endpoint import PRIVATE_ENDPOINTS
from acrlink.resources.network.subnet import SUBNETS
from acrlink.resources.network.vnet import VIRTUAL_NETWORKS
from acrlink.resources.network.zone_group import ZONE_GROUPS
from acrlink.resources.onprem import ON_PREMISES_HOSTS
from acrlink.resources.privatedns import autoregistration
from acrlink.resources.privatedns.link import VIRTUAL_NETWORK_LINKS
from acrlink.resources.privatedns.recordset import ALL_RECORD_SETS, RECORD_SET_TYPES
from acrlink.resources.privatedns.zone import ZONES
from acrlink.resources.replication import REPLICATIONS_TYPE
from acrlink.resources.scope_map import SCOPE_MAPS_TYPE
from acrlink.resources.token import TOKENS_TYPE
from acrlink.resources.webhook import WEBHOOKS_TYPE

PROVIDER_NAMESPACES = ("Microsoft.ContainerRegistry", "Microsoft.Network", "Microsoft.Resources", "Acrlink.Network")
"""Namespaces a subscription can register. Microsoft.Resources is always registered. Acrlink.Network holds
acrlink's own on-premises hosts (``resources/onprem.py``)."""


@dataclass(frozen=True)
class Catalog:
    """Every type acrlink serves, found by namespace and type path as routes name them; also the namespace-level
    actions and the order a group's deletion follows."""

    types: tuple[ResourceType, ...]
    namespace_actions: Mapping[tuple[str, str], CollectionActionHandler] = field(default_factory=dict)
    """(namespace, action) -> handler, lower case: ``/subscriptions/{s}/providers/{ns}/{action}``."""
    groups: ResourceType = RESOURCE_GROUPS
    """Resource groups: addressed as ``/subscriptions/{s}/resourceGroups/{name}``, never under ``providers/``, so
    ``find`` does not return them."""

    def find(self, namespace: str, path: Iterable[str]) -> ResourceType | None:
        """The type at ``providers/{namespace}/{path}`` (type segments without names, any casing), or None."""
        key = (namespace.lower(), tuple(p.lower() for p in path))
        return self._by_path.get(key)

    def type_of(self, ref: ResourceRef) -> ResourceType | None:
        """The type of what a ref names: ``groups`` for a group, else the type at its namespace and segments."""
        if ref.is_group:
            return self.groups
        return self.find(ref.namespace, ref.type.split("/")[1:])

    @cached_property
    def delete_ranks(self) -> dict[str, int]:
        """Lower-case full type -> rank (lower ranks are deleted first)."""
        return {t.type.lower(): t.delete_rank for t in self.types}

    @cached_property
    def _by_path(self) -> dict[tuple[str, tuple[str, ...]], ResourceType]:
        return {(t.namespace.lower(), t.path): t for t in self.types}

    def namespace(self, name: str) -> str | None:
        """The canonical casing of a namespace acrlink knows, or None."""
        for known in PROVIDER_NAMESPACES:
            if known.lower() == name.lower():
                return known
        return None

    def in_namespace(self, namespace: str) -> list[ResourceType]:
        """The types of a namespace (any casing), in declaration order: what its ``operations`` list names."""
        return [t for t in self.types if t.namespace.lower() == namespace.lower()]


def build_catalog(extra: Iterable[ResourceType] = ()) -> Catalog:
    """Every type, with the cross-type side effects wired in: a registry's replicas and connection changes
    reach the private endpoints connected to it; VMs register in registration-enabled zones."""
    replications = replace(
        REPLICATIONS_TYPE, after_write=registry_link.replica_written, after_delete=registry_link.replica_deleted
    )
    connections = replace(CONNECTIONS_TYPE, after_write=registry_link.connection_written)
    nics = replace(
        NETWORK_INTERFACES,
        render=nic_render.render,
        after_write=autoregistration.nic_written,
        after_delete=autoregistration.nic_deleted,
    )
    links = replace(
        VIRTUAL_NETWORK_LINKS, after_write=autoregistration.link_written, after_delete=autoregistration.link_deleted
    )
    return Catalog(
        types=(
            registry.REGISTRIES,
            replications,
            SCOPE_MAPS_TYPE,
            TOKENS_TYPE,
            runs.RUNS,
            AGENT_POOLS,
            connections,
            VIRTUAL_NETWORKS,
            SUBNETS,
            PEERINGS,
            nics,
            PRIVATE_ENDPOINTS,
            ZONE_GROUPS,
            ZONES,
            links,
            *RECORD_SET_TYPES,
            ALL_RECORD_SETS,
            ON_PREMISES_HOSTS,
            WEBHOOKS_TYPE,
            *extra,
        ),
        namespace_actions={
            ("microsoft.containerregistry", "checknameavailability"): registry.check_name_availability,
        },
    )
