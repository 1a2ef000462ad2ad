"""Paths and the registry firewall, one case each (S5, S18, S20, S21, S23)."""

from __future__ import annotations

from dataclasses import replace

from acrlink.domain import access
from acrlink.domain.netgraph import RecordSet

from .netgraph_world import PE, REGISTRY, graph, onprem, with_records, with_status


def _route(g, host: str, name: str) -> access.Route:  # type: ignore[no-untyped-def]
    return access.route(g, g.host(host), name)


def test_vm_in_the_vnet_takes_the_private_path() -> None:
    route = _route(graph(), "myvm", "myregistry.azurecr.cn")
    assert (route.outcome, route.path, route.address, route.endpoint_id) == ("carry", "private", "10.0.0.4", PE)
    assert route.region == "chinanorth2"


def test_internet_host_takes_the_public_path() -> None:
    route = _route(graph(), "internet", "myregistry.azurecr.cn")
    assert (route.outcome, route.path, route.address) == ("carry", "public", "20.45.2.144")


def test_pending_or_rejected_endpoint_black_holes_traffic() -> None:
    """S21."""
    for status in ("Pending", "Rejected", "Disconnected"):
        route = _route(with_status(status), "myvm", "myregistry.azurecr.cn")
        assert (route.outcome, route.path) == ("blackhole", "private"), status


def test_unresolvable_name() -> None:
    """S14/S15: no record means the client cannot resolve the host."""
    route = _route(with_records({}), "myvm", "myregistry.azurecr.cn")
    assert route.outcome == "unresolvable"
    assert "Could not resolve host: myregistry.azurecr.cn" in route.reason


def test_private_address_the_host_cannot_reach() -> None:
    """A record pointing at an address that is no endpoint in the host's network."""
    g = with_records({("myregistry", "A"): RecordSet(10, ("10.0.0.99",))})
    assert _route(g, "myvm", "myregistry.azurecr.cn").outcome == "unreachable"


def test_onprem_reaches_the_endpoint_over_the_gateway() -> None:
    """S5."""
    route = _route(onprem("10.0.0.20"), "office", "myregistry.azurecr.cn")
    assert (route.outcome, route.path) == ("carry", "private")


def test_peered_vnet_with_its_own_zone_link_reaches_the_endpoint() -> None:
    g = graph()
    g = replace(g, links=(*g.links, replace(g.links[0], vnet_id=list(g.vnets)[1])))
    route = _route(g, "peervm", "myregistry.azurecr.cn")
    assert (route.outcome, route.path) == ("carry", "private")


def test_names_acrlink_does_not_emulate() -> None:
    assert _route(graph(), "internet", "example.com").outcome == "not-emulated"


def test_firewall_public_access_disabled() -> None:
    """S18: the registry's firewall error for every public client."""
    closed = replace(REGISTRY, public_network_access=False)
    message = access.admit(closed, graph(), "internet", "203.0.113.50", "public", None)
    assert message == (
        "client with IP '203.0.113.50' is not allowed access. Refer https://aka.ms/acr/firewall to grant access."
    )
    assert access.admit(closed, graph(), "vm", "10.0.0.10", "private", PE) is None


def test_trusted_services_bypass() -> None:
    """S20."""
    closed = replace(REGISTRY, public_network_access=False)
    assert access.admit(closed, graph(), "trusted", "52.130.1.10", "public", None) is None
    no_bypass = replace(closed, bypass_azure_services=False)
    assert access.admit(no_bypass, graph(), "trusted", "52.130.1.10", "public", None) is not None


def test_ip_rules_with_default_deny() -> None:
    rules = replace(REGISTRY, default_action_deny=True, ip_rules=("203.0.113.0/24",))
    assert access.admit(rules, graph(), "internet", "203.0.113.50", "public", None) is None
    assert access.admit(rules, graph(), "internet", "198.51.100.1", "public", None) is not None


def test_private_path_needs_an_approved_endpoint_of_this_registry() -> None:
    assert access.admit(REGISTRY, with_status("Pending"), "vm", "10.0.0.10", "private", PE) is not None
    other = replace(REGISTRY, name="otherreg")
    assert access.admit(other, graph(), "vm", "10.0.0.10", "private", PE) is not None
