"""Paths and access: which way a connection goes and whether the registry lets it in (S5, S18, S20, S21).

The proxy asks ``route``: the host resolves the name through its view; an address of a private
endpoint the host can reach is the private path (carried only while the connection is Approved; a
Pending or Rejected endpoint black-holes it); a public address is the public path; no address means
the host cannot resolve the name. The registry face asks ``admit`` per request.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from acrlink import unconfirmed
from acrlink.domain import dnsview
from acrlink.domain.netgraph import ONPREM, TASKS, TRUSTED, VM, EndpointNode, Graph, Host, RegistryNode, is_public
from acrlink.domain.privatelink import carries_traffic

FIREWALL_HELP = "Refer https://aka.ms/acr/firewall to grant access."

CARRY, UNRESOLVABLE, BLACKHOLE, UNREACHABLE, NOT_EMULATED = (
    "carry",
    "unresolvable",
    "blackhole",
    "unreachable",
    "not-emulated",
)


@dataclass(frozen=True)
class Route:
    """What the network does with a connection from ``host`` to ``name``."""

    outcome: str
    reason: str
    address: str | None = None
    path: str | None = None
    """``public`` or ``private`` when carried (or black-holed on the private path)."""
    endpoint_id: str | None = None
    region: str | None = None
    answer: dnsview.Answer | None = None


def reachable_vnets(graph: Graph, host: Host) -> set[str]:
    """VNets whose private addresses the host reaches: its own (or, on-premises, the one its gateway
    connects to) and the VNets peered with it."""
    if host.kind not in (VM, ONPREM) or host.vnet_id is None:
        return set()
    home = host.vnet_id.lower()
    vnet = graph.vnets.get(home)
    return {home, *(vnet.peers if vnet else ())}


def endpoint_at(graph: Graph, address: str, vnets: set[str]) -> tuple[EndpointNode, str] | None:
    """The private endpoint (and member) holding ``address`` in one of ``vnets``."""
    for endpoint in graph.endpoints:
        if endpoint.vnet_id.lower() not in vnets:
            continue
        for member in endpoint.members:
            if member.address == address:
                return endpoint, member.name
    return None


def client_region(graph: Graph, host: Host) -> str | None:
    """The region a host is in (its VNet's), used to pick the nearest replica."""
    if host.region:
        return host.region
    vnet = graph.vnets.get((host.vnet_id or "").lower())
    return vnet.location if vnet else None


def route(graph: Graph, host: Host, name: str) -> Route:
    """What the network does with a connection from ``host`` to ``name``: resolve it in the host's DNS view; a public
    address is the public path, a private one must be a member of an endpoint in a VNet the host reaches, and that
    endpoint carries traffic only while Approved (Pending, Rejected: dropped)."""
    view = dnsview.view_of(graph, host)
    answer = dnsview.resolve(graph, view, name, "A")
    region = client_region(graph, host)
    if answer.rcode == dnsview.REFUSED:
        return Route(NOT_EMULATED, f"{name} is not a name acrlink emulates", answer=answer)
    if not answer.addresses:
        why = answer.steps[-1] if answer.steps else "no answer"
        return Route(UNRESOLVABLE, f"Could not resolve host: {name} ({why})", answer=answer)
    address = answer.addresses[0]
    if is_public(address):
        return Route(
            CARRY,
            f"{name} resolves to public address {address}: public path",
            address,
            "public",
            region=region,
            answer=answer,
        )
    found = endpoint_at(graph, address, reachable_vnets(graph, host))
    if found is None:
        return Route(
            UNREACHABLE,
            f"{name} resolves to {address}, which {host.name} cannot reach (no private "
            "endpoint at that address in its network)",
            address,
            answer=answer,
        )
    endpoint, member = found
    if not carries_traffic(endpoint.status):
        return Route(
            BLACKHOLE,
            f"{name} resolves to {address} on private endpoint {endpoint.id}, whose connection "
            f"is {endpoint.status}: traffic is dropped",
            address,
            "private",
            endpoint.id,
            answer=answer,
        )
    return Route(
        CARRY,
        f"{name} resolves to {address} ({member}) on private endpoint {endpoint.id}: private path",
        address,
        "private",
        endpoint.id,
        region,
        answer,
    )


def in_rules(address: str, rules: tuple[str, ...]) -> bool:
    """Whether an address falls in one of the registry's IP rules (addresses or CIDR ranges)."""
    try:
        client = ipaddress.IPv4Address(address)
    except ValueError:
        return False
    return any(client in ipaddress.IPv4Network(rule, strict=False) for rule in rules)


def names_to_reach(graph: Graph, registry: RegistryNode) -> list[str]:
    """The login server, then each data endpoint clients must reach (S25)."""
    names = [graph.cloud.login_server(registry.name)]
    if registry.data_endpoints:
        names += [graph.cloud.data_endpoint(registry.name, region) for region in registry.regions]
    return names


def source_ip(host: Host, path: str | None) -> str:
    """The address the registry sees: the host's private address on the private path, else its public
    egress address."""
    return host.private_ip if path == "private" and host.private_ip else host.public_ip


def admit(
    registry: RegistryNode, graph: Graph, host_kind: str, client_ip: str, path: str, endpoint_id: str | None
) -> str | None:
    """None to serve the request, else ACR's firewall message (S18, S20); the rule is ``refusal``."""
    if refusal(registry, graph, host_kind, client_ip, path, endpoint_id) is None:
        return None
    return _denied(client_ip)


def refusal(
    registry: RegistryNode, graph: Graph, host_kind: str, client_ip: str, path: str, endpoint_id: str | None
) -> str | None:
    """None when the firewall lets the request in, else why not, in words.

    The private path is always allowed when it comes through an approved endpoint of this registry;
    the public path needs public network access and, with the default action Deny, an IP rule; trusted
    Azure services pass when the bypass is ``AzureServices``.
    """
    if path == "private":
        for endpoint in graph.endpoints:
            if endpoint.id.lower() == (endpoint_id or "").lower() and endpoint.registry == registry.name:
                if carries_traffic(endpoint.status):
                    return None
                return f"private endpoint connection {endpoint.status}"
        return "private endpoint of another registry"
    if host_kind == TRUSTED and registry.bypass_azure_services:
        return None
    needs_bypass = unconfirmed.TASKS_BYPASS_NEEDS_AZURE_SERVICES
    if host_kind == TASKS and registry.bypass_tasks and (registry.bypass_azure_services or not needs_bypass):
        return None
    if not registry.public_network_access:
        return "public network access disabled"
    if registry.default_action_deny and not in_rules(client_ip, registry.ip_rules):
        return f"default action Deny and no IP rule for {client_ip}"
    return None


def _denied(client_ip: str) -> str:
    return f"client with IP '{client_ip}' is not allowed access. {FIREWALL_HELP}"
