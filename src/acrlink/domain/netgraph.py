"""The network as plain data: what DNS views and access decisions are computed over.

``services.netgraph`` builds a ``Graph`` from the store; ``dnsview`` and ``access`` are pure functions of it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from acrlink.domain.builtin_roles import LEGACY_MODE
from acrlink.domain.cloud import CloudProfile
from acrlink.domain.principals import ManagedIdentity

AZURE_DNS = "168.63.129.16"
"""Azure-provided DNS, reachable only from inside a virtual network."""

INTERNET, VM, TRUSTED, ONPREM, TASKS = "internet", "vm", "trusted", "onprem", "tasks"

INTERNET_HOST = "internet"
"""The built-in host every unproxied client is: the machine itself on the public internet."""
TRUSTED_HOST = "azure-trusted-service"
"""The built-in host that stands for a trusted Azure service (the firewall's bypass, S20)."""
TASKS_HOST = "acr-tasks-agent"
"""The built-in host ACR Tasks' agents build on: Azure's public side, with a public egress address (quick
builds and runs; not an agent pool's, which sits in the pool's subnet)."""
BUILT_IN_HOSTS = frozenset({INTERNET_HOST, TRUSTED_HOST, TASKS_HOST})


@dataclass(frozen=True)
class RegistryNode:
    """A registry as the network sees it: the names it serves in which regions, and the firewall settings every request
    is judged by."""

    name: str
    """Lower case: the first label of the login server."""
    location: str
    regions: tuple[str, ...]
    """Home first, then replicas."""
    public_network_access: bool
    default_action_deny: bool
    ip_rules: tuple[str, ...]
    bypass_azure_services: bool
    data_endpoints: bool
    """Whether ``NAME.REGION.data`` names exist: dedicated data endpoints on, or a private endpoint."""
    has_private_endpoint: bool
    id: str = ""
    """The registry's ARM id: the scope its role assignments are read at."""
    role_assignment_mode: str = LEGACY_MODE
    """``roleAssignmentMode``: which roles give pull (``builtin_roles.token_actions``)."""
    anonymous_pull: bool = False
    """``anonymousPullEnabled``: anyone may pull, with or without a role."""
    bypass_tasks: bool = False
    """``networkRuleBypassAllowedForTasks``: Tasks' agents pass the network rules (see ``access.refusal``)."""


@dataclass(frozen=True)
class Member:
    """One address of a private endpoint: the registry name it answers for (the login server or a data endpoint) and its
    private IP."""

    name: str
    fqdn: str
    address: str


@dataclass(frozen=True)
class EndpointNode:
    """A private endpoint into a registry: its VNet, its connection's status (only Approved carries traffic) and its
    member addresses."""

    id: str
    vnet_id: str
    registry: str
    status: str
    members: tuple[Member, ...]
    connection: str = ""
    """The name of the registry's private endpoint connection (what ``approve --name`` takes)."""


@dataclass(frozen=True)
class VnetNode:
    """A virtual network: its region, the DNS servers its hosts ask (none: Azure DNS) and the VNets it reaches through
    peering."""

    id: str
    name: str
    location: str
    dns_servers: tuple[str, ...]
    peers: tuple[str, ...]
    """Lower-case ids of VNets peered both ways (``Connected``) with virtual network access allowed."""


@dataclass(frozen=True)
class RecordSet:
    """One record set of a private zone: its TTL and values."""

    ttl: int
    values: tuple[str, ...]
    """A/AAAA addresses, a CNAME target, TXT strings..., in presentation form."""


@dataclass(frozen=True)
class ZoneNode:
    """A private DNS zone: answered only inside the VNets linked to it."""

    id: str
    name: str
    """Lower case, no trailing dot."""
    records: dict[tuple[str, str], RecordSet]
    """(relative name lower case, type) -> record set; the apex is ``@``."""


@dataclass(frozen=True)
class LinkNode:
    """A zone linked to a VNet: Azure DNS in that VNet answers from the zone (and, with ``nx_redirect``, falls back to
    public DNS for a name the zone lacks)."""

    zone_id: str
    vnet_id: str
    nx_redirect: bool
    """``resolutionPolicy: NxDomainRedirect``: a name missing from the zone falls back to public DNS."""
    name: str = ""


@dataclass(frozen=True)
class Host:
    """A network position a client can act from."""

    name: str
    kind: str
    public_ip: str
    vnet_id: str | None = None
    private_ip: str | None = None
    region: str | None = None
    dns_server: str | None = None
    """On-premises hosts: the DNS server they ask."""
    dns_forwarder: bool = False
    """The host runs a DNS server that forwards to its upstream (168.63.129.16 for a VM)."""
    identity: ManagedIdentity | None = None
    """A VM's (or an agent pool's agents') system-assigned managed identity; the internet, the trusted service and
    on-premises hosts have
    none."""


@dataclass(frozen=True)
class Graph:
    """The whole network at one moment, built from the store: registries, endpoints, VNets, zones and links, hosts. DNS
    views and access decisions are pure functions of it."""

    cloud: CloudProfile
    registries: dict[str, RegistryNode] = field(default_factory=dict)
    endpoints: tuple[EndpointNode, ...] = ()
    vnets: dict[str, VnetNode] = field(default_factory=dict)
    """Keyed by lower-case id."""
    zones: dict[str, ZoneNode] = field(default_factory=dict)
    """Keyed by lower-case id."""
    links: tuple[LinkNode, ...] = ()
    hosts: dict[str, Host] = field(default_factory=dict)
    """Keyed by lower-case host name."""

    def host(self, name: str) -> Host | None:
        """A host by name, in any casing, or None."""
        return self.hosts.get(name.lower())

    def host_at(self, address: str) -> Host | None:
        """The host whose private address this is."""
        for host in self.hosts.values():
            if host.private_ip == address:
                return host
        return None

    def linked_zones(self, vnet_id: str) -> list[tuple[ZoneNode, LinkNode]]:
        """The private zones a VNet's Azure DNS answers from, with their links, in link order."""
        found = []
        for link in self.links:
            if link.vnet_id == vnet_id.lower() and link.zone_id in self.zones:
                found.append((self.zones[link.zone_id], link))
        return found


def region_frontend_ip(cloud: CloudProfile, region: str) -> str:
    """The public address of a region's registry front end (shared by every registry there)."""
    index = list(cloud.regions).index(region) if region in cloud.regions else 0
    return str(ipaddress.IPv4Address("20.45.0.144") + 256 * (index + 1))


def is_public(address: str) -> bool:
    """An address is on the public path when it is a globally routable IPv4 address (private, shared and reserved ranges
    are not)."""
    try:
        return ipaddress.IPv4Address(address).is_global
    except ValueError:
        return False
