"""``acrlink check``: why a registry is or is not reachable from a host, step by step, and the fix for
the first broken step. Pure over the network graph.

A ``fix`` is a complete shell line of ``az`` commands that, applied exactly as printed, makes the check
pass (every name, group and address filled in from the graph; no placeholders). When no such line can
be known (no registry of that name, no private zone to link, a DNS server that cannot answer) the
diagnosis carries a ``hint`` instead, which says what to do in words."""

from __future__ import annotations

from dataclasses import dataclass

from acrlink.domain import access, dnsview
from acrlink.domain.netgraph import TRUSTED, EndpointNode, Graph, Host, RegistryNode, ZoneNode
from acrlink.domain.privatelink import carries_traffic
from acrlink.ids import parse_resource_id


@dataclass(frozen=True)
class Step:
    """One check of ``acrlink check``: whether it passed, what it checked, and how (the DNS chain, the route, the
    firewall)."""

    ok: bool
    title: str
    details: tuple[str, ...]


@dataclass(frozen=True)
class Diagnosis:
    """Every step from a host to a registry, and the one ``az`` line (``fix``) or the words (``hint``) that mend the
    first failed one."""

    steps: tuple[Step, ...]
    fix: str | None
    hint: str | None = None

    @property
    def reachable(self) -> bool:
        """A registry is reachable only when every name it serves resolves, routes and passes the firewall."""
        return all(step.ok for step in self.steps)


def diagnose(graph: Graph, host: Host, registry_name: str) -> Diagnosis:
    """Every name the registry serves (login server, data endpoints) routed from the host and judged by the firewall,
    one step each; the first failure gets the az line that mends it, or a hint when no such line can be known."""
    registry = graph.registries.get(registry_name.lower())
    if registry is None:
        return Diagnosis(
            (Step(False, f"registry {registry_name}", ("no registry has that name",)),),
            None,
            f"create it: az acr create --name {registry_name} --resource-group GROUP --sku Premium",
        )
    steps: list[Step] = []
    fix: Fix | None = None
    for name in access.names_to_reach(graph, registry):
        route = access.route(graph, host, name)
        chain = tuple(route.answer.steps) if route.answer else ()
        if route.outcome == access.CARRY:
            denial = access.admit(
                registry,
                graph,
                host.kind,
                access.source_ip(host, route.path),
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
    if fix is None:
        return Diagnosis(tuple(steps), None)
    return Diagnosis(tuple(steps), fix.command, fix.hint)


@dataclass(frozen=True)
class Fix:
    """Either an applicable command line or, when none can be known, a hint in words."""

    command: str | None = None
    hint: str | None = None


def _group(resource_id: str) -> str:
    ref = parse_resource_id(resource_id)
    return ref.resource_group if ref else "<group>"


def _firewall_fix(graph: Graph, host: Host, registry: RegistryNode) -> Fix:
    """The first firewall rule between this host and the registry, lifted as narrowly as possible:
    link the private zone for a VNet host, allow trusted services, reopen public access (and add the
    host's address when the default action stays Deny), or add the host's address."""
    vnet = graph.vnets.get((host.vnet_id or "").lower())
    if vnet is not None and registry.has_private_endpoint:
        zone = _private_zone(graph, registry)
        if zone is None:
            return Fix(
                hint=f"{host.name} resolves the public address and no {graph.cloud.private_link_zone} zone holds "
                f"{registry.name}'s records: create the zone, a zone group on the endpoint, and link the zone "
                f"to {vnet.name}"
            )
        return Fix(
            f"az network private-dns link vnet create --resource-group {_group(zone.id)} --zone-name {zone.name} "
            f"--name {_free_link_name(graph, zone, vnet.name)} --virtual-network {vnet.id} "
            "--registration-enabled false"
        )
    if host.kind == TRUSTED:
        return Fix(f"az acr update --name {registry.name} --allow-trusted-services true")
    rule = f"az acr network-rule add --name {registry.name} --ip-address {host.public_ip}"
    if not registry.public_network_access:
        reopen = f"az acr update --name {registry.name} --public-network-enabled true"
        if registry.default_action_deny and not access.in_rules(host.public_ip, registry.ip_rules):
            return Fix(f"{reopen} && {rule}")
        return Fix(reopen)
    return Fix(rule)


def _private_zone(graph: Graph, registry: RegistryNode) -> ZoneNode | None:
    """The private link zone that holds the registry's login server record (the endpoint's zone group
    writes there), else any zone of that name."""
    zones = [z for z in graph.zones.values() if z.name == graph.cloud.private_link_zone]
    for zone in zones:
        if (registry.name, "A") in zone.records:
            return zone
    return zones[0] if zones else None


def _free_link_name(graph: Graph, zone: ZoneNode, vnet_name: str) -> str:
    """``VNET-link``, numbered when the zone already has a link of that name."""
    taken = {link.name.lower() for link in graph.links if link.zone_id.lower() == zone.id.lower()}
    name, number = f"{vnet_name}-link", 2
    while name.lower() in taken:
        name, number = f"{vnet_name}-link{number}", number + 1
    return name


def _approve(registry: RegistryNode, endpoint: EndpointNode) -> Fix:
    if endpoint.connection:
        return Fix(
            f"az acr private-endpoint-connection approve --registry-name {registry.name} --name {endpoint.connection}"
        )
    return Fix(hint=f"the connection of {endpoint.id} is gone: recreate the private endpoint")


def _route_fix(graph: Graph, host: Host, registry: RegistryNode, name: str, route: access.Route) -> Fix:
    if route.outcome == access.BLACKHOLE and route.endpoint_id:
        endpoint = next((e for e in graph.endpoints if e.id.lower() == route.endpoint_id.lower()), None)
        if endpoint is not None:
            return _approve(registry, endpoint)
        return Fix(hint=f"the connection of {route.endpoint_id} is not Approved")
    if route.outcome == access.UNRESOLVABLE and route.answer and route.answer.rcode == dnsview.NXDOMAIN:
        waiting = _unapproved_endpoint(graph, host, name)
        if waiting is not None:
            # Its zone group writes the records once the connection is approved.
            return _approve(registry, waiting)
        zone = graph.cloud.private_link_zone
        relative = name.removesuffix("." + graph.cloud.acr_suffix)
        address = _member_address(graph, host, name)
        linked = next((z for z, _ in graph.linked_zones(host.vnet_id or "") if z.name == zone), None)
        if address is None or linked is None:
            return Fix(
                hint=f"{name} is missing from {zone} and no private endpoint {host.name} reaches has a member for "
                "it: add a private endpoint to the registry in a VNet this host reaches"
            )
        return Fix(
            f"az network private-dns record-set a add-record --resource-group {_group(linked.id)} --zone-name "
            f"{zone} --record-set-name {relative} --ipv4-address {address}"
        )
    if route.outcome == access.UNREACHABLE:
        return Fix(
            hint=f"{route.address} is not a private endpoint address {host.name} can reach: check the A record for "
            f"{name} in the private zone (az network private-dns record-set a show)"
        )
    if route.outcome == access.UNRESOLVABLE:
        return Fix(hint=f"{host.name}'s DNS server cannot answer: {route.reason}")
    return Fix(hint=route.reason)


def _unapproved_endpoint(graph: Graph, host: Host, fqdn: str) -> EndpointNode | None:
    """An endpoint the host reaches that has a member for ``fqdn`` but whose connection is not Approved."""
    vnets = access.reachable_vnets(graph, host)
    for endpoint in graph.endpoints:
        waiting = endpoint.vnet_id.lower() in vnets and not carries_traffic(endpoint.status)
        if waiting and any(member.fqdn == fqdn for member in endpoint.members):
            return endpoint
    return None


def _member_address(graph: Graph, host: Host, fqdn: str) -> str | None:
    vnets = access.reachable_vnets(graph, host)
    for endpoint in graph.endpoints:
        if endpoint.vnet_id.lower() in vnets:
            for member in endpoint.members:
                if member.fqdn == fqdn:
                    return member.address
    return None
