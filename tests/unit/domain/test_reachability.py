"""What a deployment does to the network: the (host, name) pairs whose answer changes, in words."""

from __future__ import annotations

from dataclasses import replace

from acrlink.domain import reachability
from acrlink.domain.cloud import AZURE_CHINA
from acrlink.domain.netgraph import (
    INTERNET,
    INTERNET_HOST,
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

VNET = "/subscriptions/s/resourcegroups/rg/providers/microsoft.network/virtualnetworks/myvnet"
ZONE = "/subscriptions/s/resourcegroups/rg/providers/microsoft.network/privatednszones/privatelink.azurecr.cn"
PE = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/mype"
REGISTRY = RegistryNode("myregistry", "chinanorth2", ("chinanorth2",), True, False, (), True, False, False)
VM_HOST = Host("myVM", VM, "40.72.0.1", VNET, "10.0.0.10", "chinanorth2")

PUBLIC_ONLY = Graph(
    cloud=AZURE_CHINA,
    registries={"myregistry": REGISTRY},
    vnets={VNET: VnetNode(VNET, "myvnet", "chinanorth2", (), ())},
    hosts={
        INTERNET_HOST: Host(INTERNET_HOST, INTERNET, "203.0.113.50"),
        TRUSTED_HOST: Host(TRUSTED_HOST, TRUSTED, "52.130.1.10"),
        "myvm": VM_HOST,
    },
)
"""A registry and a VM in a VNet, no private endpoint: everyone takes the public path."""

WITH_ENDPOINT = replace(
    PUBLIC_ONLY,
    registries={"myregistry": replace(REGISTRY, data_endpoints=True, has_private_endpoint=True)},
    endpoints=(
        EndpointNode(
            PE,
            VNET,
            "myregistry",
            "Approved",
            (
                Member("registry", "myregistry.azurecr.cn", "10.0.0.4"),
                Member("registry_data_chinanorth2", "myregistry.chinanorth2.data.azurecr.cn", "10.0.0.5"),
            ),
            "mype.conn",
        ),
    ),
    zones={
        ZONE: ZoneNode(
            ZONE,
            "privatelink.azurecr.cn",
            {
                ("myregistry", "A"): RecordSet(10, ("10.0.0.4",)),
                ("myregistry.chinanorth2.data", "A"): RecordSet(10, ("10.0.0.5",)),
            },
        )
    },
    links=(LinkNode(ZONE, VNET, False, "myvnet-link"),),
)
"""What a template with a private endpoint, its zone group's records and a VNet link leaves behind."""


def summaries(before: Graph, after: Graph) -> list[str]:
    return [change.summary for change in reachability.changes(before, after)]


def test_a_vm_moves_to_the_private_path_once_endpoint_zone_and_link_exist() -> None:
    assert summaries(PUBLIC_ONLY, WITH_ENDPOINT) == [
        # A private endpoint turns the data endpoint names on, for every client.
        "internet: myregistry.chinanorth2.data.azurecr.cn gains access: public 20.45.2.144",
        "azure-trusted-service: myregistry.chinanorth2.data.azurecr.cn gains access: public 20.45.2.144",
        "myVM: myregistry.azurecr.cn from public 20.45.2.144 to private 10.0.0.4",
        "myVM: myregistry.chinanorth2.data.azurecr.cn gains access: private 10.0.0.5",
    ]


def test_the_endpoint_without_the_link_changes_nothing_for_the_vms_login_server() -> None:
    unlinked = replace(WITH_ENDPOINT, links=())
    moved = [c for c in reachability.changes(PUBLIC_ONLY, unlinked) if c.host == "myVM"]
    assert [c.summary for c in moved] == [
        "myVM: myregistry.chinanorth2.data.azurecr.cn gains access: public 20.45.2.144"
    ]


def test_disabling_public_network_access_cuts_off_the_internet() -> None:
    closed = replace(PUBLIC_ONLY, registries={"myregistry": replace(REGISTRY, public_network_access=False)})
    assert summaries(PUBLIC_ONLY, closed) == [
        "internet: myregistry.azurecr.cn loses access: public network access disabled",
        "myVM: myregistry.azurecr.cn loses access: public network access disabled",
    ], "the trusted service passes by the bypass"
    change = reachability.changes(PUBLIC_ONLY, closed)[0]
    assert reachability.as_json(change) == {
        "host": "internet",
        "name": "myregistry.azurecr.cn",
        "before": {"address": "20.45.2.144", "path": "public", "verdict": "reachable"},
        "after": {"address": "20.45.2.144", "path": "public", "verdict": "denied: public network access disabled"},
        "summary": "internet: myregistry.azurecr.cn loses access: public network access disabled",
    }
    assert reachability.as_diagnostic(change) == {
        "level": "Info",
        "code": "NetworkReachability",
        "target": "internet",
        "message": "myregistry.azurecr.cn loses access: public network access disabled",
    }


def test_closing_public_access_behind_an_endpoint_leaves_the_vm_alone() -> None:
    registry = WITH_ENDPOINT.registries["myregistry"]
    closed = replace(WITH_ENDPOINT, registries={"myregistry": replace(registry, public_network_access=False)})
    assert [c.host for c in reachability.changes(WITH_ENDPOINT, closed)] == ["internet", "internet"]


def test_no_change_is_an_empty_list() -> None:
    assert reachability.changes(PUBLIC_ONLY, PUBLIC_ONLY) == []
    assert reachability.changes(WITH_ENDPOINT, replace(WITH_ENDPOINT)) == []


def test_a_pending_connection_drops_the_private_path() -> None:
    pending = replace(WITH_ENDPOINT, endpoints=(replace(WITH_ENDPOINT.endpoints[0], status="Pending"),))
    assert summaries(WITH_ENDPOINT, pending) == [
        "myVM: myregistry.azurecr.cn loses access: private endpoint connection Pending, traffic dropped",
        "myVM: myregistry.chinanorth2.data.azurecr.cn loses access: private endpoint connection Pending, "
        "traffic dropped",
    ]


def test_new_hosts_and_new_registries() -> None:
    empty = replace(PUBLIC_ONLY, registries={}, hosts={k: v for k, v in PUBLIC_ONLY.hosts.items() if k != "myvm"})
    changed = reachability.changes(empty, PUBLIC_ONLY)
    assert [c.summary for c in changed] == [
        "internet: myregistry.azurecr.cn gains access: public 20.45.2.144",
        "azure-trusted-service: myregistry.azurecr.cn gains access: public 20.45.2.144",
        "myVM: myregistry.azurecr.cn gains access: public 20.45.2.144",
    ]
    assert changed[0].before.verdict == "no such registry" and changed[2].before.verdict == "no such host"


def test_an_ip_rule_denial_is_still_no_access_for_another_reason() -> None:
    ruled = replace(PUBLIC_ONLY, registries={"myregistry": replace(REGISTRY, default_action_deny=True)})
    closed = replace(
        ruled, registries={"myregistry": replace(REGISTRY, default_action_deny=True, public_network_access=False)}
    )
    internet = [c.summary for c in reachability.changes(ruled, closed) if c.host == "internet"]
    assert internet == [
        "internet: myregistry.azurecr.cn still no access: public network access disabled "
        "(was: default action Deny and no IP rule for 203.0.113.50)"
    ]
