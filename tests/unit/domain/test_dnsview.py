"""Every DNS view rule, one case each (S11-S17)."""

from __future__ import annotations

from dataclasses import replace

from acrlink.domain import dnsview
from acrlink.domain.netgraph import Host, RecordSet, VnetNode

from .netgraph_world import HUB, PEERED, RECORDS, VNET, graph, onprem, with_records


def _ask(g, host: str, name: str, qtype: str = "A") -> dnsview.Answer:  # type: ignore[no-untyped-def]
    return dnsview.resolve(g, dnsview.view_of(g, g.host(host)), name, qtype)


def _chain(answer: dnsview.Answer) -> list[tuple[str, str, int, str]]:
    return [(r.name, r.type, r.ttl, r.value) for r in answer.records]


def test_public_view_goes_through_privatelink_then_azures_chain() -> None:
    """S11: the seed's public dig output."""
    answer = _ask(graph(), "internet", "myregistry.azurecr.cn")
    assert _chain(answer) == [
        ("myregistry.azurecr.cn", "CNAME", 3600, "myregistry.privatelink.azurecr.cn"),
        ("myregistry.privatelink.azurecr.cn", "CNAME", 3600, "chinanorth2-0.fe.azcr.io"),
        ("chinanorth2-0.fe.azcr.io", "CNAME", 300, "chinanorth2-acr-reg.trafficmanager.cn"),
        ("chinanorth2-acr-reg.trafficmanager.cn", "CNAME", 300, "chinanorth2-0.chinanorth2.cloudapp.chinacloudapi.cn"),
        ("chinanorth2-0.chinanorth2.cloudapp.chinacloudapi.cn", "A", 10, "20.45.2.144"),
    ]


def test_registry_without_private_endpoint_goes_straight_to_the_public_chain() -> None:
    answer = _ask(graph(), "internet", "openreg.azurecr.cn")
    assert answer.records[0].value == "chinaeast2-0.fe.azcr.io"
    assert answer.addresses == ["20.45.5.144"]


def test_vnet_view_answers_the_private_address() -> None:
    """S12: CNAME to privatelink, then the zone's A record with TTL 10."""
    answer = _ask(graph(), "myvm", "myregistry.azurecr.cn")
    assert _chain(answer) == [
        ("myregistry.azurecr.cn", "CNAME", 3600, "myregistry.privatelink.azurecr.cn"),
        ("myregistry.privatelink.azurecr.cn", "A", 10, "10.0.0.4"),
    ]


def test_missing_data_endpoint_record_is_nxdomain_inside_the_vnet() -> None:
    """S14: the zone is authoritative; without the record the data endpoint does not resolve."""
    records = {k: v for k, v in RECORDS.items() if k[0] != "myregistry.chinaeast2.data"}
    answer = _ask(with_records(records), "myvm", "myregistry.chinaeast2.data.azurecr.cn")
    assert answer.rcode == dnsview.NXDOMAIN
    assert answer.records[0].type == "CNAME" and answer.addresses == []
    assert answer.authority[0].type == "SOA" and answer.authority[0].name == "privatelink.azurecr.cn"
    assert _ask(with_records(records), "myvm", "myregistry.azurecr.cn").addresses == ["10.0.0.4"], "login still works"


def test_deleted_endpoint_with_the_link_kept_is_unresolvable() -> None:
    """S15: no records left, the link still makes the zone authoritative."""
    answer = _ask(with_records({}), "myvm", "myregistry.azurecr.cn")
    assert answer.rcode == dnsview.NXDOMAIN


def test_nx_domain_redirect_falls_back_to_public() -> None:
    g = with_records({})
    g = replace(g, links=(replace(g.links[0], nx_redirect=True),))
    assert _ask(g, "myvm", "myregistry.azurecr.cn").addresses == ["20.45.2.144"]


def test_peered_vnet_does_not_share_zone_links() -> None:
    """The classic mistake: the peered VNet resolves the public address."""
    assert _ask(graph(), "peervm", "myregistry.azurecr.cn").addresses == ["20.45.2.144"]


def test_geo_replicated_registry_resolves_to_the_nearest_region_publicly() -> None:
    assert _ask(graph(), "hubvm", "myregistry.azurecr.cn").addresses == ["20.45.5.144"]
    assert _ask(graph(), "internet", "myregistry.azurecr.cn").addresses == ["20.45.2.144"]


def test_data_endpoints_exist_only_for_regions_the_registry_lives_in() -> None:
    assert _ask(graph(), "internet", "myregistry.chinaeast2.data.azurecr.cn").addresses == ["20.45.5.144"]
    assert _ask(graph(), "internet", "myregistry.chinaeast3.data.azurecr.cn").rcode == dnsview.NXDOMAIN
    assert _ask(graph(), "internet", "openreg.chinaeast2.data.azurecr.cn").rcode == dnsview.NXDOMAIN


def test_unknown_names() -> None:
    assert _ask(graph(), "internet", "nosuchreg.azurecr.cn").rcode == dnsview.NXDOMAIN
    assert _ask(graph(), "internet", "example.com").rcode == dnsview.REFUSED


def test_other_record_types_are_nodata() -> None:
    answer = _ask(graph(), "myvm", "myregistry.azurecr.cn", "AAAA")
    assert answer.rcode == dnsview.NOERROR and answer.addresses == []
    assert answer.authority and answer.authority[0].type == "SOA"


def test_custom_dns_without_forwarding_sees_no_private_zone() -> None:
    """S16: a VNet whose DNS server resolves on the internet gets the public answer."""
    g = onprem("10.0.0.20", forwarder_vm=False)
    vnets = dict(g.vnets)
    vnets[VNET] = replace(vnets[VNET], dns_servers=("10.0.0.20",))
    assert _ask(replace(g, vnets=vnets), "myvm", "myregistry.azurecr.cn").addresses == ["20.45.2.144"]


def test_custom_dns_forwarding_to_azure_dns_from_a_linked_vnet_sees_the_zone() -> None:
    g = onprem("10.0.0.20", forwarder_vm=True)
    vnets = dict(g.vnets)
    vnets[HUB] = VnetNode(HUB, "hub", "chinaeast2", ("10.0.0.20",), ())
    assert _ask(replace(g, vnets=vnets), "hubvm", "myregistry.azurecr.cn").addresses == ["10.0.0.4"]


def test_onprem_host_uses_its_dns_server_and_its_forwarders() -> None:
    """S5/S16: on-premises DNS forwarding to a DNS VM in the linked VNet."""
    assert _ask(onprem("10.0.0.20", forwarder_vm=True), "office", "myregistry.azurecr.cn").addresses == ["10.0.0.4"]
    assert _ask(onprem("10.0.0.20", forwarder_vm=False), "office", "myregistry.azurecr.cn").addresses == ["20.45.2.144"]
    unreachable = _ask(onprem("168.63.129.16"), "office", "myregistry.azurecr.cn")
    assert unreachable.rcode == dnsview.SERVFAIL, "168.63.129.16 is not reachable from on-premises"
    assert _ask(onprem("10.9.9.9"), "office", "myregistry.azurecr.cn").rcode == dnsview.SERVFAIL


def test_vm_whose_vnet_is_gone_cannot_resolve() -> None:
    g = graph()
    hosts = dict(g.hosts)
    hosts["lost"] = Host("lost", "vm", "40.72.0.7", "/subscriptions/s/gone", "10.5.0.4")
    assert _ask(replace(g, hosts=hosts), "lost", "myregistry.azurecr.cn").rcode == dnsview.SERVFAIL


def test_private_zone_cname_records_are_followed() -> None:
    records = {**RECORDS, ("alias", "CNAME"): RecordSet(60, ("myregistry.privatelink.azurecr.cn",))}
    answer = _ask(with_records(records), "myvm", "alias.privatelink.azurecr.cn")
    assert answer.addresses == ["10.0.0.4"]


def test_views_of_each_host_kind() -> None:
    g = graph()
    assert dnsview.view_of(g, g.host("internet")).kind == "public"
    assert dnsview.view_of(g, g.host("trusted")).kind == "public"
    assert dnsview.view_of(g, g.host("myvm")) == dnsview.View("vnet", VNET, "chinanorth2")
    assert dnsview.view_of(g, g.host("peervm")).vnet_id == PEERED


SOA = "azureprivatedns.net. azureprivatedns-host.microsoft.com. 7 3600 300 2419200 30"


def test_the_zone_apex_exists_and_answers_its_soa() -> None:
    """The apex is never NXDOMAIN (RFC 8020 resolvers would deny the whole zone): its SOA for SOA
    queries, NODATA with the SOA for others, NS included (private zones hold no NS records)."""
    g = with_records({**RECORDS, ("@", "SOA"): RecordSet(3600, (SOA,))})
    soa = _ask(g, "myvm", "privatelink.azurecr.cn", "SOA")
    assert (soa.rcode, _chain(soa)) == (dnsview.NOERROR, [("privatelink.azurecr.cn", "SOA", 3600, SOA)])
    for qtype in ("A", "NS", "TXT"):
        nodata = _ask(g, "myvm", "privatelink.azurecr.cn", qtype)
        assert (nodata.rcode, nodata.records) == (dnsview.NOERROR, [])
        assert [(r.type, r.ttl, r.value) for r in nodata.authority] == [("SOA", 30, SOA)], "min(TTL, minimum)"
    without_soa = _ask(with_records({}), "myvm", "privatelink.azurecr.cn", "A")
    assert without_soa.rcode == dnsview.NOERROR and without_soa.authority[0].type == "SOA"


def test_negative_answers_carry_the_zones_own_soa() -> None:
    g = with_records({**RECORDS, ("@", "SOA"): RecordSet(5, (SOA,))})
    missing = _ask(g, "myvm", "nothing.privatelink.azurecr.cn")
    assert missing.rcode == dnsview.NXDOMAIN
    assert [(r.name, r.ttl, r.value) for r in missing.authority] == [("privatelink.azurecr.cn", 5, SOA)]


def test_a_name_with_names_below_it_exists() -> None:
    """``chinanorth2.data`` holds no record but ``myregistry.chinanorth2.data`` does: NODATA, not NXDOMAIN."""
    between = _ask(graph(), "myvm", "chinanorth2.data.privatelink.azurecr.cn")
    assert (between.rcode, between.records) == (dnsview.NOERROR, [])
    assert _ask(graph(), "myvm", "data.privatelink.azurecr.cn").rcode == dnsview.NOERROR
    assert _ask(graph(), "myvm", "ata.privatelink.azurecr.cn").rcode == dnsview.NXDOMAIN, "whole labels only"


def test_escaped_labels_never_match_a_record() -> None:
    """The DNS face writes a byte outside [a-z0-9_*-] as \\DDD, so a label holding a dot is one label."""
    assert _ask(graph(), "myvm", "myregistry\\046chinanorth2.data.privatelink.azurecr.cn").rcode == dnsview.NXDOMAIN
    assert _ask(graph(), "myvm", "myregistry.privatelink\\046azurecr.cn").rcode == dnsview.REFUSED
    assert _ask(graph(), "internet", "myregistry\\046azurecr.cn").rcode == dnsview.REFUSED


def test_wildcard_records_answer_names_that_do_not_exist() -> None:
    """RFC 4592: ``*.apps`` answers ``x.apps`` and ``y.x.apps`` (the owner is the name asked), but not a
    name that exists, nor one below an existing name that is not ``apps``."""
    records = {
        **RECORDS,
        ("*.apps", "A"): RecordSet(60, ("10.0.0.9",)),
        ("real.apps", "TXT"): RecordSet(60, ('"here"',)),
        ("*", "A"): RecordSet(30, ("10.0.0.99",)),
    }
    g = with_records(records)
    hit = _ask(g, "myvm", "x.apps.privatelink.azurecr.cn")
    assert _chain(hit) == [("x.apps.privatelink.azurecr.cn", "A", 60, "10.0.0.9")]
    assert _ask(g, "myvm", "y.x.apps.privatelink.azurecr.cn").addresses == ["10.0.0.9"]
    nodata = _ask(g, "myvm", "x.apps.privatelink.azurecr.cn", "TXT")
    assert (nodata.rcode, nodata.records) == (dnsview.NOERROR, [])
    real = _ask(g, "myvm", "real.apps.privatelink.azurecr.cn")
    assert (real.rcode, real.records) == (dnsview.NOERROR, []), "an existing name is not synthesised"
    assert _ask(g, "myvm", "other.privatelink.azurecr.cn").addresses == ["10.0.0.99"], "the apex wildcard"
    assert _ask(g, "myvm", "myregistry.privatelink.azurecr.cn").addresses == ["10.0.0.4"]
    below = _ask(g, "myvm", "x.myregistry.privatelink.azurecr.cn")
    assert below.rcode == dnsview.NXDOMAIN, "myregistry exists: it is the closest encloser, with no wildcard"
