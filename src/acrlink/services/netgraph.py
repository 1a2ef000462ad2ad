"""Builds the network ``Graph`` (``domain.netgraph``) from the store, once per move of the change signal's
``WORLD`` counter (a write on any process sharing the store)."""

from __future__ import annotations

import hashlib
import ipaddress
from typing import Any

from acrlink.domain.cloud import CloudProfile
from acrlink.domain.dnsrecords import presentation
from acrlink.domain.netgraph import (
    INTERNET,
    INTERNET_HOST,
    ONPREM,
    TASKS,
    TASKS_HOST,
    TRUSTED,
    TRUSTED_HOST,
    VM,
    EndpointNode,
    Graph,
    Host,
    LinkNode,
    Member,
    RecordSet,
    RegistryNode,
    VnetNode,
    ZoneNode,
)
from acrlink.domain.privatelink import DISCONNECTED
from acrlink.ids import parse_resource_id
from acrlink.resources.agent_pools import TYPE as AGENT_POOL_TYPE
from acrlink.resources.agent_pools import agent_address, agent_host, pool_identity
from acrlink.resources.hostnames import VM_TAG
from acrlink.resources.network.common import NIC_TYPE, PE_TYPE, PEERING_TYPE, VNET_TYPE
from acrlink.resources.network.nic import DNS_FORWARDER_TAG, vm_identity
from acrlink.resources.onprem import TYPE as ONPREM_TYPE
from acrlink.resources.privatedns.link import TYPE as LINK_TYPE
from acrlink.resources.privatedns.recordset import RECORD_TYPES, RECORDS_KEY, ZONE_TYPE
from acrlink.resources.registry import CONNECTIONS, REPLICATIONS
from acrlink.resources.registry import TYPE as REGISTRY_TYPE
from acrlink.services.changes import ChangeSignal
from acrlink.store.base import WORLD, Record, Store, Transaction

TRUSTED_IP = "52.130.1.10"
TASKS_IP = "52.130.1.20"
"""The Tasks agents' public egress address: data the firewall's IP rules see, never a destination."""


def egress_ip(seed: str) -> str:
    """A VM's public egress address, derived from its NIC id so it is stable."""
    digest = hashlib.sha256(seed.lower().encode()).digest()
    return str(ipaddress.IPv4Address("40.72.0.0") + int.from_bytes(digest[:2], "big"))


class NetworkGraphs:
    def __init__(self, store: Store, cloud: CloudProfile, changes: ChangeSignal, internet_ip: str) -> None:
        self._store = store
        self._cloud = cloud
        self._changes = changes
        self._internet_ip = internet_ip
        self._cached: tuple[int, Graph] | None = None

    def current(self) -> Graph:
        version = self._changes.version(WORLD)
        if self._cached is None or self._cached[0] != version:
            with self._store.transaction() as tx:
                self._cached = (version, build(tx, self._cloud, self._internet_ip))
        return self._cached[1]

    def hosts(self) -> dict[str, Host]:
        """Only the hosts (what the DNS face's listeners follow), without building the whole graph."""
        with self._store.transaction() as tx:
            return _hosts(tx, _vnets(tx), self._internet_ip)


def build(tx: Transaction, cloud: CloudProfile, internet_ip: str) -> Graph:
    vnets = _vnets(tx)
    return Graph(
        cloud=cloud,
        registries=_registries(tx),
        endpoints=_endpoints(tx),
        vnets=vnets,
        zones=_zones(tx),
        links=tuple(
            LinkNode(
                zone_id=_parent_key(r.body["id"]),
                vnet_id=r.body["properties"]["virtualNetwork"]["id"].lower(),
                nx_redirect=r.body["properties"].get("resolutionPolicy") == "NxDomainRedirect",
                name=r.body["name"],
            )
            for r in tx.query(type=LINK_TYPE)
        ),
        hosts=_hosts(tx, vnets, internet_ip),
    )


def _parent_key(resource_id: str) -> str:
    ref = parse_resource_id(resource_id)
    return ref.parent.key if ref is not None and ref.parent is not None else ""


def _registries(tx: Transaction) -> dict[str, RegistryNode]:
    found = {}
    for record in tx.query(type=REGISTRY_TYPE):
        doc, props = record.body, record.body["properties"]
        regions = [doc["location"]]
        for replica in tx.query(type=f"{REGISTRY_TYPE}/{REPLICATIONS}", parent=record.key):
            if replica.body["location"] not in regions:
                regions.append(replica.body["location"])
        has_pe = bool(tx.query(type=f"{REGISTRY_TYPE}/{CONNECTIONS}", parent=record.key))
        rules = props.get("networkRuleSet") or {}
        name = doc["name"].lower()
        found[name] = RegistryNode(
            name=name,
            location=doc["location"],
            regions=tuple(regions),
            public_network_access=props.get("publicNetworkAccess") != "Disabled",
            default_action_deny=rules.get("defaultAction") == "Deny",
            ip_rules=tuple(r["value"] for r in rules.get("ipRules") or []),
            bypass_azure_services=props.get("networkRuleBypassOptions") == "AzureServices",
            data_endpoints=bool(props.get("dataEndpointEnabled")) or has_pe,
            has_private_endpoint=has_pe,
            id=str(doc.get("id") or ""),
            role_assignment_mode=str(props.get("roleAssignmentMode") or "LegacyRegistryPermissions"),
            anonymous_pull=bool(props.get("anonymousPullEnabled")),
            bypass_tasks=props.get("networkRuleBypassAllowedForTasks") is True,
        )
    return found


def _endpoints(tx: Transaction) -> tuple[EndpointNode, ...]:
    nodes = []
    for record in tx.query(type=PE_TYPE):
        doc = record.body
        subnet = parse_resource_id(doc["properties"]["subnet"]["id"])
        connection = _get(tx, (doc.get("_acrlink") or {}).get("connection", ""))
        status = connection["properties"]["privateLinkServiceConnectionState"]["status"] if connection else DISCONNECTED
        registry = parse_resource_id(connection["id"]) if connection else None
        nic = _get(tx, doc["properties"]["networkInterfaces"][0]["id"])
        members = []
        for config in (nic or {}).get("properties", {}).get("ipConfigurations", []):
            link = config["properties"].get("privateLinkConnectionProperties")
            if link:
                members.append(
                    Member(
                        link["requiredMemberName"], link["fqdns"][0].lower(), config["properties"]["privateIPAddress"]
                    )
                )
        nodes.append(
            EndpointNode(
                id=doc["id"],
                vnet_id=subnet.parent.id if subnet and subnet.parent else "",
                registry=registry.segments[0][1].lower() if registry else "",
                status=status,
                members=tuple(members),
                connection=connection["name"] if connection else "",
            )
        )
    return tuple(nodes)


def _get(tx: Transaction, resource_id: str) -> dict[str, Any] | None:
    record = tx.get(resource_id.lower()) if resource_id else None
    return record.body if record else None


def _vnets(tx: Transaction) -> dict[str, VnetNode]:
    peerings: dict[str, list[tuple[str, bool]]] = {}
    for record in tx.query(type=PEERING_TYPE):
        local = parse_resource_id(record.body["id"])
        assert local is not None and local.parent is not None
        props = record.body["properties"]
        peerings.setdefault(local.parent.key, []).append(
            (props["remoteVirtualNetwork"]["id"].lower(), props.get("allowVirtualNetworkAccess", True))
        )
    nodes = {}
    for record in tx.query(type=VNET_TYPE):
        doc = record.body
        key = record.key
        peers = tuple(
            remote
            for remote, allowed in peerings.get(key, [])
            if allowed and any(back == key for back, _ in peerings.get(remote, []))
        )
        nodes[key] = VnetNode(
            doc["id"],
            doc["name"],
            doc["location"],
            tuple(doc["properties"].get("dhcpOptions", {}).get("dnsServers") or []),
            peers,
        )
    return nodes


def _zones(tx: Transaction) -> dict[str, ZoneNode]:
    zones = {}
    for record in tx.query(type=ZONE_TYPE):
        records: dict[tuple[str, str], RecordSet] = {}
        for kind in RECORD_TYPES:
            for child in tx.query(type=f"{ZONE_TYPE}/{kind}", parent=record.key):
                values = presentation(kind, child.body["properties"].get(RECORDS_KEY[kind]))
                if values:
                    records[(child.body["name"].lower(), kind)] = RecordSet(child.body["properties"]["ttl"], values)
        zones[record.key] = ZoneNode(record.body["id"], record.body["name"].lower().rstrip("."), records)
    return zones


def _hosts(tx: Transaction, vnets: dict[str, VnetNode], internet_ip: str) -> dict[str, Host]:
    hosts = {
        INTERNET_HOST: Host(INTERNET_HOST, INTERNET, internet_ip),
        TRUSTED_HOST: Host(TRUSTED_HOST, TRUSTED, TRUSTED_IP),
        TASKS_HOST: Host(TASKS_HOST, TASKS, TASKS_IP),
    }
    for record in tx.query(type=NIC_TYPE):
        hosts.update(_vm(tx, record, vnets))
    hosts.update(_agent_pools(tx, vnets))
    for record in tx.query(type=ONPREM_TYPE):
        props = record.body["properties"]
        servers = props.get("dnsServers") or []
        vnet = vnets.get(props["virtualNetwork"]["id"].lower())
        hosts[record.body["name"].lower()] = Host(
            record.body["name"],
            ONPREM,
            egress_ip(record.body["id"]),
            props["virtualNetwork"]["id"].lower(),
            props["privateIPAddress"],
            vnet.location if vnet else None,
            servers[0] if servers else None,
            bool(props.get("dnsForwarder")),
        )
    return hosts


def _agent_pools(tx: Transaction, vnets: dict[str, VnetNode]) -> dict[str, Host]:
    """Each agent pool with a subnet is a host there (its agents): the VNet's DNS and routes, a private address."""
    hosts = {}
    for record in tx.query(type=AGENT_POOL_TYPE.lower()):
        subnet_id = str(record.body["properties"].get("virtualNetworkSubnetResourceId") or "")
        subnet = parse_resource_id(subnet_id) if subnet_id else None
        subnet_doc = tx.get(subnet.key) if subnet else None
        registry = parse_resource_id(record.body["id"])
        if subnet is None or subnet.parent is None or subnet_doc is None or registry is None or registry.parent is None:
            continue
        prefix = (
            subnet_doc.body["properties"].get("addressPrefix")
            or (subnet_doc.body["properties"].get("addressPrefixes") or [""])[0]
        )
        if not prefix:
            continue
        name = agent_host(registry.parent.name, registry.name)
        vnet = vnets.get(subnet.parent.key)
        hosts[name] = Host(
            name,
            VM,
            egress_ip(record.body["id"]),
            subnet.parent.key,
            agent_address(prefix),
            vnet.location if vnet else None,
            identity=pool_identity(tx, record.body),
        )
    return hosts


def _vm(tx: Transaction, record: Record, vnets: dict[str, VnetNode]) -> dict[str, Host]:
    name = (record.body.get("tags") or {}).get(VM_TAG)
    configs = record.body["properties"]["ipConfigurations"]
    if not name or not configs:
        return {}
    primary = next((c for c in configs if c["properties"].get("primary")), configs[0])
    subnet = parse_resource_id(primary["properties"]["subnet"]["id"])
    vnet_id = subnet.parent.key if subnet and subnet.parent else ""
    vnet = vnets.get(vnet_id)
    forwarder = (record.body.get("tags") or {}).get(DNS_FORWARDER_TAG, "").lower() == "true"
    return {
        name.lower(): Host(
            name,
            VM,
            egress_ip(record.body["id"]),
            vnet_id,
            primary["properties"]["privateIPAddress"],
            vnet.location if vnet else None,
            dns_forwarder=forwarder,
            identity=vm_identity(tx, record.body),
        )
    }
