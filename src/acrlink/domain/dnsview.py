"""DNS views: what a name resolves to, from which network position (S11-S17).

- The public view: ``NAME.azurecr.cn`` answers CNAME ``NAME.privatelink.azurecr.cn`` when the registry has
  a private endpoint (else straight into the public chain), then Azure's public chain
  (``*.azcr.io`` -> traffic manager -> ``*.REGION.cloudapp...`` -> the region's public address). Unknown
  names under ``azurecr.cn`` are NXDOMAIN.
- A VNet's view (Azure-provided DNS, 168.63.129.16): private zones linked to the VNet are authoritative
  for their namespace (a missing name is NXDOMAIN); everything else falls back to the public view.
- A custom DNS server sees private zones only if it forwards to 168.63.129.16 from a VNet linked to them
  (S16); on-premises hosts ask their own server.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from acrlink.domain.cloud import CloudProfile
from acrlink.domain.netgraph import (
    AZURE_DNS,
    INTERNET,
    ONPREM,
    TASKS,
    TRUSTED,
    Graph,
    Host,
    ZoneNode,
    region_frontend_ip,
)

NOERROR, SERVFAIL, NXDOMAIN, REFUSED = 0, 2, 3, 5
MAX_CHAIN = 12

PUBLIC_CNAME_TTL = 3600
CHAIN_TTL = 300
FRONTEND_A_TTL = 10
NEGATIVE_TTL = 10


@dataclass(frozen=True)
class Record:
    """One resource record of an answer: an absolute lower-case owner name, a type, a TTL and its value in presentation
    form."""

    name: str
    """Absolute, lower case, no trailing dot."""
    type: str
    ttl: int
    value: str


@dataclass(frozen=True)
class View:
    """Where queries are answered: the public internet, or Azure DNS inside a VNet."""

    kind: str
    """``public``, ``vnet`` or ``unreachable`` (a DNS server the host cannot use)."""
    vnet_id: str | None = None
    region: str | None = None
    reason: str = ""


@dataclass
class Answer:
    """What a view answers for one name and type: the response code, the answer chain, the SOA for a negative answer,
    and the steps that explain it."""

    rcode: int
    records: list[Record] = field(default_factory=list)
    authority: list[Record] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    """How each name in the chain was answered, for ``acrlink check``."""

    @property
    def addresses(self) -> list[str]:
        """The A records' addresses, in the chain's order: what a client connects to."""
        return [r.value for r in self.records if r.type == "A"]


def view_of(graph: Graph, host: Host) -> View:
    """The DNS view a host's resolver gives it."""
    if host.kind in (INTERNET, TRUSTED, TASKS):
        return View("public", region=host.region)
    if host.kind == ONPREM:
        return _server_view(graph, host.dns_server or "", None, set())
    vnet = graph.vnets.get((host.vnet_id or "").lower())
    if vnet is None:
        return View("unreachable", reason=f"the VNet of {host.name} no longer exists")
    if not vnet.dns_servers:
        return View("vnet", vnet.id.lower(), vnet.location)
    return _server_view(graph, vnet.dns_servers[0], vnet.id.lower(), set())


def _server_view(graph: Graph, address: str, asking_vnet: str | None, seen: set[str]) -> View:
    """What a DNS server at ``address`` answers: Azure DNS for the asking VNet, a forwarder's upstream,
    or the public view for a server that resolves on the internet."""
    if address in seen:
        return View("unreachable", reason=f"DNS forwarding loop through {address}")
    seen.add(address)
    if address == AZURE_DNS:
        if asking_vnet is None:
            return View("unreachable", reason="168.63.129.16 is reachable only from inside a virtual network")
        vnet = graph.vnets.get(asking_vnet)
        return View("vnet", asking_vnet, vnet.location if vnet else None)
    server = graph.host_at(address)
    if server is None:
        return View("unreachable", reason=f"no DNS server answers at {address}")
    if not server.dns_forwarder:
        return View("public", region=server.region, reason=f"{server.name} resolves on the internet")
    if server.kind == ONPREM:
        return _server_view(graph, server.dns_server or "", None, seen)
    return _server_view(graph, AZURE_DNS, (server.vnet_id or "").lower(), seen)


def resolve(graph: Graph, view: View, name: str, qtype: str = "A") -> Answer:
    """Follow CNAMEs from ``name`` until an answer of ``qtype``, a negative answer, or the chain limit."""
    name = name.lower().rstrip(".")
    answer = Answer(NOERROR)
    if view.kind == "unreachable":
        answer.rcode = SERVFAIL
        answer.steps.append(f"no answer: {view.reason}")
        return answer
    for _ in range(MAX_CHAIN):
        step = _lookup(graph, view, name, qtype)
        answer.steps.append(step.note)
        answer.records.extend(step.records)
        if step.rcode != NOERROR or not step.records:
            answer.rcode = step.rcode
            answer.authority = step.authority
            return answer
        last = step.records[-1]
        if last.type != "CNAME" or qtype == "CNAME":
            return answer
        name = last.value
    answer.rcode = SERVFAIL
    answer.steps.append("CNAME chain too long")
    return answer


@dataclass
class _Step:
    rcode: int
    records: list[Record]
    authority: list[Record]
    note: str


def _lookup(graph: Graph, view: View, name: str, qtype: str) -> _Step:
    if view.kind == "vnet" and view.vnet_id is not None:
        private = _private_zone_for(graph, view.vnet_id, name)
        if private is not None:
            zone, nx_redirect = private
            step = _from_zone(zone, name, qtype)
            if step.rcode != NXDOMAIN or not nx_redirect:
                return step
    return _public(graph, name, qtype, view.region)


def _private_zone_for(graph: Graph, vnet_id: str, name: str) -> tuple[ZoneNode, bool] | None:
    """The linked private zone with the longest name that contains ``name``."""
    best: tuple[ZoneNode, bool] | None = None
    for zone, link in graph.linked_zones(vnet_id):
        if (name == zone.name or name.endswith("." + zone.name)) and (
            best is None or len(zone.name) > len(best[0].name)
        ):
            best = (zone, link.nx_redirect)
    return best


def _soa(zone: str, ttl: int = NEGATIVE_TTL, private: bool = True) -> Record:
    """The SOA a negative answer carries: Azure private DNS's for private zones, Azure DNS's for public ones."""
    if private:
        return Record(
            zone, "SOA", ttl, "azureprivatedns.net. azureprivatedns-host.microsoft.com. 1 3600 300 2419200 10"
        )
    return Record(zone, "SOA", ttl, "ns1-01.azure-dns.cn. azuredns-hostmaster.microsoft.com. 1 3600 300 2419200 300")


def _zone_soa(zone: ZoneNode) -> Record:
    """The SOA a negative answer from ``zone`` carries: the zone's own (ARM's ``SOA/@``), with the TTL
    RFC 2308 gives it (the smaller of the SOA's TTL and its minimum field)."""
    found = zone.records.get(("@", "SOA"))
    if found is None or not found.values:
        return _soa(zone.name)
    fields = found.values[0].split()
    minimum = int(fields[-1]) if fields and fields[-1].isdigit() else NEGATIVE_TTL
    return Record(zone.name, "SOA", min(found.ttl, minimum), found.values[0])


def _from_zone(zone: ZoneNode, name: str, qtype: str) -> _Step:
    """A private zone's answer: the record set of ``qtype``, else the name's CNAME, else NOERROR with no
    records (NODATA) for a name that exists, else NXDOMAIN; negative answers carry the zone's SOA.

    The apex always exists (its SOA set is made with the zone), so it answers NODATA for types it has
    no set of (NS included: Azure private zones hold no NS records); so does a name that only has
    names below it (an empty non-terminal, RFC 8020: NXDOMAIN would deny everything beneath). A name
    that does not exist is answered by a wildcard set (``*`` or ``*.NAME``) at its closest ancestor."""
    relative = "@" if name == zone.name else name[: -len(zone.name) - 1]
    note = f"{name}: private zone {zone.name} ({zone.id})"
    owner = relative if _exists(zone, relative) else _wildcard(zone, relative)
    if owner is None:
        return _Step(NXDOMAIN, [], [_zone_soa(zone)], f"{note}: no such record in the zone: NXDOMAIN")
    if owner != relative:
        note = f"{note}: wildcard {owner}"
    found = zone.records.get((owner, qtype))
    if found is not None:
        return _Step(NOERROR, [Record(name, qtype, found.ttl, v) for v in found.values], [], note)
    cname = zone.records.get((owner, "CNAME"))
    if cname is not None:
        return _Step(NOERROR, [Record(name, "CNAME", cname.ttl, cname.values[0].lower().rstrip("."))], [], note)
    return _Step(NOERROR, [], [_zone_soa(zone)], f"{note}: no record of that type")


def _exists(zone: ZoneNode, relative: str) -> bool:
    """A name exists if it holds a record set or has names below it; the apex always exists."""
    below = "." + relative
    return relative == "@" or any(key[0] == relative or key[0].endswith(below) for key in zone.records)


def _wildcard(zone: ZoneNode, relative: str) -> str | None:
    """The wildcard set that answers a name that does not exist (RFC 4592): ``*.`` + its closest existing
    ancestor, if the zone holds one; the closest ancestor's own name decides, not a farther one's."""
    labels = relative.split(".")
    for start in range(1, len(labels) + 1):
        ancestor = ".".join(labels[start:]) or "@"
        if _exists(zone, ancestor):
            candidate = "*" if ancestor == "@" else f"*.{ancestor}"
            return candidate if any(key[0] == candidate for key in zone.records) else None
    return None


def _public(graph: Graph, name: str, qtype: str, client_region: str | None) -> _Step:
    """Azure's public DNS for registry names, as the seed's ``dig`` output shows."""
    cloud = graph.cloud
    suffix = cloud.acr_suffix
    private_suffix = cloud.private_link_zone
    chain = _public_chain(graph, name, client_region)
    if chain is not None:
        target, ttl, note = chain
        if target.startswith("A:"):
            value = target[2:]
            records = [Record(name, "A", ttl, value)] if qtype == "A" else []
            return _Step(NOERROR, records, [] if records else [_soa(_parent_zone(name), 60, private=False)], note)
        return _Step(NOERROR, [Record(name, "CNAME", ttl, target)], [], note)
    for zone in (private_suffix, suffix, cloud.azcr_suffix, cloud.traffic_manager_suffix, cloud.cloudapp_suffix):
        if name == zone or name.endswith("." + zone):
            return _Step(NXDOMAIN, [], [_soa(zone, 60, private=False)], f"{name}: public DNS: no such name (NXDOMAIN)")
    return _Step(REFUSED, [], [], f"{name}: outside the names acrlink emulates")


def _parent_zone(name: str) -> str:
    return name.split(".", 1)[1] if "." in name else name


def _public_chain(graph: Graph, name: str, client_region: str | None) -> tuple[str, int, str] | None:
    """The next public hop for ``name``: ("CNAME target" | "A:address", ttl, note), or None."""
    cloud = graph.cloud
    for private in (True, False):
        suffix = cloud.private_link_zone if private else cloud.acr_suffix
        if not name.endswith("." + suffix):
            continue
        labels = name[: -len(suffix) - 1].split(".")
        registry = graph.registries.get(labels[0])
        if registry is None:
            return None
        if len(labels) == 1:
            region = client_region if client_region in registry.regions else registry.location
        elif len(labels) == 3 and labels[2] == "data" and labels[1] in registry.regions and registry.data_endpoints:
            region = labels[1]
        else:
            return None
        if not private and registry.has_private_endpoint:
            return (
                f"{'.'.join(labels)}.{cloud.private_link_zone}",
                PUBLIC_CNAME_TTL,
                (
                    f"{name}: public DNS: the registry has a private endpoint, so the name goes through "
                    f"{cloud.private_link_zone}"
                ),
            )
        if private and not registry.has_private_endpoint:
            return None
        return _frontend(cloud, region), PUBLIC_CNAME_TTL, (f"{name}: public DNS: registry front end in {region}")
    return _frontend_hop(graph, name)


def _frontend(cloud: CloudProfile, region: str) -> str:
    return f"{region}-0.fe.{cloud.azcr_suffix}"


def _frontend_hop(graph: Graph, name: str) -> tuple[str, int, str] | None:
    """``REGION-0.fe.azcr.io`` -> ``REGION-acr-reg.trafficmanager`` -> ``REGION-0.REGION.cloudapp`` -> A."""
    cloud = graph.cloud
    for region in cloud.regions:
        if name == f"{region}-0.fe.{cloud.azcr_suffix}":
            return (
                f"{region}-acr-reg.{cloud.traffic_manager_suffix}",
                CHAIN_TTL,
                f"{name}: public DNS: {cloud.azcr_suffix}",
            )
        if name == f"{region}-acr-reg.{cloud.traffic_manager_suffix}":
            return f"{region}-0.{region}.{cloud.cloudapp_suffix}", CHAIN_TTL, f"{name}: public DNS: traffic manager"
        if name == f"{region}-0.{region}.{cloud.cloudapp_suffix}":
            return (
                f"A:{region_frontend_ip(cloud, region)}",
                FRONTEND_A_TTL,
                (f"{name}: public DNS: the {region} front end's public address"),
            )
    return None
