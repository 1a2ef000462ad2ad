"""``acrlink check``: why a registry is or is not reachable from a host, step by step, and the fix for
the first broken step as an ``az`` command. Pure over the network graph."""

from __future__ import annotations

from dataclasses import dataclass

from acrlink.domain import access, dnsview
from acrlink.domain.netgraph import TRUSTED, Graph, Host, RegistryNode
from acrlink.ids import parse_resource_id


@dataclass(frozen=True)
class Step:
    ok: bool
    title: str
    details: tuple[str, ...]


@dataclass(frozen=True)
class Diagnosis:
    steps: tuple[Step, ...]
    fix: str | None

    @property
    def reachable(self) -> bool:
        return all(step.ok for step in self.steps)


def _names(graph: Graph, registry: RegistryNode) -> list[str]:
    """The login server, then each data endpoint clients must reach (S25)."""
    names = [graph.cloud.login_server(registry.name)]
    if registry.data_endpoints:
        names += [graph.cloud.data_endpoint(registry.name, region) for region in registry.regions]
    return names


def diagnose(graph: Graph, host: Host, registry_name: str) -> Diagnosis:
    registry = graph.registries.get(registry_name.lower())
    if registry is None:
        return Diagnosis(
            (Step(False, f"registry {registry_name}", ("no registry has that name",)),),
            f"az acr create --name {registry_name} --resource-group <group> --sku Premium",
        )
    steps: list[Step] = []
    fix: str | None = None
    for name in _names(graph, registry):
        route = access.route(graph, host, name)
        chain = tuple(route.answer.steps) if route.answer else ()
        if route.outcome == access.CARRY:
            denial = access.admit(
                registry,
                graph,
                host.kind,
                host.private_ip if route.path == "private" and host.private_ip else host.public_ip,
                route.path or "public",
                route.endpoint_id,
            )
            details = (*chain, route.reason, "firewall: " + (denial or "allowed"))
            steps.append(Step(denial is None, name, details))
            if denial and fix is None:
                fix = _firewall_fix(graph, host, registry)
        else:
            steps.append(Step(False, name, (*chain, route.reason)))
            if fix is None:
                fix = _route_fix(graph, host, registry, name, route)
    return Diagnosis(tuple(steps), fix)


def _group(resource_id: str) -> str:
    ref = parse_resource_id(resource_id)
    return ref.resource_group if ref else "<group>"


def _firewall_fix(graph: Graph, host: Host, registry: RegistryNode) -> str:
    vnet = graph.vnets.get((host.vnet_id or "").lower())
    if vnet is not None and registry.has_private_endpoint:
        zone = graph.cloud.private_link_zone
        return (
            f"az network private-dns link vnet create --resource-group <zone group> --zone-name {zone} "
            f"--name {vnet.name}-link --virtual-network {vnet.id} --registration-enabled false"
            f"   # {host.name} resolves the public address: link the private zone to its VNet"
        )
    if host.kind == TRUSTED:
        return f"az acr update --name {registry.name} --allow-trusted-services true"
    if not registry.public_network_access:
        return (
            f"az acr update --name {registry.name} --public-network-enabled true   # or reach it through a "
            "private endpoint from a VNet"
        )
    return f"az acr network-rule add --name {registry.name} --ip-address {host.public_ip}"


def _route_fix(graph: Graph, host: Host, registry: RegistryNode, name: str, route: access.Route) -> str | None:
    if route.outcome == access.BLACKHOLE and route.endpoint_id:
        return (
            f"az acr private-endpoint-connection approve --registry-name {registry.name} --name <connection>   "
            f"# the connection of {route.endpoint_id} is not Approved (az acr private-endpoint-connection list "
            f"--registry-name {registry.name})"
        )
    if route.outcome == access.UNRESOLVABLE and route.answer and route.answer.rcode == dnsview.NXDOMAIN:
        zone = graph.cloud.private_link_zone
        relative = name.removesuffix("." + graph.cloud.acr_suffix)
        address = _member_address(graph, host, name)
        zone_group = next((z.id for z, _ in graph.linked_zones(host.vnet_id or "") if z.name == zone), None)
        target = address or "<private IP of the member, from az network nic show>"
        return (
            f"az network private-dns record-set a add-record --resource-group "
            f"{_group(zone_group) if zone_group else '<zone group>'} --zone-name {zone} --record-set-name "
            f"{relative} --ipv4-address {target}"
        )
    if route.outcome == access.UNREACHABLE:
        return (
            f"# {route.address} is not a private endpoint address {host.name} can reach: check the A record for "
            f"{name} in the private zone (az network private-dns record-set a show)"
        )
    if route.outcome == access.UNRESOLVABLE:
        return f"# {host.name}'s DNS server cannot answer: {route.reason}"
    return None


def _member_address(graph: Graph, host: Host, fqdn: str) -> str | None:
    vnets = access.reachable_vnets(graph, host)
    for endpoint in graph.endpoints:
        if endpoint.vnet_id.lower() in vnets:
            for member in endpoint.members:
                if member.fqdn == fqdn:
                    return member.address
    return None
