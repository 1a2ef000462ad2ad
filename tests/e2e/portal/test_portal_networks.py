"""Networks in the portal, in both languages, in a real browser: a VNet made with the create form, a subnet's
private endpoint network policy (S10), an A record made by hand (S13) and deleted after the what-if, a
virtual network link added and removed, the topology's links to the blades, and the reachability matrix (the
VM reaches the registry privately, the internet is denied once public access is off, with the fix).
Bad input: an overlapping subnet and a second zone of the same name linked to the same VNet: ARM's message
next to the field, nothing created. Every result is checked through az or ARM, not through the page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import Running, arm_client, private_registry

from .conftest import arm_get, open_portal, shot

pytestmark = [pytest.mark.slow, pytest.mark.portal]

RG, ACR, VNET, VM, ZONE, DUP_RG = "netrg", "netacr", "netvnet", "netVM", "privatelink.azurecr.cn", "netdup"

WORDS = {
    "en": {"vnets": "Virtual networks", "zones": "Private DNS zones", "create": "+ Create", "vnet_name": "Virtual network name",
           "group": "Resource group", "space": "Address space", "subnet_name": "Subnet name",
           "range": "Subnet address range", "submit": "Create", "subnets": "Subnets", "policy": "Private endpoint network policy",
           "add": "Add", "save": "Save", "records": "Record sets", "name": "Name", "ttl": "TTL", "ip": "IP address",
           "ok": "OK", "delete": "Delete", "whatif": "What changes for the hosts", "confirm": "Yes, delete",
           "links": "Virtual network links", "link_name": "Link name", "vnet": "Virtual network",
           "auto": "Enable auto registration", "remove": "Remove", "topology": "Topology", "vm": "VM",
           "vnet_kind": "Virtual network", "pe": "Private endpoint", "acr": "Container registry",
           "reach": "Reachability", "host": "Host", "filter": "Filter", "private": "Private endpoint",
           "denied": "Denied by the firewall", "fix": "Command that fixes it", "overview": "Overview"},
    "zh": {"vnets": "虚拟网络", "zones": "专用 DNS 区域", "create": "+ 创建", "vnet_name": "虚拟网络名称",
           "group": "资源组", "space": "地址空间", "subnet_name": "子网名称", "range": "子网地址范围", "submit": "创建",
           "subnets": "子网", "policy": "专用终结点网络策略", "add": "添加", "save": "保存", "records": "记录集",
           "name": "名称", "ttl": "TTL", "ip": "IP 地址", "ok": "确定", "delete": "删除", "whatif": "对主机的影响",
           "confirm": "是,删除", "links": "虚拟网络链接", "link_name": "链接名称", "vnet": "虚拟网络",
           "auto": "启用自动注册", "remove": "删除", "topology": "拓扑", "vm": "虚拟机", "vnet_kind": "虚拟网络",
           "pe": "专用终结点", "acr": "容器注册表", "reach": "可访问性", "host": "主机", "filter": "筛选",
           "private": "专用终结点", "denied": "被防火墙拒绝", "fix": "修复命令", "overview": "概述"},
}  # fmt: skip
OCTET = {"en": 1, "zh": 2}
NETWORK_API, DNS_API = "2024-05-01", "2024-06-01"


@pytest.fixture(scope="module")
def world(portal_acrlink: Running) -> Iterator[dict[str, str]]:
    """The seed's world (registry, VNet, linked zone, endpoint), a VM in the VNet, and a second zone of the
    same name in another group (the duplicate-link case)."""
    net = portal_acrlink
    registry_id = private_registry(net, RG, ACR, VNET)
    net.cli("vm", "create", VM, "-g", RG, "--vnet-name", VNET, "--subnet", "default")
    group = f"/subscriptions/{net.subscription}/resourceGroups/{RG}"
    dup = f"/subscriptions/{net.subscription}/resourceGroups/{DUP_RG}"
    with arm_client(net) as client:
        client.put(dup, params={"api-version": "2025-04-01"}, json={"location": "chinanorth2"}).raise_for_status()
        zone = f"{dup}/providers/Microsoft.Network/privateDnsZones/{ZONE}"
        client.put(zone, params={"api-version": DNS_API}, json={"location": "global"}).raise_for_status()
    yield {
        "registry": registry_id,
        "vnet": f"{group}/providers/Microsoft.Network/virtualNetworks/{VNET}",
        "zone": f"{group}/providers/Microsoft.Network/privateDnsZones/{ZONE}",
        "dup_zone": f"{dup}/providers/Microsoft.Network/privateDnsZones/{ZONE}",
    }


def field_alert(page: Any, control: str) -> Any:
    """ARM's message shown next to the control with id ``control``."""
    return page.locator(f"#{control} ~ [role=alert]")


def goto(page: Any, running: Running, path: str) -> None:
    page.goto(running.endpoints["portal"].rstrip("/") + path)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_vnet_create_subnets_and_the_endpoint_policy(browser: Any, portal_acrlink: Running, world: dict[str, str],
                                                     language: str) -> None:  # fmt: skip
    words, net, octet = WORDS[language], portal_acrlink, OCTET[language]
    page = open_portal(browser, net, language)
    name = f"vnet-{language}"
    page.get_by_role("link", name=words["vnets"], exact=True).first.click()
    page.get_by_role("link", name=words["create"]).click()
    page.get_by_label(words["group"], exact=True).select_option(RG)
    page.get_by_label(words["vnet_name"], exact=True).fill(name)
    page.get_by_label(words["space"], exact=True).fill(f"10.{octet}.0.0/16")
    page.get_by_label(words["subnet_name"], exact=True).fill("default")
    page.get_by_label(words["range"], exact=True).fill(f"10.{octet}.0.0/24")
    page.get_by_role("button", name=words["submit"], exact=True).click()
    page.get_by_role("heading", name=name).wait_for()
    vnet_id = f"{world['vnet'].rsplit('/', 1)[0]}/{name}"
    shown = arm_get(net, vnet_id, NETWORK_API).json()["properties"]
    assert shown["addressSpace"]["addressPrefixes"] == [f"10.{octet}.0.0/16"]
    assert [s["properties"]["addressPrefix"] for s in shown["subnets"]] == [f"10.{octet}.0.0/24"]

    # Bad input: a subnet overlapping the VNet's default subnet; ARM's message next to the field, no subnet.
    page.get_by_role("link", name=words["subnets"], exact=True).click()
    page.get_by_label(words["subnet_name"], exact=True).fill("overlap")
    page.get_by_label(words["range"], exact=True).fill(f"10.{octet}.0.128/25")
    page.get_by_role("button", name=words["add"], exact=True).click()
    alert = field_alert(page, "subnet_prefix")
    alert.wait_for()
    assert "overlaps" in alert.inner_text()
    assert arm_get(net, f"{vnet_id}/subnets/overlap", NETWORK_API).status_code == 404

    page.get_by_label(words["subnet_name"], exact=True).fill("pe-subnet")
    page.get_by_label(words["range"], exact=True).fill(f"10.{octet}.1.0/24")
    page.get_by_role("button", name=words["add"], exact=True).click()
    page.get_by_role("link", name="pe-subnet", exact=True).click()
    page.get_by_label(words["policy"]).select_option("Enabled")
    with page.expect_navigation():
        page.get_by_role("button", name=words["save"], exact=True).click()
    page.get_by_role("status").wait_for()
    policy = net.azs(f"network vnet subnet show -g {RG} --vnet-name {name} -n pe-subnet "
                     "--query privateEndpointNetworkPolicies")  # fmt: skip
    assert policy == "Enabled"
    page.get_by_label(words["policy"]).select_option("Disabled")
    with page.expect_navigation():
        page.get_by_role("button", name=words["save"], exact=True).click()
    page.get_by_role("status").wait_for()
    policy = net.azs(f"network vnet subnet show -g {RG} --vnet-name {name} -n pe-subnet "
                     "--query privateEndpointNetworkPolicies")  # fmt: skip
    assert policy == "Disabled"
    page.context.close()


@pytest.mark.parametrize("language", ["en", "zh"])
def test_an_a_record_by_hand_then_deleted_after_the_what_if(browser: Any, portal_acrlink: Running,
                                                            world: dict[str, str], language: str) -> None:  # fmt: skip
    words, net = WORDS[language], portal_acrlink
    record = f"manual-{language}"
    page = open_portal(browser, net, language)
    page.get_by_role("link", name=words["zones"], exact=True).first.click()
    page.get_by_role("row").filter(has_text=RG).get_by_role("link", name=ZONE, exact=True).click()
    page.get_by_role("link", name=words["records"], exact=True).click()
    page.get_by_label(words["name"], exact=True).fill(record)
    page.get_by_label(words["ttl"], exact=True).fill("300")
    page.get_by_label(words["ip"], exact=True).fill("10.0.0.99\n10.0.0.98")
    page.get_by_role("button", name=words["ok"], exact=True).click()
    page.get_by_role("cell", name=record, exact=True).wait_for()
    shown = net.az_json("network", "private-dns", "record-set", "a", "show", "-g", RG, "-z", ZONE, "-n", record)
    assert shown["ttl"] == 300
    assert sorted(r["ipv4Address"] for r in shown["aRecords"]) == ["10.0.0.98", "10.0.0.99"]

    page.get_by_role("button", name=f"{words['delete']} {record}").click()
    page.get_by_role("heading", name=words["whatif"]).wait_for()
    page.get_by_role("button", name=words["confirm"]).click()
    page.get_by_role("link", name=words["records"], exact=True).wait_for()
    gone = net.az("network", "private-dns", "record-set", "a", "show", "-g", RG, "-z", ZONE, "-n", record, check=False)
    assert gone.returncode != 0
    page.context.close()


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_link_added_and_removed_and_a_duplicate_zone_refused(browser: Any, portal_acrlink: Running,
                                                               world: dict[str, str], language: str) -> None:  # fmt: skip
    words, net = WORDS[language], portal_acrlink
    target, link = f"vnet-{language}", f"link-{language}"
    target_id = f"{world['vnet'].rsplit('/', 1)[0]}/{target}"
    page = open_portal(browser, net, language)
    goto(page, net, f"/resource{world['zone']}")
    page.get_by_role("link", name=words["links"], exact=True).click()
    page.get_by_label(words["link_name"], exact=True).fill(link)
    page.get_by_label(words["vnet"], exact=True).select_option(target_id)
    page.get_by_label(words["auto"]).check()
    page.get_by_role("button", name=words["ok"], exact=True).click()
    page.get_by_role("cell", name=link, exact=True).wait_for()
    shown = net.az_json("network", "private-dns", "link", "vnet", "show", "-g", RG, "-z", ZONE, "-n", link)
    assert shown["registrationEnabled"] is True
    assert shown["virtualNetwork"]["id"].lower() == target_id.lower()

    page.get_by_role("button", name=f"{words['remove']} {link}").click()
    page.get_by_role("heading", name=words["whatif"]).wait_for()
    page.get_by_role("button", name=words["confirm"]).click()
    page.get_by_role("link", name=words["links"], exact=True).wait_for()
    gone = net.az("network", "private-dns", "link", "vnet", "show", "-g", RG, "-z", ZONE, "-n", link, check=False)
    assert gone.returncode != 0

    # Bad input: the other group's zone of the same name, linked to the VNet the first one is linked to.
    goto(page, net, f"/resource{world['dup_zone']}/virtualnetworklinks")
    page.get_by_label(words["link_name"], exact=True).fill(f"dup-{language}")
    page.get_by_label(words["vnet"], exact=True).select_option(world["vnet"])
    page.get_by_role("button", name=words["ok"], exact=True).click()
    alert = field_alert(page, "link_vnet")
    alert.wait_for()
    assert ZONE in alert.inner_text()
    assert arm_get(net, f"{world['dup_zone']}/virtualNetworkLinks", DNS_API).json()["value"] == []
    page.context.close()


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_topology_links_every_element_to_its_blade(browser: Any, portal_acrlink: Running, world: dict[str, str],
                                                       language: str) -> None:  # fmt: skip
    words, net = WORDS[language], portal_acrlink
    page = open_portal(browser, net, language)
    page.get_by_role("link", name=words["topology"], exact=True).first.click()
    page.get_by_role("heading", name=words["topology"]).wait_for()
    svg = page.locator("svg.topology")
    vm = svg.get_by_role("link", name=f"{words['vm']}: {VM}", exact=True)
    assert VM in (vm.get_attribute("href") or "")
    vnet = svg.get_by_role("link", name=f"{words['vnet_kind']}: {VNET}", exact=True)
    assert vnet.get_attribute("href") == f"/resource{world['vnet']}"
    endpoint = svg.get_by_role("link", name=f"{words['pe']}: pe", exact=True)
    assert (endpoint.get_attribute("href") or "").endswith("/providers/Microsoft.Network/privateEndpoints/pe")
    assert "10.0.0.4" in (svg.text_content() or "")
    if language == "en":
        shot(page, "topology")
    svg.get_by_role("link", name=f"{words['acr']}: {ACR}", exact=True).click()
    page.wait_for_url(f"**/resource{world['registry']}")
    assert arm_get(net, world["registry"], "2025-11-01").status_code == 200
    page.context.close()


def cell_of(page: Any, name: str) -> Any:
    """The matrix cell of the row ``name`` (with one host shown, the row's only cell)."""
    return page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name, exact=True)).get_by_role("cell")


@pytest.mark.parametrize("language", ["en", "zh"])
def test_reachability_private_for_the_vm_denied_for_the_internet(browser: Any, portal_acrlink: Running,
                                                                 world: dict[str, str], language: str) -> None:  # fmt: skip
    words, net = WORDS[language], portal_acrlink
    login = f"{ACR}.azurecr.cn"
    net.azs(f"acr update -n {ACR} --public-network-enabled false")
    view = arm_get(net, f"/subscriptions/{net.subscription}/providers/Acrlink.Network/reachability", "2026-01-01")
    cells = {(c["host"], c["name"]): c for c in view.json()["value"]}
    assert cells[(VM, login)]["path"] == "private" and not cells[("internet", login)]["ok"]
    with arm_client(net) as client:
        explained = client.get(f"/subscriptions/{net.subscription}/providers/Acrlink.Network/reachability",
                               params={"api-version": "2026-01-01", "host": "internet"}).json()["value"]  # fmt: skip
    cells.update({(c["host"], c["name"]): c for c in explained})

    page = open_portal(browser, net, language)
    page.get_by_role("link", name=words["reach"], exact=True).first.click()
    page.get_by_label(words["host"], exact=True).select_option(VM)
    page.get_by_role("button", name=words["filter"]).click()
    page.wait_for_url("**/reachability?host=*")
    text = cell_of(page, login).inner_text()
    assert cells[(VM, login)]["address"] in text and cells[(VM, login)]["address"].startswith("10.")
    assert words["private"] in text

    page.get_by_label(words["host"], exact=True).select_option("internet")
    page.get_by_role("button", name=words["filter"]).click()
    page.wait_for_url("**/reachability?host=internet*")
    cell = cell_of(page, login)
    assert words["denied"] in cell.inner_text()
    if language == "en":
        goto(page, net, "/reachability")
        shot(page, "reachability")
        goto(page, net, "/reachability?host=internet")
        cell = cell_of(page, login)
    cell.get_by_role("link").click()
    page.wait_for_url("**/reachability/cell?*")
    fix = page.get_by_label(words["fix"])
    expected = cells[("internet", login)]["fix"] or cells[("internet", login)]["hint"]
    assert expected
    if cells[("internet", login)]["fix"]:
        assert fix.inner_text().strip() == expected.strip()
    else:
        assert expected in page.content()
    page.context.close()
