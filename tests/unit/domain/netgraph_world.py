"""A small network, as plain data, for the DNS view and access rules."""

from __future__ import annotations

from dataclasses import replace

from acrlink.domain.cloud import AZURE_CHINA
from acrlink.domain.netgraph import (
    INTERNET,
    ONPREM,
    TRUSTED,
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

VNET = "/subscriptions/s/resourcegroups/rg/providers/microsoft.network/virtualnetworks/myvnet"
PEERED = "/subscriptions/s/resourcegroups/rg/providers/microsoft.network/virtualnetworks/peered"
HUB = "/subscriptions/s/resourcegroups/rg/providers/microsoft.network/virtualnetworks/hub"
ZONE = "/subscriptions/s/resourcegroups/rg/providers/microsoft.network/privatednszones/privatelink.azurecr.cn"
PE = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/mype"

REGISTRY = RegistryNode("myregistry", "chinanorth2", ("chinanorth2", "chinaeast2"), True, False, (), True, True, True)
ENDPOINT = EndpointNode(
    PE,
    VNET,
    "myregistry",
    "Approved",
    (
        Member("registry", "myregistry.azurecr.cn", "10.0.0.4"),
        Member("registry_data_chinanorth2", "myregistry.chinanorth2.data.azurecr.cn", "10.0.0.5"),
        Member("registry_data_chinaeast2", "myregistry.chinaeast2.data.azurecr.cn", "10.0.0.6"),
    ),
    "mype.1b2c3d4e-0000-4000-8000-000000000001",
)
RECORDS = {
    ("myregistry", "A"): RecordSet(10, ("10.0.0.4",)),
    ("myregistry.chinanorth2.data", "A"): RecordSet(10, ("10.0.0.5",)),
    ("myregistry.chinaeast2.data", "A"): RecordSet(10, ("10.0.0.6",)),
}


def graph(**changes: object) -> Graph:
    base = Graph(
        cloud=AZURE_CHINA,
        registries={
            "myregistry": REGISTRY,
            "openreg": RegistryNode("openreg", "chinaeast2", ("chinaeast2",), True, False, (), True, False, False),
        },
        endpoints=(ENDPOINT,),
        vnets={
            VNET: VnetNode(VNET, "myvnet", "chinanorth2", (), (PEERED,)),
            PEERED: VnetNode(PEERED, "peered", "chinanorth2", (), (VNET,)),
            HUB: VnetNode(HUB, "hub", "chinaeast2", (), ()),
        },
        zones={ZONE: ZoneNode(ZONE, "privatelink.azurecr.cn", dict(RECORDS))},
        links=(LinkNode(ZONE, VNET, False, "myvnet-link"),),
        hosts={
            "internet": Host("internet", INTERNET, "203.0.113.50"),
            "trusted": Host("trusted", TRUSTED, "52.130.1.10"),
            "myvm": Host("myVM", VM, "40.72.0.1", VNET, "10.0.0.10", "chinanorth2"),
            "peervm": Host("peerVM", VM, "40.72.0.2", PEERED, "10.1.0.4", "chinanorth2"),
            "hubvm": Host("hubVM", VM, "40.72.0.3", HUB, "10.2.0.4", "chinaeast2"),
        },
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def with_records(records: dict[tuple[str, str], RecordSet]) -> Graph:
    return graph(zones={ZONE: ZoneNode(ZONE, "privatelink.azurecr.cn", records)})


def with_status(status: str) -> Graph:
    return graph(endpoints=(replace(ENDPOINT, status=status),))


def onprem(dns_server: str, forwarder_vm: bool = True) -> Graph:
    base = graph()
    hosts = dict(base.hosts)
    hosts["dnsvm"] = Host("dnsVM", VM, "40.72.0.9", VNET, "10.0.0.20", "chinanorth2", dns_forwarder=forwarder_vm)
    hosts["office"] = Host("office", ONPREM, "198.51.100.7", VNET, "192.168.1.10", dns_server=dns_server)
    return replace(base, hosts=hosts)
