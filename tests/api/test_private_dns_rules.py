"""Private DNS zones, links, record sets and zone groups in-process."""

from __future__ import annotations

from typing import Any

from .conftest import Arm, error_code
from .network_world import NET, connections, create_endpoint, nic_addresses, vnet_body, world

ZONE = f"{NET}/privateDnsZones/privatelink.azurecr.cn"


def _zone(arm: Arm, path: str = ZONE) -> None:
    response = arm.request("PUT", path, {"location": "global"}, headers={"If-None-Match": "*"})
    assert response.status_code == 201, response.text


def _vnet_id(arm: Arm, name: str = "myvnet", group: str = "rg") -> str:
    return f"/subscriptions/{arm.sub}/resourceGroups/{group}/providers/Microsoft.Network/virtualNetworks/{name}"


def _link(arm: Arm, zone_path: str, name: str, vnet: str, registration: bool = False) -> Any:
    return arm.request(
        "PUT",
        f"{zone_path}/virtualNetworkLinks/{name}",
        {"location": "global", "properties": {"virtualNetwork": {"id": vnet}, "registrationEnabled": registration}},
    )


def _records(arm: Arm, zone_path: str = ZONE) -> dict[str, tuple[int, list[str]]]:
    listed = arm.request("GET", f"{zone_path}/aLL").json()["value"]
    return {
        r["name"]: (r["properties"]["ttl"], [a["ipv4Address"] for a in r["properties"]["aRecords"]])
        for r in listed
        if r["type"].endswith("/A")
    }


def test_zone_shape_and_if_none_match(arm: Arm) -> None:
    arm.group()
    _zone(arm)
    zone = arm.request("GET", ZONE).json()
    assert (zone["location"], zone["type"]) == ("global", "Microsoft.Network/privateDnsZones")
    props = zone["properties"]
    assert (
        props["numberOfRecordSets"],
        props["maxNumberOfRecordSets"],
        props["maxNumberOfVirtualNetworkLinks"],
        props["maxNumberOfVirtualNetworkLinksWithRegistration"],
    ) == (1, 25000, 1000, 100)
    soa = arm.request("GET", f"{ZONE}/SOA/@").json()
    assert soa["properties"]["fqdn"] == "privatelink.azurecr.cn."
    again = arm.request("PUT", ZONE, {"location": "global"}, headers={"If-None-Match": "*"})
    assert (again.status_code, error_code(again)) == (412, "PreconditionFailed")
    assert "privatelink.azurecr.cn exists already" in again.json()["error"]["message"]
    single = arm.request("PUT", f"{NET}/privateDnsZones/local", {"location": "global"})
    assert single.status_code == 400
    regional = arm.request("PUT", f"{NET}/privateDnsZones/example.com", {"location": "chinanorth2"})
    assert regional.status_code == 400
    soa_delete = arm.request("DELETE", f"{ZONE}/SOA/@")
    assert soa_delete.status_code == 400


def test_record_sets_crud_etags_and_fqdn(arm: Arm) -> None:
    arm.group()
    _zone(arm)
    created = arm.request(
        "PUT",
        f"{ZONE}/A/MyRegistry",
        {"properties": {"ttl": 3600, "aRecords": [{"ipv4Address": "10.0.0.4"}]}},
        headers={"If-None-Match": "*"},
    )
    assert created.status_code == 201
    record = created.json()
    assert record["properties"]["fqdn"] == "myregistry.privatelink.azurecr.cn."
    assert record["type"] == "Microsoft.Network/privateDnsZones/A"
    assert arm.request("GET", f"{ZONE}/a/myregistry").json()["name"] == "MyRegistry", "names are case-insensitive"
    stale = arm.request(
        "PATCH", f"{ZONE}/A/myregistry", {"properties": {"ttl": 10}}, headers={"If-Match": "not-the-etag"}
    )
    assert (stale.status_code, error_code(stale)) == (412, "PreconditionFailed")
    patched = arm.request(
        "PATCH", f"{ZONE}/A/myregistry", {"properties": {"ttl": 10}}, headers={"If-Match": record["etag"]}
    )
    assert patched.status_code == 200 and patched.json()["properties"]["aRecords"] == [{"ipv4Address": "10.0.0.4"}]
    too_many = {"properties": {"aRecords": [{"ipv4Address": f"10.0.0.{i}"} for i in range(21)]}}
    assert arm.request("PUT", f"{ZONE}/A/big", too_many).status_code == 400
    bad = arm.request("PUT", f"{ZONE}/A/bad", {"properties": {"aRecords": [{"ipv4Address": "10.0.0.300"}]}})
    assert bad.status_code == 400
    arm.request("PUT", f"{ZONE}/TXT/note", {"properties": {"txtRecords": [{"value": ["hello"]}]}})
    arm.request(
        "PUT", f"{ZONE}/CNAME/alias", {"properties": {"cnameRecord": {"cname": "myregistry.privatelink.azurecr.cn"}}}
    )
    kinds = sorted(r["type"].split("/")[-1] for r in arm.request("GET", f"{ZONE}/ALL").json()["value"])
    assert kinds == ["A", "CNAME", "SOA", "TXT"]
    assert [r["name"] for r in arm.request("GET", f"{ZONE}/A").json()["value"]] == ["MyRegistry"]
    assert arm.request("DELETE", f"{ZONE}/A/myregistry").status_code == 200
    missing = arm.request("GET", f"{ZONE}/A/myregistry")
    assert (missing.status_code, error_code(missing)) == (404, "NotFound")


def test_link_rules(arm: Arm) -> None:
    """One link per VNet and zone; one registration zone per VNet; same-named zones never both (S17)."""
    world(arm)
    _zone(arm)
    assert _link(arm, ZONE, "l1", _vnet_id(arm)).status_code == 201
    twice = _link(arm, ZONE, "l2", _vnet_id(arm))
    assert twice.status_code == 409
    arm.request("PUT", "/subscriptions/{sub}/resourcegroups/rg2", {"location": "chinaeast2"})
    other_zone = (
        "/subscriptions/{sub}/resourceGroups/rg2/providers/Microsoft.Network/privateDnsZones/privatelink.azurecr.cn"
    )
    _zone(arm, other_zone)
    same_name = _link(arm, other_zone, "l1", _vnet_id(arm))
    assert (same_name.status_code, error_code(same_name)) == (400, "BadRequest")
    assert same_name.json()["error"]["message"] == (
        "A virtual network cannot be linked to multiple zones with overlapping namespaces. You tried to link virtual "
        "network with 'privatelink.azurecr.cn' and 'privatelink.azurecr.cn' zones."
    )
    _zone(arm, f"{NET}/privateDnsZones/corp.example")
    _zone(arm, f"{NET}/privateDnsZones/lab.example")
    assert _link(arm, f"{NET}/privateDnsZones/corp.example", "r1", _vnet_id(arm), registration=True).status_code == 201
    second_registration = _link(arm, f"{NET}/privateDnsZones/lab.example", "r2", _vnet_id(arm), registration=True)
    assert second_registration.status_code == 400
    zone = arm.request("GET", ZONE).json()["properties"]
    assert zone["numberOfVirtualNetworkLinks"] == 1
    linked = arm.request("DELETE", ZONE)
    assert linked.status_code == 409, "a linked zone cannot be deleted"
    assert arm.request("DELETE", f"{ZONE}/virtualNetworkLinks/l1").status_code == 200
    assert arm.request("DELETE", ZONE).status_code == 200


def test_zone_group_writes_records_and_keeps_them_in_step(arm: Arm) -> None:
    world(arm)
    _zone(arm)
    create_endpoint(arm)
    zone_id = (
        f"/subscriptions/{arm.sub}/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/privatelink.azurecr.cn"
    )
    group = {"properties": {"privateDnsZoneConfigs": [{"name": "acr", "properties": {"privateDnsZoneId": zone_id}}]}}
    response = arm.request("PUT", f"{NET}/privateEndpoints/mype/privateDnsZoneGroups/default", group)
    assert response.status_code == 201
    record_sets = response.json()["properties"]["privateDnsZoneConfigs"][0]["properties"]["recordSets"]
    assert [(r["recordSetName"], r["ttl"], r["ipAddresses"]) for r in record_sets] == [
        ("myregistry", 10, ["10.0.0.4"]),
        ("myregistry.chinanorth2.data", 10, ["10.0.0.5"]),
    ]
    assert _records(arm) == {"myregistry": (10, ["10.0.0.4"]), "myregistry.chinanorth2.data": (10, ["10.0.0.5"])}
    arm.request("PUT", arm.registry_path("myregistry") + "/replications/chinaeast2", {"location": "chinaeast2"})
    assert "myregistry.chinaeast2.data" not in _records(arm), "a pending member gets no record"
    name = connections(arm)[0]["name"]
    approve = {"properties": {"privateLinkServiceConnectionState": {"status": "Approved"}}}
    arm.request("PUT", arm.registry_path("myregistry") + f"/privateEndpointConnections/{name}", approve)
    assert _records(arm)["myregistry.chinaeast2.data"] == (10, ["10.0.0.6"])
    arm.request("DELETE", arm.registry_path("myregistry") + "/replications/chinaeast2")
    assert "myregistry.chinaeast2.data" not in _records(arm)
    arm.request("DELETE", f"{NET}/privateEndpoints/mype")
    assert _records(arm) == {}, "deleting the endpoint removes its records (S15's dangling link remains)"
    assert arm.request("GET", f"{NET}/virtualNetworks/myvnet").status_code == 200


def test_zone_group_and_manual_records_agree(arm: Arm) -> None:
    """S6 vs S13: "integrate with private DNS zone" and records written by hand give the same names and
    addresses (TTL aside)."""
    world(arm)
    _zone(arm)
    manual_zone = "/subscriptions/{sub}/resourceGroups/rgmanual/providers/Microsoft.Network/privateDnsZones/privatelink.azurecr.cn"
    arm.request("PUT", "/subscriptions/{sub}/resourcegroups/rgmanual", {"location": "chinanorth2"})
    _zone(arm, manual_zone)
    create_endpoint(arm)
    zone_id = (
        f"/subscriptions/{arm.sub}/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/privatelink.azurecr.cn"
    )
    arm.request(
        "PUT",
        f"{NET}/privateEndpoints/mype/privateDnsZoneGroups/default",
        {"properties": {"privateDnsZoneConfigs": [{"name": "acr", "properties": {"privateDnsZoneId": zone_id}}]}},
    )
    addresses = nic_addresses(arm)
    for member, name in (("registry", "myregistry"), ("registry_data_chinanorth2", "myregistry.chinanorth2.data")):
        arm.request(
            "PUT",
            f"{manual_zone}/A/{name}",
            {"properties": {"ttl": 10, "aRecords": [{"ipv4Address": addresses[member]}]}},
        )
    assert _records(arm) == _records(arm, manual_zone)


def test_two_endpoints_writing_one_name_overwrite_each_other(arm: Arm) -> None:
    """S17: a shared zone rewritten by endpoints in two VNets answers whichever wrote last."""
    world(arm)
    _zone(arm)
    arm.request("PUT", f"{NET}/virtualNetworks/v2", vnet_body("10.1.0.0/16", [("s2", "10.1.0.0/24")]))
    create_endpoint(arm, name="pe1")
    body: dict[str, Any] = {
        "location": "chinanorth2",
        "properties": {
            "subnet": {"id": f"{_vnet_id(arm, 'v2')}/subnets/s2"},
            "privateLinkServiceConnections": [
                {
                    "name": "c2",
                    "properties": {
                        "privateLinkServiceId": f"/subscriptions/{arm.sub}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/myregistry",
                        "groupIds": ["registry"],
                    },
                }
            ],
        },
    }
    arm.request("PUT", f"{NET}/privateEndpoints/pe2", body)
    zone_id = (
        f"/subscriptions/{arm.sub}/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/privatelink.azurecr.cn"
    )
    group = {"properties": {"privateDnsZoneConfigs": [{"name": "acr", "properties": {"privateDnsZoneId": zone_id}}]}}
    arm.request("PUT", f"{NET}/privateEndpoints/pe1/privateDnsZoneGroups/default", group)
    assert _records(arm)["myregistry"] == (10, ["10.0.0.4"])
    arm.request("PUT", f"{NET}/privateEndpoints/pe2/privateDnsZoneGroups/default", group)
    assert _records(arm)["myregistry"] == (10, ["10.1.0.4"])


def test_registration_enabled_links_register_vms(arm: Arm) -> None:
    world(arm)
    corp = f"{NET}/privateDnsZones/corp.example"
    _zone(arm, corp)
    nic = {
        "location": "chinanorth2",
        "tags": {"acrlink-vm": "BuildVM"},
        "properties": {
            "ipConfigurations": [
                {"name": "ipconfig1", "properties": {"subnet": {"id": f"{_vnet_id(arm)}/subnets/mysubnet"}}}
            ]
        },
    }
    arm.request("PUT", f"{NET}/networkInterfaces/BuildVMVMNic", nic)
    assert _link(arm, corp, "reg", _vnet_id(arm), registration=True).status_code == 201
    record = arm.request("GET", f"{corp}/A/buildvm").json()
    assert record["properties"]["isAutoRegistered"] is True
    assert record["properties"]["aRecords"] == [{"ipv4Address": "10.0.0.4"}]
    assert record["properties"]["ttl"] == 10
    other = dict(nic, tags={"acrlink-vm": "second"})
    arm.request("PUT", f"{NET}/networkInterfaces/secondVMNic", other)
    assert _records(arm, corp)["second"] == (10, ["10.0.0.5"])
    arm.request("DELETE", f"{NET}/networkInterfaces/secondVMNic")
    assert "second" not in _records(arm, corp)
    patch = arm.request("PATCH", f"{corp}/virtualNetworkLinks/reg", {"properties": {"registrationEnabled": False}})
    assert patch.status_code == 200
    assert _records(arm, corp) == {}
